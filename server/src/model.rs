//! `vitrine model …`: preparing and checking the image model from the command line.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use app::backend::vision::{weights, ImageEmbedder, ImageModel};
use app::preprocess::{model_input_from_file, Limits, MODEL_SIDE};

use crate::cli::ModelArgs;

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
