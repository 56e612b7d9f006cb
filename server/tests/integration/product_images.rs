//! Adding product images from the admin area: the browser-made display image is checked and
//! stored as sent, an original is made into one by the server, and either way the image gets
//! the next position, an embedding job and an audit entry.

use app::preprocess::display::display_image;
use app::preprocess::{decode_upright, Limits};
use image::ImageEncoder;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::helpers::{fixture_image, signed_in_admin, upload_product_image, TestApp, TestDb};

async fn admin_app() -> (TestApp, String, uuid::Uuid) {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::spawn(db).await;
    let token = signed_in_admin(&app).await;
    let product = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'apple'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    (app, token, product)
}

fn file(bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name("photo.jpg")
}

#[tokio::test]
async fn a_display_image_is_stored_as_sent_and_an_original_is_reduced_by_the_server() {
    let (app, token, product) = admin_app().await;
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/photos/coffee-large.jpg"
    ))
    .unwrap();

    // What the admin page's WASM sends: the display image, made by the same code.
    let (display, width, height) =
        display_image(decode_upright(&photo, &Limits::default()).unwrap());
    assert_eq!((width, height), (1024, 768));
    let form =
        Form::new().text("product", product.to_string()).part("display", file(display.clone()));
    let (status, body) = upload_product_image(&app, &token, form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["width"].as_u64(), body["height"].as_u64()), (Some(1024), Some(768)));
    assert_eq!(body["bytes"].as_u64(), Some(display.len() as u64), "stored as sent");
    let stored = app.get(body["url"].as_str().unwrap()).await.bytes().await.unwrap();
    assert_eq!(stored.as_ref(), display.as_slice());

    // Without JavaScript the original comes; the server makes the same kind of image.
    let form = Form::new().text("product", product.to_string()).part("image", file(photo.clone()));
    let (status, body) = upload_product_image(&app, &token, form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["width"].as_u64(), body["height"].as_u64()), (Some(1024), Some(768)));
    assert!(body["bytes"].as_u64().unwrap() * 5 < photo.len() as u64);

    // Both follow the product's own image, each with an embedding job and an audit entry.
    let positions: Vec<i32> = sqlx::query_scalar(
        "SELECT position FROM product_images WHERE product_id = $1 ORDER BY position",
    )
    .bind(product)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(positions, [0, 1, 2]);
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'embed_image' AND status = 'queued'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(jobs >= 2, "{jobs} embedding jobs");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'catalog.product_image.create'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn uploads_that_are_not_a_sane_display_image_are_refused() {
    let (app, token, product) = admin_app().await;
    let mut wide = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut wide)
        .write_image(&vec![90; 2000 * 100 * 3], 2000, 100, image::ExtendedColorType::Rgb8)
        .unwrap();
    let cases: Vec<(&str, Form, StatusCode, &str)> = vec![
        (
            "a display image over 1024 px",
            Form::new().text("product", product.to_string()).part("display", file(wide)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_pixels",
        ),
        (
            "not an image",
            Form::new()
                .text("product", product.to_string())
                .part("display", file(b"text".to_vec())),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        (
            "no file",
            Form::new().text("product", product.to_string()),
            StatusCode::BAD_REQUEST,
            "missing_image",
        ),
        (
            "an unknown product",
            Form::new()
                .text("product", uuid::Uuid::nil().to_string())
                .part("display", file(fixture_image("1f34e.png"))),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (what, form, status, code) in cases {
        let (got, body) = upload_product_image(&app, &token, form).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{what}: {body}");
    }
}
