//! A dense layer for activations with few rows: `y = x·W + b` where `x` is a handful of token
//! states (a shopper's query is 5–15 tokens) and `W` is a few hundred kilobytes to megabytes.
//!
//! A general matrix multiply (burn-flex hands these to the `gemm` crate) is built for large
//! operands: it packs `W` again on every call, fills register tiles 16 rows tall of which a
//! 7-token query uses 7, and burn-flex keeps a product this small on one thread. At this shape
//! the work is reading the weights, so this layer does exactly that once:
//!
//! - `W` is packed at load time into panels of `2 × lanes` columns stored k-major, so a pass
//!   over a panel reads it front to back;
//! - every weight vector loaded serves up to [`ROWS`] rows, each accumulating in registers
//!   (8 rows × 2 vectors = 16 of AVX-512's 32 registers), with the bias as the starting value;
//! - the panels are split across the current rayon pool's threads, which is what lets a second
//!   core help.
//!
//! The instruction set is chosen at run time by `pulp` (AVX-512, AVX2 + FMA, or scalar), so the
//! binary runs on any x86-64 and elsewhere. The results equal a plain `x·W + b` up to float
//! summation order (the tests compare against one).

use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

/// Rows computed per pass over a panel.
const ROWS: usize = 8;

/// `W` (`inputs × outputs`) and `b` rearranged for [`PackedDense::forward`].
#[derive(Debug, Clone)]
pub struct PackedDense {
    inputs: usize,
    outputs: usize,
    /// Columns per panel: two SIMD vectors of the instruction set found at load time.
    panel_width: usize,
    /// `[panel][input][column in panel]`, the last panel padded with zero columns.
    panels: Vec<f32>,
    /// The bias padded to whole panels.
    bias: Vec<f32>,
}

impl PackedDense {
    /// Packs a row-major `inputs × outputs` weight (burn's `Linear` layout) and its bias.
    pub fn new(weight: &[f32], bias: Option<&[f32]>, inputs: usize, outputs: usize) -> Self {
        assert_eq!(weight.len(), inputs * outputs, "the weight is inputs × outputs");
        let panel_width = 2 * Arch::new().dispatch(Lanes);
        let panel_count = outputs.div_ceil(panel_width);
        let mut panels = vec![0.0; panel_count * inputs * panel_width];
        for (p, panel) in panels.chunks_exact_mut(inputs * panel_width).enumerate() {
            let first = p * panel_width;
            let width = panel_width.min(outputs - first);
            for (k, row) in panel.chunks_exact_mut(panel_width).enumerate() {
                let start = k * outputs + first;
                row[..width].copy_from_slice(&weight[start..start + width]);
            }
        }
        let mut padded_bias = vec![0.0; panel_count * panel_width];
        if let Some(bias) = bias {
            assert_eq!(bias.len(), outputs, "one bias per output");
            padded_bias[..outputs].copy_from_slice(bias);
        }
        Self { inputs, outputs, panel_width, panels, bias: padded_bias }
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `x·W + b` for a row-major `rows × inputs` `x`: `rows × outputs`, row-major.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        assert_eq!(x.len() % self.inputs.max(1), 0, "x is rows × inputs");
        let rows = x.len().checked_div(self.inputs).unwrap_or(0);
        let width = self.panel_width;
        // Panel-major first (each task owns one contiguous block), then one reorder pass: the
        // output is tiny next to the weights, so the copy costs nothing measurable.
        let mut by_panel = vec![0.0; self.panels.len() / self.inputs.max(1) * rows];
        let panel_len = self.inputs * width;
        if rows > 0 && panel_len > 0 {
            by_panel
                .par_chunks_mut(rows * width)
                .zip(self.panels.par_chunks(panel_len))
                .zip(self.bias.par_chunks(width))
                .for_each(|((out, panel), bias)| {
                    Arch::new().dispatch(PanelPass { x, inputs: self.inputs, panel, bias, out });
                });
        }
        let mut y = vec![0.0; rows * self.outputs];
        for (p, block) in by_panel.chunks_exact(rows.max(1) * width).enumerate() {
            let first = p * width;
            let take = width.min(self.outputs - first);
            for (r, values) in block.chunks_exact(width).enumerate() {
                let start = r * self.outputs + first;
                y[start..start + take].copy_from_slice(&values[..take]);
            }
        }
        y
    }
}

/// How many f32 one SIMD vector holds on this machine.
struct Lanes;

impl WithSimd for Lanes {
    type Output = usize;

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) -> usize {
        S::F32_LANES
    }
}

/// Every row of `x` against one panel: `out` is `rows × panel width`.
struct PanelPass<'a> {
    x: &'a [f32],
    inputs: usize,
    panel: &'a [f32],
    bias: &'a [f32],
    out: &'a mut [f32],
}

