//! Click-through of the recommendation rows, for the admin: per row and per model version that
//! filled it, how often its products were shown and clicked. Read from `shopper_events`, which
//! [`super::events`] owns and writes; this is only its one aggregate.

use sqlx::PgPool;

use crate::types::ClickThroughRow;

/// Impressions and clicks of the last `days` days, by row then newest version first (rows no
/// model filled last). A click on a product shown before the window still counts: the figures
/// are of a sliding window, not of the impressions' cohort.
pub async fn recent(pool: &PgPool, days: i32) -> Result<Vec<ClickThroughRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT row_name AS "row_name!", model_version,
               count(*) FILTER (WHERE kind = 'rec_impression') AS "impressions!",
               count(*) FILTER (WHERE kind = 'rec_click') AS "clicks!"
        FROM shopper_events
        WHERE kind IN ('rec_impression', 'rec_click')
          AND occurred_at > now() - make_interval(days => $1)
        GROUP BY row_name, model_version
        ORDER BY row_name, model_version DESC NULLS LAST
        "#,
        days
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            ClickThroughRow::new(row.row_name, row.model_version, row.impressions, row.clicks)
        })
        .collect())
}
