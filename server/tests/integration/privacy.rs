//! A shopper's own data: the export holds their account, sign-ins, cart and orders; deleting the
//! account signs them out, erases them from the account, the orders, the events and the email
//! records, and keeps the orders' amounts for the shop's accounts. Both are audited.

use reqwest::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{signed_in_admin, stocked_variant, TestApp, TestDb, TestShopper};

const EMAIL: &str = "grace@example.com";
const PASSWORD: &str = "a long and unusual passphrase";

/// A signed-in shopper with one paid order to London and a mug left in the cart.
async fn shopper_with_history(app: &TestApp) -> (TestShopper, Uuid) {
    let shopper = TestShopper::new(app);
    let registered = shopper
        .post::<Value>("/api/auth/register", json!({ "email": EMAIL, "password": PASSWORD }))
        .await;
    assert_eq!(registered.status, 201);
    let mug: Uuid = sqlx::query_scalar("SELECT id FROM product_variants WHERE sku = 'MUG'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    shopper.add(mug, 2).await.ok();
    let order = shopper.place_order_for(EMAIL).await.ok();
    let paid = shopper.pay(order.summary.id, "pay-1", "4242 4242 4242 4242").await;
    assert_eq!(paid.status, 200, "{paid:?}");
    shopper.add(mug, 1).await.ok();
    (shopper, order.summary.id)
}

#[tokio::test]
async fn a_shopper_downloads_everything_the_shop_holds_about_them() {
    let db = TestDb::migrated().await;
    stocked_variant(&db, "MUG", 10).await;
    let app = TestApp::spawn(db).await;
    let (shopper, order) = shopper_with_history(&app).await;

    let response = shopper.client.get(app.url("/api/auth/me/data")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()[CONTENT_DISPOSITION].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let data: Value = response.json().await.unwrap();
    assert_eq!(data["account"]["email"], EMAIL);
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(data["sessions"][0]["ended"], false);
    assert_eq!(data["cart"]["item_count"], 1);
    let orders = data["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["summary"]["id"], order.to_string());
    assert_eq!(orders[0]["shipping_address"]["name"], "Ada Lovelace");
    assert!(!orders[0]["lines"].as_array().unwrap().is_empty());

    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id")
            .bind(data["account"]["id"].as_str().unwrap())
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(audited, ["account.export"]);

    let stranger = reqwest::Client::new().get(app.url("/api/auth/me/data")).send().await.unwrap();
    assert_eq!(stranger.status(), 401);
}

#[tokio::test]
async fn a_deleted_account_is_erased_everywhere_and_its_orders_kept_anonymised() {
    let db = TestDb::migrated().await;
    stocked_variant(&db, "MUG", 10).await;
    let app = TestApp::spawn(db).await;
    let (shopper, order) = shopper_with_history(&app).await;
    let total_before: i64 = sqlx::query_scalar("SELECT total_minor FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let delete = |password: &str| {
        shopper.client.delete(app.url("/api/auth/me")).json(&json!({ "password": password })).send()
    };
    let wrong = delete("not my password at all").await.unwrap();
    assert_eq!(wrong.status(), 403);

    let deleted = delete(PASSWORD).await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(shopper.get::<Value>("/api/auth/me").await.status, 401, "signed out at once");
    let sign_in = shopper
        .post::<Value>("/api/auth/sign-in", json!({ "email": EMAIL, "password": PASSWORD }))
        .await;
    assert_eq!(sign_in.status, 401);

    // The order stays for the accounts, without the person.
    let (email, address, total, status): (String, Value, i64, String) = sqlx::query_as(
        "SELECT email, shipping_address, total_minor, status FROM orders WHERE id = $1",
    )
    .bind(order)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(email.ends_with("@deleted.invalid"), "{email}");
    assert_eq!(address["name"], "(deleted account)");
    assert_eq!((address["line1"].as_str(), address["country"].as_str()), (Some(""), Some("GB")));
    assert_eq!((total, status.as_str()), (total_before, "paid"));

    // Nothing anywhere names the address any more.
    let mentions: i64 = sqlx::query_scalar(
        r#"
        SELECT (SELECT count(*) FROM users WHERE email = $1)
             + (SELECT count(*) FROM orders WHERE email = $1)
             + (SELECT count(*) FROM outbox WHERE strpos(payload::text, $1) > 0)
             + (SELECT count(*) FROM shop_events WHERE strpos(payload::text, $1) > 0)
             + (SELECT count(*) FROM sent_emails WHERE recipient = $1)
        "#,
    )
    .bind(EMAIL)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(mentions, 0);
    let carts: i64 = sqlx::query_scalar("SELECT count(*) FROM carts WHERE user_id IS NOT NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(carts, 0);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'account.delete'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);

    // The address is free for a new account.
    let again = TestShopper::new(&app)
        .post::<Value>("/api/auth/register", json!({ "email": EMAIL, "password": PASSWORD }))
        .await;
    assert_eq!(again.status, 201);
}

#[tokio::test]
async fn the_last_admin_cannot_delete_their_account() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let response = app
        .client
        .delete(app.url("/api/auth/me"))
        .bearer_auth(&admin)
        .json(&json!({ "password": "the test admin's long passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "last_admin");
}
