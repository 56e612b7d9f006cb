//! The outbox relay: events reach the internal feed and their emails the mail folder, at least
//! once, and a repeat delivery sends nothing twice.

use std::time::Duration;

use vitrine::jobs::notify::mailer::Mailer;
use vitrine::jobs::notify::Relay;

use crate::helpers::{paid_guest_order, TestApp, TestDb};

fn relay(app: &TestApp, mailer: Mailer) -> Relay {
    Relay {
        pool: app.db.pool.clone(),
        mailer,
        public_url: "http://shop.test".into(),
        idle_poll: Duration::from_millis(10),
        lease: Duration::from_secs(60),
    }
}

fn emails(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap()).collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_paid_order_is_confirmed_by_email_once_and_published_to_the_feed() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::spawn(db).await;
    let order_id = paid_guest_order(&app, "TEAPOT", "buyer@example.com").await;
    let folder = std::env::temp_dir().join(format!("vitrine-mail-{}", uuid::Uuid::new_v4()));
    let relay = relay(&app, Mailer::folder(folder.clone(), "Shop <shop@vitrine.test>").unwrap());

    while relay.run_once().await.unwrap() > 0 {}
    let sent = emails(&folder);
    assert_eq!(sent.len(), 1, "one email: the confirmation");
    let confirmation = &sent[0];
    assert!(confirmation.contains("To: buyer@example.com"), "{confirmation}");
    assert!(confirmation.contains("Subject: Order 1001 confirmed"), "{confirmation}");
    assert!(confirmation.contains("1 × Teapot"), "{confirmation}");
    assert!(confirmation.contains(&format!("http://shop.test/orders/{order_id}")));
    // A few picks that go with the order (trending, with no history yet), never what was
    // bought, each link saying it came from the email's row.
    let picks = confirmation.split("You might also like:").nth(1).expect("picks in the email");
    assert_eq!(picks.matches("?rec=order_email&pos=").count(), 3, "{confirmation}");
    assert!(!picks.contains("Teapot"), "{confirmation}");
    let topics: Vec<String> =
        sqlx::query_scalar("SELECT topic FROM shop_events ORDER BY outbox_id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(topics, ["order.placed", "order.paid"]);

    // At-least-once: the same events delivered again change nothing.
    sqlx::query("UPDATE outbox SET delivered_at = NULL, next_attempt_at = now()")
        .execute(&app.db.pool)
        .await
        .unwrap();
    while relay.run_once().await.unwrap() > 0 {}
    assert_eq!(emails(&folder).len(), 1, "not sent twice");
    let feed: i64 = sqlx::query_scalar("SELECT count(*) FROM shop_events")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(feed, 2, "not published twice");
    std::fs::remove_dir_all(&folder).ok();
}

#[tokio::test]
async fn an_unreachable_mail_server_leaves_the_email_to_retry() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::spawn(db).await;
    paid_guest_order(&app, "TEAPOT", "buyer@example.com").await;
    // Nothing listens on port 9 here: the connection is refused.
    let relay = relay(&app, Mailer::smtp("smtp://127.0.0.1:9", "shop@vitrine.test").unwrap());
    relay.run_once().await.unwrap();

    let (attempts, error, later): (i32, Option<String>, bool) = sqlx::query_as(
        "SELECT attempts, last_error, next_attempt_at > now() FROM outbox
         WHERE topic = 'order.paid' AND delivered_at IS NULL",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| e.contains("SMTP")));
    assert!(later, "retried after a delay");
    let placed_delivered: bool = sqlx::query_scalar(
        "SELECT delivered_at IS NOT NULL FROM outbox WHERE topic = 'order.placed'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(placed_delivered, "a feed-only event does not wait for the mail server");
}
