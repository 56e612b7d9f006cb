//! The crop box's geometry, apart from any browser API so it is tested natively: a square in the
//! photo's pixels (the model sees a square, so the shopper selects exactly what it will see),
//! kept inside the photo and never smaller than a few percent of it.

use crate::preprocess::Region;

/// A corner handle of the box; dragging it resizes the box about the opposite corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

impl Corner {
    pub const ALL: [Corner; 4] =
        [Corner::TopLeft, Corner::TopRight, Corner::BottomLeft, Corner::BottomRight];

    /// +1 where the corner is on the growing side of the axis (right, bottom), −1 otherwise.
    fn signs(self) -> (f64, f64) {
        match self {
            Corner::TopLeft => (-1.0, -1.0),
            Corner::TopRight => (1.0, -1.0),
            Corner::BottomLeft => (-1.0, 1.0),
            Corner::BottomRight => (1.0, 1.0),
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Corner::TopLeft => "handle top-left",
            Corner::TopRight => "handle top-right",
            Corner::BottomLeft => "handle bottom-left",
            Corner::BottomRight => "handle bottom-right",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Corner::TopLeft => "Resize from the top-left corner",
            Corner::TopRight => "Resize from the top-right corner",
            Corner::BottomLeft => "Resize from the bottom-left corner",
            Corner::BottomRight => "Resize from the bottom-right corner",
        }
    }
}

/// The selected square, in pixels of the upright photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    pub x: f64,
    pub y: f64,
    pub side: f64,
    width: f64,
    height: f64,
}

impl Selection {
    /// The largest centred square: what the model sees of the whole photo.
    pub fn centred(width: u32, height: u32) -> Self {
        let (width, height) = (f64::from(width), f64::from(height));
        let side = width.min(height);
        Self { x: (width - side) / 2.0, y: (height - side) / 2.0, side, width, height }
    }

    /// The photo's width in pixels.
    pub fn photo_width(&self) -> f64 {
        self.width
    }

    /// The smallest box: 5 % of the shorter side, and at least 8 pixels.
    fn min_side(&self) -> f64 {
        (self.width.min(self.height) * 0.05).max(8.0).min(self.width.min(self.height))
    }

    /// One keyboard step: 2 % of the shorter side, 10 % with Shift.
    pub fn step(&self, large: bool) -> f64 {
        self.width.min(self.height) * if large { 0.10 } else { 0.02 }
    }

    /// The box moved by (`dx`, `dy`) pixels, stopping at the photo's edges.
    pub fn moved(self, dx: f64, dy: f64) -> Self {
        Self {
            x: (self.x + dx).clamp(0.0, self.width - self.side),
            y: (self.y + dy).clamp(0.0, self.height - self.side),
            ..self
        }
    }

    /// The box with `corner` dragged by (`dx`, `dy`) pixels: the opposite corner stays put and
    /// the box stays square, following the larger of the two movements.
    pub fn resized(self, corner: Corner, dx: f64, dy: f64) -> Self {
        let (sx, sy) = corner.signs();
        let growth = if dx.abs() >= dy.abs() { sx * dx } else { sy * dy };
        // The fixed corner, and the room from it to the photo's edges on the growing sides.
        let anchor_x = if sx > 0.0 { self.x } else { self.x + self.side };
        let anchor_y = if sy > 0.0 { self.y } else { self.y + self.side };
        let room_x = if sx > 0.0 { self.width - anchor_x } else { anchor_x };
        let room_y = if sy > 0.0 { self.height - anchor_y } else { anchor_y };
        let side = (self.side + growth).min(room_x).min(room_y).max(self.min_side());
        Self {
            x: if sx > 0.0 { anchor_x } else { anchor_x - side },
            y: if sy > 0.0 { anchor_y } else { anchor_y - side },
            side,
            ..self
        }
    }

    /// The selection as the fractions preprocessing crops by.
    pub fn region(self) -> Region {
        Region {
            x: (self.x / self.width) as f32,
            y: (self.y / self.height) as f32,
            width: (self.side / self.width) as f32,
            height: (self.side / self.height) as f32,
        }
    }

    /// The box's CSS position over the preview, in percent of the preview. Set property by
    /// property (CSSOM), which the Content-Security-Policy allows, where a `style` attribute
    /// would need `'unsafe-inline'`.
    pub fn css_box(self) -> CssBox {
        let percent = |value: f64| format!("{:.4}%", 100.0 * value);
        CssBox {
            left: percent(self.x / self.width),
            top: percent(self.y / self.height),
            width: percent(self.side / self.width),
            height: percent(self.side / self.height),
        }
    }
}

/// Where the crop box sits: CSS lengths.
#[derive(Debug, Clone, PartialEq)]
pub struct CssBox {
    pub left: String,
    pub top: String,
    pub width: String,
    pub height: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(s: Selection) -> bool {
        s.x >= 0.0
            && s.y >= 0.0
            && s.x + s.side <= s.width + 1e-9
            && s.y + s.side <= s.height + 1e-9
    }

    #[test]
    fn the_default_box_is_the_centre_square_the_model_would_see() {
        let s = Selection::centred(4000, 3000);
        assert_eq!((s.x, s.y, s.side), (500.0, 0.0, 3000.0));
        let r = s.region();
        assert_eq!((r.x, r.y, r.width, r.height), (0.125, 0.0, 0.75, 1.0));
    }

    #[test]
    fn moving_stops_at_the_edges() {
        let s = Selection::centred(200, 100);
        assert_eq!(s.moved(-1000.0, 0.0).x, 0.0);
        assert_eq!(s.moved(1000.0, 0.0).x, 100.0);
        assert_eq!(s.moved(0.0, 50.0).y, 0.0, "a full-height box cannot move down");
        assert!(inside(s.moved(12.5, -3.0)));
    }

    #[test]
    fn resizing_keeps_the_opposite_corner_and_the_square() {
        let s = Selection::centred(200, 100).moved(-1000.0, 0.0); // left half
        let smaller = s.resized(Corner::BottomRight, -40.0, -10.0);
        assert_eq!((smaller.x, smaller.y, smaller.side), (0.0, 0.0, 60.0));
        let from_top_left = smaller.resized(Corner::TopLeft, 20.0, 0.0);
        assert_eq!((from_top_left.x, from_top_left.y, from_top_left.side), (20.0, 20.0, 40.0));
        // Growing is stopped by the photo's edges on the growing side.
        let grown = from_top_left.resized(Corner::BottomRight, 500.0, 0.0);
        assert_eq!((grown.x, grown.y, grown.side), (20.0, 20.0, 80.0));
        assert!(inside(grown));
    }

    #[test]
    fn a_box_never_shrinks_to_nothing() {
        let s = Selection::centred(1000, 800).resized(Corner::TopRight, -5000.0, 0.0);
        assert_eq!(s.side, 40.0); // 5 % of 800
        let tiny = Selection::centred(20, 10).resized(Corner::BottomLeft, 100.0, 0.0);
        assert_eq!(tiny.side, 8.0);
        assert!(inside(tiny));
    }

    #[test]
    fn the_region_is_in_fractions_of_each_side() {
        let s = Selection::centred(400, 200).moved(1000.0, 0.0);
        let r = s.region();
        assert_eq!((r.x, r.y, r.width, r.height), (0.5, 0.0, 0.5, 1.0));
        let css = s.css_box();
        assert_eq!(
            [css.left, css.top, css.width, css.height],
            ["50.0000%", "0.0000%", "50.0000%", "100.0000%"]
        );
    }
}
