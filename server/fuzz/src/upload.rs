//! The photo upload path as the server runs it, minus the model: the `multipart/form-data` body
//! is read by the server's own reader (`photo_upload::read`, through axum's `Multipart`), and the
//! photo it yields goes through the same preprocessing as `ImageEmbedder::embed_file` /
//! `embed_prepared`: format sniffing, the header limits, decoding, orientation, the region crop
//! and the model's input.
//!
//! A run fails on a panic, on a model input of the wrong shape or with non-finite values, and on
//! a peak heap beyond what the limits promise.

use app::preprocess::{decode_prepared, model_input_from_file, to_model_input, Limits, MODEL_SIDE};
use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{header, Request};

use crate::heap::peak_during;
use crate::photo_upload::{self, UploadedImage};

/// The form boundary the corpus is written with (src/bin/seeds.rs).
pub const BOUNDARY: &str = "vitrinefuzz";

/// Smaller than the server's defaults (20 MiB, 50 Mpx) so one run stays fast; the checks against
/// them are the same code.
pub const LIMITS: Limits = Limits { max_bytes: 1024 * 1024, max_side: 2048, max_pixels: 1 << 20 };

/// What one upload may hold at once: the decoder's own cap (`max_alloc` in `decode_upright`),
/// the upright RGB copy and the one orientation makes, the region's crop, the model's square and
/// input, plus the body and its parts a few times over.
pub fn heap_budget(body_len: usize) -> usize {
    let pixels = LIMITS.max_pixels as usize;
    let decoder = pixels * 4 + 64 * 1024 * 1024;
    let copies = 3 * pixels * 3;
    let model = (MODEL_SIDE * MODEL_SIDE) as usize * (3 + 3 * 4);
    decoder + copies + model + 8 * body_len + 1024 * 1024
}

pub fn run(body: &[u8]) {
    let (_, peak) = peak_during(|| futures_executor::block_on(read_and_preprocess(body)));
    let budget = heap_budget(body.len());
    assert!(peak <= budget, "peak heap {peak} bytes, over the budget of {budget}");
}

async fn read_and_preprocess(body: &[u8]) {
    let request = Request::post("/api/search/by-image")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(body.to_vec()))
        .expect("a valid request");
    let multipart = Multipart::from_request(request, &()).await;
    let Ok(upload) = photo_upload::read(multipart, &LIMITS).await else { return };
    let input = match upload.image {
        UploadedImage::Photo(bytes) => model_input_from_file(&bytes, upload.region, &LIMITS),
        UploadedImage::Prepared(png) => decode_prepared(&png).map(|square| to_model_input(&square)),
    };
    if let Ok(input) = input {
        assert_eq!(input.len(), 3 * (MODEL_SIDE * MODEL_SIDE) as usize, "the model's input shape");
        assert!(input.iter().all(|value| value.is_finite() && value.abs() <= 1.0));
    }
}
