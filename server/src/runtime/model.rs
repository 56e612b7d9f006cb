//! Loading the image model the server and the commands run, warmed up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::backend::vision::{ImageEmbedder, ImageModel};
use app::preprocess::MODEL_SIDE;

use crate::runtime::cli::ModelArgs;

/// [`load_embedder`] off the async runtime, for async commands and the server.
pub async fn load_embedder_async(args: &ModelArgs) -> anyhow::Result<ImageEmbedder> {
    let args = args.clone();
    tokio::task::spawn_blocking(move || load_embedder(&args))
        .await
        .context("the model loading task")?
}

/// How often a server that started without its model tries to load it again.
pub const RELOAD_EVERY: Duration = Duration::from_secs(30);

/// Loads the image model and runs one pass, so the first real request is not the slow one.
/// Blocking: async code calls [`load_embedder_async`].
pub fn load_embedder(args: &ModelArgs) -> anyhow::Result<ImageEmbedder> {
    let config = args.inference_config();
    let embedder = ImageEmbedder::new(load_network(args)?, config)
        .context("starting the model's thread pool")?;
    tracing::info!(threads = config.threads, concurrency = config.concurrency, "image model ready");
    Ok(embedder)
}

/// The embedder `vitrine serve` runs: the loaded model or, when its file is missing or corrupt,
/// the embedder without it (the shop serves everything but search by photo, `/readyz` says
/// `degraded`, embedding jobs wait) and a task that tries to load it every [`RELOAD_EVERY`]
/// until it can.
pub async fn load_embedder_or_degrade(args: &ModelArgs) -> anyhow::Result<ImageEmbedder> {
    let failure = match load_embedder_async(args).await {
        Ok(embedder) => return Ok(embedder),
        Err(err) => format!("{err:#}"),
    };
    tracing::error!(error = %failure, "serving without the image model: search by photo is unavailable");
    let embedder = ImageEmbedder::without_model(failure, args.inference_config())
        .context("starting the model's thread pool")?;
    let (args, target) = (args.clone(), embedder.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RELOAD_EVERY).await;
            let args = args.clone();
            match tokio::task::spawn_blocking(move || load_network(&args)).await {
                Ok(Ok(network)) => {
                    target.install(network);
                    tracing::info!("image model loaded: search by photo is back");
                    return;
                }
                Ok(Err(err)) => {
                    tracing::warn!(error = %format!("{err:#}"), "the image model still cannot be loaded")
                }
                Err(err) => tracing::warn!(error = %err, "the model loading task failed"),
            }
        }
    });
    Ok(embedder)
}

/// The network from its weights file, warmed up by one pass.
fn load_network(args: &ModelArgs) -> anyhow::Result<Arc<ImageModel>> {
    let started = Instant::now();
    let path = &args.image_model;
    let model = ImageModel::load(path).with_context(|| {
        format!(
            "loading the image model from {} (scripts/run.sh fetches and converts it)",
            path.display()
        )
    })?;
    let side = MODEL_SIDE as usize;
    // Warm-up outside the embedder's pool (on rayon's global one): when the model arrives late,
    // that pool may be serving already.
    model.embed(&[vec![0.0; 3 * side * side]]);
    tracing::info!(weights = %path.display(), elapsed = ?started.elapsed(), "image model loaded");
    Ok(Arc::new(model))
}
