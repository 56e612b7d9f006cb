//! WordPiece tokenisation with sentence-transformers' settings for this model.
//!
//! The shipped `tokenizer.json` truncates and pads every text to a fixed 128 tokens; the model
//! was trained and is used by sentence-transformers with truncation at 256 and padding to the
//! longest text of the batch, so both settings are replaced on load.

use std::path::Path;

use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The longest input the model sees, special tokens included (sentence-transformers'
/// `max_seq_length` for all-MiniLM-L6-v2).
pub const MAX_TOKENS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("reading the tokenizer {path}: {detail}")]
    Load { path: String, detail: String },
    #[error("tokenising: {0}")]
    Encode(String),
}

#[derive(Debug, Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
}

/// A batch of token ids and their attention mask, row-major `[texts, tokens]`.
pub struct EncodedBatch {
    pub ids: Vec<i64>,
    pub mask: Vec<f32>,
    pub tokens: usize,
}

impl TextTokenizer {
    pub fn load(path: &Path) -> Result<Self, TokenizerError> {
        let load_err =
            |detail: String| TokenizerError::Load { path: path.display().to_string(), detail };
        let mut inner = Tokenizer::from_file(path).map_err(|e| load_err(e.to_string()))?;
        inner
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| load_err(e.to_string()))?;
        inner.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        Ok(Self { inner })
    }

    pub fn encode(&self, texts: &[&str]) -> Result<EncodedBatch, TokenizerError> {
        let encodings = self
            .inner
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| TokenizerError::Encode(e.to_string()))?;
        let tokens = encodings.first().map_or(0, |e| e.len());
        let ids =
            encodings.iter().flat_map(|e| e.get_ids().iter().map(|&id| i64::from(id))).collect();
        let mask = encodings
            .iter()
            .flat_map(|e| e.get_attention_mask().iter().map(|&m| m as f32))
            .collect();
        Ok(EncodedBatch { ids, mask, tokens })
    }

    pub fn token_counts(&self, texts: &[&str]) -> Result<Vec<usize>, TokenizerError> {
        let batch = self.encode(texts)?;
        Ok(batch
            .mask
            .chunks(batch.tokens.max(1))
            .map(|row| row.iter().filter(|&&m| m > 0.0).count())
            .collect())
    }
}
