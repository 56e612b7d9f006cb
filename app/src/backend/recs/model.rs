//! The taste model: a content-aware multinomial denoising autoencoder (Mult-DAE, Liang et al.,
//! "Variational Autoencoders for Collaborative Filtering", 2018) trained in burn.
//!
//! - **Item side**: each item is a learned id vector plus a projection of its content (text and
//!   image embeddings), `r_i = e_i + Pᵀc_i`, with a bias made the same way. An item nobody has
//!   met yet has no id vector (zero), so it is placed by its content alone: a product added a
//!   minute ago already has a vector.
//! - **User side**: a user is *what they met*, not a learned id: `h = tanh(Σ_{j∈H} q_j / √|H| +
//!   b)`, where `q_j` is again an id vector plus a content projection. A shopper with one click
//!   has a vector, and it moves with every event without retraining.
//! - **Score**: `h · r_i + b_i`; training maximises the softmax likelihood of a user's items
//!   over the whole catalog, from a history with half its items dropped (the denoising).
//!
//! [`TasteVectors`] is the trained model as plain numbers: what is served, stored and measured.

use burn::module::Param;
use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::baselines::Scorer;
use super::interactions::ItemContent;

/// The model's shape: recorded with every version, so its weights can be loaded again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelShape {
    pub items: usize,
    pub content_width: usize,
    /// Width of the user and item vectors.
    pub dims: usize,
}

#[derive(Module, Debug)]
pub struct TasteModel {
    /// `[items, dims]`: the item side's id vectors.
    item_ids: Param<Tensor<2>>,
    /// `[items]`
    item_bias: Param<Tensor<1>>,
    /// `[content, dims]`: content to the item side.
    item_content: Param<Tensor<2>>,
    /// `[content, 1]`: content to the item's bias.
    content_bias: Param<Tensor<2>>,
    /// `[items, dims]`: the user side's id vectors (what meeting an item says about a user).
    history_ids: Param<Tensor<2>>,
    /// `[content, dims]`
    history_content: Param<Tensor<2>>,
    /// `[dims]`
    user_bias: Param<Tensor<1>>,
}

/// Which items keep their id vectors in a pass: training drops some at random so the content
/// projection learns to stand in for them (as it must for new items); `[items, 1]` of 0 / 1.
pub struct IdMask(pub Tensor<2>);

