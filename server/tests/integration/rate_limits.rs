//! Search by photo is rate-limited per client address: past the limit a JSON client gets
//! `429 too_many_requests` with `Retry-After`, the plain form goes back to the page with the
//! message, and other addresses are not affected.

use reqwest::multipart::{Form, Part};
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::helpers::{fixture_image, test_auth, TestApp, TestDb};

fn photo() -> Form {
    Form::new().part("image", Part::bytes(fixture_image("1f34e.png")).file_name("apple.png"))
}

/// `POST /api/search/by-image` as the client at `address` (the app trusts `X-Forwarded-For`).
async fn search_from(app: &TestApp, address: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/search/by-image"))
        .header("x-forwarded-for", address)
        .multipart(photo())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_searching_too_fast_is_asked_to_wait_and_others_are_not() {
    let auth = app::backend::auth::Auth { trust_forwarded_for: true, ..test_auth() };
    let app = TestApp::builder(TestDb::migrated().await)
        .auth(auth)
        .photo_searches_per_minute(2)
        .spawn()
        .await;
    for _ in 0..2 {
        assert_eq!(search_from(&app, "192.0.2.10").await.status(), 200);
    }
    let refused = search_from(&app, "192.0.2.10").await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "one search earned back every 30 s: {wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");

    assert_eq!(search_from(&app, "192.0.2.11").await.status(), 200, "another address");

    // The page's plain form goes back to the page, which shows why.
    let browser = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let form = browser
        .post(app.url("/search/photo"))
        .header("x-forwarded-for", "192.0.2.10")
        .multipart(photo())
        .send()
        .await
        .unwrap();
    assert!(form.status().is_redirection());
    assert_eq!(form.headers()["location"], "/search/photo?error=too_many_requests");
    let page = app.get("/search/photo?error=too_many_requests").await.text().await.unwrap();
    assert!(page.contains("faster than the shop can keep up"), "the page explains the wait");
}
