//! Prepared uploads: the model's square made by the client (the page's WASM) instead of the
//! photo. The server takes exactly that format, searches with it as it would with the original,
//! and refuses anything else clearly; the page's own endpoint stores the search for its results
//! page.

use app::preprocess::{decode_upright, encode_prepared, model_image, Limits, Region, MODEL_SIDE};
use image::{ImageEncoder, RgbImage, RgbaImage};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{fixture_image, TestApp, TestDb};

const APPLE: &str = "1f34e.png";

fn prepared(photo: &[u8], region: Option<Region>) -> Vec<u8> {
    encode_prepared(&model_image(&decode_upright(photo, &Limits::default()).unwrap(), region))
}

fn prepared_form(png: Vec<u8>) -> Form {
    Form::new()
        .part("prepared", Part::bytes(png).file_name("photo.png").mime_str("image/png").unwrap())
}

async fn post(app: &TestApp, path: &str, form: Form) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = app.client.post(app.url(path)).multipart(form).send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.json().await.expect("a JSON body"))
}

fn ranked(body: &Value) -> Vec<(String, f64)> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (r["product"]["slug"].as_str().unwrap().to_owned(), r["score"].as_f64().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_prepared_square_searches_exactly_like_the_original_photo() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    let app = TestApp::spawn(db).await;
    let apple = fixture_image(APPLE);
    let region = Region { x: 0.1, y: 0.2, width: 0.7, height: 0.7 };

    let original = Form::new()
        .part("image", Part::bytes(apple.clone()).file_name("apple.png"))
        .text("region", region.to_string());
    let (status, _, by_server) = post(&app, "/api/search/by-image", original).await;
    assert_eq!(status, 200, "{by_server}");
    let (status, _, by_client) =
        post(&app, "/api/search/by-image", prepared_form(prepared(&apple, Some(region)))).await;
    assert_eq!(status, 200, "{by_client}");

    let (server, client) = (ranked(&by_server), ranked(&by_client));
    assert_eq!(client[0].0, "apple");
    assert_eq!(server.len(), client.len());
    for ((slug_s, score_s), (slug_c, score_c)) in server.iter().zip(&client) {
        assert_eq!(slug_s, slug_c);
        assert!((score_s - score_c).abs() < 1e-6, "{slug_s}: {score_s} vs {score_c}");
    }
}

fn png_of<I: image::GenericImageView>(
    image: &I,
    color: image::ExtendedColorType,
    raw: &[u8],
) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(raw, image.width(), image.height(), color)
        .unwrap();
    bytes
}

#[tokio::test]
async fn anything_but_the_models_square_is_refused_as_a_prepared_upload() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let square = prepared(&fixture_image(APPLE), None);
    let too_big = RgbImage::new(300, 300);
    let with_alpha = RgbaImage::new(MODEL_SIDE, MODEL_SIDE);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .write_image(
            RgbImage::new(MODEL_SIDE, MODEL_SIDE).as_raw(),
            MODEL_SIDE,
            MODEL_SIDE,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    let cases: Vec<(&str, Form, u16, &str)> = vec![
        (
            "300×300",
            prepared_form(png_of(&too_big, image::ExtendedColorType::Rgb8, too_big.as_raw())),
            422,
            "bad_prepared_image",
        ),
        (
            "with alpha",
            prepared_form(png_of(
                &with_alpha,
                image::ExtendedColorType::Rgba8,
                with_alpha.as_raw(),
            )),
            422,
            "bad_prepared_image",
        ),
        ("a JPEG", prepared_form(jpeg), 422, "bad_prepared_image"),
        ("over 160 KB", prepared_form(vec![0x89; 161 * 1024]), 422, "bad_prepared_image"),
        ("truncated", prepared_form(square[..square.len() / 2].to_vec()), 422, "corrupt_image"),
        ("empty", prepared_form(Vec::new()), 422, "empty_image"),
        (
            "and the original too",
            prepared_form(square.clone())
                .part("image", Part::bytes(fixture_image(APPLE)).file_name("a.png")),
            400,
            "conflicting_images",
        ),
        (
            "with a region",
            prepared_form(square.clone()).text("region", "0,0,0.5,0.5"),
            400,
            "conflicting_images",
        ),
    ];
    for (what, form, status, code) in cases {
        let (got, _, body) = post(&app, "/api/search/by-image", form).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{what}: {body}");
    }
}

#[tokio::test]
async fn the_pages_search_is_stored_and_answers_with_its_results_page() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    let app = TestApp::spawn(db).await;

    let form = prepared_form(prepared(&fixture_image(APPLE), None)).text("category", "food-drink");
    let (status, headers, body) = post(&app, "/api/search/queries", form).await;
    assert_eq!(status, 201, "{body}");
    let url = body["results_url"].as_str().unwrap();
    assert_eq!(headers["location"], url);
    assert_eq!(
        url,
        format!("/search/photo?q={}&category=food-drink", body["id"].as_str().unwrap())
    );
    let html = app.get(url).await.text().await.unwrap();
    let results = html.split("Closest matches").nth(1).expect("a results section");
    assert!(results.split("data-product-slug=\"").nth(1).unwrap().starts_with("apple\""));

    // Refusals are JSON here, not redirects.
    let (status, _, body) = post(&app, "/api/search/queries", Form::new().text("limit", "3")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("missing_image")));
    let form = prepared_form(prepared(&fixture_image(APPLE), None)).text("category", "nope");
    let (status, _, body) = post(&app, "/api/search/queries", form).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("unknown_category")));
}

#[tokio::test]
async fn a_twelve_megapixel_phone_photo_is_searchable_as_sent() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/photos/coffee-large.jpg");
    let photo = std::fs::read(path).unwrap();
    assert!(photo.len() > 2 * 1024 * 1024);
    let form = Form::new().part("image", Part::bytes(photo).file_name("coffee.jpg"));
    let (status, _, body) = post(&app, "/api/search/by-image", form).await;
    assert_eq!(status, 200, "{body}");
}
