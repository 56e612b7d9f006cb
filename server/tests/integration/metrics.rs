//! `/metrics` on its own address: requests by route template and status, sign-in failures and
//! the database's gauges in Prometheus' text format; and never on the shop's own address.

use serde_json::json;
use vitrine::http::metrics::{self, Sources};

use crate::helpers::{TestApp, TestDb};

/// The value of the first sample of `name` whose labels include every one of `labels`.
fn sample(body: &str, name: &str, labels: &[&str]) -> Option<f64> {
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_only() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    assert_eq!(app.get("/").await.status(), 200);
    let failed = app
        .client
        .post(app.url("/api/auth/sign-in"))
        .json(&json!({ "email": "nobody@example.com", "password": "not a real password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    assert_eq!(app.get("/metrics").await.status(), 404, "not on the shop's address");

    let listener = metrics::listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sources = Sources { db: app.db.pool.clone(), model_version: "test-model", sessions: None };
    tokio::spawn(metrics::serve(listener, sources, std::future::pending()));
    let response = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();

    let pages = sample(&body, "vitrine_http_requests_total", &[r#"route="/""#, r#"status="200""#]);
    assert!(pages >= Some(1.0), "{body}");
    let sign_ins = sample(
        &body,
        "vitrine_http_requests_total",
        &[r#"route="/api/auth/sign-in""#, r#"status="401""#],
    );
    assert!(sign_ins >= Some(1.0), "{body}");
    assert!(sample(&body, "vitrine_sign_in_failures_total", &[]) >= Some(1.0));
    assert!(
        body.contains("vitrine_http_request_duration_seconds_bucket{"),
        "latency is a histogram: {body}"
    );
    assert_eq!(sample(&body, "vitrine_database_up", &[]), Some(1.0));
    assert_eq!(sample(&body, "vitrine_outbox_pending", &[]), Some(0.0));
    assert_eq!(sample(&body, "vitrine_embedding_backlog", &[]), Some(0.0));
    assert!(sample(&body, "vitrine_db_pool_max_connections", &[]) > Some(0.0));
}
