//! Writes the seed inputs the fuzzers start from (`seeds/upload`, `seeds/query`, committed): one
//! small example of each form the server accepts, so the fuzzer begins inside every branch. Run
//! by `scripts/fuzz.sh seeds`; the corpus runs grow from them (`corpus/`) is committed beside.

use std::path::Path;

use app::preprocess::test_images::{jpeg_with_orientation, png, png_claiming};
use app::preprocess::{encode_prepared, MODEL_SIDE};
use image::codecs::webp::WebPEncoder;
use image::{ImageEncoder, RgbImage, Rgba, RgbaImage};
use vitrine_fuzz::upload::BOUNDARY;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let square =
        RgbImage::from_fn(MODEL_SIDE, MODEL_SIDE, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let uploads: [(&str, Vec<Part>); 8] = [
        ("png", vec![file("image", "photo.png", png(12, 8))]),
        ("jpeg-rotated", vec![file("image", "photo.jpg", jpeg_with_orientation(16, 8, 6))]),
        ("webp-alpha", vec![file("image", "photo.webp", webp_with_alpha(8, 8))]),
        ("claims-too-many-pixels", vec![file("image", "bomb.png", png_claiming(4000, 4000))]),
        ("prepared", vec![file("prepared", "blob", encode_prepared(&square))]),
        (
            "region-and-fields",
            vec![
                file("image", "photo.png", png(10, 10)),
                text("region", "0.25,0.25,0.5,0.5"),
                text("category", "kitchen"),
                text("limit", "12"),
            ],
        ),
        (
            "empty-camera-then-photo",
            vec![file("camera", "", Vec::new()), file("image", "p.png", png(4, 4))],
        ),
        ("two-photos", vec![file("image", "a.png", png(2, 2)), file("prepared", "b", png(2, 2))]),
    ];
    std::fs::create_dir_all(root.join("upload"))?;
    std::fs::create_dir_all(root.join("query"))?;
    for (name, parts) in uploads {
        std::fs::write(root.join("upload").join(format!("seed-{name}")), form(&parts))?;
    }
    let queries = [
        ("next", "next=%2Faccount%2Forders%3Fpage%3D2%23top"),
        ("next-tab", "next=%2F%09%2Fevil.example%2F"),
        ("next-backslash", "next=%2F%5Cevil.example"),
        ("next-crlf", "next=%2Faccount%0D%0ASet-Cookie%3A+x%3D1"),
        ("region", "region=0.1%2C0.2%2C0.5%2C0.5&category=kitchen&limit=12"),
        ("region-edge", "region=0,0,1.0001,1&next=/"),
    ];
    for (name, query) in queries {
        std::fs::write(root.join("query").join(format!("seed-{name}")), query)?;
    }
    Ok(())
}

struct Part {
    name: &'static str,
    file_name: Option<&'static str>,
    bytes: Vec<u8>,
}

fn file(name: &'static str, file_name: &'static str, bytes: Vec<u8>) -> Part {
    Part { name, file_name: Some(file_name), bytes }
}

fn text(name: &'static str, value: &str) -> Part {
    Part { name, file_name: None, bytes: value.as_bytes().to_vec() }
}

/// A `multipart/form-data` body as a browser sends it.
fn form(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match part.file_name {
            Some(file_name) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n",
                part.name
            ),
            None => format!("Content-Disposition: form-data; name=\"{}\"\r\n", part.name),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn webp_with_alpha(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, y| {
        Rgba([200, x as u8 * 20, y as u8 * 20, (x * 30) as u8])
    });
    let mut bytes = Vec::new();
    WebPEncoder::new_lossless(&mut bytes)
        .write_image(image.as_raw(), width, height, image::ExtendedColorType::Rgba8)
        .expect("encoding a WebP");
    bytes
}
