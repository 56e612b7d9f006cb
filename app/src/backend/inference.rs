//! What the models share: the machine's inference capacity, and a slot that holds a loaded
//! network or the reason there is none.
//!
//! One [`InferencePool`] serves the image and the text model: a rayon pool of a configured size
//! that burn's kernels run on, and a bound on how many inferences run at once, so a burst of
//! photo uploads and text queries queues instead of oversubscribing the cores (two pools on a
//! two-core machine would each think they own it).
//!
//! A [`ModelSlot`] lets a service start without its network (the weights were missing or
//! corrupt): every inference is then refused at once with [`InferenceError::ModelUnavailable`],
//! the shop serves everything else, and the network is [`install`](ModelSlot::install)ed when it
//! loads.

use std::sync::{Arc, RwLock};

use tokio::sync::Semaphore;

/// How the models use the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferenceConfig {
    /// Threads of the pool burn's kernels run on.
    pub threads: usize,
    /// Inferences allowed at once; more wait their turn.
    pub concurrency: usize,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum InferenceError {
    #[error("the inference task failed: {0}")]
    Task(String),
    #[error("the model is not loaded: {0}")]
    ModelUnavailable(String),
}

/// The threads and the turns every model's inference runs under.
#[derive(Clone)]
pub struct InferencePool {
    threads: Arc<rayon::ThreadPool>,
    permits: Arc<Semaphore>,
    config: InferenceConfig,
}

impl std::fmt::Debug for InferencePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferencePool").field("config", &self.config).finish_non_exhaustive()
    }
}

impl InferencePool {
    pub fn new(config: InferenceConfig) -> Result<Self, rayon::ThreadPoolBuildError> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads.max(1))
            .thread_name(|i| format!("inference-{i}"))
            .build()?;
        Ok(Self {
            threads: Arc::new(threads),
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config,
        })
    }

    pub fn config(&self) -> InferenceConfig {
        self.config
    }

    /// Runs `work` on the pool's threads once a turn is free, off the async runtime; `model`
    /// labels the queue-wait and inference-time metrics.
    pub async fn run<T: Send + 'static>(
        &self,
        model: &'static str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, InferenceError> {
        let queued = std::time::Instant::now();
        let _permit =
            self.permits.acquire().await.map_err(|err| InferenceError::Task(err.to_string()))?;
        metrics::histogram!("vitrine_model_queue_wait_seconds", "model" => model)
            .record(queued.elapsed());
        let threads = Arc::clone(&self.threads);
        let started = std::time::Instant::now();
        let done = tokio::task::spawn_blocking(move || threads.install(work))
            .await
            .map_err(|err| InferenceError::Task(err.to_string()));
        metrics::histogram!("vitrine_model_inference_seconds", "model" => model)
            .record(started.elapsed());
        done
    }

    /// `work` on the pool's threads, synchronously, for commands that own the whole machine.
    pub fn install<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        self.threads.install(work)
    }
}

/// A loaded network, or why there is none. Clones share the slot.
pub struct ModelSlot<M>(Arc<RwLock<Result<Arc<M>, String>>>);

impl<M> Clone for ModelSlot<M> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<M> ModelSlot<M> {
    pub fn ready(model: Arc<M>) -> Self {
        Self(Arc::new(RwLock::new(Ok(model))))
    }

    /// A slot without its network, refusing inference because of `reason`.
    pub fn missing(reason: String) -> Self {
        Self(Arc::new(RwLock::new(Err(reason))))
    }

    /// Puts a (newly loaded) network in service; every clone of the slot uses it next.
    pub fn install(&self, model: Arc<M>) {
        *self.0.write().expect("never poisoned") = Ok(model);
    }

    /// `Err` with the reason while there is no network.
    pub fn status(&self) -> Result<(), String> {
        match &*self.0.read().expect("never poisoned") {
            Ok(_) => Ok(()),
            Err(reason) => Err(reason.clone()),
        }
    }

    pub fn get(&self) -> Result<Arc<M>, InferenceError> {
        match &*self.0.read().expect("never poisoned") {
            Ok(model) => Ok(Arc::clone(model)),
            Err(reason) => Err(InferenceError::ModelUnavailable(reason.clone())),
        }
    }
}
