//! The selling side's jobs: releasing expired stock holds and pruning idle guest carts.

use app::backend::cart;
use app::backend::jobs::{self, ClaimedJob, NewJob};
use app::backend::orders::{self, HoldOutcome, ReleaseHold, RELEASE_HOLD_JOB};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::worker::{one_by_one, HandlerFuture, JobHandler};

/// The `release_order_hold` job: cancels an unpaid order whose hold expired, releasing its
/// stock. Idempotent (a repeat finds nothing due); while a payment is being processed it fails
/// the attempt so the queue retries it shortly.
pub struct ReleaseHoldHandler {
    pub pool: PgPool,
}

impl JobHandler for ReleaseHoldHandler {
    fn kind(&self) -> &'static str {
        RELEASE_HOLD_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, move |job| self.release(job))
    }
}

impl ReleaseHoldHandler {
    async fn release(&self, job: &ClaimedJob) -> Result<(), String> {
        let ReleaseHold { order_id } =
            serde_json::from_value(job.payload.clone()).map_err(|err| err.to_string())?;
        match orders::release_expired_hold(&self.pool, order_id).await {
            Ok(HoldOutcome::Released) => {
                tracing::info!(%order_id, "released an expired hold");
                Ok(())
            }
            Ok(HoldOutcome::NotDue) => Ok(()),
            Ok(HoldOutcome::PaymentInFlight) => Err("a payment is in flight; retrying".into()),
            Err(err) => Err(err.to_string()),
        }
    }
}

pub const PRUNE_CARTS_JOB: &str = "prune_guest_carts";

/// Queues the pruning of idle guest carts to run at `at`, unless one for that day is queued. The
/// worker queues one when it starts and each run queues the next day's, so there is one a day
/// however many workers start (their runs' keys for a day are the same).
pub async fn schedule_cart_pruning(pool: &PgPool, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let job = NewJob::new(PRUNE_CARTS_JOB, serde_json::json!({}))
        .dedupe(format!("{PRUNE_CARTS_JOB}:{}", at.date_naive()))
        .run_at(at);
    let mut conn = pool.acquire().await?;
    jobs::enqueue(&mut conn, &job).await.map(|_| ())
}

/// The `prune_guest_carts` job: deletes guest carts idle for [`cart::GUEST_CART_DAYS`], then
/// queues tomorrow's run. Idempotent: a repeat finds nothing left to delete.
pub struct PruneCartsHandler {
    pub pool: PgPool,
}

impl JobHandler for PruneCartsHandler {
    fn kind(&self) -> &'static str {
        PRUNE_CARTS_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, move |_| async move { self.prune().await.map_err(|err| err.to_string()) })
    }
}

impl PruneCartsHandler {
    async fn prune(&self) -> Result<(), sqlx::Error> {
        let pruned = cart::prune_idle_guest_carts(&self.pool).await?;
        tracing::info!(pruned, "pruned idle guest carts");
        schedule_cart_pruning(&self.pool, Utc::now() + chrono::Duration::days(1)).await
    }
}
