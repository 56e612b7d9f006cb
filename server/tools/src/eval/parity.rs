//! `vitrine eval parity`: does a client's prepared upload match what the server would have made
//! from the original photo? Compares the two model squares pixel by pixel and the model's
//! embeddings of them. The Playwright suite runs it on what the page's WASM uploaded.

use anyhow::Context;
use app::preprocess::{decode_prepared, decode_upright, model_image, to_model_input, Limits};
use image::RgbImage;
use serde::Serialize;

use crate::bench::stats::cosine;
use crate::cli::EvalParityArgs;
use vitrine::runtime::model::load_embedder;

#[derive(Debug, Serialize)]
pub struct ParityReport {
    /// The largest difference of one channel of one pixel, in levels of 255.
    pub max_abs_diff: u8,
    /// Channel values that differ at all, of `values`.
    pub differing: usize,
    pub values: usize,
    /// Cosine similarity of the model's embeddings of the two squares.
    pub cosine: f32,
}

pub fn run(args: &EvalParityArgs) -> anyhow::Result<()> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))
    };
    let upright = decode_upright(&read(&args.photo)?, &Limits::default())
        .with_context(|| format!("decoding {}", args.photo.display()))?;
    let server = model_image(&upright, args.region);
    let client = decode_prepared(&read(&args.prepared)?)
        .with_context(|| format!("reading the prepared {}", args.prepared.display()))?;

    let embedder = load_embedder(&args.model)?;
    let embeddings =
        embedder.embed_blocking(&[to_model_input(&server), to_model_input(&client)])?;
    let report = ParityReport {
        cosine: cosine(&embeddings[0], &embeddings[1]),
        ..pixel_difference(&server, &client)
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("server square vs prepared upload ({})", args.prepared.display());
        println!("  largest channel difference  {} / 255", report.max_abs_diff);
        println!("  values that differ          {} of {}", report.differing, report.values);
        println!("  embedding cosine            {:.6}", report.cosine);
    }
    Ok(())
}

fn pixel_difference(a: &RgbImage, b: &RgbImage) -> ParityReport {
    let diffs = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y));
    let (max_abs_diff, differing) =
        diffs.fold((0, 0), |(max, count), d| (max.max(d), count + usize::from(d > 0)));
    ParityReport { max_abs_diff, differing, values: a.as_raw().len(), cosine: f32::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_counted_per_channel() {
        let a = RgbImage::from_pixel(2, 2, image::Rgb([10, 20, 30]));
        let mut b = a.clone();
        b.put_pixel(1, 1, image::Rgb([10, 23, 29]));
        let report = pixel_difference(&a, &b);
        assert_eq!((report.max_abs_diff, report.differing, report.values), (3, 2, 12));
    }
}
