//! The BERT encoder of all-MiniLM-L6-v2 in burn 0.22: 6 layers, 384 wide, 12 heads.
//!
//! Field names mirror the Hugging Face checkpoint, so loading needs only two renames that Rust
//! field names force (`LayerNorm` → `layer_norm`, `attention.self` → `attention.self_attention`;
//! see `weights.rs`). Two details decide parity with the reference: BERT's LayerNorm epsilon is
//! 1e-12 (burn's default is 1e-5), and GELU is the exact erf form (burn's `gelu`).
//!
//! Attention is written out rather than taken from `burn::nn::attention`: its weights then load
//! under the checkpoint's own names, and the padding mask is BERT's additive one (0 on tokens,
//! the float minimum on padding) computed once per batch, not burn's inverted boolean mask.

use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};

#[derive(Config, Debug)]
pub struct BertConfig {
    #[config(default = 30522)]
    pub vocab_size: usize,
    #[config(default = 384)]
    pub hidden: usize,
    #[config(default = 1536)]
    pub intermediate: usize,
    #[config(default = 6)]
    pub layers: usize,
    #[config(default = 12)]
    pub heads: usize,
    #[config(default = 512)]
    pub max_positions: usize,
    #[config(default = 2)]
    pub token_types: usize,
    #[config(default = 1e-12)]
    pub layer_norm_eps: f64,
}

impl BertConfig {
    pub fn init(&self, device: &Device) -> Bert {
        let norm =
            || LayerNormConfig::new(self.hidden).with_epsilon(self.layer_norm_eps).init(device);
        let linear = |from, to| LinearConfig::new(from, to).init(device);
        let embeddings = Embeddings {
            word_embeddings: EmbeddingConfig::new(self.vocab_size, self.hidden).init(device),
            position_embeddings: EmbeddingConfig::new(self.max_positions, self.hidden).init(device),
            token_type_embeddings: EmbeddingConfig::new(self.token_types, self.hidden).init(device),
            layer_norm: norm(),
        };
        let layer = (0..self.layers)
            .map(|_| Layer {
                attention: Attention {
                    self_attention: SelfAttention {
                        query: linear(self.hidden, self.hidden),
                        key: linear(self.hidden, self.hidden),
                        value: linear(self.hidden, self.hidden),
                        heads: self.heads,
                    },
                    output: AddNorm { dense: linear(self.hidden, self.hidden), layer_norm: norm() },
                },
                intermediate: Intermediate { dense: linear(self.hidden, self.intermediate) },
                output: AddNorm {
                    dense: linear(self.intermediate, self.hidden),
                    layer_norm: norm(),
                },
            })
            .collect();
        Bert { embeddings, encoder: Encoder { layer } }
    }
}

#[derive(Module, Debug)]
pub struct Bert {
    pub embeddings: Embeddings,
    pub encoder: Encoder,
}

#[derive(Module, Debug)]
pub struct Embeddings {
    pub word_embeddings: Embedding,
    pub position_embeddings: Embedding,
    pub token_type_embeddings: Embedding,
    pub layer_norm: LayerNorm,
}

#[derive(Module, Debug)]
pub struct Encoder {
    pub layer: Vec<Layer>,
}

#[derive(Module, Debug)]
pub struct Layer {
    pub attention: Attention,
    pub intermediate: Intermediate,
    pub output: AddNorm,
}

#[derive(Module, Debug)]
pub struct Attention {
    pub self_attention: SelfAttention,
    pub output: AddNorm,
}

#[derive(Module, Debug)]
pub struct SelfAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub heads: usize,
}

#[derive(Module, Debug)]
pub struct Intermediate {
    pub dense: Linear,
}

/// A dense layer, the residual added, then LayerNorm (BERT's `*Output` modules).
#[derive(Module, Debug)]
pub struct AddNorm {
    pub dense: Linear,
    pub layer_norm: LayerNorm,
}

/// The dense layers of one encoder layer, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dense {
    /// The query, key and value projections side by side: `[B, T, 3H]`.
    QueryKeyValue,
    AttentionOutput,
    /// The intermediate layer with BERT's GELU applied.
    Intermediate,
    Output,
}

impl Dense {
    pub const ALL: [Dense; 4] =
        [Dense::QueryKeyValue, Dense::AttentionOutput, Dense::Intermediate, Dense::Output];

