//! The `train_recs` job: trains a version of the taste model on the shop's own data, measures
//! it on each shopper's latest products next to popularity and item-KNN, stores it in the
//! model registry and, when it scores at least as well as the active version, writes every
//! product's vectors and only then makes it active: the rows read one complete version at
//! every moment.
//!
//! Runs daily (each run queues the next day's) and when asked (`vitrine recs train`, the
//! admin). Every stage reports its progress on the job. A retried attempt starts over; what a
//! dead one left is at most an inactive version and its unused rows.

use std::time::Instant;

use anyhow::Context;
use app::backend::audit::Actor;
use app::backend::jobs::{self, ClaimedJob, NewJob};
use app::backend::model_registry::{self, NewVersion};
use app::backend::recs::holdout::{self, RecsMetrics, HELD_OUT_SHARE};
use app::backend::recs::interactions::{Interactions, ItemContent};
use app::backend::recs::model::TasteVectors;
use app::backend::recs::shop_data::{self, ShopData};
use app::backend::recs::store::ShopModel;
use app::backend::recs::train::{self, TrainParams};
use app::backend::recs::versions;
use app::backend::recs::{TrainRecs, DIMS, KIND, TRAIN_JOB, VERSION_PREFIX};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::jobs::progress::{train_in_background, Reporter};
use crate::jobs::worker::{one_by_one, HandlerFuture, JobHandler};

/// How far back a training looks.
pub const WINDOW_DAYS: i64 = 180;
/// Shoppers with two products or more a training needs (one to learn from, one to measure on).
pub const MIN_SHOPPERS: usize = 2;
/// When the daily training runs (UTC hour): the quiet of the night.
const DAILY_HOUR: u32 = 3;

/// Queues a training; returns the id of the job to follow.
pub async fn enqueue(pool: &PgPool, request: &TrainRecs) -> anyhow::Result<Uuid> {
    versions::enqueue_training(pool, request)
        .await?
        .context("the live training job ended meanwhile; ask again")
}

/// Queues the daily training due after `now`, unless that day's is queued already (so there
/// is one a day however many workers start).
pub async fn schedule_daily(pool: &PgPool, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let today = now.date_naive().and_hms_opt(DAILY_HOUR, 0, 0).expect("a valid hour").and_utc();
    let at = if today > now { today } else { today + Duration::days(1) };
    let job = NewJob::new(TRAIN_JOB, TrainRecs::default())
        .dedupe(format!("{TRAIN_JOB}:{}", at.date_naive()))
        .max_attempts(versions::MAX_ATTEMPTS)
        .run_at(at);
    let mut conn = pool.acquire().await?;
    jobs::enqueue(&mut conn, &job).await.map(|_| ())
}

pub struct TrainRecsHandler {
    pub pool: PgPool,
}

impl JobHandler for TrainRecsHandler {
    fn kind(&self) -> &'static str {
        TRAIN_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, move |job| async move {
            let request: TrainRecs = serde_json::from_value(job.payload.clone())
                .map_err(|err| format!("bad payload: {err}"))?;
            let reporter = Reporter::Job { pool: self.pool.clone(), id: job.id };
            let outcome = train_and_activate(&self.pool, &request, Actor::Command, &reporter).await;
            // The next daily run is queued whatever this one did (a dedupe key per day).
            if let Err(err) = schedule_daily(&self.pool, Utc::now()).await {
                tracing::warn!(error = %err, "could not queue the next daily training");
            }
            let outcome = outcome.map_err(|err| format!("{err:#}"))?;
            tracing::info!(
                version = %outcome.version,
                activated = outcome.activated,
                ndcg_at_10 = outcome.metrics.ndcg(),
                "recommender trained"
            );
            Ok(())
        })
    }
}

/// What a training run made.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub version: String,
    pub metrics: RecsMetrics,
    pub activated: bool,
}

/// The whole job: gather, measure, train, store, and (when at least as good) write the rows
/// and activate, as `actor`.
pub async fn train_and_activate(
    pool: &PgPool,
    request: &TrainRecs,
    actor: Actor,
    reporter: &Reporter,
) -> anyhow::Result<Outcome> {
    let params = request.params.clone().unwrap_or_default();
    anyhow::ensure!(params.dims == DIMS, "the shop stores vectors of {DIMS}, not {}", params.dims);
    reporter.report("gathering the shop's data", 0, 1, None).await;
    let ShopData { products, content, data, window } =
        shop_data::gather(pool, Utc::now() - Duration::days(WINDOW_DAYS)).await?;
    let measurable = data.histories().iter().filter(|history| history.len() >= 2).count();
    anyhow::ensure!(
        measurable >= MIN_SHOPPERS,
        "{measurable} shoppers have met two products or more in the last {WINDOW_DAYS} days; \
         the recommender needs {MIN_SHOPPERS} (`vitrine simulate shoppers` makes demo data)"
    );

    let started = Instant::now();
    let split = holdout::latest_items(&data, HELD_OUT_SHARE);
    let metrics = train_in_background("measuring on each shopper's latest products", reporter, {
        let content = content.clone();
        let params = params.clone();
        move |on_epoch| holdout::measure(&split, &content, &params, on_epoch)
    })
    .await?
    .context("no shopper has a product to measure on")?;
    let (vectors, loss) = train_reporting(&data, &content, &params, reporter).await?;
    let training_seconds = started.elapsed().as_secs_f64();
    let unseen = data.item_counts().iter().map(|&count| count == 0).collect();
    let model = ShopModel { vectors, products, unseen };

    let version = model_registry::next_version_name(pool, VERSION_PREFIX).await?;
    let id = model_registry::insert(
        pool,
        &NewVersion {
            kind: KIND,
            version: version.clone(),
            params: serde_json::to_value(&params)?,
            data: serde_json::json!({
                "window": window,
                "held_out_share": HELD_OUT_SHARE,
                "content": "MiniLM text embedding + main image embedding",
                "final_loss": loss,
            }),
            metrics: serde_json::to_value(metrics)?,
            weights: model.to_bytes()?,
            training_seconds,
        },
    )
    .await?;

    let active = model_registry::active(pool, KIND).await?;
    let active_ndcg = active.as_ref().map(|version| {
        serde_json::from_value::<RecsMetrics>(version.metrics.clone()).map_or(0.0, |m| m.ndcg())
    });
    let activated = request.force_activate || active_ndcg.is_none_or(|old| metrics.ndcg() >= old);
    if activated {
        reporter.report("writing every product's vectors", 0, 1, None).await;
        versions::write_and_activate(pool, id, &version, &model, actor).await?;
    }
    Ok(Outcome { version, metrics, activated })
}

/// Trains on everything, off the async threads, reporting every epoch's loss.
async fn train_reporting(
    data: &Interactions,
    content: &ItemContent,
    params: &TrainParams,
    reporter: &Reporter,
) -> anyhow::Result<(TasteVectors, f64)> {
    let (data, content, params) = (data.clone(), content.clone(), params.clone());
    train_in_background("training", reporter, move |on_epoch| {
        train::train(&data, &content, &params, on_epoch)
    })
    .await
}
