//! `vitrine model …`: preparing and checking the image model, and training, listing and
//! activating the models trained in the server, from the command line.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use app::backend::audit::Actor;
use app::backend::model_registry;
use app::backend::recs;
use app::backend::recs::holdout::RecsMetrics;
use app::backend::recs::metrics::Accuracy;
use app::backend::text_to_image::metrics::HeadMetrics;
use app::backend::text_to_image::train::TrainParams;
use app::backend::text_to_image::{self, TrainTextToImage};
use app::backend::vision::{weights, ImageModel};
use app::preprocess::{model_input_from_file, Limits};
use sqlx::PgPool;

use crate::jobs::progress;
use crate::jobs::train_recs::{self, TrainRecsHandler};
use crate::jobs::train_text_to_image::{self, TrainTextToImageHandler};
use crate::jobs::worker::{JobHandler, Worker};
use crate::runtime::cli::{TrainArgs, TrainedModel};
use crate::runtime::model::{load_embedder_async, load_text_embedder_async};

pub fn convert(checkpoint: &Path, out: &Path) -> anyhow::Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tensors = weights::convert_checkpoint(checkpoint, out)?;
    tracing::info!(tensors, out = %out.display(), "checkpoint converted");
    Ok(())
}

pub fn classify(weights: &Path, photos: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let model = ImageModel::load(weights)?;
    for photo in photos {
        let bytes = std::fs::read(photo).with_context(|| format!("reading {}", photo.display()))?;
        let input = model_input_from_file(&bytes, None, &Limits::default())?;
        println!("{}", photo.display());
        for (id, name, probability) in model.classify(input, 5) {
            println!("  {id:>4} {name:<30} {probability:.3}");
        }
    }
    Ok(())
}

/// `vitrine model train MODEL`: queues a training job and follows it with a progress bar,
/// running it in this process (a running server's training worker may take it instead; the
/// bar follows it all the same). Only one training of a kind is live at a time: asking again
/// follows the one already queued.
pub async fn train(pool: &PgPool, args: &TrainArgs) -> anyhow::Result<()> {
    let (id, handler): (_, Arc<dyn JobHandler>) = match args.model {
        TrainedModel::TextToImage => {
            let defaults = TrainParams::default();
            let params = TrainParams {
                epochs: args.epochs.unwrap_or(defaults.epochs),
                seed: args.seed.unwrap_or(defaults.seed),
                ..defaults
            };
            let request = TrainTextToImage {
                params: Some(params),
                fashion_images: args.fashion_images,
                force_activate: args.force_activate,
            };
            let id = train_text_to_image::enqueue(pool, &request).await?;
            if args.enqueue_only {
                println!("queued job {id}");
                return Ok(());
            }
            let handler = TrainTextToImageHandler {
                pool: pool.clone(),
                images: load_embedder_async(&args.model_args).await?,
                texts: load_text_embedder_async(&args.model_args).await?,
                fashion_dir: args.model_args.fashion_mnist.clone(),
            };
            (id, Arc::new(handler))
        }
        TrainedModel::Recommender => {
            let defaults = recs::train::TrainParams::default();
            let params = recs::train::TrainParams {
                epochs: args.epochs.unwrap_or(defaults.epochs),
                seed: args.seed.unwrap_or(defaults.seed),
                ..defaults
            };
            let request =
                recs::TrainRecs { params: Some(params), force_activate: args.force_activate };
            let id = train_recs::enqueue(pool, &request).await?;
            if args.enqueue_only {
                println!("queued job {id}");
                return Ok(());
            }
            (id, Arc::new(TrainRecsHandler { pool: pool.clone() }))
        }
    };
    let worker =
        Worker::new(pool.clone()).with_lease(train_text_to_image::LEASE).with_handler(handler);
    progress::run_here_and_follow(pool, id, &worker, "training").await?;
    print_versions(pool, args.model).await
}

/// `vitrine model versions MODEL`: every version of `model`, newest first.
pub async fn print_versions(pool: &PgPool, model: TrainedModel) -> anyhow::Result<()> {
    match model {
        TrainedModel::TextToImage => print_head_versions(pool).await,
        TrainedModel::Recommender => print_recommender_versions(pool).await,
    }
}

async fn print_head_versions(pool: &PgPool) -> anyhow::Result<()> {
    let versions = model_registry::list(pool, text_to_image::KIND).await?;
    println!(
        "{:<28} {:>6} {:>10} {:>10} {:>10} {:>9}  trained",
        "version", "active", "recall@10", "zero-shot", "P@10", "seconds"
    );
    for version in versions {
        let metrics: HeadMetrics = serde_json::from_value(version.metrics).unwrap_or_default();
        let figure = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{v:.3}"));
        println!(
            "{:<28} {:>6} {:>10.3} {:>10} {:>10} {:>9.1}  {}",
            version.version,
            if version.active { "yes" } else { "" },
            metrics.catalog_recall_at_10,
            figure(metrics.fashion_zero_shot_accuracy),
            figure(metrics.fashion_precision_at_10),
            version.training_seconds,
            version.trained_at.format("%Y-%m-%d %H:%M UTC"),
        );
    }
    Ok(())
}

/// The recommender's versions with their figures on their own split: NDCG@10 and Recall@10 of
/// the taste model, popularity and item-KNN.
async fn print_recommender_versions(pool: &PgPool) -> anyhow::Result<()> {
    let versions = model_registry::list(pool, recs::KIND).await?;
    println!(
        "{:<26} {:>6} {:>8} {:>15} {:>15} {:>15} {:>9} {:>8}  trained",
        "version",
        "active",
        "shoppers",
        "taste N/R@10",
        "popular N/R@10",
        "item-KNN N/R@10",
        "coverage",
        "seconds"
    );
    for version in versions {
        let metrics: RecsMetrics = serde_json::from_value(version.metrics).unwrap_or_default();
        let pair = |a: Accuracy| format!("{:.3}/{:.3}", a.ndcg, a.recall);
        println!(
            "{:<26} {:>6} {:>8} {:>15} {:>15} {:>15} {:>9.3} {:>8.1}  {}",
            version.version,
            if version.active { "yes" } else { "" },
            metrics.taste.users,
            pair(metrics.taste),
            pair(metrics.popularity),
            pair(metrics.item_knn),
            metrics.coverage,
            version.training_seconds,
            version.trained_at.format("%Y-%m-%d %H:%M UTC"),
        );
    }
    Ok(())
}

/// `vitrine model activate VERSION`: writes what that version serves from (the active one
/// keeps serving meanwhile), then switches, audited as a command.
pub async fn activate(pool: &PgPool, version: &str) -> anyhow::Result<()> {
    let info = model_registry::by_name(pool, version)
        .await?
        .with_context(|| format!("no model version {version:?} (see `vitrine model versions`)"))?;
    let reporter = progress::Reporter::Bar(progress::bar());
    match info.kind.as_str() {
        text_to_image::KIND => {
            let head = Arc::new(text_to_image::load_head(pool, &info).await?);
            train_text_to_image::map_and_activate(
                pool,
                info.id,
                version,
                head,
                Actor::Command,
                &reporter,
            )
            .await?;
        }
        recs::KIND => {
            recs::versions::activate(pool, version, Actor::Command).await?;
        }
        other => anyhow::bail!("{version} is a version of {other:?}, which nothing here serves"),
    }
    reporter.finish();
    println!("{version} is active");
    Ok(())
}
