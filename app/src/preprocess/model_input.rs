//! From upright pixels to the model's input: the selected region, resized and centre-cropped to
//! the model's square, then normalised.

use image::imageops::FilterType;
use image::RgbImage;

use super::{crop_region, decode_upright, Limits, PreprocessError, Region};

/// The model's input side (EfficientNet-Lite0 takes 224×224 RGB).
pub const MODEL_SIDE: u32 = 224;

/// The resampling filter for every resize: the same in browser and server.
pub const RESIZE_FILTER: FilterType = FilterType::CatmullRom;

/// The square the model sees: the region (or the whole photo), its shorter side resized to
/// [`MODEL_SIDE`] and its centre cut out.
pub fn model_image(upright: &RgbImage, region: Option<Region>) -> RgbImage {
    match region {
        Some(region) => resize_and_centre_crop(&crop_region(upright, region), MODEL_SIDE),
        None => resize_and_centre_crop(upright, MODEL_SIDE),
    }
}

/// Resizes the shorter side to `side` (keeping the aspect ratio), then crops the centre square.
///
/// A photo more than twice as large as needed is first shrunk by a whole factor with a box filter
/// (see [`box_reduce`]): a 12-megapixel photo then costs the filtered resize a few hundred
/// thousand pixels instead of twelve million, which matters most in the browser.
pub fn resize_and_centre_crop(image: &RgbImage, side: u32) -> RgbImage {
    let factor = image.width().min(image.height()) / (2 * side);
    let reduced;
    let image = if factor >= 2 {
        reduced = box_reduce(image, factor);
        &reduced
    } else {
        image
    };
    let (w, h) = image.dimensions();
    let scale = side as f64 / w.min(h) as f64;
    let new_w = ((w as f64 * scale).round() as u32).max(side);
    let new_h = ((h as f64 * scale).round() as u32).max(side);
    let resized = resize(image.clone(), new_w, new_h, RESIZE_FILTER);
    let x = (new_w - side) / 2;
    let y = (new_h - side) / 2;
    image::imageops::crop_imm(&resized, x, y, side, side).to_image()
}

/// `image` resized to `width`×`height` with `filter`: `imageops::resize` for RGB8, called through
/// `DynamicImage` so that it is compiled inside the `image` crate, which is optimised even in
/// debug builds (a generic call from here would be compiled unoptimised with this crate, and take
/// seconds in a debug WASM build). Same function, same pixels.
pub(super) fn resize(image: RgbImage, width: u32, height: u32, filter: FilterType) -> RgbImage {
    image::DynamicImage::ImageRgb8(image).resize_exact(width, height, filter).into_rgb8()
}

/// Shrinks the image by a whole `factor`: each output pixel is the rounded mean of a
/// `factor`×`factor` block. The pixels left over at the edges (fewer than `factor`) are dropped
/// evenly from both sides, so the picture stays centred. Integer arithmetic only, so the browser
/// and the server get identical pixels.
fn box_reduce(image: &RgbImage, factor: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let (out_w, out_h) = (w / factor, h / factor);
    let (x0, y0) = ((w % factor) / 2, (h % factor) / 2);
    let area = factor * factor;
    let row_len = w as usize * 3;
    let raw = image.as_raw();
    let mut out = Vec::with_capacity(out_w as usize * out_h as usize * 3);
    let mut sums = vec![0u32; out_w as usize * 3];
    for oy in 0..out_h {
        sums.fill(0);
        for ky in 0..factor {
            let row_start = (y0 + oy * factor + ky) as usize * row_len + x0 as usize * 3;
            let row = &raw[row_start..row_start + (out_w * factor) as usize * 3];
            for (block, sum) in row.chunks_exact(factor as usize * 3).zip(sums.chunks_exact_mut(3))
            {
                for pixel in block.chunks_exact(3) {
                    sum[0] += u32::from(pixel[0]);
                    sum[1] += u32::from(pixel[1]);
                    sum[2] += u32::from(pixel[2]);
                }
            }
        }
        out.extend(sums.iter().map(|&sum| ((sum + area / 2) / area) as u8));
    }
    RgbImage::from_raw(out_w, out_h, out).expect("the buffer has out_w × out_h pixels")
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
    Ok(to_model_input(&model_image(&upright, region)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::test_images::png;
    use image::Rgb;

    #[test]
    fn any_photo_becomes_the_models_square() {
        for (w, h) in [(640, 480), (480, 640), (224, 224), (100, 50), (3000, 2000)] {
            let image = RgbImage::from_pixel(w, h, Rgb([10, 20, 30]));
            let square = resize_and_centre_crop(&image, MODEL_SIDE);
            assert_eq!(square.dimensions(), (MODEL_SIDE, MODEL_SIDE), "{w}×{h}");
        }
    }

    #[test]
    fn a_large_photo_is_box_reduced_first_and_stays_centred() {
        // 11×4 reduced 3×: 2 columns are left over (one each side) and 1 row (at the bottom).
        let image = RgbImage::from_fn(11, 4, |x, y| Rgb([(x * 10) as u8, (y * 10) as u8, 255]));
        let reduced = box_reduce(&image, 3);
        assert_eq!(reduced.dimensions(), (3, 1));
        // Blocks: columns 1..4, 4..7 and 7..10 of rows 0..3.
        assert_eq!(reduced.get_pixel(0, 0).0, [20, 10, 255]);
        assert_eq!(reduced.get_pixel(1, 0).0, [50, 10, 255]);
        assert_eq!(reduced.get_pixel(2, 0).0, [80, 10, 255]);
        // Above twice the model's side, the result is still the model's square.
        let photo = RgbImage::from_pixel(4032, 3024, Rgb([40, 80, 120]));
        let square = resize_and_centre_crop(&photo, MODEL_SIDE);
        assert_eq!(square.dimensions(), (MODEL_SIDE, MODEL_SIDE));
        assert!(square.pixels().all(|p| p.0 == [40, 80, 120]), "a flat photo stays flat");
    }

    #[test]
    fn the_model_sees_the_selected_region() {
        let image =
            RgbImage::from_fn(
                200,
                100,
                |x, _| if x < 100 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) },
            );
        let left = Region { x: 0.0, y: 0.0, width: 0.5, height: 1.0 };
        let square = model_image(&image, Some(left));
        assert_eq!(square.dimensions(), (MODEL_SIDE, MODEL_SIDE));
        assert!(square.pixels().all(|p| p[0] == 255 && p[2] == 0), "only the red half");
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
