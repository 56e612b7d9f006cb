//! `vitrine bench preprocess`: the server's time for what the search page's WASM does before an
//! upload (decode and orient, crop, resize to the model's square, encode the prepared PNG), on
//! the same photos, so docs/benchmarks.md can set the browser's figure beside it.

use std::time::Instant;

use anyhow::Context;
use app::preprocess::{decode_upright, encode_prepared, model_image, Limits};

use super::stats::Samples;
use crate::cli::BenchPreprocessArgs;

pub fn run(args: &BenchPreprocessArgs) -> anyhow::Result<()> {
    println!("preprocessing for upload, median of {} runs (ms)", args.runs);
    println!(
        "{:<28} {:>11} {:>10} {:>9} {:>9} {:>8} {:>8} {:>9}",
        "photo", "pixels", "bytes", "decode", "square", "png", "total", "upload"
    );
    for path in &args.photos {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let (mut decode, mut square, mut png, mut total) =
            (Samples::default(), Samples::default(), Samples::default(), Samples::default());
        let mut upload = 0;
        let mut pixels = (0, 0);
        for _ in 0..args.runs {
            let start = Instant::now();
            let upright = decode_upright(&bytes, &Limits::default())
                .with_context(|| format!("decoding {}", path.display()))?;
            let decoded = Instant::now();
            let model_square = model_image(&upright, args.region);
            let squared = Instant::now();
            upload = encode_prepared(&model_square).len();
            let encoded = Instant::now();
            decode.push(decoded - start);
            square.push(squared - decoded);
            png.push(encoded - squared);
            total.push(encoded - start);
            pixels = upright.dimensions();
        }
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        println!(
            "{:<28} {:>11} {:>10} {:>9.1} {:>9.1} {:>8.1} {:>8.1} {:>9}",
            name,
            format!("{}×{}", pixels.0, pixels.1),
            bytes.len(),
            decode.median(),
            square.median(),
            png.median(),
            total.median(),
            upload
        );
    }
    Ok(())
}
