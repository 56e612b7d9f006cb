//! The admin's analytics dashboard (permission `analytics`): every figure of a date range, read
//! from the daily rollups. Money is in minor units of `Dashboard::currency`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The days a dashboard covers, both included (UTC days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest range a dashboard covers.
pub const MAX_RANGE_DAYS: i64 = 731;
/// The range a dashboard covers unless told: the last 30 days.
pub const DEFAULT_RANGE_DAYS: i64 = 30;

impl DateRange {
    /// The range the `from` and `to` fields ask for (`YYYY-MM-DD`; blank: the last 30 days up
    /// to `today`, or 30 days from `from`), or why it cannot be read.
    pub fn read(from: &str, to: &str, today: NaiveDate) -> Result<Self, String> {
        let day = |text: &str, name: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| format!("Write the {name} day as YYYY-MM-DD."))
        };
        let span = chrono::Duration::days(DEFAULT_RANGE_DAYS - 1);
        let (from, to) = match (from.trim(), to.trim()) {
            ("", "") => (today - span, today),
            (from, "") => {
                let from = day(from, "first")?;
                (from, (from + span).min(today.max(from)))
            }
            ("", to) => {
                let to = day(to, "last")?;
                (to - span, to)
            }
            (from, to) => (day(from, "first")?, day(to, "last")?),
        };
        if from > to {
            return Err("The first day comes after the last.".to_owned());
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err("Choose at most two years.".to_owned());
        }
        Ok(Self { from, to })
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(move |day| *day <= self.to)
    }
}

/// `day` as the dashboard and its exports write it: `2026-12-07`.
pub fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub range: DateRange,
    /// The currency of the money figures (the shop's currency with the most revenue).
    pub currency: String,
    pub totals: SalesTotals,
    /// Every day of the range (days without sales too).
    pub days: Vec<DayFigures>,
    pub funnel: Vec<FunnelStep>,
    pub top_products: Vec<TopItem>,
    pub top_categories: Vec<TopItem>,
    pub top_queries: Vec<QueryFigures>,
    pub zero_result_queries: Vec<QueryFigures>,
    pub rows: Vec<RowFigures>,
    pub stock_alerts: Vec<StockAlert>,
    pub segments: Vec<CustomerSegment>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesTotals {
    pub orders: i64,
    pub revenue_minor: i64,
    pub refunded_minor: i64,
    /// Revenue ÷ orders (none without orders).
    pub average_order_minor: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    pub day: NaiveDate,
    pub orders: i64,
    pub revenue_minor: i64,
    pub photo_searches: i64,
}

/// A step of views → cart → checkout → paid, as counts of what shoppers did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub step: String,
    pub count: i64,
}

/// A product or category of the top lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopItem {
    pub name: String,
    pub slug: String,
    pub units: i64,
    pub revenue_minor: i64,
    pub views: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryFigures {
    pub query: String,
    pub searches: i64,
    /// Of them, those that found nothing.
    pub empty: i64,
    pub clicks: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowFigures {
    pub row_name: String,
    pub impressions: i64,
    pub clicks: i64,
    /// Clicks ÷ impressions (none without impressions).
    pub ctr: Option<f64>,
}

/// A variant running out: what can still be sold, and how many units of its product sold in
/// the range (the rollups count sales per product).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAlert {
    pub sku: String,
    pub product_name: String,
    pub product_slug: String,
    pub available: i32,
    pub units_sold: i64,
}

/// Variants with this many units or fewer to sell are stock alerts.
pub const LOW_STOCK: i32 = 5;

/// A group of customers alike in recency, frequency and spend (k-means over their RFM
/// figures, computed by the `analytics_segments` job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSegment {
    pub label: String,
    pub customers: i64,
    pub avg_recency_days: f64,
    pub avg_orders: f64,
    pub avg_spend_minor: f64,
    pub currency: String,
    pub computed_at: DateTime<Utc>,
}

/// The dashboard's tables, each exported as CSV by name.
pub const ANALYTICS_TABLES: [&str; 9] = [
    "sales",
    "funnel",
    "products",
    "categories",
    "queries",
    "zero_result_queries",
    "recommendations",
    "stock_alerts",
    "segments",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_blank_range_is_the_last_thirty_days() {
        let range = DateRange::read("", "", day("2026-12-07")).unwrap();
        assert_eq!((range.from, range.to), (day("2026-11-08"), day("2026-12-07")));
        assert_eq!(range.days().count(), 30);
    }

    #[test]
    fn bad_ranges_say_why() {
        let today = day("2026-12-07");
        assert!(DateRange::read("2026-12-08", "2026-12-01", today).unwrap_err().contains("after"));
        assert!(DateRange::read("7/12/2026", "", today).unwrap_err().contains("YYYY-MM-DD"));
        assert!(DateRange::read("2020-01-01", "2026-01-01", today)
            .unwrap_err()
            .contains("two years"));
        let one = DateRange::read("2026-12-01", "2026-12-01", today).unwrap();
        assert_eq!(one.days().collect::<Vec<_>>(), [day("2026-12-01")]);
    }
}
