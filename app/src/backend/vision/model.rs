//! EfficientNet-Lite0 in burn 0.22 (`Tensor<D>`, the backend chosen by the device).
//!
//! Field names mirror the PyTorch checkpoint (`efficientnet-lite0-57934424.pth`) with the
//! leading underscores removed, so weight loading only needs the key remap `(^|\.)_ -> $1`:
//! `_blocks.3._depthwise_conv.weight` -> `blocks.3.depthwise_conv.weight`.
//!
//! Lite variant: ReLU6 everywhere, no squeeze-excite, BN eps 1e-3, TensorFlow "SAME"
//! padding (burn 0.22's `PaddingConfig2d::Same` is stride-aware and puts the odd pixel at the
//! bottom/right, which is exactly TF SAME).

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::prelude::*;
use burn::tensor::activation::relu6;

/// One stage of MBConv blocks (all blocks in a stage share kernel/expansion/output width;
/// only the first block uses `stride`).
#[derive(Config, Debug)]
pub struct StageConfig {
    pub repeats: usize,
    pub kernel: usize,
    pub stride: usize,
    pub expand_ratio: usize,
    pub out_channels: usize,
}

#[derive(Config, Debug)]
pub struct EfficientNetConfig {
    pub stages: Vec<StageConfig>,
    #[config(default = 3)]
    pub in_channels: usize,
    #[config(default = 32)]
    pub stem_channels: usize,
    #[config(default = 1280)]
    pub head_channels: usize,
    #[config(default = 1000)]
    pub num_classes: usize,
    #[config(default = 1e-3)]
    pub bn_eps: f64,
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl EfficientNetConfig {
    /// EfficientNet-Lite0 (width 1.0, depth 1.0, 224x224).
    pub fn lite0() -> Self {
        let s = |repeats, kernel, stride, expand_ratio, out_channels| StageConfig {
            repeats,
            kernel,
            stride,
            expand_ratio,
            out_channels,
        };
        Self::new(vec![
            s(1, 3, 1, 1, 16),
            s(2, 3, 2, 6, 24),
            s(2, 5, 2, 6, 40),
            s(3, 3, 2, 6, 80),
            s(3, 5, 1, 6, 112),
            s(4, 5, 2, 6, 192),
            s(1, 3, 1, 6, 320),
        ])
    }

    pub fn init(&self, device: &Device) -> EfficientNet {
        let bn = |c: usize| Some(BatchNormConfig::new(c).with_epsilon(self.bn_eps).init(device));
        let conv_stem = Conv2dConfig::new([self.in_channels, self.stem_channels], [3, 3])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Same)
            .with_bias(false)
            .init(device);

        let mut blocks = Vec::new();
        let mut in_c = self.stem_channels;
        for st in &self.stages {
            for r in 0..st.repeats {
                let stride = if r == 0 { st.stride } else { 1 };
                blocks.push(MBConvBlock::new(
                    in_c,
                    st.out_channels,
                    st.kernel,
                    stride,
                    st.expand_ratio,
                    self.bn_eps,
                    device,
                ));
                in_c = st.out_channels;
            }
        }

        let conv_head =
            Conv2dConfig::new([in_c, self.head_channels], [1, 1]).with_bias(false).init(device);

        EfficientNet {
            conv_stem,
            bn0: bn(self.stem_channels),
            blocks,
            conv_head,
            bn1: bn(self.head_channels),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc: LinearConfig::new(self.head_channels, self.num_classes).init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct MBConvBlock {
    /// 1x1 expansion (absent when expand_ratio == 1, i.e. block 0).
    pub expand_conv: Option<Conv2d>,
    pub bn0: Option<BatchNorm>,
    pub depthwise_conv: Conv2d,
    /// `Option` so batch-norm can be folded into the preceding conv at load time.
    pub bn1: Option<BatchNorm>,
    pub project_conv: Conv2d,
    pub bn2: Option<BatchNorm>,
    pub residual: bool,
}

impl MBConvBlock {
    #[allow(clippy::too_many_arguments)]
    fn new(
        in_c: usize,
        out_c: usize,
        k: usize,
        stride: usize,
        expand: usize,
        eps: f64,
        device: &Device,
    ) -> Self {
        let mid = in_c * expand;
        let bn = |c: usize| Some(BatchNormConfig::new(c).with_epsilon(eps).init(device));
        let (expand_conv, bn0) = if expand != 1 {
            (Some(Conv2dConfig::new([in_c, mid], [1, 1]).with_bias(false).init(device)), bn(mid))
        } else {
            (None, None)
        };
        let depthwise_conv = Conv2dConfig::new([mid, mid], [k, k])
            .with_stride([stride, stride])
            .with_groups(mid)
            .with_padding(PaddingConfig2d::Same)
            .with_bias(false)
            .init(device);
        let project_conv = Conv2dConfig::new([mid, out_c], [1, 1]).with_bias(false).init(device);
        Self {
            expand_conv,
            bn0,
            depthwise_conv,
            bn1: bn(mid),
            project_conv,
            bn2: bn(out_c),
            residual: stride == 1 && in_c == out_c,
        }
    }

    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let mut x = input.clone();
        if let Some(conv) = &self.expand_conv {
            x = relu6(maybe_bn(&self.bn0, conv.forward(x)));
        }
        x = relu6(maybe_bn(&self.bn1, self.depthwise_conv.forward(x)));
        x = maybe_bn(&self.bn2, self.project_conv.forward(x));
        // Lite: no squeeze-excite; drop-connect is a no-op at inference.
        if self.residual {
            x + input
        } else {
            x
        }
    }

    fn fuse(mut self) -> Self {
        if let Some(conv) = self.expand_conv.take() {
            self.expand_conv = Some(fold_bn(conv, self.bn0.take()));
        }
        self.depthwise_conv = fold_bn(self.depthwise_conv, self.bn1.take());
        self.project_conv = fold_bn(self.project_conv, self.bn2.take());
        self
    }
}

#[derive(Module, Debug)]
pub struct EfficientNet {
    pub conv_stem: Conv2d,
    pub bn0: Option<BatchNorm>,
    pub blocks: Vec<MBConvBlock>,
    pub conv_head: Conv2d,
    pub bn1: Option<BatchNorm>,
    pub dropout: Dropout,
    pub fc: Linear,
}

impl EfficientNet {
    /// Pooled 1280-d features (before dropout / classifier), shape `[B, 1280]`.
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = relu6(maybe_bn(&self.bn0, self.conv_stem.forward(images)));
        for b in &self.blocks {
            x = b.forward(x);
        }
        let x = relu6(maybe_bn(&self.bn1, self.conv_head.forward(x)));
        let [b, c, _, _] = x.dims();
        x.mean_dims(&[2, 3]).reshape([b, c])
    }

    /// Logits `[B, 1000]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classify(self.features(images))
    }

