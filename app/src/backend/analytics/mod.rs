//! The admin's analytics (permission `analytics`): each figure of the dashboard is one query on
//! the daily rollups (`analytics_daily_*`, kept by triggers in the transactions that write
//! events and orders; see the migration), so it reads a row per day and item of its range
//! however many events and orders lie behind them. `vitrine-tools bench admin` times each
//! query over a generated history of a million events and 100,000 orders.
//!
//! Customer segments come from the `analytics_segments` job ([`segments`]).

pub mod export;
pub mod segments;

use sqlx::PgPool;

use crate::types::{
    Dashboard, DateRange, DayFigures, FunnelStep, QueryFigures, RowFigures, SalesTotals,
    StockAlert, TopItem, LOW_STOCK,
};

/// How many rows each top list shows.
pub const TOP: i64 = 10;

/// The whole dashboard of `range`.
pub async fn dashboard(pool: &PgPool, range: DateRange) -> Result<Dashboard, sqlx::Error> {
    let currency = main_currency(pool, range).await?;
    let (totals, days) = sales(pool, range, &currency).await?;
    Ok(Dashboard {
        range,
        totals,
        days,
        funnel: funnel(pool, range).await?,
        top_products: top_products(pool, range).await?,
        top_categories: top_categories(pool, range).await?,
        top_queries: queries(pool, range, false).await?,
        zero_result_queries: queries(pool, range, true).await?,
        rows: rows(pool, range).await?,
        stock_alerts: stock_alerts(pool, range).await?,
        segments: segments::latest(pool).await?,
        currency,
    })
}

/// The currency with the most revenue in the range (EUR for a shop without sales).
pub async fn main_currency(pool: &PgPool, range: DateRange) -> Result<String, sqlx::Error> {
    let currency = sqlx::query_scalar!(
        r#"
        SELECT currency FROM analytics_daily_sales WHERE day BETWEEN $1 AND $2
        GROUP BY currency ORDER BY sum(revenue_minor) DESC, currency LIMIT 1
        "#,
        range.from,
        range.to
    )
    .fetch_optional(pool)
    .await?;
    Ok(currency.unwrap_or_else(|| "EUR".to_owned()))
}

/// The range's totals and every day's orders, revenue and photo searches.
pub async fn sales(
    pool: &PgPool,
    range: DateRange,
    currency: &str,
) -> Result<(SalesTotals, Vec<DayFigures>), sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT d.day AS "day!",
               coalesce(s.orders, 0) AS "orders!", coalesce(s.revenue_minor, 0) AS "revenue!",
               coalesce(s.refunded_minor, 0) AS "refunded!", coalesce(c.count, 0) AS "photo!"
        FROM generate_series($1::date, $2::date, interval '1 day') AS g(at)
        CROSS JOIN LATERAL (SELECT g.at::date AS day) d
        LEFT JOIN analytics_daily_sales s ON s.day = d.day AND s.currency = $3
        LEFT JOIN analytics_daily_counts c ON c.day = d.day AND c.metric = 'photo_search'
        ORDER BY d.day
        "#,
        range.from,
        range.to,
        currency
    )
    .fetch_all(pool)
    .await?;
    let mut totals = SalesTotals::default();
    let days = rows
        .into_iter()
        .map(|row| {
            totals.orders += row.orders;
            totals.revenue_minor += row.revenue;
            totals.refunded_minor += row.refunded;
            DayFigures {
                day: row.day,
                orders: row.orders,
                revenue_minor: row.revenue,
                photo_searches: row.photo,
            }
        })
        .collect();
    totals.average_order_minor = (totals.orders > 0).then(|| totals.revenue_minor / totals.orders);
    Ok((totals, days))
}

/// Product views → cart adds → checkouts → paid orders in the range.
pub async fn funnel(pool: &PgPool, range: DateRange) -> Result<Vec<FunnelStep>, sqlx::Error> {
    const STEPS: [(&str, &str); 4] = [
        ("view", "Product views"),
        ("cart_add", "Added to cart"),
        ("checkout", "Checkouts"),
        ("paid", "Paid orders"),
    ];
    let metrics: Vec<String> = STEPS.iter().map(|(metric, _)| (*metric).to_owned()).collect();
    let counts = sqlx::query!(
        r#"
        SELECT metric, sum(count)::bigint AS "count!" FROM analytics_daily_counts
        WHERE day BETWEEN $1 AND $2 AND metric = ANY($3)
        GROUP BY metric
        "#,
        range.from,
        range.to,
        &metrics
    )
    .fetch_all(pool)
    .await?;
    Ok(STEPS
        .iter()
        .map(|(metric, label)| FunnelStep {
            step: (*label).to_owned(),
            count: counts.iter().find(|row| row.metric == *metric).map_or(0, |row| row.count),
        })
        .collect())
}

