//! Revocation takes effect on the very next request: after a sign-out, a password change or
//! reset, a role change or an admin disabling the account, the access tokens issued before stop
//! working (or lose their rights) at once, here and on another replica over the same database.

use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{signed_in_admin, TestApp, TestDb};

const PASSWORD: &str = "a long and unusual passphrase";

struct Tokens {
    id: Uuid,
    access: String,
    refresh: String,
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(&body).send().await.expect("sending")
}

fn tokens(session: &Value) -> Tokens {
    Tokens {
        id: session["account"]["id"].as_str().unwrap().parse().unwrap(),
        access: session["access_token"].as_str().unwrap().to_owned(),
        refresh: session["refresh_token"].as_str().unwrap().to_owned(),
    }
}

async fn register(app: &TestApp, email: &str) -> Tokens {
    let response =
        post(app, "/api/auth/register", json!({ "email": email, "password": PASSWORD })).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    tokens(&response.json().await.unwrap())
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post(app, "/api/auth/sign-in", json!({ "email": email, "password": password })).await
}

/// The status of `GET /api/auth/me` with `access`.
async fn me(app: &TestApp, access: &str) -> StatusCode {
    let request = app.client.get(app.url("/api/auth/me")).bearer_auth(access);
    request.send().await.unwrap().status()
}

/// The status of an admin call (the list of users) with `access`.
async fn admin_call(app: &TestApp, access: &str) -> StatusCode {
    let request = app.client.get(app.url("/api/admin/users")).bearer_auth(access);
    request.send().await.unwrap().status()
}

async fn admin_form(app: &TestApp, admin: &str, path: &str, form: &[(&str, String)]) -> StatusCode {
    let request = app.client.post(app.url(path)).header(AUTHORIZATION, format!("Bearer {admin}"));
    request.form(form).send().await.unwrap().status()
}

#[tokio::test]
async fn a_signed_out_access_token_is_refused_on_the_next_request() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let ada = register(&app, "ada@example.com").await;
    let laptop = tokens(&sign_in(&app, "ada@example.com", PASSWORD).await.json().await.unwrap());
    assert_eq!(me(&app, &ada.access).await, StatusCode::OK);

    let response = post(&app, "/api/auth/sign-out", json!({ "refresh_token": ada.refresh })).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &ada.access).await, StatusCode::UNAUTHORIZED, "this session ended");
    assert_eq!(me(&app, &laptop.access).await, StatusCode::OK, "the other sign-in goes on");

    // An API client holding only the access token signs out with it.
    let request = app.client.post(app.url("/api/auth/sign-out")).bearer_auth(&laptop.access);
    assert_eq!(request.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &laptop.access).await, StatusCode::UNAUTHORIZED);
    let refreshed = post(&app, "/api/auth/refresh", json!({ "refresh_token": laptop.refresh }));
    assert_eq!(refreshed.await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_at_once() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let phone = register(&app, "pat@example.com").await;
    let laptop = tokens(&sign_in(&app, "pat@example.com", PASSWORD).await.json().await.unwrap());
    let response = app
        .client
        .post(app.url("/api/auth/password"))
        .bearer_auth(&laptop.access)
        .json(&json!({ "current_password": PASSWORD, "new_password": "another long passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let continued = tokens(&response.json().await.unwrap());
    assert_eq!(me(&app, &phone.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &laptop.access).await, StatusCode::UNAUTHORIZED, "replaced");
    assert_eq!(me(&app, &continued.access).await, StatusCode::OK);
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_rights_on_the_next_request() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let eve = register(&app, "eve@example.com").await;
    let promote = [("user_id", eve.id.to_string()), ("role", "admin".to_owned())];
    assert_eq!(admin_form(&app, &admin, "/api/admin/users/role", &promote).await, StatusCode::OK);
    // The token from before the promotion gains the rights too: roles are looked up, not signed.
    assert_eq!(admin_call(&app, &eve.access).await, StatusCode::OK);

    let demote = [("user_id", eve.id.to_string()), ("role", "customer".to_owned())];
    assert_eq!(admin_form(&app, &admin, "/api/admin/users/role", &demote).await, StatusCode::OK);
    assert_eq!(admin_call(&app, &eve.access).await, StatusCode::FORBIDDEN);
    assert_eq!(me(&app, &eve.access).await, StatusCode::OK, "still signed in, as a customer");
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_everywhere_and_cannot_sign_in() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let mallory = register(&app, "mallory@example.com").await;
    assert_eq!(me(&app, &mallory.access).await, StatusCode::OK);
    let disable =
        |disabled: bool| [("user_id", mallory.id.to_string()), ("disabled", disabled.to_string())];
    let path = "/api/admin/users/disabled";
    assert_eq!(admin_form(&app, &admin, path, &disable(true)).await, StatusCode::OK);

    assert_eq!(me(&app, &mallory.access).await, StatusCode::UNAUTHORIZED);
    let refreshed = post(&app, "/api/auth/refresh", json!({ "refresh_token": mallory.refresh }));
    assert_eq!(refreshed.await.status(), StatusCode::UNAUTHORIZED);
    let again = sign_in(&app, "mallory@example.com", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "account_disabled");
    // The wrong password learns nothing about the account.
    let guess = sign_in(&app, "mallory@example.com", "a wrong guess at it").await;
    assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(admin_form(&app, &admin, path, &disable(false)).await, StatusCode::OK);
    assert_eq!(sign_in(&app, "mallory@example.com", PASSWORD).await.status(), StatusCode::OK);

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id")
            .bind(mallory.id.to_string())
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["users.disable", "users.enable"]);
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves_or_the_last_admin() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let admin_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@example.com'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let path = "/api/admin/users/disabled";
    let own = [("user_id", admin_id.to_string()), ("disabled", "true".to_owned())];
    assert_eq!(admin_form(&app, &admin, path, &own).await, StatusCode::CONFLICT);
    assert_eq!(admin_call(&app, &admin).await, StatusCode::OK);
}

#[tokio::test]
async fn revocation_reaches_another_replica_on_its_next_request() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let other = app.replica().await;
    let ada = register(&app, "ada@example.com").await;
    // The other replica has the session cached as live.
    assert_eq!(me(&other, &ada.access).await, StatusCode::OK);
    assert_eq!(me(&other, &ada.access).await, StatusCode::OK);

    let response = post(&app, "/api/auth/sign-out", json!({ "refresh_token": ada.refresh })).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // NOTIFY is delivered with the commit; the other replica hears it within milliseconds.
    // Without it the cached entry would stand for minutes.
    let started = Instant::now();
    while me(&other, &ada.access).await == StatusCode::OK {
        assert!(started.elapsed() < Duration::from_secs(2), "the other replica still accepts it");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!("revocation reached the other replica in {:?}", started.elapsed());
}
