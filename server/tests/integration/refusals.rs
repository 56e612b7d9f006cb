//! Refusals answer with the status and message of the domain that made them: a server
//! function's error is answered with its own status (not one guessed by trying each error enum
//! in turn), and a failure of ours names what failed for the caller, not another feature.

use reqwest::StatusCode;
use serde_json::Value;

use app::backend::media::MediaStore;

use crate::helpers::{
    signed_in_admin, stocked_variant, upload_product_image, TestApp, TestDb, TestShopper,
};

/// The checkout page's server function with a receipt address that is not an email: the
/// commerce refusal `bad_email` is 422. The account enum has a `BadEmail` too (400); reading
/// the body as each enum in turn answered 400.
#[tokio::test]
async fn a_checkout_with_a_bad_email_is_answered_as_the_checkout_refusal_it_is() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "MUG-1", 3).await;
    let app = TestApp::spawn(db).await;
    let shopper = TestShopper::new(&app);
    shopper.add(variant, 1).await.ok();

    let response = shopper
        .client
        .post(app.url("/api/shop/checkout"))
        .form(&[
            ("email", "not an email"),
            ("address[name]", "Ada Lovelace"),
            ("address[line1]", "12 St James's Square"),
            ("address[line2]", ""),
            ("address[city]", "London"),
            ("address[postal_code]", "SW1Y 4JH"),
            ("address[country]", "GB"),
            ("shipping_method", "standard"),
            ("card[number]", "4242 4242 4242 4242"),
            ("card[expiry]", "12/30"),
            ("card[cvc]", "123"),
            ("idempotency_key", "bad-email"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "bad_email", "{body}");
    assert_eq!(body["refusal"], "BadEmail", "{body}");
}

/// An admin image upload that fails on our side (here: the media directory cannot be written)
/// is a 503 that says the shop is unavailable, not that search by photo is.
#[tokio::test]
async fn a_failed_image_upload_does_not_blame_search_by_photo() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    // A media root whose parent is a plain file: every write under it fails.
    let blocked = std::env::temp_dir().join(format!("vitrine-blocked-{}", uuid::Uuid::new_v4()));
    std::fs::write(&blocked, b"not a directory").unwrap();
    let app = TestApp::builder(db).media(MediaStore::new(blocked.join("media"))).spawn().await;
    let token = &signed_in_admin(&app).await;
    let product: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'apple'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().text("product", product.to_string()).part(
        "display",
        reqwest::multipart::Part::bytes(crate::helpers::fixture_image("1f34e.png"))
            .file_name("apple.png"),
    );

    let (status, body) = upload_product_image(&app, token, form).await;
    std::fs::remove_file(&blocked).ok();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(!message.contains("photo"), "{message}");
    assert!(message.contains("shop"), "{message}");
}
