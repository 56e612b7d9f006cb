//! What protects the shopper in the browser: the sign-in page returns only to this site (after
//! the browser's own URL normalisation, and without panicking on a line break), and every
//! response carries the security headers.

use reqwest::header::{ACCEPT, LOCATION};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::helpers::{test_auth, TestApp, TestDb};

const PASSWORD: &str = "a long and unusual passphrase";

/// Signs in through the sign-in page's form (a plain form post, as without JavaScript) with
/// `next`, and answers with where the browser is sent.
async fn sign_in_form_location(app: &TestApp, next: &str) -> String {
    let browser = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let response = browser
        .post(app.url("/api/account/sign-in"))
        .header(ACCEPT, "text/html")
        .header(reqwest::header::REFERER, app.url("/account/sign-in"))
        .form(&[("email", "shopper@example.com"), ("password", PASSWORD), ("next", next)])
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert!(response.status().is_redirection(), "{next:?}: {}", response.status());
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn sign_in_returns_only_to_this_site_whatever_next_says() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let registered = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({ "email": "shopper@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    assert_eq!(sign_in_form_location(&app, "/orders").await, "/orders");
    for outside in ["/\t/evil.example/x", "/\n/evil.example/", "//evil.example", "/\\evil.example"]
    {
        assert_eq!(sign_in_form_location(&app, outside).await, "/account", "{outside:?}");
    }
    // A line break once made the redirect panic after the sign-in had succeeded.
    let location = sign_in_form_location(&app, "/orders\r\nSet-Cookie: stolen=1").await;
    assert!(location.starts_with("/orders") && !location.contains('\n'), "{location:?}");
}

#[tokio::test]
async fn every_response_carries_the_browser_defences() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    for path in ["/", "/api/cart", "/no-such-page", "/healthz", "/pkg/vitrine.css"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let permissions = headers["permissions-policy"].to_str().unwrap();
        assert!(permissions.contains("camera=()"), "{path}: {permissions}");
        assert!(!headers.contains_key("strict-transport-security"), "plain HTTP: {path}");
    }
    let photo = app.get("/search/photo").await;
    let permissions = photo.headers()["permissions-policy"].to_str().unwrap().to_owned();
    assert!(permissions.contains("camera=(self)"), "search by photo may use the camera");

    let https = TestApp::builder(TestDb::migrated().await)
        .auth(app::backend::auth::Auth { secure_cookies: true, ..test_auth() })
        .spawn()
        .await;
    let hsts = https.get("/").await.headers()["strict-transport-security"].clone();
    assert_eq!(hsts, "max-age=31536000; includeSubDomains");
}