impl TasteModel {
    /// Weights drawn from `seed`: id vectors and projections uniform in ±√(6 / (in + out))
    /// (Glorot), biases zero.
    pub fn init(shape: ModelShape, seed: u64, device: &Device) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut glorot = |rows: usize, columns: usize| -> Param<Tensor<2>> {
            let bound = (6.0 / (rows + columns) as f32).sqrt();
            let values = (0..rows * columns).map(|_| rng.random_range(-bound..bound)).collect();
            Param::from_tensor(Tensor::from_data(TensorData::new(values, [rows, columns]), device))
        };
        let ModelShape { items, content_width, dims } = shape;
        let item_ids = glorot(items, dims);
        let item_content = glorot(content_width, dims);
        let content_bias = glorot(content_width, 1);
        let history_ids = glorot(items, dims);
        let history_content = glorot(content_width, dims);
        Self {
            item_ids,
            item_bias: Param::from_tensor(Tensor::zeros([items], device)),
            item_content,
            content_bias,
            history_ids,
            history_content,
            user_bias: Param::from_tensor(Tensor::zeros([dims], device)),
        }
    }

    pub fn shape(&self) -> ModelShape {
        let [items, dims] = self.item_ids.dims();
        let [content_width, _] = self.item_content.dims();
        ModelShape { items, content_width, dims }
    }

    /// Log-probabilities `[users, items]` of each item for users given as `histories`
    /// (`[users, items]`, each row a history weighted to unit length), with `keep` deciding
    /// which items use their id vectors and `content` `[items, width]`.
    pub fn log_likelihoods(
        &self,
        histories: Tensor<2>,
        content: Tensor<2>,
        keep: &IdMask,
    ) -> Tensor<2> {
        let (items, bias) = self.item_side(content.clone(), keep);
        let users = self.user_side(histories, content, keep);
        burn::tensor::activation::log_softmax(users.matmul(items.transpose()) + bias.unsqueeze(), 1)
    }

    /// `[items, dims]` item vectors and `[items]` biases.
    fn item_side(&self, content: Tensor<2>, keep: &IdMask) -> (Tensor<2>, Tensor<1>) {
        let vectors =
            self.item_ids.val() * keep.0.clone() + content.clone().matmul(self.item_content.val());
        let bias = self.item_bias.val() * keep.0.clone().squeeze_dim(1)
            + content.matmul(self.content_bias.val()).squeeze_dim(1);
        (vectors, bias)
    }

    /// `[users, dims]` user vectors.
    fn user_side(&self, histories: Tensor<2>, content: Tensor<2>, keep: &IdMask) -> Tensor<2> {
        let inputs =
            self.history_ids.val() * keep.0.clone() + content.matmul(self.history_content.val());
        (histories.matmul(inputs) + self.user_bias.val().unsqueeze()).tanh()
    }

    /// The trained model as plain vectors, for serving and measuring. Items in `unseen` (no
    /// interaction in training) lose their id vectors: what training left there is noise from
    /// the softmax's denominator, not taste, so they are placed by content alone.
    pub fn vectors(&self, content: &ItemContent, unseen: &[bool]) -> TasteVectors {
        let shape = self.shape();
        assert_eq!(content.items(), shape.items, "content for every item");
        assert_eq!(unseen.len(), shape.items, "a flag for every item");
        let values =
            |tensor: Tensor<2>| -> Vec<f32> { tensor.into_data().try_to_vec().expect("f32") };
        let keep: Vec<f32> = unseen.iter().map(|&u| if u { 0.0 } else { 1.0 }).collect();
        let mut item_ids = values(self.item_ids.val());
        let mut history_ids = values(self.history_ids.val());
        let mut item_bias: Vec<f32> = self.item_bias.val().into_data().try_to_vec().expect("f32");
        for (item, &kept) in keep.iter().enumerate() {
            if kept == 0.0 {
                item_ids[item * shape.dims..(item + 1) * shape.dims].fill(0.0);
                history_ids[item * shape.dims..(item + 1) * shape.dims].fill(0.0);
                item_bias[item] = 0.0;
            }
        }
        let projection = Projection {
            dims: shape.dims,
            width: shape.content_width,
            item: values(self.item_content.val()),
            bias: values(self.content_bias.val()),
            history: values(self.history_content.val()),
        };
        let mut vectors = TasteVectors {
            dims: shape.dims,
            items: vec![0.0; shape.items * shape.dims],
            bias: vec![0.0; shape.items],
            inputs: vec![0.0; shape.items * shape.dims],
            user_bias: self.user_bias.val().into_data().try_to_vec().expect("f32"),
            projection,
        };
        for item in 0..shape.items {
            let (vector, bias, input) = vectors.projection.project(content.row(item));
            let span = item * shape.dims..(item + 1) * shape.dims;
            for (slot, (v, id)) in vectors.items[span.clone()]
                .iter_mut()
                .zip(vector.iter().zip(&item_ids[span.clone()]))
            {
                *slot = v + id;
            }
            for (slot, (v, id)) in
                vectors.inputs[span.clone()].iter_mut().zip(input.iter().zip(&history_ids[span]))
            {
                *slot = v + id;
            }
            vectors.bias[item] = bias + item_bias[item];
        }
        vectors
    }
}

/// The content projections, kept to place items that arrive after training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    dims: usize,
    width: usize,
    /// `[width, dims]`
    item: Vec<f32>,
    /// `[width]`
    bias: Vec<f32>,
    /// `[width, dims]`
    history: Vec<f32>,
}

impl Projection {
    /// An item's vector, bias and history vector from its content alone.
    pub fn project(&self, content: &[f32]) -> (Vec<f32>, f32, Vec<f32>) {
        assert_eq!(content.len(), self.width, "a content row");
        let mut item = vec![0.0; self.dims];
        let mut history = vec![0.0; self.dims];
        let mut bias = 0.0;
        for (k, &c) in content.iter().enumerate() {
            if c == 0.0 {
                continue;
            }
            let row = k * self.dims..(k + 1) * self.dims;
            for (slot, w) in item.iter_mut().zip(&self.item[row.clone()]) {
                *slot += c * w;
            }
            for (slot, w) in history.iter_mut().zip(&self.history[row]) {
                *slot += c * w;
            }
            bias += c * self.bias[k];
        }
        (item, bias, history)
    }
}

