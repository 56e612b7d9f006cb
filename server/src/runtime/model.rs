//! Loading the models the server and the commands run, warmed up, on one inference pool.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::backend::inference::{InferencePool, ModelSlot};
use app::backend::text_model::{TextEmbedder, TextModel};
use app::backend::vision::{ImageEmbedder, ImageModel};
use app::preprocess::MODEL_SIDE;

use crate::runtime::cli::ModelArgs;

/// How often a server that started without a model tries to load it again.
pub const RELOAD_EVERY: Duration = Duration::from_secs(30);

/// Both models as `vitrine serve` runs them, sharing the machine's inference pool.
#[derive(Clone)]
pub struct Models {
    pub images: ImageEmbedder,
    pub texts: TextEmbedder,
}

/// The pool the models' kernels run on, sized by the command line.
pub fn inference_pool(args: &ModelArgs) -> anyhow::Result<InferencePool> {
    let config = args.inference_config();
    InferencePool::new(config).context("starting the models' thread pool")
}

/// The image model loaded and warmed up, on a pool of its own, for commands that embed images.
pub async fn load_embedder_async(args: &ModelArgs) -> anyhow::Result<ImageEmbedder> {
    let args = args.clone();
    blocking(move || load_embedder(&args)).await
}

/// [`load_embedder_async`] for synchronous commands.
pub fn load_embedder(args: &ModelArgs) -> anyhow::Result<ImageEmbedder> {
    let pool = inference_pool(args)?;
    let network = load_image_network(&args.image_model)?;
    Ok(ImageEmbedder::new(ModelSlot::ready(network), pool))
}

/// The text model loaded and warmed up, on a pool of its own, for commands that embed texts.
pub async fn load_text_embedder_async(args: &ModelArgs) -> anyhow::Result<TextEmbedder> {
    let pool = inference_pool(args)?;
    let dir = args.text_model.clone();
    let network = blocking(move || load_text_network(&dir)).await?;
    Ok(TextEmbedder::new(ModelSlot::ready(network), pool))
}

/// Both models, loaded and warmed up, or the error of the one that cannot be (for benches that
/// serve the real router).
pub async fn load_models(args: &ModelArgs) -> anyhow::Result<Models> {
    let pool = inference_pool(args)?;
    let (image_path, text_dir) = (args.image_model.clone(), args.text_model.clone());
    let images = blocking(move || load_image_network(&image_path)).await?;
    let texts = blocking(move || load_text_network(&text_dir)).await?;
    Ok(Models {
        images: ImageEmbedder::new(ModelSlot::ready(images), pool.clone()),
        texts: TextEmbedder::new(ModelSlot::ready(texts), pool),
    })
}

/// The models `vitrine serve` runs. A model whose files are missing or corrupt does not stop
/// the shop: its slot starts empty (without the image model there is no search by photo,
/// without the text model text search runs on its lexical arms; `/readyz` says `degraded`, the
/// model's jobs wait) and a task tries to load it every [`RELOAD_EVERY`] until it can.
pub async fn load_models_or_degrade(args: &ModelArgs) -> anyhow::Result<Models> {
    let pool = inference_pool(args)?;
    let (image_path, text_dir) = (args.image_model.clone(), args.text_model.clone());
    let images = load_or_degrade("image model", move || load_image_network(&image_path)).await;
    let texts = load_or_degrade("text model", move || load_text_network(&text_dir)).await;
    Ok(Models {
        images: ImageEmbedder::new(images, pool.clone()),
        texts: TextEmbedder::new(texts, pool),
    })
}

/// The slot `load` fills: at once, or later by a task that keeps trying.
async fn load_or_degrade<M: Send + Sync + 'static>(
    what: &'static str,
    load: impl Fn() -> anyhow::Result<Arc<M>> + Clone + Send + 'static,
) -> ModelSlot<M> {
    let failure = match blocking(load.clone()).await {
        Ok(network) => return ModelSlot::ready(network),
        Err(err) => format!("{err:#}"),
    };
    tracing::error!(error = %failure, "serving without the {what}");
    let slot = ModelSlot::missing(failure);
    let target = slot.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RELOAD_EVERY).await;
            match blocking(load.clone()).await {
                Ok(network) => {
                    target.install(network);
                    tracing::info!("{what} loaded: its features are back");
                    return;
                }
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "the {what} still cannot be loaded")
                }
            }
        }
    });
    slot
}

/// `work` off the async runtime.
fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> impl Future<Output = anyhow::Result<T>> {
    let task = tokio::task::spawn_blocking(work);
    async move { task.await.context("the model loading task")? }
}

/// The image network from its weights file, warmed up by one pass.
fn load_image_network(path: &Path) -> anyhow::Result<Arc<ImageModel>> {
    let started = Instant::now();
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

/// The text network and its tokenizer from their directory, warmed up by one pass.
fn load_text_network(dir: &Path) -> anyhow::Result<Arc<TextModel>> {
    let started = Instant::now();
    let model = TextModel::load(dir).with_context(|| {
        format!("loading the text model from {} (scripts/run.sh fetches it)", dir.display())
    })?;
    model.embed(&["warm-up"]).context("warming the text model up")?;
    tracing::info!(dir = %dir.display(), elapsed = ?started.elapsed(), "text model loaded");
    Ok(Arc::new(model))
}
