//! `vitrine simulate shoppers` against a served shop: the simulated shoppers' views, searches
//! and cart adds reach `shopper_events`, and with every shopper buying, their accounts hold
//! paid orders and the events they made as guests.

use uuid::Uuid;
use vitrine::commands::simulate::{self, EMAIL_DOMAIN};
use vitrine::runtime::cli::ShoppersArgs;

use crate::helpers::{TestApp, TestDb};

fn shoppers(app: &TestApp, buy_share: f64) -> ShoppersArgs {
    ShoppersArgs { url: app.url(""), shoppers: 4, seed: 11, concurrency: 2, buy_share, pace_ms: 0 }
}

async fn events_of_kind(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM shopper_events WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn simulated_shoppers_browse_search_fill_carts_and_pay() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::spawn(db).await;

    let summary = simulate::run(&shoppers(&app, 1.0)).await.expect("the simulation runs");
    app.events.flush().await;

    assert_eq!(summary.shoppers, 4);
    assert_eq!(summary.errors, 0, "{summary}");
    assert!(summary.views >= 12, "each shopper opens three pages or more: {summary}");
    assert_eq!(events_of_kind(&app, "view").await, summary.views as i64);
    assert_eq!(events_of_kind(&app, "search").await, summary.searches as i64);
    assert_eq!(events_of_kind(&app, "cart_add").await, summary.cart_adds as i64);
    assert!(summary.searches == 4 && summary.cart_adds >= 1, "{summary}");

    // Everyone bought: as simulated accounts, whose guest events were joined to them.
    let paid: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, email FROM orders WHERE status = 'paid'")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(!paid.is_empty());
    assert_eq!(paid.len() as u64, summary.orders_paid);
    assert_eq!(summary.accounts, summary.orders_paid);
    assert!(paid.iter().all(|(_, email)| email.ends_with(EMAIL_DOMAIN)), "{paid:?}");
    let joined: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT e.user_id) FROM shopper_events e
         JOIN users u ON u.id = e.user_id WHERE e.kind = 'view' AND u.email LIKE '%' || $1",
    )
    .bind(EMAIL_DOMAIN)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(joined as u64, summary.accounts);
}

#[tokio::test]
async fn a_shop_that_is_not_there_is_a_clear_error() {
    // A port that was free a moment ago: nothing listens there now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let args = ShoppersArgs {
        url: format!("http://{addr}"),
        shoppers: 1,
        seed: 1,
        concurrency: 1,
        buy_share: 0.0,
        pace_ms: 0,
    };
    let error = simulate::run(&args).await.expect_err("nothing to simulate on");
    let message = format!("{error:#}");
    assert!(message.contains("vitrine serve") && message.contains(&addr.to_string()), "{message}");
}
