//! The text model as a shared service, like the image model's: one loaded network (or the
//! reason there is none), run under the shop's [`InferencePool`].

use super::{TextModel, TextModelError, TEXT_MODEL_VERSION};
use crate::backend::inference::{InferenceError, InferencePool, ModelSlot};

#[derive(Debug, thiserror::Error)]
pub enum TextEmbedError {
    #[error(transparent)]
    Model(#[from] TextModelError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
}

#[derive(Clone)]
pub struct TextEmbedder {
    model: ModelSlot<TextModel>,
    pool: InferencePool,
}

impl std::fmt::Debug for TextEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEmbedder").field("pool", &self.pool).finish_non_exhaustive()
    }
}

impl TextEmbedder {
    /// The service on `model`'s slot: the loaded network, or the reason there is none (then
    /// every inference is refused at once until the slot is given one).
    pub fn new(model: ModelSlot<TextModel>, pool: InferencePool) -> Self {
        Self { model, pool }
    }

    /// `Err` with the reason while there is no network.
    pub fn status(&self) -> Result<(), String> {
        self.model.status()
    }

    pub fn model_version(&self) -> &'static str {
        TEXT_MODEL_VERSION
    }

    /// The texts' embeddings, in order, as one padded batch on the pool's threads.
    pub async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, TextEmbedError> {
        let model = self.model.get()?;
        self.pool
            .run("text", move || {
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                model.embed(&texts)
            })
            .await?
            .map_err(TextEmbedError::from)
    }

    /// One text's embedding (a shopper's query).
    pub async fn embed_one(&self, text: &str) -> Result<Vec<f32>, TextEmbedError> {
        Ok(self.embed(vec![text.to_owned()]).await?.remove(0))
    }
}
