//! `vitrine model …`: preparing and checking the image model from the command line.

use std::path::Path;

use anyhow::Context;
use app::backend::vision::{weights, ImageModel};
use app::preprocess::{model_input_from_file, Limits};

pub fn convert(checkpoint: &Path, out: &Path) -> anyhow::Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tensors = weights::convert_checkpoint(checkpoint, out)?;
    tracing::info!(tensors, out = %out.display(), "checkpoint converted");
    Ok(())
}

pub fn classify(weights: &Path, photos: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let model = ImageModel::load(weights)?;
    for photo in photos {
        let bytes = std::fs::read(photo).with_context(|| format!("reading {}", photo.display()))?;
        let input = model_input_from_file(&bytes, None, &Limits::default())?;
        println!("{}", photo.display());
        for (id, name, probability) in model.classify(input, 5) {
            println!("  {id:>4} {name:<30} {probability:.3}");
        }
    }
    Ok(())
}
