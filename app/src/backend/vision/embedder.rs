//! The image model as a shared service: one loaded network, inference off the async runtime
//! on a rayon pool of a configured size, and a bound on how many inferences run at once so a
//! burst of uploads queues instead of oversubscribing the cores.

use std::sync::Arc;

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
}

#[derive(Clone)]
pub struct ImageEmbedder {
    model: Arc<ImageModel>,
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
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads.max(1))
            .thread_name(|i| format!("inference-{i}"))
            .build()?;
        Ok(Self {
            model,
            threads: Arc::new(threads),
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config,
        })
    }

    pub fn config(&self) -> InferenceConfig {
        self.config
    }

    pub fn model_version(&self) -> &'static str {
        MODEL_VERSION
    }

    /// Embeddings of already preprocessed inputs (see [`Self::embed_blocking`] for how).
    pub async fn embed_inputs(&self, inputs: Vec<Vec<f32>>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let queued = std::time::Instant::now();
        let _permit =
            self.permits.acquire().await.map_err(|err| EmbedError::Task(err.to_string()))?;
        metrics::histogram!("vitrine_model_queue_wait_seconds", "model" => "image")
            .record(queued.elapsed());
        let this = self.clone();
        let started = std::time::Instant::now();
        let embedded = tokio::task::spawn_blocking(move || this.embed_blocking(&inputs))
            .await
            .map_err(|err| EmbedError::Task(err.to_string()));
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
    pub fn embed_blocking(&self, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
        use rayon::prelude::*;
        self.threads.install(|| match inputs {
            [single] => self.model.embed(std::slice::from_ref(single)),
            _ => inputs
                .par_iter()
                .map(|input| self.model.embed(std::slice::from_ref(input)).remove(0))
                .collect(),
        })
    }

    /// One batched pass on the pool's threads (for comparison in `vitrine bench embed`).
    pub fn embed_one_pass_blocking(&self, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
        self.threads.install(|| self.model.embed(inputs))
    }
}
