//! From a file's bytes to upright RGB pixels, refusing what is over the limits before decoding.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use super::{Limits, PreprocessError};

/// Decodes `bytes` into upright RGB pixels, refusing anything over `limits` before decoding.
pub fn decode_upright(bytes: &[u8], limits: &Limits) -> Result<RgbImage, PreprocessError> {
    if bytes.is_empty() {
        return Err(PreprocessError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(PreprocessError::TooManyBytes { bytes: bytes.len(), max: limits.max_bytes });
    }
    let format = match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => format,
        _ => return Err(PreprocessError::UnsupportedFormat),
    };

    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    // RGBA8 of the largest accepted image, plus the decoder's own buffers.
    decoder_limits.max_alloc = Some(limits.max_pixels * 4 + 64 * 1024 * 1024);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(|err| refusal(err, bytes, format, limits))?;

    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PreprocessError::TooManyPixels {
            width,
            height,
            max_side: limits.max_side,
            max_pixels: limits.max_pixels,
        });
    }
    let orientation =
        decoder.orientation().map_err(|err| PreprocessError::Corrupt(err.to_string()))?;
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|err| PreprocessError::Corrupt(err.to_string()))?;
    image.apply_orientation(orientation);
    Ok(flatten_on_white(image))
}

/// RGB pixels with any transparency composited over white, the page's background: a cut-out
/// product shot then looks to the model as it looks to the shopper (dropping the alpha channel
/// would put it on whatever colour the transparent pixels happen to hold, often black).
fn flatten_on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        // Already RGB8 for JPEG and most photos: no copy.
        return image.into_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

/// Maps the decoder's refusal to our error: over the size limits, or not decodable at all.
fn refusal(
    err: image::ImageError,
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> PreprocessError {
    if let image::ImageError::Limits(_) = err {
        if let Ok((width, height)) =
            ImageReader::with_format(std::io::Cursor::new(bytes), format).into_dimensions()
        {
            return PreprocessError::TooManyPixels {
                width,
                height,
                max_side: limits.max_side,
                max_pixels: limits.max_pixels,
            };
        }
    }
    PreprocessError::Corrupt(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_images::{jpeg_with_orientation, png, png_claiming};
    use image::codecs::png::PngEncoder;
    use image::ImageEncoder;

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let bomb = png_claiming(14_000, 14_000);
        assert!(bomb.len() < 1024);
        let err = decode_upright(&bomb, &Limits::default()).unwrap_err();
        assert!(
            matches!(err, PreprocessError::TooManyPixels { width: 14_000, height: 14_000, .. }),
            "{err:?}"
        );
        // Within the side limit but over the pixel budget.
        let wide = png_claiming(11_000, 11_000);
        assert!(matches!(
            decode_upright(&wide, &Limits::default()),
            Err(PreprocessError::TooManyPixels { width: 11_000, .. })
        ));
    }

    #[test]
    fn bad_files_get_their_own_errors() {
        let limits = Limits::default();
        assert_eq!(decode_upright(b"", &limits), Err(PreprocessError::Empty));
        assert_eq!(
            decode_upright(b"hello, I am text", &limits),
            Err(PreprocessError::UnsupportedFormat)
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(decode_upright(gif, &limits), Err(PreprocessError::UnsupportedFormat));
        let whole = png(64, 64);
        assert!(matches!(
            decode_upright(&whole[..whole.len() / 2], &limits),
            Err(PreprocessError::Corrupt(_))
        ));
        let small = Limits { max_bytes: 100, ..limits };
        assert!(matches!(
            decode_upright(&whole, &small),
            Err(PreprocessError::TooManyBytes { .. })
        ));
    }

    #[test]
    fn transparency_is_composited_over_white() {
        let image = image::RgbaImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                image::Rgba([0, 0, 0, 0])
            } else {
                image::Rgba([200, 0, 0, 255])
            }
        });
        let mut bytes = Vec::new();
        PngEncoder::new(&mut bytes)
            .write_image(image.as_raw(), 2, 1, image::ExtendedColorType::Rgba8)
            .unwrap();
        let upright = decode_upright(&bytes, &Limits::default()).unwrap();
        assert_eq!(upright.get_pixel(0, 0).0, [255, 255, 255], "transparent becomes white");
        assert_eq!(upright.get_pixel(1, 0).0, [200, 0, 0], "opaque stays as it is");
    }

    #[test]
    fn exif_orientation_is_applied() {
        // Orientation 6: the camera was turned; the image must be rotated 90° clockwise.
        let bytes = jpeg_with_orientation(40, 20, 6);
        let upright = decode_upright(&bytes, &Limits::default()).unwrap();
        assert_eq!(upright.dimensions(), (20, 40));
        // The left half (red) is now on top.
        assert!(upright.get_pixel(10, 5)[0] > 200 && upright.get_pixel(10, 35)[2] > 200);
        let plain = decode_upright(&jpeg_with_orientation(40, 20, 1), &Limits::default()).unwrap();
        assert_eq!(plain.dimensions(), (40, 20));
    }
}
