//! The encoder's dense layers on [`PackedDense`], the kernel for few rows
//! (`vitrine-kernels`, `app/kernels`): a shopper's query is a 7 × 384 activation against 42 MB of weights,
//! where burn's general matrix multiply packs the weights again on every call and uses one
//! core. Built once from the loaded [`Bert`], whose own `Linear` layers stay the reference
//! (the tests and `vitrine-tools bench text` compare the two).

use burn::prelude::*;

use super::bert::{Bert, Dense, DenseLayers};
use burn::nn::Linear;

use vitrine_kernels::{gelu_in_place, PackedDense};

/// Every dense layer of the encoder, packed: `[layer][Dense::ALL order]`.
#[derive(Debug, Clone)]
pub struct PackedDenses {
    layers: Vec<[PackedDense; 4]>,
}

impl PackedDenses {
    pub fn new(bert: &Bert) -> Self {
        let layers = bert
            .encoder
            .layer
            .iter()
            .map(|layer| Dense::ALL.map(|dense| side_by_side(&dense.linears(layer))))
            .collect();
        Self { layers }
    }
}

/// One packed layer computing `linears`' outputs concatenated (the same inputs, each output
/// row `[y₀ | y₁ | …]`).
fn side_by_side(linears: &[&Linear]) -> PackedDense {
    let values = |tensor: TensorData| tensor.try_into_vec::<f32>().expect("f32 weights");
    let inputs = linears[0].weight.dims()[0];
    let widths: Vec<usize> = linears.iter().map(|l| l.weight.dims()[1]).collect();
    let outputs: usize = widths.iter().sum();
    let mut weight = vec![0.0; inputs * outputs];
    let mut bias = vec![0.0; outputs];
    let mut first = 0;
    for (linear, &width) in linears.iter().zip(&widths) {
        let w = values(linear.weight.val().into_data());
        for (row, part) in weight.chunks_exact_mut(outputs).zip(w.chunks_exact(width)) {
            row[first..first + width].copy_from_slice(part);
        }
        if let Some(b) = &linear.bias {
            bias[first..first + width].copy_from_slice(&values(b.val().into_data()));
        }
        first += width;
    }
    PackedDense::new(&weight, Some(&bias), inputs, outputs)
}

impl DenseLayers for PackedDenses {
    fn apply(&self, layer: usize, dense: Dense, x: Tensor<3>) -> Tensor<3> {
        let packed = &self.layers[layer][dense as usize];
        let [batch, tokens, inputs] = x.dims();
        debug_assert_eq!(inputs, packed.inputs());
        let device = x.device();
        let values: Vec<f32> = x.into_data().try_into_vec::<f32>().expect("f32 activations");
        let mut y = packed.forward(&values);
        if dense == Dense::Intermediate {
            gelu_in_place(&mut y);
        }
        Tensor::from_data(TensorData::new(y, [batch, tokens, packed.outputs()]), &device)
    }
}
