//! The image model as a shared service: one loaded network, inference off the async runtime
//! on a rayon pool of a configured size, and a bound on how many inferences run at once so a
//! burst of uploads queues instead of oversubscribing the cores.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{ImageModel, MODEL_VERSION};
use crate::preprocess::{model_input_from_file, Limits, PreprocessError, Region};

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
    pub fn new(model: Arc<ImageModel>, config: InferenceConfig) -> Result<Self, rayon::ThreadPoolBuildError> {
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

    /// Embeddings of already preprocessed inputs, in one batch.
    pub async fn embed_inputs(&self, inputs: Vec<Vec<f32>>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.run(move |model| Ok(model.embed(&inputs))).await
    }

    /// The embedding of an uploaded file (or of a region of it); refused files cost no inference.
    pub async fn embed_file(
        &self,
        bytes: Vec<u8>,
        region: Option<Region>,
        limits: Limits,
    ) -> Result<Vec<f32>, EmbedError> {
        // Decoding is CPU work too, but outside the permit: a slow decode does not hold the model.
        let input = tokio::task::spawn_blocking(move || model_input_from_file(&bytes, region, &limits))
            .await
            .map_err(|err| EmbedError::Task(err.to_string()))??;
        Ok(self.embed_inputs(vec![input]).await?.remove(0))
    }

    /// The same work synchronously, for batch commands that own the whole machine.
    pub fn embed_blocking(&self, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
        self.threads.install(|| self.model.embed(inputs))
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ImageModel) -> Result<T, EmbedError> + Send + 'static,
    ) -> Result<T, EmbedError> {
        let _permit = self.permits.acquire().await.map_err(|err| EmbedError::Task(err.to_string()))?;
        let model = Arc::clone(&self.model);
        let threads = Arc::clone(&self.threads);
        tokio::task::spawn_blocking(move || threads.install(|| work(&model)))
            .await
            .map_err(|err| EmbedError::Task(err.to_string()))?
    }
}
