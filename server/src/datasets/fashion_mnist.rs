//! Fashion-MNIST: 28×28 grey pictures of clothes on black, in ten classes, as the Debian package
//! `dataset-fashion-mnist` installs them (gzipped idx files).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use app::preprocess::{resize_and_centre_crop, to_model_input, MODEL_SIDE};
use image::{Rgb, RgbImage};

/// The classes, in label order.
pub const CLASSES: [&str; 10] = [
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

/// The Debian package that installs the dataset where [`default_dir`] looks.
pub const APT_PACKAGE: &str = "dataset-fashion-mnist";

/// Where the Debian package puts the files.
pub fn default_dir() -> PathBuf {
    PathBuf::from("/usr/share/datasets/fashion-mnist")
}

/// One split of the dataset: `len` images of `rows`×`cols` grey bytes, and their labels.
pub struct Split {
    pixels: Vec<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl Split {
    /// The training split (60,000 images).
    pub fn train(dir: &Path) -> anyhow::Result<Self> {
        Self::load(dir, "train")
    }

    /// The test split (10,000 images).
    pub fn test(dir: &Path) -> anyhow::Result<Self> {
        Self::load(dir, "t10k")
    }

    /// Reads `<name>-images-idx3-ubyte.gz` and `<name>-labels-idx1-ubyte.gz` from `dir`.
    fn load(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let images = read_idx(&dir.join(format!("{name}-images-idx3-ubyte.gz")), 3)?;
        let labels = read_idx(&dir.join(format!("{name}-labels-idx1-ubyte.gz")), 1)?;
        let [count, rows, cols] = images.dims[..] else { bail!("{name}: images are not 3-d") };
        ensure!(labels.dims[0] == count, "{name}: {count} images but {} labels", labels.dims[0]);
        ensure!(
            labels.data.iter().all(|&label| usize::from(label) < CLASSES.len()),
            "{name}: a label outside 0..{}",
            CLASSES.len()
        );
        Ok(Split { pixels: images.data, labels: labels.data, rows, cols })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, index: usize) -> &[u8] {
        let size = self.rows * self.cols;
        &self.pixels[index * size..(index + 1) * size]
    }

    /// The image as the server would see an upload of it: see [`model_input`].
    pub fn model_input(&self, index: usize) -> Vec<f32> {
        model_input(self.image(index), self.rows, self.cols)
    }
}

/// A `rows`×`cols` grey image as the server would see an upload of it: grey replicated into RGB,
/// upscaled and cropped by the server's own preprocessing, normalised for the model.
pub fn model_input(pixels: &[u8], rows: usize, cols: usize) -> Vec<f32> {
    let rgb = RgbImage::from_fn(cols as u32, rows as u32, |x, y| {
        let grey = pixels[y as usize * cols + x as usize];
        Rgb([grey, grey, grey])
    });
    to_model_input(&resize_and_centre_crop(&rgb, MODEL_SIDE))
}

/// An idx file's contents (the format of the MNIST family): dimensions and unsigned bytes.
#[derive(Debug, PartialEq)]
struct Idx {
    dims: Vec<usize>,
    data: Vec<u8>,
}

/// Reads a gzipped idx file of unsigned bytes with `dims` dimensions.
fn read_idx(path: &Path, dims: u8) -> anyhow::Result<Idx> {
    let file = std::fs::File::open(path).with_context(|| {
        format!(
            "opening {} (install the Debian package {APT_PACKAGE}, or point --data-dir at the \
             dataset's idx files)",
            path.display()
        )
    })?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .with_context(|| format!("decompressing {}", path.display()))?;
    parse_idx(bytes, dims).with_context(|| format!("reading {}", path.display()))
}

/// Parses an idx buffer: a big-endian magic number `0x0000_08nn` (unsigned bytes, `nn`
/// dimensions), one big-endian `u32` size per dimension, then the data.
fn parse_idx(mut bytes: Vec<u8>, dims: u8) -> anyhow::Result<Idx> {
    let header = 4 + 4 * usize::from(dims);
    ensure!(bytes.len() >= header, "{} bytes, shorter than an idx header", bytes.len());
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let magic = word(0);
    let expected = 0x0800 | u32::from(dims);
    ensure!(
        magic == expected,
        "magic number {magic:#010x}, expected {expected:#010x} (unsigned bytes, {dims} dimensions)"
    );
    let sizes: Vec<usize> = (0..usize::from(dims)).map(|d| word(4 + 4 * d) as usize).collect();
    let expected_len: usize = sizes.iter().product();
    bytes.drain(..header);
    ensure!(
        bytes.len() == expected_len,
        "{} data bytes for dimensions {sizes:?} ({expected_len} expected)",
        bytes.len()
    );
    Ok(Idx { dims: sizes, data: bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An idx header for unsigned bytes followed by `data`.
    fn idx(sizes: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = (0x0800 | sizes.len() as u32).to_be_bytes().to_vec();
        for size in sizes {
            bytes.extend(size.to_be_bytes());
        }
        bytes.extend(data);
        bytes
    }

    #[test]
    fn parses_a_hand_made_idx_buffer() {
        let images = idx(&[2, 2, 3], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        let parsed = parse_idx(images, 3).unwrap();
        assert_eq!(parsed.dims, [2, 2, 3]);
        assert_eq!(parsed.data[6..], [6, 7, 8, 9, 10, 11]);

        let labels = parse_idx(idx(&[3], &[9, 0, 4]), 1).unwrap();
        assert_eq!(labels, Idx { dims: vec![3], data: vec![9, 0, 4] });
    }

    #[test]
    fn refuses_a_wrong_magic_or_length() {
        // A labels file where images are expected.
        assert!(parse_idx(idx(&[3], &[1, 2, 3]), 3).is_err());
        // One data byte short, one too many, a truncated header.
        assert!(parse_idx(idx(&[2, 2], &[1, 2, 3]), 2).is_err());
        assert!(parse_idx(idx(&[2, 2], &[1, 2, 3, 4, 5]), 2).is_err());
        assert!(parse_idx(vec![0, 0, 8, 3, 0], 3).is_err());
    }
}
