//! Shopper events on a real database: a batch is recorded off the request path under the
//! visitor cookie; malformed events, unknown and hidden products are refused whole and leave
//! nothing behind; a browser asking not to be tracked leaves nothing either; a flood from one
//! client is capped; a guest's events follow them into their new account, its data export,
//! and out of the shop with its erasure.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDb, TestShopper};

const PASSWORD: &str = "a long and unusual passphrase";

async fn app() -> TestApp {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    TestApp::spawn(db).await
}

/// A product the shop shows.
async fn product(app: &TestApp) -> Uuid {
    sqlx::query_scalar("SELECT id FROM products WHERE published ORDER BY slug LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// A product taken out of the shop.
async fn hidden_product(app: &TestApp) -> Uuid {
    sqlx::query_scalar(
        "UPDATE products SET published = false
         WHERE id = (SELECT id FROM products ORDER BY slug DESC LIMIT 1) RETURNING id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// `(visitor, user_id, kind)` of every event written, oldest first.
async fn written(app: &TestApp) -> Vec<(Uuid, Option<Uuid>, String)> {
    app.events.flush().await;
    sqlx::query_as("SELECT visitor, user_id, kind FROM shopper_events ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_is_recorded_under_the_visitor_cookie() {
    let app = app().await;
    let shown = product(&app).await;
    let shopper = TestShopper::new(&app);
    let batch = json!({ "events": [
        { "kind": "view", "product_id": shown },
        { "kind": "search", "query": "  banjo " },
        { "kind": "search_click", "product_id": shown, "query": "banjo", "position": 0 },
        { "kind": "rec_click", "product_id": shown, "row": "picked_for_you",
          "model_version": "recs-20261207-1", "position": 3 },
    ]});
    let answer = shopper.post::<Value>("/api/events", batch.clone()).await;
    assert_eq!(answer.status, 202);
    assert_eq!(answer.ok()["recorded"], 4);
    // The second batch comes with the cookie the first one set: the same visitor.
    assert_eq!(shopper.post::<Value>("/api/events", batch).await.ok()["recorded"], 4);
    let rows = written(&app).await;
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|(visitor, user, _)| *visitor == rows[0].0 && user.is_none()));
    let query: String =
        sqlx::query_scalar("SELECT query FROM shopper_events WHERE kind = 'search' LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(query, "banjo");
}

#[tokio::test]
async fn bad_events_are_refused_whole_and_leave_nothing() {
    let app = app().await;
    let (shown, hidden) = (product(&app).await, hidden_product(&app).await);
    let shopper = TestShopper::new(&app);
    let cases = [
        (json!({ "events": [] }), 400, "bad_batch_size"),
        (json!({ "events": [{ "kind": "view" }] }), 400, "malformed_event"),
        (json!({ "events": [{ "kind": "teleport", "product_id": shown }] }), 400, "bad_request"),
        (
            json!({ "events": [{ "kind": "view", "product_id": shown, "extra": 1 }] }),
            400,
            "bad_request",
        ),
        (
            json!({ "events": [{ "kind": "rec_click", "product_id": shown, "row": "nope" }] }),
            400,
            "malformed_event",
        ),
        (
            json!({ "events": [{ "kind": "view", "product_id": Uuid::new_v4() }] }),
            422,
            "unknown_product",
        ),
        (
            json!({ "events": [{ "kind": "view", "product_id": shown },
                            { "kind": "view", "product_id": hidden }] }),
            422,
            "unknown_product",
        ),
    ];
    for (batch, status, code) in cases {
        let answer = shopper.post::<Value>("/api/events", batch.clone()).await;
        assert_eq!(answer.refusal(), (status, code), "{batch}");
    }
    assert!(written(&app).await.is_empty());
}

#[tokio::test]
async fn a_browser_that_asks_not_to_be_tracked_leaves_nothing() {
    let app = app().await;
    let shown = product(&app).await;
    for (header, value) in [("sec-gpc", "1"), ("dnt", "1")] {
        let response = app
            .client
            .post(app.url("/api/events"))
            .header(header, value)
            .json(&json!({ "events": [{ "kind": "view", "product_id": shown }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        assert!(response.headers().get("set-cookie").is_none(), "no visitor id for {header}");
        assert_eq!(response.json::<Value>().await.unwrap()["recorded"], 0);
    }
    assert!(written(&app).await.is_empty());
}

#[tokio::test]
async fn a_flood_from_one_client_is_capped() {
    let app = app().await;
    let shown = product(&app).await;
    let shopper = TestShopper::new(&app);
    let batch = json!({ "events": [{ "kind": "view", "product_id": shown }] });
    let mut statuses = Vec::new();
    for _ in 0..app::backend::recs::events::EVENTS_PER_MINUTE + 100 {
        statuses.push(shopper.post::<Value>("/api/events", batch.clone()).await.status);
    }
    assert!(statuses
        .iter()
        .take(app::backend::recs::events::EVENTS_PER_MINUTE as usize)
        .all(|&status| status == 202));
    // The bucket earns 10 requests a second back, far fewer than the 100 extra sent.
    assert!(statuses.contains(&429), "never capped");
}

#[tokio::test]
async fn a_guests_events_follow_them_into_their_new_account() {
    let app = app().await;
    let shown = product(&app).await;
    let shopper = TestShopper::new(&app);
    let view = json!({ "events": [{ "kind": "view", "product_id": shown }] });
    shopper.post::<Value>("/api/events", view.clone()).await.ok();
    app.events.flush().await;
    let account = shopper
        .post::<Value>(
            "/api/auth/register",
            json!({ "email": "guest@example.com", "password": PASSWORD }),
        )
        .await
        .ok();
    let user: Uuid = account["account"]["id"].as_str().unwrap().parse().unwrap();
    shopper.post::<Value>("/api/events", view).await.ok();
    let rows = written(&app).await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|(visitor, id, _)| *visitor == rows[0].0 && *id == Some(user)),
        "{rows:?}"
    );
}
