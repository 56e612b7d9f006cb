use serde_json::Value;

use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn healthz_answers_while_the_process_lives() {
    let app = TestApp::spawn(TestDb::empty().await).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ready_with_a_migrated_database() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert_eq!(body["checks"]["migrations"]["ok"], true);
}

#[tokio::test]
async fn readyz_refuses_traffic_while_migrations_are_pending() {
    let app = TestApp::spawn(TestDb::empty().await).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert_eq!(body["checks"]["migrations"]["ok"], false);
    assert!(body["checks"]["migrations"]["detail"].as_str().unwrap().contains("pending"));
}

#[tokio::test]
async fn readyz_refuses_traffic_when_the_database_is_gone() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    app.db.pool.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["database"]["ok"], false);
    // And liveness is unaffected.
    assert_eq!(app.get("/healthz").await.status(), 200);
}