/// A trained [`TasteModel`] as numbers: each item's vector and bias (what a user vector is
/// scored against), each item's history vector (what it adds to a user who met it), and the
/// content projections for items that arrive later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasteVectors {
    dims: usize,
    /// `[items, dims]`
    items: Vec<f32>,
    /// `[items]`
    bias: Vec<f32>,
    /// `[items, dims]`
    inputs: Vec<f32>,
    /// `[dims]`
    user_bias: Vec<f32>,
    projection: Projection,
}

#[derive(Debug, thiserror::Error)]
pub enum TasteWeightsError {
    #[error("the taste model's weights could not be read: {0}")]
    Read(String),
    #[error("the taste model's weights could not be written: {0}")]
    Write(String),
}

/// The tensors of [`TasteVectors::to_bytes`], by name: (rows, columns) in units of the
/// model's item count `n`, vector width `d` and content width `w`.
const TENSORS: [&str; 7] =
    ["items", "bias", "inputs", "user_bias", "content_item", "content_bias", "content_history"];
/// The optional `[n, 16]` bytes naming each item.
const ITEM_KEYS: &str = "item_keys";

impl TasteVectors {
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The vectors as a safetensors file's bytes (what the model registry stores), with each
    /// item's 16-byte key beside them when given (the shop's product ids), so the rows of a
    /// version can be written again long after its catalog changed.
    pub fn to_bytes(&self, item_keys: Option<&[[u8; 16]]>) -> Result<Vec<u8>, TasteWeightsError> {
        let (n, d, w) = (self.bias.len(), self.dims, self.projection.width);
        let shapes = [vec![n, d], vec![n], vec![n, d], vec![d], vec![w, d], vec![w], vec![w, d]];
        let values = [
            &self.items,
            &self.bias,
            &self.inputs,
            &self.user_bias,
            &self.projection.item,
            &self.projection.bias,
            &self.projection.history,
        ];
        let bytes: Vec<Vec<u8>> =
            values.iter().map(|v| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
        let write = |err: safetensors::SafeTensorError| TasteWeightsError::Write(err.to_string());
        let mut views = TENSORS
            .iter()
            .zip(shapes)
            .zip(&bytes)
            .map(|((name, shape), data)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape, data)
                    .map(|view| ((*name).to_owned(), view))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(write)?;
        let keys: Vec<u8> = item_keys.unwrap_or_default().concat();
        if let Some(item_keys) = item_keys {
            if item_keys.len() != n {
                return Err(TasteWeightsError::Write(format!(
                    "{} keys for {n} items",
                    item_keys.len()
                )));
            }
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::U8, vec![n, 16], &keys)
                    .map_err(write)?;
            views.push((ITEM_KEYS.to_owned(), view));
        }
        safetensors::serialize(views, None).map_err(write)
    }

