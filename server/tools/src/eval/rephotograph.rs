//! Synthetic re-photographs of catalog images, for `vitrine eval robustness`: roughly what a
//! shopper's phone photo of the product would look like. A catalog image is a cut-out product
//! shot on white; a photo frames the product differently, tilts it, lights it in another colour,
//! shows it in front of something that is not white, and arrives as a lossy JPEG.
//!
//! The random choices ([`Shot::random`]) are drawn apart from the pixel work
//! ([`Shot::develop`]), so the geometry can be tested with chosen values and each transform
//! can be switched off on its own.

use std::ops::RangeInclusive;

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Share of each side of the catalog image a crop keeps.
const CROP_KEEP: RangeInclusive<f32> = 0.8..=1.0;
/// Largest tilt either way, degrees.
const MAX_TILT_DEGREES: f32 = 15.0;
/// Per-channel gain: another light's colour (white balance).
const GAIN: RangeInclusive<f32> = 0.85..=1.15;
/// Largest brightness offset either way, added to every channel (exposure).
const MAX_BRIGHTNESS: f32 = 20.0;
/// The photo's shorter side, pixels: above the model's 224, so the upload is scaled down as a
/// real photo would be.
const PHOTO_SHORT_SIDE: u32 = 256;
/// The photo's longer side over its shorter side, at most (phone photos are 4:3).
const MAX_ASPECT: f32 = 4.0 / 3.0;
/// Share of the photo's shorter side covered by the product's longer side.
const PRODUCT_COVER: RangeInclusive<f32> = 0.5..=0.8;
/// Channel values of the background gradient's two colours: light to mid, so the background
/// is neither the catalog's white nor so dark that every product stands out trivially.
const BACKGROUND_CHANNEL: RangeInclusive<f32> = 110.0..=240.0;
/// Amplitude of the background's per-pixel, per-channel uniform noise.
const NOISE: f32 = 6.0;
/// Pixels with every channel above this, connected to the image's border, are the white
/// backdrop of the catalog shot (after `decode_upright` composited transparency over white).
const BACKDROP_MIN: u8 = 245;
/// Quality of the photo's JPEG encoding: a phone app's aggressive compression.
pub const JPEG_QUALITY: u8 = 60;

/// A rectangle, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The random choices of one re-photograph.
#[derive(Debug, Clone, PartialEq)]
pub struct Shot {
    /// The part of the catalog image in frame.
    pub crop: Rect,
    /// Tilt about the crop's centre (clockwise on screen for positive angles).
    pub degrees: f32,
    /// Per-channel gain, then a brightness offset common to the channels.
    pub gains: [f32; 3],
    pub brightness: f32,
    /// The photo's width and height.
    pub photo: (u32, u32),
    /// Where the cropped, tilted product lands on the photo, scaled to this rectangle.
    pub placement: Rect,
    /// The background: a gradient from the first colour to the second along this angle
    /// (radians), plus noise from this seed.
    pub colours: [[f32; 3]; 2],
    pub gradient_radians: f32,
    pub noise_seed: u64,
}

impl Shot {
    /// Random choices for a re-photograph of a `width`×`height` catalog image.
    pub fn random(width: u32, height: u32, rng: &mut impl Rng) -> Self {
        let (x, crop_width) = crop_span(width, rng);
        let (y, crop_height) = crop_span(height, rng);
        let crop = Rect { x, y, width: crop_width, height: crop_height };

        let degrees = rng.random_range(-MAX_TILT_DEGREES..=MAX_TILT_DEGREES);
        let gains = std::array::from_fn(|_| rng.random_range(GAIN));
        let brightness = rng.random_range(-MAX_BRIGHTNESS..=MAX_BRIGHTNESS);

        let long_side = (PHOTO_SHORT_SIDE as f32 * rng.random_range(1.0..=MAX_ASPECT)).round();
        let photo = if rng.random_bool(0.5) {
            (long_side as u32, PHOTO_SHORT_SIDE)
        } else {
            (PHOTO_SHORT_SIDE, long_side as u32)
        };
        let scale = rng.random_range(PRODUCT_COVER) * PHOTO_SHORT_SIDE as f32
            / crop_width.max(crop_height) as f32;
        let scaled = |side: u32| ((side as f32 * scale).round() as u32).max(1);
        let (placed_width, placed_height) = (scaled(crop_width), scaled(crop_height));
        let placement = Rect {
            x: rng.random_range(0..=photo.0 - placed_width),
            y: rng.random_range(0..=photo.1 - placed_height),
            width: placed_width,
            height: placed_height,
        };

        let colours = [(); 2].map(|()| [(); 3].map(|()| rng.random_range(BACKGROUND_CHANNEL)));
        let gradient_radians = rng.random_range(0.0..std::f32::consts::TAU);
        Shot {
            crop,
            degrees,
            gains,
            brightness,
            photo,
            placement,
            colours,
            gradient_radians,
            noise_seed: rng.random(),
        }
    }

