//! The `analytics_segments` job: recomputes the customer segments (k-means over recency,
//! frequency and spend, `app::backend::analytics::segments`) from the paid orders in the
//! shop's main currency of the last year, then queues tomorrow's run. Idempotent: a repeat
//! computes the same segments again.

use app::backend::analytics::{self, segments};
use app::backend::jobs::ClaimedJob;
use app::types::DateRange;
use chrono::{Duration, Utc};
use sqlx::PgPool;

use crate::jobs::worker::{one_by_one, HandlerFuture, JobHandler};

pub struct SegmentsHandler {
    pub pool: PgPool,
}

impl JobHandler for SegmentsHandler {
    fn kind(&self) -> &'static str {
        segments::SEGMENTS_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(
            jobs,
            move |_| async move { self.recompute().await.map_err(|err| err.to_string()) },
        )
    }
}

impl SegmentsHandler {
    async fn recompute(&self) -> Result<(), sqlx::Error> {
        let today = Utc::now().date_naive();
        let year = DateRange { from: today - Duration::days(364), to: today };
        let currency = analytics::main_currency(&self.pool, year).await?;
        let customers = segments::recompute(&self.pool, &currency).await?;
        tracing::info!(customers, currency, "customer segments recomputed");
        segments::enqueue(&self.pool, Some(Utc::now() + Duration::days(1))).await
    }
}