    /// The vectors [`to_bytes`](Self::to_bytes) wrote, every tensor present in shapes that
    /// agree with one another, and the item keys when they were written.
    pub fn from_bytes(bytes: &[u8]) -> Result<(Self, Option<Vec<[u8; 16]>>), TasteWeightsError> {
        let read = |detail: String| TasteWeightsError::Read(detail);
        let file = safetensors::SafeTensors::deserialize(bytes).map_err(|e| read(e.to_string()))?;
        let mut tensors = Vec::new();
        for name in TENSORS {
            let view = file.tensor(name).map_err(|e| read(format!("{name}: {e}")))?;
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(read(format!("{name} is not f32")));
            }
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            tensors.push((view.shape().to_vec(), values));
        }
        let [items, bias, inputs, user_bias, item, content_bias, history]: [(Vec<usize>, Vec<f32>);
            7] = tensors.try_into().expect("one per name");
        let (n, d, w) = (
            bias.0.first().copied().unwrap_or(0),
            user_bias.0.first().copied().unwrap_or(0),
            content_bias.0.first().copied().unwrap_or(0),
        );
        let agree = items.0 == [n, d]
            && inputs.0 == [n, d]
            && item.0 == [w, d]
            && history.0 == [w, d]
            && [&bias.0, &user_bias.0, &content_bias.0].iter().all(|shape| shape.len() == 1);
        if !agree {
            return Err(read("tensor shapes that disagree".to_owned()));
        }
        let keys = match file.tensor(ITEM_KEYS) {
            Ok(view) if view.dtype() == safetensors::Dtype::U8 && view.shape() == [n, 16] => Some(
                view.data().chunks_exact(16).map(|key| key.try_into().expect("16 bytes")).collect(),
            ),
            Ok(_) => return Err(read(format!("{ITEM_KEYS} is not [{n}, 16] bytes"))),
            Err(_) => None,
        };
        let vectors = Self {
            dims: d,
            items: items.1,
            bias: bias.1,
            inputs: inputs.1,
            user_bias: user_bias.1,
            projection: Projection {
                dims: d,
                width: w,
                item: item.1,
                bias: content_bias.1,
                history: history.1,
            },
        };
        Ok((vectors, keys))
    }

    /// Item `item`'s history vector (what meeting it adds to a user).
    pub fn input(&self, item: usize) -> &[f32] {
        &self.inputs[item * self.dims..(item + 1) * self.dims]
    }

    /// What every user vector adds before its tanh.
    pub fn user_bias(&self) -> &[f32] {
        &self.user_bias
    }

    /// Item `item`'s vector and bias.
    pub fn item(&self, item: usize) -> (&[f32], f32) {
        (&self.items[item * self.dims..(item + 1) * self.dims], self.bias[item])
    }

    /// The vector of a user who met `history` (items of this model).
    pub fn user(&self, history: &[u32]) -> Vec<f32> {
        let mut user = vec![0.0f32; self.dims];
        if !history.is_empty() {
            for &item in history {
                let row = item as usize * self.dims..(item as usize + 1) * self.dims;
                for (slot, v) in user.iter_mut().zip(&self.inputs[row]) {
                    *slot += v;
                }
            }
            let scale = 1.0 / (history.len() as f32).sqrt();
            for slot in &mut user {
                *slot *= scale;
            }
        }
        for (slot, b) in user.iter_mut().zip(&self.user_bias) {
            *slot = (*slot + b).tanh();
        }
        user
    }

    pub fn projection(&self) -> &Projection {
        &self.projection
    }
}

impl Scorer for TasteVectors {
    fn score(&self, history: &[u32], scores: &mut [f32]) {
        let user = self.user(history);
        for (item, score) in scores.iter_mut().enumerate() {
            let (vector, bias) = self.item(item);
            *score = bias + vector.iter().zip(&user).map(|(a, b)| a * b).sum::<f32>();
        }
    }

    fn items(&self) -> usize {
        self.bias.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_vectors() -> TasteVectors {
        let content = ItemContent::new(2, vec![1.0, 0.0, 0.0, 1.0, 0.5, 0.5]);
        let model = TasteModel::init(
            ModelShape { items: 3, content_width: 2, dims: 4 },
            1,
            &Device::flex(),
        );
        model.vectors(&content, &[false, false, true])
    }

    #[test]
    fn an_unseen_item_is_its_content_projection_alone() {
        let vectors = small_vectors();
        let (vector, bias) = vectors.item(2);
        let (projected, projected_bias, _) = vectors.projection().project(&[0.5, 0.5]);
        assert_eq!(vector, projected.as_slice());
        assert_eq!(bias, projected_bias);
    }

    #[test]
    fn vectors_survive_a_round_trip_and_bad_bytes_are_refused() {
        let vectors = small_vectors();
        let (loaded, keys) = TasteVectors::from_bytes(&vectors.to_bytes(None).unwrap()).unwrap();
        assert_eq!(loaded, vectors);
        assert_eq!(keys, None);
        let named = [[1u8; 16], [2; 16], [3; 16]];
        let (_, keys) = TasteVectors::from_bytes(&vectors.to_bytes(Some(&named)).unwrap()).unwrap();
        assert_eq!(keys.as_deref(), Some(&named[..]));
        assert!(vectors.to_bytes(Some(&named[..2])).is_err());
        assert!(TasteVectors::from_bytes(b"not safetensors").is_err());
    }
}