    /// The photo of `product` (decoded upright, on white) these choices describe, before JPEG.
    pub fn develop(&self, product: &RgbImage) -> RgbImage {
        let cut = cut_out(product);
        let Rect { x, y, width, height } = self.crop;
        let framed = image::imageops::crop_imm(&cut, x, y, width, height).to_image();
        let mut tilted = rotate(&framed, self.degrees.to_radians());
        shift_colours(&mut tilted, self.gains, self.brightness);
        let placed = resize(&tilted, self.placement.width, self.placement.height);
        let mut photo = self.background();
        paste(&mut photo, &placed, self.placement.x, self.placement.y);
        photo
    }

    /// A backdrop that is not white: a smooth gradient across the photo with mild noise.
    fn background(&self) -> RgbImage {
        let (width, height) = self.photo;
        let (centre_x, centre_y) = (width as f32 / 2.0, height as f32 / 2.0);
        let (sin, cos) = self.gradient_radians.sin_cos();
        // The farthest any pixel lies from the centre along the gradient.
        let reach = ((centre_x * cos).abs() + (centre_y * sin).abs()).max(1.0);
        let [from, to] = self.colours;
        let mut noise = StdRng::seed_from_u64(self.noise_seed);
        RgbImage::from_fn(width, height, |x, y| {
            let along =
                ((x as f32 + 0.5 - centre_x) * cos + (y as f32 + 0.5 - centre_y) * sin) / reach;
            let t = (0.5 + 0.5 * along).clamp(0.0, 1.0);
            Rgb(std::array::from_fn(|c| {
                let smooth = from[c] + t * (to[c] - from[c]);
                to_channel(smooth + noise.random_range(-NOISE..=NOISE))
            }))
        })
    }
}

/// A random crop of one side of `side` pixels: its start and length.
fn crop_span(side: u32, rng: &mut impl Rng) -> (u32, u32) {
    let kept = ((side as f32 * rng.random_range(CROP_KEEP)).round() as u32).clamp(1, side);
    (rng.random_range(0..=side - kept), kept)
}

/// A JPEG re-photograph of `product` (decoded upright, on white) with random choices from `rng`.
pub fn rephotograph(product: &RgbImage, rng: &mut impl Rng) -> anyhow::Result<Vec<u8>> {
    let shot = Shot::random(product.width(), product.height(), rng);
    jpeg(&shot.develop(product), JPEG_QUALITY)
}

pub fn jpeg(image: &RgbImage, quality: u8) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .context("encoding the re-photograph as JPEG")?;
    Ok(bytes)
}

/// The product cut out of its white backdrop: near-white pixels connected to the border become
/// transparent, everything else stays opaque. Whites enclosed by the product (eyes, a label)
/// are not backdrop and stay white.
fn cut_out(image: &RgbImage) -> RgbaImage {
    let (width, height) = image.dimensions();
    let index = |x: u32, y: u32| (y * width + x) as usize;
    let mut backdrop = vec![false; index(0, height)];
    let mut todo: Vec<(u32, u32)> = (0..width)
        .flat_map(|x| [(x, 0), (x, height - 1)])
        .chain((0..height).flat_map(|y| [(0, y), (width - 1, y)]))
        .collect();
    while let Some((x, y)) = todo.pop() {
        if backdrop[index(x, y)] || !image.get_pixel(x, y).0.iter().all(|&c| c > BACKDROP_MIN) {
            continue;
        }
        backdrop[index(x, y)] = true;
        if x > 0 {
            todo.push((x - 1, y));
        }
        if x + 1 < width {
            todo.push((x + 1, y));
        }
        if y > 0 {
            todo.push((x, y - 1));
        }
        if y + 1 < height {
            todo.push((x, y + 1));
        }
    }
    RgbaImage::from_fn(width, height, |x, y| {
        let [r, g, b] = image.get_pixel(x, y).0;
        Rgba([r, g, b, if backdrop[index(x, y)] { 0 } else { 255 }])
    })
}

