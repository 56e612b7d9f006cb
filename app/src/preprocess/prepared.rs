//! The prepared upload: the model's input made in the browser and sent instead of the photo.
//!
//! It is the [`model_image`](super::model_image) square as an 8-bit RGB PNG, exactly
//! [`MODEL_SIDE`]² pixels. PNG because it is lossless (the server's tensor is then exactly the
//! browser's) and any client can write one; a photo's square comes to 50–120 KB, where the phone's
//! original is several MB. The server accepts nothing else under this name: another size, alpha,
//! 16-bit or palette pixels, or another format are refused before any pixel is decoded.

use image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use image::{ColorType, DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, RgbImage};

use super::{PreprocessError, MODEL_SIDE};

/// The largest prepared upload: the raw pixels (150,528 bytes) plus PNG's worst-case overhead.
pub const PREPARED_MAX_BYTES: usize = 160 * 1024;

/// Encodes the model's square for upload.
///
/// # Panics
/// If `square` is not [`MODEL_SIDE`]² pixels: only [`model_image`](super::model_image)'s output
/// may be sent.
pub fn encode_prepared(square: &RgbImage) -> Vec<u8> {
    assert_eq!(
        square.dimensions(),
        (MODEL_SIDE, MODEL_SIDE),
        "a prepared image is the model's square"
    );
    let mut png = Vec::with_capacity(128 * 1024);
    PngEncoder::new_with_quality(&mut png, CompressionType::Default, FilterType::Adaptive)
        .write_image(square.as_raw(), MODEL_SIDE, MODEL_SIDE, image::ExtendedColorType::Rgb8)
        .expect("encoding into memory cannot fail");
    png
}

/// Reads a prepared upload, refusing anything that is not exactly the model's input.
pub fn decode_prepared(bytes: &[u8]) -> Result<RgbImage, PreprocessError> {
    let refuse = |reason: String| Err(PreprocessError::NotPrepared(reason));
    if bytes.is_empty() {
        return Err(PreprocessError::Empty);
    }
    if bytes.len() > PREPARED_MAX_BYTES {
        return refuse(format!("{} bytes is more than {PREPARED_MAX_BYTES}", bytes.len()));
    }
    if image::guess_format(bytes).ok() != Some(ImageFormat::Png) {
        return refuse("this is not a PNG".into());
    }
    let decoder = PngDecoder::new(std::io::Cursor::new(bytes))
        .map_err(|err| PreprocessError::Corrupt(err.to_string()))?;
    let (width, height) = decoder.dimensions();
    if (width, height) != (MODEL_SIDE, MODEL_SIDE) {
        return refuse(format!("this one is {width}×{height}"));
    }
    if decoder.color_type() != ColorType::Rgb8 {
        return refuse(format!("this one has {:?} pixels", decoder.color_type()));
    }
    let image = DynamicImage::from_decoder(decoder)
        .map_err(|err| PreprocessError::Corrupt(err.to_string()))?;
    Ok(image.into_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_images::png;
    use image::codecs::png::PngEncoder;
    use image::Rgb;

    fn square() -> RgbImage {
        RgbImage::from_fn(MODEL_SIDE, MODEL_SIDE, |x, y| Rgb([x as u8, y as u8, (x ^ y) as u8]))
    }

    #[test]
    fn a_prepared_image_round_trips_exactly() {
        let square = square();
        let bytes = encode_prepared(&square);
        assert!(bytes.len() <= PREPARED_MAX_BYTES);
        assert_eq!(decode_prepared(&bytes), Ok(square));
    }

    #[test]
    fn anything_but_the_models_square_is_refused() {
        let not_prepared =
            |bytes: &[u8]| matches!(decode_prepared(bytes), Err(PreprocessError::NotPrepared(_)));
        assert!(not_prepared(&png(300, 200)), "another size");
        assert!(not_prepared(&png(MODEL_SIDE, MODEL_SIDE + 1)), "almost square");

        let mut rgba = Vec::new();
        let pixels = vec![200u8; (MODEL_SIDE * MODEL_SIDE * 4) as usize];
        PngEncoder::new(&mut rgba)
            .write_image(&pixels, MODEL_SIDE, MODEL_SIDE, image::ExtendedColorType::Rgba8)
            .unwrap();
        assert!(not_prepared(&rgba), "with alpha");

        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
            .write_image(square().as_raw(), MODEL_SIDE, MODEL_SIDE, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert!(not_prepared(&jpeg), "a JPEG, however sized");
        assert!(not_prepared(&vec![0; PREPARED_MAX_BYTES + 1]), "too long");

        assert_eq!(decode_prepared(b""), Err(PreprocessError::Empty));
        let whole = encode_prepared(&square());
        assert!(matches!(
            decode_prepared(&whole[..whole.len() / 2]),
            Err(PreprocessError::Corrupt(_))
        ));
    }
}
