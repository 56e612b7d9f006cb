//! Accounts over HTTP against a real database: registration and sign-in, the session cookies,
//! every kind of forged or stale token, refresh rotation with reuse detection, throttling,
//! password change and reset, and the first admin.

use std::time::Duration;

use app::backend::auth::password::Passwords;
use app::backend::auth::throttle::ThrottleLimits;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{AUTHORIZATION, COOKIE, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{test_auth, TestApp, TestDb, TEST_TOKEN_SECRET};

const PASSWORD: &str = "a long and unusual passphrase";

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(&body).send().await.expect("sending")
}

/// Registers `email` and returns the session body.
async fn register(app: &TestApp, email: &str) -> Value {
    let response =
        post(app, "/api/auth/register", json!({ "email": email, "password": PASSWORD })).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post(app, "/api/auth/sign-in", json!({ "email": email, "password": password })).await
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url("/api/auth/me"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    post(app, "/api/auth/refresh", json!({ "refresh_token": token })).await
}

async fn code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_shopper_registers_signs_in_and_out() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let session = register(&app, "  Ada@Example.COM ").await;
    assert_eq!(session["account"]["email"], "ada@example.com", "normalised");
    assert_eq!(session["account"]["role"], "customer");
    assert_eq!(session["account"]["permissions"], json!([]));
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);

    let (status, body) = me(&app, session["access_token"].as_str().unwrap()).await;
    assert_eq!((status, body["email"].as_str()), (StatusCode::OK, Some("ada@example.com")));

    let again = post(
        &app,
        "/api/auth/register",
        json!({ "email": "ADA@example.com", "password": PASSWORD }),
    )
    .await;
    assert_eq!(code(again).await, (StatusCode::CONFLICT, "email_taken".into()));
    for (email, password, expected) in [
        ("ada2@example.com", "password1", "common_password"),
        ("ada2@example.com", "short", "password_length"),
        ("not an email", PASSWORD, "bad_email"),
    ] {
        let response =
            post(&app, "/api/auth/register", json!({ "email": email, "password": password })).await;
        assert_eq!(
            code(response).await,
            (StatusCode::BAD_REQUEST, expected.into()),
            "{email} {password}"
        );
    }

    // The browser's session: HttpOnly, SameSite=Lax cookies (not Secure over plain HTTP).
    let response = sign_in(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2);
    for cookie in &cookies {
        assert!(
            cookie.contains("; HttpOnly")
                && cookie.contains("; SameSite=Lax")
                && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert!(!cookie.contains("Secure"), "{cookie}");
    }
    let access_cookie = cookies.iter().find(|c| c.starts_with("vitrine_access=")).unwrap();
    let pair = access_cookie.split(';').next().unwrap();
    let response =
        app.client.get(app.url("/api/auth/me")).header(COOKIE, pair).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the cookie works like the bearer token");

    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], "ada@example.com");
    let wrong = sign_in(&app, "ada@example.com", "a wrong but long password").await;
    assert_eq!(code(wrong).await, (StatusCode::UNAUTHORIZED, "invalid_credentials".into()));
    let unknown = sign_in(&app, "nobody@example.com", PASSWORD).await;
    assert_eq!(code(unknown).await, (StatusCode::UNAUTHORIZED, "invalid_credentials".into()));

    // Signing out ends the session: its refresh token no longer works.
    let refresh_token = session["refresh_token"].as_str().unwrap();
    let response =
        post(&app, "/api/auth/sign-out", json!({ "refresh_token": refresh_token })).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .all(|v| v.to_str().unwrap().contains("Max-Age=0")));
    assert_eq!(refresh(&app, refresh_token).await.status(), StatusCode::UNAUTHORIZED);
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[tokio::test]
async fn every_forged_or_stale_token_gets_401_and_no_detail() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let session = register(&app, "eve@example.com").await;
    let access = session["access_token"].as_str().unwrap().to_owned();
    let refresh_token = session["refresh_token"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = access.split('.').collect();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let now = chrono::Utc::now().timestamp();
    let with = |changes: Value| {
        let mut claims = claims.clone();
        for (key, value) in changes.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims
    };
    let sign = |alg: Algorithm, key: &[u8], claims: &Value| {
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
    };
    let ours = |claims: &Value| sign(Algorithm::HS256, TEST_TOKEN_SECRET, claims);

    let cases: Vec<(&str, String)> = vec![
        ("alg none", format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), parts[1])),
        (
            "another key",
            sign(Algorithm::HS256, b"another secret of at least thirty-two bytes!", &claims),
        ),
        ("HS512 with our key", sign(Algorithm::HS512, TEST_TOKEN_SECRET, &claims)),
        (
            "RS256 header, HMAC signature (algorithm confusion)",
            format!("{}.{}.{}", b64(&json!({"alg": "RS256", "typ": "JWT"})), parts[1], parts[2]),
        ),
        ("expired", ours(&with(json!({"iat": now - 3600, "nbf": now - 3600, "exp": now - 60})))),
        ("not yet valid", ours(&with(json!({"nbf": now + 600, "exp": now + 1200})))),
        ("wrong audience", ours(&with(json!({"aud": "someone-else"})))),
        ("wrong issuer", ours(&with(json!({"iss": "not-vitrine"})))),
        (
            "no expiry",
            ours(&{
                let mut c = claims.clone();
                c.as_object_mut().unwrap().remove("exp");
                c
            }),
        ),
        ("refresh token as access", refresh_token.clone()),
        (
            "tampered payload",
            format!("{}.{}.{}", parts[0], b64(&with(json!({"role": "admin"}))), parts[2]),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    let expected = json!({"error": {"code": "unauthenticated", "message": "Sign in to continue."}});
    for (what, token) in cases {
        let (status, body) = me(&app, &token).await;
        assert_eq!((status, &body), (StatusCode::UNAUTHORIZED, &expected), "{what}");
    }
    let (status, _) = me(&app, &access).await;
    assert_eq!(status, StatusCode::OK, "the genuine token still works");
    let response = app.client.get(app.url("/api/auth/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "no token at all");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let first = register(&app, "rot@example.com").await;
    let other_device: Value =
        sign_in(&app, "rot@example.com", PASSWORD).await.json().await.unwrap();

    let r1 = first["refresh_token"].as_str().unwrap();
    let response = refresh(&app, r1).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "rotated");
    assert_eq!(me(&app, second["access_token"].as_str().unwrap()).await.0, StatusCode::OK);

    // The spent token comes back (stolen): refused, and the whole family with it.
    assert_eq!(
        code(refresh(&app, r1).await).await,
        (StatusCode::UNAUTHORIZED, "unauthenticated".into())
    );
    assert_eq!(refresh(&app, r2).await.status(), StatusCode::UNAUTHORIZED, "the family is revoked");
    // Another sign-in is another family, untouched.
    let elsewhere = refresh(&app, other_device["refresh_token"].as_str().unwrap()).await;
    assert_eq!(elsewhere.status(), StatusCode::OK);
    // An access token is not a refresh token.
    assert_eq!(
        refresh(&app, first["access_token"].as_str().unwrap()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_101st_failed_sign_in_in_an_hour_is_refused_even_with_the_right_password() {
    let limits = ThrottleLimits { free_failures: 1_000, ..ThrottleLimits::default() };
    let app = TestApp::builder(TestDb::migrated().await)
        .auth(app::backend::auth::Auth { limits, ..test_auth() })
        .spawn()
        .await;
    register(&app, "target@example.com").await;
    for attempt in 1..=100 {
        let response = sign_in(&app, "target@example.com", "guessing wrongly again").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let response = sign_in(&app, "target@example.com", "guessing wrongly again").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((3000..=3600).contains(&wait), "locked until the hour is over: {wait} s");
    let (status, code) = code(sign_in(&app, "target@example.com", PASSWORD).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
}

#[tokio::test]
async fn consecutive_failures_make_each_next_attempt_wait_longer() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    register(&app, "slow@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, "slow@example.com", "not the password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = sign_in(&app, "slow@example.com", "not the password").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[RETRY_AFTER], "1");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        sign_in(&app, "slow@example.com", "not the password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = sign_in(&app, "slow@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "the right password waits too");
    assert_eq!(response.headers()[RETRY_AFTER], "2");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(sign_in(&app, "slow@example.com", PASSWORD).await.status(), StatusCode::OK);
    // A success ends the run: the next failure is free again.
    assert_eq!(
        sign_in(&app, "slow@example.com", "not the password").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn passwords_change_and_reset_and_both_end_other_sessions() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let session = register(&app, "pat@example.com").await;
    let bearer = format!("Bearer {}", session["access_token"].as_str().unwrap());
    let change = |current: &str, new: &str| {
        app.client
            .post(app.url("/api/auth/password"))
            .header(AUTHORIZATION, &bearer)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
    };
    assert_eq!(
        code(change("wrong current", "another long passphrase").await.unwrap()).await.1,
        "wrong_password"
    );
    assert_eq!(code(change(PASSWORD, "qwertyuiop").await.unwrap()).await.1, "common_password");
    assert_eq!(change(PASSWORD, "another long passphrase").await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        refresh(&app, session["refresh_token"].as_str().unwrap()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sign_in(&app, "pat@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        sign_in(&app, "pat@example.com", "another long passphrase").await.status(),
        StatusCode::OK
    );

    // Reset: the answer never says whether the email has an account.
    let pending = || async {
        sqlx::query_scalar::<_, Value>(
            "SELECT payload FROM outbox WHERE topic = 'email.password_reset' ORDER BY id",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
    };
    let response =
        post(&app, "/api/auth/password-reset", json!({ "email": "nobody@example.com" })).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert!(pending().await.is_empty());
    let response =
        post(&app, "/api/auth/password-reset", json!({ "email": "PAT@example.com" })).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let mails = pending().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["to"], "pat@example.com");
    let body = mails[0]["body"].as_str().unwrap();
    let token = body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap();

    let confirm = |token: &str, password: &str| {
        post(
            &app,
            "/api/auth/password-reset/confirm",
            json!({ "token": token, "new_password": password }),
        )
    };
    assert_eq!(code(confirm(token, "short").await).await.1, "password_length");
    assert_eq!(
        code(confirm("made-up", "a third long passphrase").await).await.1,
        "invalid_reset_token"
    );
    assert_eq!(confirm(token, "a third long passphrase").await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        code(confirm(token, "a fourth long passphrase").await).await.1,
        "invalid_reset_token",
        "once only"
    );
    assert_eq!(
        sign_in(&app, "pat@example.com", "a third long passphrase").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_page_load_with_an_expired_access_token_gets_a_fresh_session() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let session = register(&app, "stay@example.com").await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept", "text/html")
        .header(COOKIE, format!("vitrine_refresh={}", session["refresh_token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<&str> =
        response.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("vitrine_access=") && !c.starts_with("vitrine_access=;")),
        "{cookies:?}"
    );
    assert!(cookies.iter().any(|c| c.starts_with("vitrine_refresh=")));
    // The old refresh token was spent doing it.
    assert_eq!(
        refresh(&app, session["refresh_token"].as_str().unwrap()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_command_line_and_audited() {
    let db = TestDb::migrated().await;
    let passwords = Passwords::new(1);
    let id = app::backend::auth::accounts::create_admin(
        &db.pool,
        &passwords,
        "Boss@Example.com",
        PASSWORD.into(),
    )
    .await
    .unwrap();
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(role, "admin");
    let again = app::backend::auth::accounts::create_admin(
        &db.pool,
        &passwords,
        "boss@example.com",
        String::new(),
    )
    .await
    .unwrap();
    assert_eq!(again, id, "an existing account is promoted, not duplicated");
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT actor_role, action FROM audit_log WHERE entity_id = $1")
            .bind(id.to_string())
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(audited, vec![("command".into(), "users.role.update".into()); 2]);
    let app = TestApp::spawn(db).await;
    let body: Value = sign_in(&app, "boss@example.com", PASSWORD).await.json().await.unwrap();
    assert_eq!(body["account"]["role"], "admin");
    assert_eq!(body["account"]["permissions"].as_array().unwrap().len(), 8);
}
