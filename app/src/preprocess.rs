//! Image preprocessing shared by the server and the browser (one module, compiled for both
//! targets, so both produce the same model input from the same file): decode under limits,
//! honour the EXIF orientation, optionally crop a region, resize the shorter side and
//! centre-crop to the model's square input, then normalise.
//!
//! Limits are checked from the file's header, before any pixel is decoded, so a decompression
//! bomb (a 14000×14000 PNG of a few hundred KB) costs a few bytes of reading, not gigabytes.

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

/// The model's input side (EfficientNet-Lite0 takes 224×224 RGB).
pub const MODEL_SIDE: u32 = 224;

/// The resampling filter for every resize: the same in browser and server.
pub const RESIZE_FILTER: FilterType = FilterType::CatmullRom;

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
}

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
        return image.to_rgb8();
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

/// A rectangle of an image, in fractions of its width and height (so the browser can send the
/// shopper's selection independently of the preview's size).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl std::str::FromStr for Region {
    type Err = ();

    /// `"x,y,width,height"` in fractions, as the search form sends it; the region must be
    /// non-empty and inside the image.
    fn from_str(text: &str) -> Result<Self, ()> {
        let parts: Vec<f32> = text
            .split(',')
            .map(|part| part.trim().parse::<f32>().map_err(drop))
            .collect::<Result<_, _>>()?;
        let [x, y, width, height] = parts[..] else { return Err(()) };
        // A little slack for the browser's rounding at the right and bottom edges.
        let inside = |start: f32, length: f32| {
            start.is_finite()
                && length.is_finite()
                && start >= 0.0
                && length > 0.0
                && start + length <= 1.0 + 1e-4
        };
        if inside(x, width) && inside(y, height) {
            Ok(Region { x, y, width, height })
        } else {
            Err(())
        }
    }
}

/// Cuts `region` out of the image (clamped to it; at least one pixel).
pub fn crop_region(image: &RgbImage, region: Region) -> RgbImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let clamp = |v: f32| v.clamp(0.0, 1.0);
    let x = (clamp(region.x) * w).floor() as u32;
    let y = (clamp(region.y) * h).floor() as u32;
    let right = (clamp(region.x + region.width) * w).ceil() as u32;
    let bottom = (clamp(region.y + region.height) * h).ceil() as u32;
    let x = x.min(image.width() - 1);
    let y = y.min(image.height() - 1);
    let width = right.saturating_sub(x).max(1);
    let height = bottom.saturating_sub(y).max(1);
    image::imageops::crop_imm(image, x, y, width, height).to_image()
}

/// Resizes the shorter side to `side` (keeping the aspect ratio), then crops the centre square.
pub fn resize_and_centre_crop(image: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let scale = side as f64 / w.min(h) as f64;
    let new_w = ((w as f64 * scale).round() as u32).max(side);
    let new_h = ((h as f64 * scale).round() as u32).max(side);
    let resized = image::imageops::resize(image, new_w, new_h, RESIZE_FILTER);
    let x = (new_w - side) / 2;
    let y = (new_h - side) / 2;
    image::imageops::crop_imm(&resized, x, y, side, side).to_image()
}

/// The model's input tensor: channels first (3 × side × side), each value `(x − 127) / 128`, the
/// scaling the EfficientNet-Lite weights were trained with.
pub fn to_model_input(image: &RgbImage) -> Vec<f32> {
    let (w, h) = image.dimensions();
    let plane = (w * h) as usize;
    let mut tensor = vec![0.0; 3 * plane];
    for (i, pixel) in image.pixels().enumerate() {
        for c in 0..3 {
            tensor[c * plane + i] = (f32::from(pixel[c]) - 127.0) / 128.0;
        }
    }
    tensor
}

/// The whole path from an uploaded file to the model's input.
pub fn model_input_from_file(
    bytes: &[u8],
    region: Option<Region>,
    limits: &Limits,
) -> Result<Vec<f32>, PreprocessError> {
    let upright = decode_upright(bytes, limits)?;
    let selected = match region {
        Some(region) => crop_region(&upright, region),
        None => upright,
    };
    Ok(to_model_input(&resize_and_centre_crop(&selected, MODEL_SIDE)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::codecs::png::PngEncoder;
    use image::{ImageEncoder, Rgb};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image =
            RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 7]));
        let mut bytes = Vec::new();
        PngEncoder::new(&mut bytes)
            .write_image(image.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .unwrap();
        bytes
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A small PNG whose header claims `width`×`height`: what a decompression bomb looks like
    /// to anything that reads only the header.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = png(8, 8);
        // IHDR data starts after the 8-byte signature, 4-byte length and 4-byte type.
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        bytes
    }

    /// A JPEG with an EXIF APP1 segment carrying `orientation`.
    fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 95)
            .write_image(image.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .unwrap();
        // TIFF header (big-endian), one IFD entry: tag 0x0112 (Orientation), SHORT, count 1.
        let mut tiff =
            b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01".to_vec();
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut app1 = b"Exif\x00\x00".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec(); // SOI
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

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
    fn regions_parse_from_fractions_and_must_lie_inside() {
        let region: Region = "0.25, 0.5, 0.5, 0.5".parse().unwrap();
        assert_eq!(region, Region { x: 0.25, y: 0.5, width: 0.5, height: 0.5 });
        for bad in
            ["", "0,0,1", "0,0,0,1", "-0.1,0,0.5,0.5", "0.6,0,0.5,0.5", "a,b,c,d", "0,0,NaN,1"]
        {
            assert!(bad.parse::<Region>().is_err(), "{bad:?} is refused");
        }
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

    #[test]
    fn any_photo_becomes_the_models_square() {
        for (w, h) in [(640, 480), (480, 640), (224, 224), (100, 50), (3000, 2000)] {
            let image = RgbImage::from_pixel(w, h, Rgb([10, 20, 30]));
            let square = resize_and_centre_crop(&image, MODEL_SIDE);
            assert_eq!(square.dimensions(), (MODEL_SIDE, MODEL_SIDE), "{w}×{h}");
        }
    }

    #[test]
    fn regions_are_cropped_by_fraction_and_clamped() {
        let image =
            RgbImage::from_fn(
                100,
                50,
                |x, _| if x < 50 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) },
            );
        let right = crop_region(&image, Region { x: 0.5, y: 0.0, width: 0.5, height: 1.0 });
        assert_eq!(right.dimensions(), (50, 50));
        assert!(right.pixels().all(|p| p[2] == 255));
        let outside = crop_region(&image, Region { x: 1.5, y: -1.0, width: 2.0, height: 9.0 });
        assert!(outside.width() >= 1 && outside.height() >= 1);
    }

    #[test]
    fn model_input_is_channels_first_and_scaled() {
        let image =
            RgbImage::from_fn(
                2,
                1,
                |x, _| if x == 0 { Rgb([255, 127, 0]) } else { Rgb([0, 0, 0]) },
            );
        let tensor = to_model_input(&image);
        assert_eq!(tensor.len(), 6);
        assert_eq!(tensor[0], 1.0); // R of pixel 0
        assert_eq!(tensor[2], 0.0); // G of pixel 0
        assert_eq!(tensor[4], -127.0 / 128.0); // B of pixel 0
        let full = model_input_from_file(&png(300, 200), None, &Limits::default()).unwrap();
        assert_eq!(full.len(), 3 * 224 * 224);
        assert!(full.iter().all(|v| (-1.0..=1.0).contains(v)));
    }
}