impl WithSimd for PanelPass<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self { x, inputs, panel, bias, out } = self;
        let width = bias.len();
        assert_eq!(width, 2 * S::F32_LANES, "packed for this machine's vector width");
        let (panel, _) = S::as_simd_f32s(panel);
        let (panel, _) = pulp::as_arrays::<2, _>(panel);
        let (bias, _) = S::as_simd_f32s(bias);
        let bias = [bias[0], bias[1]];
        let blocks = x.chunks(ROWS * inputs).zip(out.chunks_mut(ROWS * width));
        for (x, out) in blocks {
            match x.len() / inputs {
                8 => rows_pass::<S, 8>(simd, x, inputs, panel, bias, out),
                7 => rows_pass::<S, 7>(simd, x, inputs, panel, bias, out),
                6 => rows_pass::<S, 6>(simd, x, inputs, panel, bias, out),
                5 => rows_pass::<S, 5>(simd, x, inputs, panel, bias, out),
                4 => rows_pass::<S, 4>(simd, x, inputs, panel, bias, out),
                3 => rows_pass::<S, 3>(simd, x, inputs, panel, bias, out),
                2 => rows_pass::<S, 2>(simd, x, inputs, panel, bias, out),
                _ => rows_pass::<S, 1>(simd, x, inputs, panel, bias, out),
            }
        }
    }
}

/// `R` rows against one panel, the accumulators in registers (`R` is a constant so the
/// compiler unrolls the row loop and keeps them there).
#[inline(always)]
fn rows_pass<S: Simd, const R: usize>(
    simd: S,
    x: &[f32],
    inputs: usize,
    panel: &[[S::f32s; 2]],
    bias: [S::f32s; 2],
    out: &mut [f32],
) {
    let x: [&[f32]; R] = std::array::from_fn(|r| &x[r * inputs..(r + 1) * inputs]);
    let panel = &panel[..inputs];
    let mut acc = [bias; R];
    for (k, [w0, w1]) in panel.iter().enumerate() {
        for r in 0..R {
            let value = simd.splat_f32s(x[r][k]);
            acc[r][0] = simd.mul_add_e_f32s(value, *w0, acc[r][0]);
            acc[r][1] = simd.mul_add_e_f32s(value, *w1, acc[r][1]);
        }
    }
    let (out, _) = S::as_mut_simd_f32s(out);
    for (r, pair) in acc.iter().enumerate() {
        out[2 * r] = pair[0];
        out[2 * r + 1] = pair[1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, irregular matrix (no two neighbours alike).
    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len as u32)
            .map(|i| {
                ((i.wrapping_mul(2654435761).wrapping_add(seed) >> 8) % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn plain(x: &[f32], w: &[f32], b: &[f32], inputs: usize, outputs: usize) -> Vec<f32> {
        let rows = x.len() / inputs;
        let mut y = vec![0.0f64; rows * outputs];
        for r in 0..rows {
            for n in 0..outputs {
                let dot: f64 =
                    (0..inputs).map(|k| x[r * inputs + k] as f64 * w[k * outputs + n] as f64).sum();
                y[r * outputs + n] = dot + b[n] as f64;
            }
        }
        y.into_iter().map(|v| v as f32).collect()
    }

    #[test]
    fn it_computes_x_w_plus_b_for_every_row_count_and_ragged_widths() {
        // Widths off the panel size, row counts through a whole block of 8 and past it.
        for (inputs, outputs) in [(384, 384), (37, 45), (5, 1), (64, 1536)] {
            let w = values(inputs * outputs, 1);
            let b = values(outputs, 2);
            let dense = PackedDense::new(&w, Some(&b), inputs, outputs);
            for rows in [1, 2, 7, 8, 9, 17] {
                let x = values(rows * inputs, rows as u32);
                let got = dense.forward(&x);
                let want = plain(&x, &w, &b, inputs, outputs);
                assert_eq!(got.len(), want.len());
                for (g, e) in got.iter().zip(&want) {
                    assert!(
                        (g - e).abs() <= 1e-4 * (1.0 + e.abs()),
                        "{inputs}×{outputs}, {rows} rows: {g} vs {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_rows_give_no_output_and_no_bias_is_zero() {
        let dense = PackedDense::new(&values(12, 3), None, 4, 3);
        assert!(dense.forward(&[]).is_empty());
        assert_eq!(dense.forward(&[0.0; 4]), vec![0.0; 3]);
    }

    #[test]
    fn two_threads_give_the_values_one_gives() {
        let (inputs, outputs) = (96, 200);
        let dense = PackedDense::new(
            &values(inputs * outputs, 4),
            Some(&values(outputs, 5)),
            inputs,
            outputs,
        );
        let x = values(7 * inputs, 6);
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        assert_eq!(one.install(|| dense.forward(&x)), two.install(|| dense.forward(&x)));
    }
}
