//! Loading the image model the server and the commands run, warmed up.

use std::sync::Arc;
use std::time::Instant;

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

/// Loads the image model and runs one pass, so the first real request is not the slow one.
/// Blocking: async code calls [`load_embedder_async`].
pub fn load_embedder(args: &ModelArgs) -> anyhow::Result<ImageEmbedder> {
    let started = Instant::now();
    let path = &args.image_model;
    let model = ImageModel::load(path).with_context(|| {
        format!(
            "loading the image model from {} (scripts/run.sh fetches and converts it)",
            path.display()
        )
    })?;
    let config = args.inference_config();
    let embedder =
        ImageEmbedder::new(Arc::new(model), config).context("starting the model's thread pool")?;
    let side = MODEL_SIDE as usize;
    embedder.embed_blocking(&[vec![0.0; 3 * side * side]]);
    tracing::info!(
        weights = %path.display(),
        threads = config.threads,
        concurrency = config.concurrency,
        elapsed = ?started.elapsed(),
        "image model loaded and warmed up"
    );
    Ok(embedder)
}
