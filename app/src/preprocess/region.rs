//! The part of a photo the shopper selected, and cutting it out.

use image::RgbImage;

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

impl std::fmt::Display for Region {
    /// The form that [`Region::from_str`] reads; each number is written in full, so the text
    /// parses back to exactly the same region.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.width, self.height)
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

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
    fn a_region_written_out_reads_back_exactly() {
        let region = Region { x: 1.0 / 3.0, y: 0.1, width: 0.123_456_79, height: 2.0 / 3.0 };
        assert_eq!(region.to_string().parse::<Region>(), Ok(region));
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
}