/// `image` turned by `radians` about its centre, at the same size: the uncovered corners are
/// transparent (the background shows there), and whatever turns out of frame is lost.
fn rotate(image: &RgbaImage, radians: f32) -> RgbaImage {
    let (width, height) = image.dimensions();
    let (centre_x, centre_y) = (width as f32 / 2.0, height as f32 / 2.0);
    let (sin, cos) = radians.sin_cos();
    warp(image, width, height, |x, y| {
        // The inverse turn: where in the source this output point came from.
        let (dx, dy) = (x - centre_x, y - centre_y);
        (centre_x + cos * dx + sin * dy, centre_y - sin * dx + cos * dy)
    })
}

/// `image` stretched to `width`×`height`, bilinear. The catalog's 64-pixel images are always
/// enlarged, so no smoothing against aliasing is needed. Points are clamped inside the source
/// so the edges stay as opaque as the source's.
fn resize(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    let (source_width, source_height) = (image.width() as f32, image.height() as f32);
    let (scale_x, scale_y) = (source_width / width as f32, source_height / height as f32);
    warp(image, width, height, |x, y| {
        (
            (x * scale_x).clamp(0.5, source_width - 0.5),
            (y * scale_y).clamp(0.5, source_height - 0.5),
        )
    })
}

/// Resamples `source` into a `width`×`height` image: the centre of each output pixel maps
/// through `to_source` to a point of `source` (continuous coordinates, pixel centres at +0.5)
/// that is read bilinearly; outside `source` is transparent.
fn warp(
    source: &RgbaImage,
    width: u32,
    height: u32,
    to_source: impl Fn(f32, f32) -> (f32, f32),
) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        let (u, v) = to_source(x as f32 + 0.5, y as f32 + 0.5);
        bilinear(source, u - 0.5, v - 0.5)
    })
}

/// The colour at (`x`, `y`) in pixel-index coordinates, interpolated between the four nearest
/// pixels with colours weighted by alpha, so the transparent backdrop's white never bleeds into
/// the product's edge.
fn bilinear(source: &RgbaImage, x: f32, y: f32) -> Rgba<u8> {
    let (left, top) = (x.floor(), y.floor());
    let (fx, fy) = (x - left, y - top);
    let neighbours = [
        (0, 0, (1.0 - fx) * (1.0 - fy)),
        (1, 0, fx * (1.0 - fy)),
        (0, 1, (1.0 - fx) * fy),
        (1, 1, fx * fy),
    ];
    // Alpha-weighted red, green and blue, then alpha.
    let mut sum = [0.0f32; 4];
    for (dx, dy, weight) in neighbours {
        let (sx, sy) = (left as i64 + dx, top as i64 + dy);
        let inside = (0..i64::from(source.width())).contains(&sx)
            && (0..i64::from(source.height())).contains(&sy);
        if weight <= 0.0 || !inside {
            continue;
        }
        let pixel = source.get_pixel(sx as u32, sy as u32).0;
        let alpha = weight * f32::from(pixel[3]) / 255.0;
        for (total, &channel) in sum.iter_mut().zip(&pixel[..3]) {
            *total += alpha * f32::from(channel);
        }
        sum[3] += alpha;
    }
    if sum[3] <= 0.0 {
        return Rgba([0; 4]);
    }
    let [r, g, b, alpha] = sum;
    Rgba([
        to_channel(r / alpha),
        to_channel(g / alpha),
        to_channel(b / alpha),
        to_channel(alpha * 255.0),
    ])
}

