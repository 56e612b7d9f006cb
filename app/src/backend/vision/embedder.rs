//! The image model as a shared service: one loaded network (or the reason there is none, see
//! [`ModelSlot`]), run under the shop's [`InferencePool`].

use super::{ImageModel, MODEL_VERSION};
use crate::backend::inference::{InferenceConfig, InferenceError, InferencePool, ModelSlot};
use crate::preprocess::{
    decode_prepared, model_input_from_file, to_model_input, Limits, PreprocessError, Region,
};

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Image(#[from] PreprocessError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
}

#[derive(Clone)]
pub struct ImageEmbedder {
    model: ModelSlot<ImageModel>,
    pool: InferencePool,
}

impl std::fmt::Debug for ImageEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageEmbedder").field("pool", &self.pool).finish_non_exhaustive()
    }
}

impl ImageEmbedder {
    /// The service on `model`'s slot: the loaded network, or the reason there is none (then
    /// every inference is refused at once until the slot is given one).
    pub fn new(model: ModelSlot<ImageModel>, pool: InferencePool) -> Self {
        Self { model, pool }
    }

    /// `Err` with the reason while there is no network.
    pub fn status(&self) -> Result<(), String> {
        self.model.status()
    }

    pub fn config(&self) -> InferenceConfig {
        self.pool.config()
    }

    pub fn model_version(&self) -> &'static str {
        MODEL_VERSION
    }

    /// Embeddings of already preprocessed inputs (see [`Self::embed_blocking`] for how).
    pub async fn embed_inputs(&self, inputs: Vec<Vec<f32>>) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Refused before queueing: a shop without its model answers at once.
        self.model.get()?;
        let this = self.clone();
        self.pool.run("image", move || this.embed_blocking(&inputs)).await?
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
        // Decoding is CPU work too, but outside the pool's turns: a slow decode does not hold
        // the model.
        let input = tokio::task::spawn_blocking(preprocess)
            .await
            .map_err(|err| InferenceError::Task(err.to_string()))??;
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
        let model = self.model.get()?;
        Ok(self.pool.install(|| match inputs {
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
        let model = self.model.get()?;
        Ok(self.pool.install(|| model.embed(inputs)))
    }
}