    pub fn classify(&self, features: Tensor<2>) -> Tensor<2> {
        self.fc.forward(self.dropout.forward(features))
    }

    /// L2-normalised embedding for similarity search, `[B, 1280]`.
    pub fn embed(&self, images: Tensor<4>) -> Tensor<2> {
        l2_normalize(self.features(images))
    }

    /// Fold every inference-mode BatchNorm into the preceding (bias-free) conv.
    pub fn fuse_batchnorm(mut self) -> Self {
        self.conv_stem = fold_bn(self.conv_stem, self.bn0.take());
        self.blocks = self.blocks.into_iter().map(MBConvBlock::fuse).collect();
        self.conv_head = fold_bn(self.conv_head, self.bn1.take());
        self
    }
}

pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    x / norm
}

fn maybe_bn(bn: &Option<BatchNorm>, x: Tensor<4>) -> Tensor<4> {
    match bn {
        Some(bn) => bn.forward(x),
        None => x,
    }
}

/// w' = w * gamma / sqrt(var + eps);  b' = beta - mean * gamma / sqrt(var + eps) (+ b * scale).
fn fold_bn(mut conv: Conv2d, bn: Option<BatchNorm>) -> Conv2d {
    let Some(bn) = bn else { return conv };
    let scale = bn.gamma.val() / (bn.running_var.value() + bn.epsilon).sqrt(); // [C_out]
    let [c_out] = scale.dims();
    let w = conv.weight.val() * scale.clone().reshape([c_out, 1, 1, 1]);
    let mut b = bn.beta.val() - bn.running_mean.value() * scale.clone();
    if let Some(old) = &conv.bias {
        b = b + old.val() * scale;
    }
    conv.weight = Param::from_tensor(w);
    conv.bias = Some(Param::from_tensor(b));
    conv
}
