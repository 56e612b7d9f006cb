//! Image preprocessing shared by the server and the browser (one module, compiled for both
//! targets, so both produce the same model input from the same file): decode under limits,
//! honour the EXIF orientation, optionally crop a region, resize the shorter side and
//! centre-crop to the model's square input, then normalise.
//!
//! The browser runs the same steps before uploading and sends the result as a *prepared* image
//! ([`prepared`]): the model's 224×224 input as a lossless PNG, a few tens of KB instead of a
//! phone photo's megabytes. The server checks that format strictly and skips its own resize.
//!
//! Limits are checked from the file's header, before any pixel is decoded, so a decompression
//! bomb (a 14000×14000 PNG of a few hundred KB) costs a few bytes of reading, not gigabytes.

mod decode;
pub mod display;
mod model_input;
pub mod prepared;
mod region;

pub use decode::decode_upright;
pub use model_input::{
    model_image, model_input_from_file, resize_and_centre_crop, to_model_input, MODEL_SIDE,
    RESIZE_FILTER,
};
pub use prepared::{decode_prepared, encode_prepared, PREPARED_MAX_BYTES};
pub use region::{crop_region, Region};

/// What an uploaded image may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_side: u32,
    pub max_pixels: u64,
}

impl Default for Limits {
    /// A 12-megapixel phone photo passes with room to spare; anything much larger is refused.
    fn default() -> Self {
        Self { max_bytes: 20 * 1024 * 1024, max_side: 12_000, max_pixels: 50_000_000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreprocessError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {bytes} bytes; at most {max} are accepted")]
    TooManyBytes { bytes: usize, max: usize },
    #[error("not a PNG, JPEG or WebP image")]
    UnsupportedFormat,
    #[error("the image is {width}×{height} pixels; at most {max_side} per side and {max_pixels} in all are accepted")]
    TooManyPixels { width: u32, height: u32, max_side: u32, max_pixels: u64 },
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    /// A prepared upload that is not exactly the model's input (see [`prepared`]).
    #[error("a prepared image must be a {side}×{side} 8-bit RGB PNG: {0}", side = MODEL_SIDE)]
    NotPrepared(String),
}

/// Small images made in memory: the unit tests' inputs and the upload fuzzer's seeds.
#[cfg(any(test, feature = "test-images"))]
pub mod test_images;
