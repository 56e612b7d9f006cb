//! The image model as a shared service: one loaded network, inference off the async runtime
//! on a rayon pool of a configured size, and a bound on how many inferences run at once so a
//! burst of uploads queues instead of oversubscribing the cores.
//!
//! The service can also start without its network (the weights file was missing or corrupt):
//! then every inference is refused at once with [`EmbedError::ModelUnavailable`], the shop
//! serves everything else, and the network is [`install`](ImageEmbedder::install)ed when it
//! loads.

use std::sync::{Arc, RwLock};

use tokio::sync::Semaphore;

use super::{ImageModel, MODEL_VERSION};
use crate::preprocess::{
    decode_prepared, model_input_from_file, to_model_input, Limits, PreprocessError, Region,
};

/// How the model uses the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferenceConfig {
    /// Threads of the pool burn's kernels run on.
    pub threads: usize,
    /// Inferences allowed at once; more wait their turn.
    pub concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Image(#[from] PreprocessError),
    #[error("the inference task failed: {0}")]
    Task(String),
    #[error("the image model is not loaded: {0}")]
    ModelUnavailable(String),
}

/// The network, or why there is none.
enum Slot {
    Ready(Arc<ImageModel>),
    Missing(String),
}

#[derive(Clone)]
pub struct ImageEmbedder {
    model: Arc<RwLock<Slot>>,
    threads: Arc<rayon::ThreadPool>,
    permits: Arc<Semaphore>,
    config: InferenceConfig,
}

impl std::fmt::Debug for ImageEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageEmbedder").field("config", &self.config).finish_non_exhaustive()
    }
}

impl ImageEmbedder {
    pub fn new(
        model: Arc<ImageModel>,
        config: InferenceConfig,
    ) -> Result<Self, rayon::ThreadPoolBuildError> {
        Self::with_slot(Slot::Ready(model), config)
    }

    /// The service without its network, refusing inference because of `reason` until
    /// [`install`](Self::install) gives it one.
    pub fn without_model(
        reason: String,
        config: InferenceConfig,
    ) -> Result<Self, rayon::ThreadPoolBuildError> {
        Self::with_slot(Slot::Missing(reason), config)
    }

    fn with_slot(slot: Slot, config: InferenceConfig) -> Result<Self, rayon::ThreadPoolBuildError> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads.max(1))
            .thread_name(|i| format!("inference-{i}"))
            .build()?;
        Ok(Self {
            model: Arc::new(RwLock::new(slot)),
            threads: Arc::new(threads),
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config,
        })
    }

    /// Puts a (newly loaded) network in service; every clone of this embedder uses it next.
    pub fn install(&self, model: Arc<ImageModel>) {
        *self.model.write().expect("never poisoned") = Slot::Ready(model);
    }

    /// `Err` with the reason while there is no network.
    pub fn status(&self) -> Result<(), String> {
        match &*self.model.read().expect("never poisoned") {
            Slot::Ready(_) => Ok(()),
            Slot::Missing(reason) => Err(reason.clone()),
        }
    }

    fn network(&self) -> Result<Arc<ImageModel>, EmbedError> {
        match &*self.model.read().expect("never poisoned") {
            Slot::Ready(model) => Ok(Arc::clone(model)),
            Slot::Missing(reason) => Err(EmbedError::ModelUnavailable(reason.clone())),
        }
    }

    pub fn config(&self) -> InferenceConfig {
        self.config
    }

    pub fn model_version(&self) -> &'static str {
        MODEL_VERSION
    }

    /// Embeddings of already preprocessed inputs (see [`Self::embed_blocking`] for how).
    pub async fn embed_inputs(&self, inputs: Vec<Vec<f32>>) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Refused before queueing: a shop without its model answers at once.
        self.network()?;
        let queued = std::time::Instant::now();
        let _permit =
            self.permits.acquire().await.map_err(|err| EmbedError::Task(err.to_string()))?;
        metrics::histogram!("vitrine_model_queue_wait_seconds", "model" => "image")
            .record(queued.elapsed());
        let this = self.clone();
        let started = std::time::Instant::now();
        let embedded = tokio::task::spawn_blocking(move || this.embed_blocking(&inputs))
            .await
            .map_err(|err| EmbedError::Task(err.to_string()))
            .and_then(|embedded| embedded);
        metrics::histogram!("vitrine_model_inference_seconds", "model" => "image")
            .record(started.elapsed());
        embedded
    }

    /// The embedding of an uploaded file (or of a region of it); refused files cost no inference.
    pub async fn embed_file(
        &self,
        bytes: Vec<u8>,
        region: Option<Region>,
        limits: Limits,
    ) -> Result<Vec<f32>, EmbedError> {
        self.embed_after(move || model_input_from_file(&bytes, region, &limits)).await
    }

    /// The embedding of a prepared upload: the model's square, made by the client (see
    /// [`crate::preprocess::prepared`]); no resize here.
    pub async fn embed_prepared(&self, png: Vec<u8>) -> Result<Vec<f32>, EmbedError> {
        self.embed_after(move || Ok(to_model_input(&decode_prepared(&png)?))).await
    }

    /// Runs `preprocess`, then the model on its output.
    async fn embed_after(
        &self,
        preprocess: impl FnOnce() -> Result<Vec<f32>, PreprocessError> + Send + 'static,
    ) -> Result<Vec<f32>, EmbedError> {
        // Decoding is CPU work too, but outside the permit: a slow decode does not hold the model.
        let input = tokio::task::spawn_blocking(preprocess)
            .await
            .map_err(|err| EmbedError::Task(err.to_string()))??;
        Ok(self.embed_inputs(vec![input]).await?.remove(0))
    }

    /// The same work synchronously, for commands that own the whole machine.
    ///
    /// Several inputs run as one pass *per image*, spread over the pool's threads, rather than
    /// as one batched pass: burn-flex's kernels gain little from a batch dimension, and on two
    /// cores two single-image passes side by side embed about twice as many images per second
    /// as one batch of eight (`vitrine bench embed` prints both).
    pub fn embed_blocking(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        use rayon::prelude::*;
        let model = self.network()?;
        Ok(self.threads.install(|| match inputs {
            [single] => model.embed(std::slice::from_ref(single)),
            _ => inputs
                .par_iter()
                .map(|input| model.embed(std::slice::from_ref(input)).remove(0))
                .collect(),
        }))
    }

    /// One batched pass on the pool's threads (for comparison in `vitrine bench embed`).
    pub fn embed_one_pass_blocking(
        &self,
        inputs: &[Vec<f32>],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let model = self.network()?;
        Ok(self.threads.install(|| model.embed(inputs)))
    }
}
