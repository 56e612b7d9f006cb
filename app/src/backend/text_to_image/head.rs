//! The alignment head: a small network that maps an image embedding (EfficientNet-Lite0, 1280-d)
//! into the text model's space (MiniLM, 384-d), so a query's text embedding can be compared
//! with what a product's picture shows.
//!
//! Two layers with a GELU between, plus a linear shortcut: the shortcut alone is the linear map
//! a least-squares fit would find, the hidden layer adds what a linear map cannot bend. The
//! output is L2-normalised like every embedding the shop compares by cosine.

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::activation::gelu;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::backend::text_model::TEXT_EMBEDDING_DIM as TEXT_DIM;
use crate::backend::vision::model::l2_normalize;
use crate::backend::vision::EMBEDDING_DIM as IMAGE_DIM;

/// The head's shape: recorded with every version, so its weights can be loaded again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadShape {
    pub hidden: usize,
}

impl Default for HeadShape {
    fn default() -> Self {
        Self { hidden: 512 }
    }
}

#[derive(Module, Debug)]
pub struct AlignmentHead {
    hidden: Linear,
    out: Linear,
    shortcut: Linear,
}

#[derive(Debug, thiserror::Error)]
pub enum HeadWeightsError {
    #[error("the head's weights could not be read: {0}")]
    Read(String),
    #[error("the head's weights could not be written: {0}")]
    Write(String),
}

impl AlignmentHead {
    /// A head with weights drawn from `seed` (Kaiming-uniform, as PyTorch initialises linear
    /// layers), so training from the same seed starts from the same point whatever else the
    /// process has drawn from burn's own generator.
    pub fn init(shape: HeadShape, seed: u64, device: &Device) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut linear = |inputs: usize, outputs: usize| {
            let bound = 1.0 / (inputs as f32).sqrt();
            let mut draw = |count: usize| -> Vec<f32> {
                (0..count).map(|_| rng.random_range(-bound..bound)).collect()
            };
            let mut layer = LinearConfig::new(inputs, outputs).init(device);
            layer.weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(draw(inputs * outputs), [inputs, outputs]),
                device,
            ));
            layer.bias = Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(draw(outputs), [outputs]),
                device,
            )));
            layer
        };
        Self {
            hidden: linear(IMAGE_DIM, shape.hidden),
            out: linear(shape.hidden, TEXT_DIM),
            shortcut: linear(IMAGE_DIM, TEXT_DIM),
        }
    }

    /// `[n, 1280]` image embeddings to `[n, 384]` unit vectors in the text space.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let bent = self.out.forward(gelu(self.hidden.forward(images.clone())));
        l2_normalize(bent + self.shortcut.forward(images))
    }

    /// The weights as a safetensors file's bytes (what the model registry stores).
    pub fn to_bytes(&self) -> Result<Vec<u8>, HeadWeightsError> {
        let mut store = SafetensorsStore::from_bytes(None);
        self.save_into(&mut store).map_err(|err| HeadWeightsError::Write(err.to_string()))?;
        store.get_bytes().map_err(|err| HeadWeightsError::Write(err.to_string()))
    }

    /// A head of `shape` with the weights [`to_bytes`](Self::to_bytes) wrote.
    pub fn from_bytes(
        shape: HeadShape,
        bytes: Vec<u8>,
        device: &Device,
    ) -> Result<Self, HeadWeightsError> {
        let mut head = Self::init(shape, 0, device);
        let mut store = SafetensorsStore::from_bytes(Some(bytes)).allow_partial(false);
        let result =
            head.load_from(&mut store).map_err(|err| HeadWeightsError::Read(err.to_string()))?;
        if !result.missing.is_empty() {
            return Err(HeadWeightsError::Read(format!("missing {:?}", result.missing)));
        }
        Ok(head)
    }

    /// Maps `images` (each a 1280-d embedding) on the head's device; one 384-d unit vector
    /// per image.
    pub fn map_images(&self, images: &[Vec<f32>]) -> Vec<Vec<f32>> {
        if images.is_empty() {
            return Vec::new();
        }
        let device = self.shortcut.weight.val().device();
        let output = self.forward(matrix(images, IMAGE_DIM, &device));
        let values: Vec<f32> = output.into_data().try_to_vec().expect("an f32 tensor");
        values.chunks(TEXT_DIM).map(<[f32]>::to_vec).collect()
    }
}

/// Rows of equal width as one `[rows, width]` tensor.
pub(super) fn matrix(rows: &[Vec<f32>], width: usize, device: &Device) -> Tensor<2> {
    let data: Vec<f32> = rows.iter().flatten().copied().collect();
    assert_eq!(data.len(), rows.len() * width, "every row is {width} wide");
    Tensor::from_data(TensorData::new(data, [rows.len(), width]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u64, width: usize) -> Vec<f32> {
        let mut rng = StdRng::seed_from_u64(seed);
        let v: Vec<f32> = (0..width).map(|_| rng.random_range(-1.0..1.0)).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    #[test]
    fn maps_to_unit_vectors_in_the_text_space() {
        let device = Device::flex();
        let head = AlignmentHead::init(HeadShape { hidden: 16 }, 1, &device);
        let mapped = head.map_images(&[unit(1, IMAGE_DIM), unit(2, IMAGE_DIM)]);
        assert_eq!(mapped.len(), 2);
        for v in &mapped {
            assert_eq!(v.len(), TEXT_DIM);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        }
        assert!(head.map_images(&[]).is_empty());
    }

    #[test]
    fn the_same_seed_makes_the_same_head_and_weights_survive_a_round_trip() {
        let device = Device::flex();
        let shape = HeadShape { hidden: 8 };
        let a = AlignmentHead::init(shape, 7, &device);
        let b = AlignmentHead::init(shape, 7, &device);
        let c = AlignmentHead::init(shape, 8, &device);
        let image = [unit(3, IMAGE_DIM)];
        assert_eq!(a.map_images(&image), b.map_images(&image));
        assert_ne!(a.map_images(&image), c.map_images(&image));

        let loaded = AlignmentHead::from_bytes(shape, a.to_bytes().unwrap(), &device).unwrap();
        assert_eq!(loaded.map_images(&image), a.map_images(&image));
        assert!(AlignmentHead::from_bytes(shape, b"not safetensors".to_vec(), &device).is_err());
        // Weights of another shape are refused, not silently cropped.
        let other = AlignmentHead::init(HeadShape { hidden: 4 }, 7, &device);
        assert!(AlignmentHead::from_bytes(shape, other.to_bytes().unwrap(), &device).is_err());
    }
}
