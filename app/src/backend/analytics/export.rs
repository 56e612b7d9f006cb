//! Each table of the dashboard as CSV (`GET /api/admin/analytics.csv?table=…&from=…&to=…`),
//! money as decimal amounts in the dashboard's currency. Each export runs only the query of
//! its table.

use sqlx::PgPool;

use crate::types::{day_text, DateRange, Money, ANALYTICS_TABLES};

/// Table `name` of the dashboard of `range` as CSV, reading only what that table shows; `None`
/// for a name that is not one of [`ANALYTICS_TABLES`].
pub async fn table(
    pool: &PgPool,
    range: DateRange,
    name: &str,
) -> Result<Option<String>, sqlx::Error> {
    if !ANALYTICS_TABLES.contains(&name) {
        return Ok(None);
    }
    let money = |minor: i64| Money::plain(minor);
    let revenue = |currency: &str| format!("revenue_{}", currency.to_lowercase());
    let (header, rows): (Vec<String>, Vec<Vec<String>>) = match name {
        "sales" => {
            let currency = super::main_currency(pool, range).await?;
            let (_, days) = super::sales(pool, range, &currency).await?;
            (
                columns(&["day", "orders", &revenue(&currency), "photo_searches"]),
                days.iter()
                    .map(|d| {
                        vec![
                            day_text(d.day),
                            d.orders.to_string(),
                            money(d.revenue_minor),
                            d.photo_searches.to_string(),
                        ]
                    })
                    .collect(),
            )
        }
        "funnel" => (
            columns(&["step", "count"]),
            super::funnel(pool, range)
                .await?
                .iter()
                .map(|s| vec![s.step.clone(), s.count.to_string()])
                .collect(),
        ),
        "products" | "categories" => {
            let currency = super::main_currency(pool, range).await?;
            let items = if name == "products" {
                super::top_products(pool, range).await?
            } else {
                super::top_categories(pool, range).await?
            };
            (
                columns(&["name", "slug", "units", &revenue(&currency), "views"]),
                items
                    .iter()
                    .map(|t| {
                        vec![
                            inert(&t.name),
                            t.slug.clone(),
                            t.units.to_string(),
                            money(t.revenue_minor),
                            t.views.to_string(),
                        ]
                    })
                    .collect(),
            )
        }
        "queries" | "zero_result_queries" => (
            columns(&["query", "searches", "found_nothing", "clicks"]),
            super::queries(pool, range, name == "zero_result_queries")
                .await?
                .iter()
                .map(|q| {
                    vec![
                        inert(&q.query),
                        q.searches.to_string(),
                        q.empty.to_string(),
                        q.clicks.to_string(),
                    ]
                })
                .collect(),
        ),
        "recommendations" => (
            columns(&["row", "impressions", "clicks", "click_through"]),
            super::rows(pool, range)
                .await?
                .iter()
                .map(|r| {
                    vec![
                        r.row_name.clone(),
                        r.impressions.to_string(),
                        r.clicks.to_string(),
                        r.ctr.map(|c| format!("{c:.4}")).unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
        "stock_alerts" => (
            columns(&["sku", "product", "slug", "available", "product_units_sold"]),
            super::stock_alerts(pool, range)
                .await?
                .iter()
                .map(|a| {
                    vec![
                        a.sku.clone(),
                        inert(&a.product_name),
                        a.product_slug.clone(),
                        a.available.to_string(),
                        a.units_sold.to_string(),
                    ]
                })
                .collect(),
        ),
        _ => (
            columns(&[
                "segment",
                "customers",
                "avg_days_since_last_order",
                "avg_orders",
                "avg_spend",
                "currency",
            ]),
            super::segments::latest(pool)
                .await?
                .iter()
                .map(|s| {
                    vec![
                        s.label.clone(),
                        s.customers.to_string(),
                        format!("{:.1}", s.avg_recency_days),
                        format!("{:.2}", s.avg_orders),
                        money(s.avg_spend_minor.round() as i64),
                        s.currency.clone(),
                    ]
                })
                .collect(),
        ),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in std::iter::once(header).chain(rows) {
        writer.write_record(record).expect("writing CSV into memory");
    }
    let bytes = writer.into_inner().expect("an in-memory writer");
    Ok(Some(String::from_utf8(bytes).expect("UTF-8 fields")))
}

/// A text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first) made plain text with a leading `'`: searches are typed by shoppers, and an
/// export is opened by the owner.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn a_search_typed_as_a_formula_is_exported_as_text() {
        assert_eq!(inert("=HYPERLINK(\"http://evil\")"), "'=HYPERLINK(\"http://evil\")");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("-2+3"), "'-2+3");
        assert_eq!(inert("red mug"), "red mug");
    }
}