    /// This dense layer's weights in `layer`: several when their outputs are concatenated.
    pub fn linears(self, layer: &Layer) -> Vec<&Linear> {
        let attention = &layer.attention.self_attention;
        match self {
            Dense::QueryKeyValue => vec![&attention.query, &attention.key, &attention.value],
            Dense::AttentionOutput => vec![&layer.attention.output.dense],
            Dense::Intermediate => vec![&layer.intermediate.dense],
            Dense::Output => vec![&layer.output.dense],
        }
    }
}

/// How the encoder's dense layers are computed, which is most of its time: burn's `Linear`
/// ([`Bert`] itself, the reference) or a faster kernel on the same weights
/// (`super::packed::PackedDenses`).
pub trait DenseLayers {
    /// `dense` of layer number `layer` applied to `x` (`[B, T, inputs]`).
    fn apply(&self, layer: usize, dense: Dense, x: Tensor<3>) -> Tensor<3>;
}

impl DenseLayers for Bert {
    fn apply(&self, layer: usize, dense: Dense, x: Tensor<3>) -> Tensor<3> {
        let linears = dense.linears(&self.encoder.layer[layer]);
        let y = Tensor::cat(linears.iter().map(|l| l.forward(x.clone())).collect(), 2);
        if dense == Dense::Intermediate {
            gelu(y)
        } else {
            y
        }
    }
}

impl SelfAttention {
    /// `qkv` is the projections side by side, `[B, T, 3H]`; `mask_bias` `[B, 1, 1, T]`.
    fn forward(&self, qkv: Tensor<3>, mask_bias: Tensor<4>) -> Tensor<3> {
        let [batch, tokens, triple] = qkv.dims();
        let hidden = triple / 3;
        let head = hidden / self.heads;
        let split = |part: usize| {
            qkv.clone()
                .narrow(2, part * hidden, hidden)
                .reshape([batch, tokens, self.heads, head])
                .swap_dims(1, 2)
        };
        let (q, k, v) = (split(0), split(1), split(2));
        let scores = q.matmul(k.swap_dims(2, 3)) / (head as f64).sqrt() + mask_bias;
        let context = softmax(scores, 3).matmul(v);
        context.swap_dims(1, 2).reshape([batch, tokens, hidden])
    }
}

impl Bert {
    /// The last hidden states `[B, T, H]` of token ids `[B, T]`; `mask` is 1 on tokens and 0
    /// on padding, as Hugging Face's attention mask. `denses` computes the dense layers.
    pub fn forward(
        &self,
        denses: &impl DenseLayers,
        ids: Tensor<2, Int>,
        mask: Tensor<2>,
    ) -> Tensor<3> {
        let [batch, tokens] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..tokens as i64, &device).reshape([1, tokens]);
        // One sentence per input: every token is of type 0.
        let types = Tensor::<2, Int>::zeros([1, tokens], &device);
        let e = &self.embeddings;
        let x = e.word_embeddings.forward(ids)
            + e.position_embeddings.forward(positions)
            + e.token_type_embeddings.forward(types);
        let mut x = e.layer_norm.forward(x);

        let mask_bias = (mask.neg() + 1.0).reshape([batch, 1, 1, tokens]) * f32::MIN;
        for (index, layer) in self.encoder.layer.iter().enumerate() {
            let dense = |which, x| denses.apply(index, which, x);
            let qkv = dense(Dense::QueryKeyValue, x.clone());
            let attended = layer.attention.self_attention.forward(qkv, mask_bias.clone());
            let attended = layer
                .attention
                .output
                .layer_norm
                .forward(dense(Dense::AttentionOutput, attended) + x);
            let inner = dense(Dense::Intermediate, attended.clone());
            x = layer.output.layer_norm.forward(dense(Dense::Output, inner) + attended);
        }
        x
    }

    /// Mean of the token states over the mask, L2-normalised: the sentence embedding `[B, H]`.
    pub fn embed(
        &self,
        denses: &impl DenseLayers,
        ids: Tensor<2, Int>,
        mask: Tensor<2>,
    ) -> Tensor<2> {
        let [batch, tokens] = mask.dims();
        let states = self.forward(denses, ids, mask.clone());
        let weights = mask.reshape([batch, tokens, 1]);
        let hidden = states.dims()[2];
        let summed = (states * weights.clone()).sum_dim(1).reshape([batch, hidden]);
        // sentence-transformers clamps the token count at 1e-9.
        let counts = weights.sum_dim(1).reshape([batch, 1]).clamp_min(1e-9);
        crate::backend::vision::model::l2_normalize(summed / counts)
    }
}
