//! The image model: EfficientNet-Lite0 on ImageNet weights, run by burn on the CPU.
//!
//! Its pooled 1280-d features, L2-normalised, are the image embedding visual search compares;
//! the ImageNet classifier is kept because it proves the weights are loaded right.

pub mod embedder;
pub mod model;
pub mod weights;

pub use embedder::{EmbedError, ImageEmbedder};

use std::path::Path;

use burn::prelude::*;

use self::model::{EfficientNet, EfficientNetConfig};
use crate::preprocess::MODEL_SIDE;

/// Recorded with every embedding, so a model change re-embeds exactly what it must. It names
/// the preprocessing too: v2 composites transparent pixels over white (v1 dropped the alpha);
/// v3 box-reduces photos over twice the model's side before the filtered resize.
pub const MODEL_VERSION: &str = "efficientnet-lite0-imagenet-v3";
/// The embedding's dimension (the `vector(1280)` columns).
pub const EMBEDDING_DIM: usize = 1280;

const IMAGENET_CLASSES: &str = include_str!("imagenet_classes.txt");

/// The loaded network, ready for inference (batch-norm folded into the convolutions).
#[derive(Debug, Clone)]
pub struct ImageModel {
    network: EfficientNet,
    device: Device,
}

impl ImageModel {
    pub fn load(weights_path: &Path) -> Result<Self, weights::WeightsError> {
        let device = Device::flex();
        let mut network = EfficientNetConfig::lite0().init(&device);
        weights::load(&mut network, weights_path)?;
        // Same outputs, fewer passes over the activations.
        Ok(Self { network: network.fuse_batchnorm(), device })
    }

    fn batch(&self, inputs: &[Vec<f32>]) -> Tensor<4> {
        let side = MODEL_SIDE as usize;
        let data: Vec<f32> = inputs.iter().flatten().copied().collect();
        assert_eq!(
            data.len(),
            inputs.len() * 3 * side * side,
            "inputs come from preprocess::to_model_input"
        );
        Tensor::from_data(TensorData::new(data, [inputs.len(), 3, side, side]), &self.device)
    }

    /// L2-normalised embeddings, one per input (each from `preprocess::to_model_input`).
    pub fn embed(&self, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let output = self.network.embed(self.batch(inputs));
        rows(output, EMBEDDING_DIM)
    }

    /// The `k` likeliest ImageNet classes with their probabilities.
    pub fn classify(&self, input: Vec<f32>, k: usize) -> Vec<(usize, &'static str, f32)> {
        let logits = self.network.forward(self.batch(&[input]));
        let probabilities = rows(burn::tensor::activation::softmax(logits, 1), 1000).remove(0);
        let mut ranked: Vec<usize> = (0..probabilities.len()).collect();
        ranked.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
        ranked
            .into_iter()
            .take(k)
            .map(|id| (id, IMAGENET_CLASSES.lines().nth(id).unwrap_or("?"), probabilities[id]))
            .collect()
    }
}

fn rows(tensor: Tensor<2>, width: usize) -> Vec<Vec<f32>> {
    let values: Vec<f32> = tensor.into_data().try_to_vec().expect("an f32 tensor");
    values.chunks(width).map(<[f32]>::to_vec).collect()
}