/// The products that brought the most revenue in the range (then the most viewed).
pub async fn top_products(pool: &PgPool, range: DateRange) -> Result<Vec<TopItem>, sqlx::Error> {
    sqlx::query_as!(
        TopItem,
        r#"
        SELECT p.name, p.slug, t.units AS "units!", t.revenue_minor AS "revenue_minor!",
               t.views AS "views!"
        FROM analytics_product_totals($1, $2) t JOIN products p ON p.id = t.product_id
        ORDER BY t.revenue_minor DESC, t.views DESC, p.slug
        LIMIT $3
        "#,
        range.from,
        range.to,
        TOP
    )
    .fetch_all(pool)
    .await
}

/// The categories (where their products are filed) that brought the most revenue.
pub async fn top_categories(pool: &PgPool, range: DateRange) -> Result<Vec<TopItem>, sqlx::Error> {
    sqlx::query_as!(
        TopItem,
        r#"
        SELECT c.name, c.slug, sum(t.units)::bigint AS "units!",
               sum(t.revenue_minor)::bigint AS "revenue_minor!", sum(t.views)::bigint AS "views!"
        FROM analytics_product_totals($1, $2) t
        JOIN products p ON p.id = t.product_id
        JOIN categories c ON c.id = p.category_id
        GROUP BY c.id, c.name, c.slug
        ORDER BY 4 DESC, 5 DESC, c.slug
        LIMIT $3
        "#,
        range.from,
        range.to,
        TOP
    )
    .fetch_all(pool)
    .await
}

/// The most asked searches, or (`zero_results`) the searches that found nothing most often.
pub async fn queries(
    pool: &PgPool,
    range: DateRange,
    zero_results: bool,
) -> Result<Vec<QueryFigures>, sqlx::Error> {
    sqlx::query_as!(
        QueryFigures,
        r#"
        SELECT query, sum(searches)::bigint AS "searches!", sum(empty)::bigint AS "empty!",
               sum(clicks)::bigint AS "clicks!"
        FROM analytics_daily_queries WHERE day BETWEEN $1 AND $2
        GROUP BY query
        HAVING NOT $3 OR sum(empty) > 0
        ORDER BY CASE WHEN $3 THEN sum(empty) ELSE sum(searches) END DESC, query
        LIMIT $4
        "#,
        range.from,
        range.to,
        zero_results,
        TOP
    )
    .fetch_all(pool)
    .await
}

/// Each recommendation row's impressions, clicks and click-through in the range.
pub async fn rows(pool: &PgPool, range: DateRange) -> Result<Vec<RowFigures>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT row_name, sum(impressions)::bigint AS "impressions!", sum(clicks)::bigint AS "clicks!"
        FROM analytics_daily_rows WHERE day BETWEEN $1 AND $2
        GROUP BY row_name ORDER BY row_name
        "#,
        range.from,
        range.to
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| RowFigures {
            ctr: (row.impressions > 0).then(|| row.clicks as f64 / row.impressions as f64),
            row_name: row.row_name,
            impressions: row.impressions,
            clicks: row.clicks,
        })
        .collect())
}

/// Variants of shown products with [`LOW_STOCK`] units or fewer left to sell, those that sold
/// most in the range first.
pub async fn stock_alerts(pool: &PgPool, range: DateRange) -> Result<Vec<StockAlert>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT v.sku, p.name, p.slug, v.on_hand - v.reserved AS "available!",
               coalesce(t.units, 0) AS "product_units!"
        FROM product_variants v JOIN products p ON p.id = v.product_id
        LEFT JOIN analytics_product_totals($1, $2) t ON t.product_id = p.id
        WHERE p.published AND v.on_hand - v.reserved <= $3
        ORDER BY 5 DESC, 4, v.sku
        LIMIT $4
        "#,
        range.from,
        range.to,
        LOW_STOCK,
        TOP * 2
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| StockAlert {
            sku: row.sku,
            product_name: row.name,
            product_slug: row.slug,
            available: row.available,
            units_sold: row.product_units,
        })
        .collect())
}
