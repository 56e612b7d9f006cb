//! The recommender's upkeep between trainings:
//!
//! - `place_products` (queued by a trigger when a product appears or its content changes):
//!   places the products the active version has no vectors for by their content, so a product
//!   added a minute ago is in the picks as soon as its text is embedded;
//! - `refresh_recs` (every 15 minutes, each run queuing the next): rebuilds trending products
//!   and products bought together, then does what `place_products` does (a change that came
//!   while a placing ran is not lost).

use std::sync::{Arc, Mutex};

use app::backend::jobs::{self, ClaimedJob, NewJob};
use app::backend::model_registry;
use app::backend::recs::model::TasteVectors;
use app::backend::recs::store::{self, ShopModel};
use app::backend::recs::{companions, KIND, PLACE_JOB, REFRESH_JOB};
use chrono::{DateTime, Duration, DurationRound, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::jobs::worker::{one_by_one, HandlerFuture, JobHandler};

/// How often trending and bought-together are rebuilt.
const REFRESH_MINUTES: i64 = 15;

/// Queues the refresh due after `now` (one per quarter hour, however many workers start).
pub async fn schedule_refresh(pool: &PgPool, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let at = now.duration_trunc(Duration::minutes(REFRESH_MINUTES)).unwrap_or(now)
        + Duration::minutes(REFRESH_MINUTES);
    let job = NewJob::new(REFRESH_JOB, serde_json::json!({}))
        .dedupe(format!("{REFRESH_JOB}:{}", at.format("%Y%m%dT%H%M")))
        .run_at(at);
    let mut conn = pool.acquire().await?;
    jobs::enqueue(&mut conn, &job).await.map(|_| ())
}

/// Places the active version's missing products by their content, keeping the last version's
/// vectors so the registry is read once per version. Shared by both jobs.
pub struct Placer {
    pool: PgPool,
    cache: Mutex<Option<(Uuid, Arc<TasteVectors>)>>,
}

impl Placer {
    pub fn new(pool: PgPool) -> Arc<Self> {
        Arc::new(Self { pool, cache: Mutex::new(None) })
    }

    /// How many were placed; 0 while no version is active.
    pub async fn place(&self) -> anyhow::Result<usize> {
        let Some(active) = model_registry::active(&self.pool, KIND).await? else { return Ok(0) };
        let cached = self.cache.lock().expect("never poisoned").clone();
        let vectors = match cached {
            Some((id, vectors)) if id == active.id => vectors,
            _ => {
                let vectors = Arc::new(ShopModel::load(&self.pool, &active).await?.vectors);
                *self.cache.lock().expect("never poisoned") = Some((active.id, vectors.clone()));
                vectors
            }
        };
        let placed = store::place_missing(&self.pool, active.id, &vectors).await?;
        if placed > 0 {
            tracing::info!(version = %active.version, placed, "products placed by their content");
        }
        Ok(placed)
    }
}

/// The `place_products` job. Idempotent: what is placed is not placed again.
pub struct PlaceProductsHandler(pub Arc<Placer>);

impl JobHandler for PlaceProductsHandler {
    fn kind(&self) -> &'static str {
        PLACE_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, move |_| async move {
            self.0.place().await.map(|_| ()).map_err(|err| format!("{err:#}"))
        })
    }
}

/// The `refresh_recs` job: rebuilds the companions, places what is missing, queues the next.
pub struct RefreshRecsHandler(pub Arc<Placer>);

impl JobHandler for RefreshRecsHandler {
    fn kind(&self) -> &'static str {
        REFRESH_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, move |_| async move {
            let pool = &self.0.pool;
            let refreshed = companions::refresh(pool).await.map_err(|err| err.to_string())?;
            tracing::info!(
                trending = refreshed.trending,
                pairs = refreshed.pairs,
                "trending and bought-together rebuilt"
            );
            self.0.place().await.map_err(|err| format!("{err:#}"))?;
            schedule_refresh(pool, Utc::now()).await.map_err(|err| err.to_string())
        })
    }
}
