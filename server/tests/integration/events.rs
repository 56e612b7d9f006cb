//! Shopper events on a real database: a batch is recorded off the request path under the
//! visitor cookie; malformed events, unknown and hidden products are refused whole and leave
//! nothing behind; a browser asking not to be tracked leaves nothing either; a flood from one
//! client is capped; a guest's events follow them into their new account, its data export,
//! and out of the shop with its erasure. The shop's own pages and API record views (with the
//! search result or recommendation opened), cart adds and searches server side, under the same
//! rules, and the privacy page says so.

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

// What the shop's own pages and API record, server side (`app::backend::recs::tracking`).

/// One written event: kind, product slug, query, row, model version, position.
type Said = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<i32>);

/// What every event written says, oldest first.
async fn said(app: &TestApp) -> Vec<Said> {
    app.events.flush().await;
    sqlx::query_as(
        "SELECT e.kind, p.slug, e.query, e.row_name, e.model_version, e.position
         FROM shopper_events e LEFT JOIN products p ON p.id = e.product_id ORDER BY e.id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

/// An event of `kind` naming product `slug` and nothing else.
fn only_product(kind: &str, slug: &str) -> Said {
    (kind.into(), Some(slug.into()), None, None, None, None)
}

/// The visitor id a response gives the browser, if it sets one.
fn visitor_set(response: &reqwest::Response) -> Option<Uuid> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("vitrine_visitor=")?.split(';').next()?.parse().ok())
}

/// Every visitor events were written under.
async fn visitors(app: &TestApp) -> Vec<Uuid> {
    app.events.flush().await;
    sqlx::query_scalar("SELECT DISTINCT visitor FROM shopper_events")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_product_page_records_a_view_under_the_visitor_cookie_it_sets() {
    let app = app().await;
    let first = app.get("/products/guitar").await;
    assert_eq!(first.status(), 200);
    let visitor = visitor_set(&first).expect("a new browser gets a visitor id");
    let again = app
        .client
        .get(app.url("/products/guitar"))
        .header("cookie", format!("vitrine_visitor={visitor}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(visitor_set(&again), None, "a known browser keeps its id");
    assert_eq!(said(&app).await, [only_product("view", "guitar"), only_product("view", "guitar")]);
    assert_eq!(visitors(&app).await, [visitor]);
}

#[tokio::test]
async fn a_page_asked_not_to_track_records_nothing_and_sets_no_visitor_cookie() {
    let app = app().await;
    for (header, value) in [("sec-gpc", "1"), ("dnt", "1")] {
        for path in ["/products/guitar?q=guitar&pos=0", "/search?q=guitar"] {
            let response =
                app.client.get(app.url(path)).header(header, value).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(visitor_set(&response), None, "{header} on {path}");
        }
        let search = app.client.get(app.url("/api/search?q=guitar")).header(header, value);
        assert_eq!(visitor_set(&search.send().await.unwrap()), None, "{header}");
    }
    assert!(said(&app).await.is_empty());
}

#[tokio::test]
async fn adding_to_the_cart_records_the_variants_product() {
    let db = TestDb::migrated().await;
    let mug = crate::helpers::stocked_variant(&db, "MUG", 10).await;
    let app = TestApp::spawn(db).await;
    let shopper = TestShopper::new(&app);
    assert_eq!(shopper.add(mug, 2).await.status, 200);
    // The page's own form, through its server function, with the cookies the API set.
    let form = shopper
        .client
        .post(app.url("/api/shop/add-to-cart"))
        .header("accept", "application/json")
        .form(&[("variant_id", mug.to_string()), ("quantity", "1".to_owned())]);
    assert_eq!(form.send().await.unwrap().status(), 200);
    // Setting a quantity on the cart page is not an add.
    let set = shopper.client.put(app.url(&format!("/api/cart/items/{mug}")));
    assert_eq!(set.json(&json!({ "quantity": 1 })).send().await.unwrap().status(), 200);
    assert_eq!(shopper.client.get(app.url("/products/mug")).send().await.unwrap().status(), 200);
    assert_eq!(
        said(&app).await,
        [
            only_product("cart_add", "mug"),
            only_product("cart_add", "mug"),
            only_product("view", "mug")
        ]
    );
    assert_eq!(visitors(&app).await.len(), 1, "one browser, one visitor");
}

#[tokio::test]
async fn a_search_as_typed_is_recorded_once_not_each_narrowing() {
    let app = app().await;
    let shopper = TestShopper::new(&app);
    for path in [
        "/api/search?q=%20%20guitar%20",
        "/api/search?q=guitar&page=2",
        "/api/search?q=guitar&in_stock=1",
        "/api/search?q=guitar&sort=newest",
        "/api/search?q=",
    ] {
        assert_eq!(shopper.get::<Value>(path).await.status, 200, "{path}");
    }
    // The results page: its search too, and links that say which result was opened.
    let page = shopper.client.get(app.url("/search?q=teapot")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/products/teapot?q=teapot&amp;pos=0"), "{html}");
    let search =
        |query: &str| ("search".to_owned(), None, Some(query.to_owned()), None, None, None);
    assert_eq!(said(&app).await, [search("guitar"), search("teapot")]);
    assert_eq!(visitors(&app).await.len(), 1);
}

#[tokio::test]
async fn a_product_page_records_the_search_result_or_recommendation_it_was_opened_from() {
    let app = app().await;
    let shopper = TestShopper::new(&app);
    for path in [
        "/products/guitar?q=guitar&pos=2",
        "/products/guitar?rec=also_bought&v=x&pos=1",
        "/products/guitar?rec=trending&pos=0",
        // Bad or unknown parameters lose the click's detail or the click, never the page.
        "/products/guitar?q=guitar&pos=two",
        "/products/guitar?rec=no_such_row&pos=1",
    ] {
        let response = shopper.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let view = || only_product("view", "guitar");
    let click = |kind: &str, query: Option<&str>, row: Option<&str>, v: Option<&str>, pos| {
        let owned = |text: Option<&str>| text.map(str::to_owned);
        (kind.to_owned(), Some("guitar".to_owned()), owned(query), owned(row), owned(v), pos)
    };
    assert_eq!(
        said(&app).await,
        [
            view(),
            click("search_click", Some("guitar"), None, None, Some(2)),
            view(),
            click("rec_click", None, Some("also_bought"), Some("x"), Some(1)),
            view(),
            click("rec_click", None, Some("trending"), None, Some(0)),
            view(),
            click("search_click", Some("guitar"), None, None, None),
            view(),
        ]
    );
}

#[tokio::test]
async fn the_privacy_page_says_what_is_recorded_and_how_to_turn_it_off() {
    let app = app().await;
    let response = app.get("/privacy").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("first party only"), "{html}");
    assert!(html.contains("If your browser sends Global Privacy Control or Do Not Track"));
    assert!(app.get("/").await.text().await.unwrap().contains(r#"href="/privacy""#), "linked");
}
