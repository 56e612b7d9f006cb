//! The text model: all-MiniLM-L6-v2 (sentence-transformers), run by burn on the CPU.
//!
//! A text becomes WordPiece tokens (Hugging Face's `tokenizers`, from the model's own
//! `tokenizer.json`), the BERT encoder's states are averaged over the real tokens and
//! L2-normalised: a 384-d vector whose cosine with another says how close their meanings are.
//! `vitrine-tools bench text` proves it matches the reference implementation.

pub mod bert;
pub mod embedder;
pub mod packed;
pub mod tokenizer;
pub mod weights;

use std::path::Path;

use burn::prelude::*;

use self::bert::{Bert, BertConfig};
use self::packed::PackedDenses;
use self::tokenizer::{TextTokenizer, TokenizerError};
pub use embedder::{TextEmbedError, TextEmbedder};

/// Recorded with every product's text embedding, so a model change re-embeds the catalog. It
/// names how the product's text is made too (the SQL `product_embedding_text`).
pub const TEXT_MODEL_VERSION: &str = "all-minilm-l6-v2-v1";

/// The embedding's dimension (the `vector(384)` column).
pub const TEXT_EMBEDDING_DIM: usize = 384;
/// The files the setup step puts in the model directory (see model-weights/).
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";

#[derive(Debug, thiserror::Error)]
pub enum TextModelError {
    #[error(transparent)]
    Weights(#[from] weights::WeightsError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
}

/// The loaded encoder and its tokenizer, ready for inference.
#[derive(Debug, Clone)]
pub struct TextModel {
    network: Bert,
    /// The dense layers as the fast kernel computes them (what [`TextModel::embed`] uses).
    packed: PackedDenses,
    tokenizer: TextTokenizer,
    device: Device,
}

impl TextModel {
    /// Loads `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, TextModelError> {
        let device = Device::flex();
        let mut network = BertConfig::new().init(&device);
        weights::load(&mut network, &dir.join(WEIGHTS_FILE))?;
        let tokenizer = TextTokenizer::load(&dir.join(TOKENIZER_FILE))?;
        let packed = PackedDenses::new(&network);
        Ok(Self { network, packed, tokenizer, device })
    }

    /// L2-normalised embeddings, one per text, in order. The texts are run as one batch padded
    /// to the longest; padding changes nothing (the tests check a mixed batch against singles).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, TextModelError> {
        self.embed_with(&self.packed, texts)
    }

    /// [`TextModel::embed`] with burn's own dense layers: the reference the fast path is
    /// measured and tested against.
    pub fn embed_reference(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, TextModelError> {
        self.embed_with(&self.network, texts)
    }

    fn embed_with(
        &self,
        denses: &impl bert::DenseLayers,
        texts: &[&str],
    ) -> Result<Vec<Vec<f32>>, TextModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let batch = self.tokenizer.encode(texts)?;
        let shape = [texts.len(), batch.tokens];
        let ids = Tensor::<2, Int>::from_data(TensorData::new(batch.ids, shape), &self.device);
        let mask = Tensor::<2>::from_data(TensorData::new(batch.mask, shape), &self.device);
        let output = self.network.embed(denses, ids, mask);
        let values: Vec<f32> = output.into_data().try_to_vec().expect("an f32 tensor");
        Ok(values.chunks(TEXT_EMBEDDING_DIM).map(<[f32]>::to_vec).collect())
    }

    /// How many tokens the model sees of each text (special tokens included, after truncation).
    pub fn token_counts(&self, texts: &[&str]) -> Result<Vec<usize>, TextModelError> {
        Ok(self.tokenizer.token_counts(texts)?)
    }
}