/// Another light's colour and exposure: each channel times its gain, plus a common offset.
fn shift_colours(image: &mut RgbaImage, gains: [f32; 3], brightness: f32) {
    for pixel in image.pixels_mut() {
        for (channel, gain) in pixel.0[..3].iter_mut().zip(gains) {
            *channel = to_channel(f32::from(*channel) * gain + brightness);
        }
    }
}

/// Lays `layer` over `photo` with its top-left corner at (`x`, `y`), blending by alpha; what
/// falls outside the photo is dropped.
fn paste(photo: &mut RgbImage, layer: &RgbaImage, x: u32, y: u32) {
    for (layer_x, layer_y, pixel) in layer.enumerate_pixels() {
        let (px, py) = (x + layer_x, y + layer_y);
        if px >= photo.width() || py >= photo.height() {
            continue;
        }
        let alpha = f32::from(pixel[3]) / 255.0;
        let under = photo.get_pixel_mut(px, py);
        for (below, &above) in under.0.iter_mut().zip(&pixel.0[..3]) {
            *below = to_channel(alpha * f32::from(above) + (1.0 - alpha) * f32::from(*below));
        }
    }
}

fn to_channel(value: f32) -> u8 {
    value.round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: Rgb<u8> = Rgb([200, 30, 40]);
    const WHITE: Rgb<u8> = Rgb([255, 255, 255]);

    /// A red disc on white, like a catalog shot of a round product.
    fn product(side: u32) -> RgbImage {
        let centre = side as f32 / 2.0;
        RgbImage::from_fn(side, side, |x, y| {
            let (dx, dy) = (x as f32 + 0.5 - centre, y as f32 + 0.5 - centre);
            if dx.hypot(dy) < side as f32 * 0.4 {
                RED
            } else {
                WHITE
            }
        })
    }

    fn numbered(width: u32, height: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, y| Rgba([(10 * x) as u8, (10 * y) as u8, 7, 255]))
    }

    #[test]
    fn random_shots_stay_in_their_ranges() {
        for seed in 0..300 {
            let shot = Shot::random(64, 48, &mut StdRng::seed_from_u64(seed));
            let Rect { x, y, width, height } = shot.crop;
            assert!(x + width <= 64 && y + height <= 48, "{shot:?}");
            assert!(width >= 51 && height >= 38, "keeps 80 % of each side: {shot:?}");
            assert!(shot.degrees.abs() <= MAX_TILT_DEGREES);
            assert!(shot.gains.iter().all(|g| GAIN.contains(g)) && shot.brightness.abs() <= 20.0);

            let (photo_width, photo_height) = shot.photo;
            assert_eq!(photo_width.min(photo_height), PHOTO_SHORT_SIDE);
            assert!(photo_width.max(photo_height) <= 342);
            let placed = shot.placement;
            assert!(placed.x + placed.width <= photo_width, "{shot:?}");
            assert!(placed.y + placed.height <= photo_height, "{shot:?}");
            let cover = placed.width.max(placed.height) as f32 / PHOTO_SHORT_SIDE as f32;
            assert!((0.495..=0.805).contains(&cover), "{cover} {shot:?}");
            let colours = shot.colours.iter().flatten();
            assert!(colours.clone().all(|c| BACKGROUND_CHANNEL.contains(c)));
        }
    }

    #[test]
    fn the_same_seed_takes_the_same_photo() {
        let product = product(64);
        let photo = |seed| rephotograph(&product, &mut StdRng::seed_from_u64(seed)).unwrap();
        assert_eq!(photo(7), photo(7));
        assert_ne!(photo(7), photo(8));
        let decoded = image::load_from_memory(&photo(7)).unwrap();
        assert_eq!(decoded.width().min(decoded.height()), PHOTO_SHORT_SIDE);
    }

    #[test]
    fn the_backdrop_is_cut_out_but_enclosed_white_stays() {
        // A red ring around a white centre, on white.
        let image = RgbImage::from_fn(5, 5, |x, y| {
            let ring = (1..=3).contains(&x) && (1..=3).contains(&y) && (x, y) != (2, 2);
            if ring {
                RED
            } else {
                WHITE
            }
        });
        let cut = cut_out(&image);
        assert_eq!(cut.get_pixel(0, 0)[3], 0);
        assert_eq!(cut.get_pixel(4, 2)[3], 0);
        assert_eq!(cut.get_pixel(1, 1).0, [200, 30, 40, 255]);
        assert_eq!(cut.get_pixel(2, 2).0, [255, 255, 255, 255]);
    }

    #[test]
    fn no_tilt_changes_nothing_and_a_quarter_turn_moves_pixels() {
        let image = numbered(3, 3);
        assert_eq!(rotate(&image, 0.0), image);
        let turned = rotate(&image, std::f32::consts::FRAC_PI_2);
        for (x, y, pixel) in turned.enumerate_pixels() {
            assert_eq!(pixel, image.get_pixel(y, 2 - x), "at ({x}, {y})");
        }
    }

    #[test]
    fn tilting_uncovers_transparent_corners() {
        let turned = rotate(&numbered(20, 20), 15f32.to_radians());
        assert_eq!(turned.get_pixel(0, 0)[3], 0);
        assert_eq!(turned.get_pixel(19, 19)[3], 0);
        assert_eq!(turned.get_pixel(10, 10)[3], 255);
    }

    #[test]
    fn enlarging_keeps_corners_and_opacity() {
        let image = numbered(2, 3);
        let large = resize(&image, 8, 12);
        assert_eq!(large.dimensions(), (8, 12));
        assert_eq!(large.get_pixel(0, 0), image.get_pixel(0, 0));
        assert_eq!(large.get_pixel(7, 11), image.get_pixel(1, 2));
        assert!(large.pixels().all(|p| p[3] == 255));
    }

    #[test]
    fn transparent_neighbours_do_not_tint_edges() {
        // Opaque red next to transparent white: halfway between is half as opaque, still red.
        let mut image = RgbaImage::from_pixel(2, 1, Rgba([255, 255, 255, 0]));
        image.put_pixel(0, 0, Rgba([200, 30, 40, 255]));
        assert_eq!(bilinear(&image, 0.5, 0.0).0, [200, 30, 40, 128]);
    }

    #[test]
    fn colours_shift_and_clamp() {
        let mut image = RgbaImage::from_pixel(1, 1, Rgba([100, 200, 250, 255]));
        shift_colours(&mut image, [1.1, 0.9, 1.15], -10.0);
        assert_eq!(image.get_pixel(0, 0).0, [100, 170, 255, 255]);
    }

    #[test]
    fn pasting_blends_by_alpha_and_clips() {
        let mut photo = RgbImage::from_pixel(3, 3, Rgb([100, 100, 100]));
        let layer =
            RgbaImage::from_fn(2, 2, |x, _| Rgba([200, 0, 50, if x == 0 { 255 } else { 128 }]));
        paste(&mut photo, &layer, 2, 1);
        assert_eq!(photo.get_pixel(2, 1).0, [200, 0, 50]);
        assert_eq!(photo.get_pixel(2, 2).0, [200, 0, 50]);
        assert_eq!(photo.get_pixel(1, 1).0, [100, 100, 100]);
    }

    #[test]
    fn the_product_lands_on_a_background_that_is_not_white() {
        let mut shot = Shot::random(64, 64, &mut StdRng::seed_from_u64(3));
        shot.crop = Rect { x: 0, y: 0, width: 64, height: 64 };
        shot.degrees = 0.0;
        shot.gains = [1.0; 3];
        shot.brightness = 0.0;
        shot.colours = [[120.0, 160.0, 200.0]; 2];
        let photo = shot.develop(&product(64));
        let placed = shot.placement;
        let centre = photo.get_pixel(placed.x + placed.width / 2, placed.y + placed.height / 2);
        assert_eq!(*centre, RED);
        // The product's white surround became background: a corner of the placement (outside
        // the disc) has the background's colour, give or take the noise.
        let corner = photo.get_pixel(placed.x + 1, placed.y + 1).0;
        for (value, expected) in corner.iter().zip([120.0, 160.0, 200.0]) {
            assert!((f32::from(*value) - expected).abs() <= NOISE + 0.5, "{corner:?}");
        }
    }
}
