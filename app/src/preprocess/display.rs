//! The stored display image of a product: the upright photo, its longest side at most
//! [`DISPLAY_MAX_SIDE`], re-encoded as JPEG. The admin page's WASM makes it before uploading, so a
//! phone's 12-megapixel original never travels; the server makes the same from an original sent
//! without JavaScript, and checks what it is sent against [`display_limits`] either way.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageEncoder, RgbImage};

use super::model_input::resize;
use super::Limits;

/// The longest side of a stored product image: sharp on a product page, small to serve.
pub const DISPLAY_MAX_SIDE: u32 = 1024;
const DISPLAY_JPEG_QUALITY: u8 = 85;

/// What a display image sent by a client may be.
pub fn display_limits() -> Limits {
    Limits {
        max_bytes: 4 * 1024 * 1024,
        max_side: DISPLAY_MAX_SIDE,
        max_pixels: u64::from(DISPLAY_MAX_SIDE) * u64::from(DISPLAY_MAX_SIDE),
    }
}

/// The display image of an original photo (any size the upload limits allow), as JPEG bytes:
/// what the server stores for a photo sent without JavaScript or named by an import.
pub fn display_from_photo(bytes: &[u8]) -> Result<Vec<u8>, super::PreprocessError> {
    super::decode_upright(bytes, &Limits::default()).map(|upright| display_image(upright).0)
}

/// The display image of an upright photo, as JPEG bytes with its width and height.
pub fn display_image(upright: RgbImage) -> (Vec<u8>, u32, u32) {
    let (width, height) = upright.dimensions();
    let scale = (f64::from(DISPLAY_MAX_SIDE) / f64::from(width.max(height))).min(1.0);
    let image = if scale < 1.0 {
        let w = ((f64::from(width) * scale).round() as u32).max(1);
        let h = ((f64::from(height) * scale).round() as u32).max(1);
        resize(upright, w, h, FilterType::Triangle)
    } else {
        upright
    };
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, DISPLAY_JPEG_QUALITY)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .expect("encoding into memory cannot fail");
    (jpeg, image.width(), image.height())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::decode_upright;

    #[test]
    fn large_photos_shrink_to_the_display_size_and_small_ones_keep_theirs() {
        let photo = RgbImage::from_pixel(4032, 3024, image::Rgb([90, 120, 150]));
        let (jpeg, w, h) = display_image(photo);
        assert_eq!((w, h), (1024, 768));
        let decoded = decode_upright(&jpeg, &display_limits()).unwrap();
        assert_eq!(decoded.dimensions(), (1024, 768), "within the limits the server checks");

        let small = RgbImage::from_pixel(300, 200, image::Rgb([1, 2, 3]));
        assert_eq!(display_image(small).1, 300);
    }

    #[test]
    fn the_server_refuses_a_display_image_over_the_size() {
        let (jpeg, ..) = display_image(RgbImage::new(1024, 1024));
        assert!(decode_upright(&jpeg, &display_limits()).is_ok());
        let mut big = Vec::new();
        JpegEncoder::new(&mut big)
            .write_image(&vec![0; 1100 * 10 * 3], 1100, 10, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert!(decode_upright(&big, &display_limits()).is_err());
    }
}
