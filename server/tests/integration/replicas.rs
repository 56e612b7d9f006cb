//! Two web processes over one database behave as one shop: a payment that waits for the bank's
//! confirmation can be confirmed through the other one (the sandbox's records are in the
//! database), sign-in throttles count attempts made through both, and two workers run each job
//! once. (Revocation reaching the other replica is in `revocation.rs`.)

use app::backend::payments::test_provider::CONFIRM_CARD;
use app::backend::payments::PaymentResult;
use app::types::OrderStatus;
use serde_json::json;

use crate::helpers::{stocked_variant, TestApp, TestDb, TestShopper};

#[tokio::test]
async fn a_payment_started_on_one_replica_is_confirmed_through_the_other() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "TWO-HOSTS", 3).await;
    let first = TestApp::spawn(db).await;
    let second = first.replica().await;
    let shopper = TestShopper::new(&first);
    shopper.add(variant, 1).await.ok();
    let id = shopper.place_order().await.ok().summary.id;
    let asked = shopper.pay(id, "3ds", CONFIRM_CARD).await;
    let PaymentResult::RequiresAction { payment_id } = asked.ok().payment else {
        panic!("the card asks for confirmation")
    };
    // The bank's page sends the shopper back to whichever replica the balancer picks.
    let confirmed = shopper.at(&second).confirm(id, payment_id).await;
    assert_eq!(confirmed.status, 200, "{confirmed:?}");
    assert_eq!(confirmed.ok().order.summary.status, OrderStatus::Paid);
    let captured = first.payments.charges().await.unwrap();
    assert_eq!(captured.len(), 1);
    assert!(captured[0].captured);
}

#[tokio::test]
async fn sign_in_failures_through_both_replicas_count_together() {
    let db = TestDb::migrated().await;
    let first = TestApp::spawn(db).await;
    let second = first.replica().await;
    let register =
        json!({ "email": "pat@example.com", "password": "a long and unusual passphrase" });
    let registered = first.client.post(first.url("/api/auth/register")).json(&register).send();
    assert_eq!(registered.await.unwrap().status(), 201);
    let wrong = json!({ "email": "pat@example.com", "password": "a wrong guess at it" });
    // Five consecutive failures are free (the default limits); the sixth must wait, wherever
    // the five were made.
    for app in [&first, &second, &first, &second, &first] {
        let response = app.client.post(app.url("/api/auth/sign-in")).json(&wrong).send().await;
        assert_eq!(response.unwrap().status(), 401);
    }
    let sixth = second.client.post(second.url("/api/auth/sign-in")).json(&wrong).send().await;
    let sixth = sixth.unwrap();
    assert_eq!(sixth.status(), 429);
    assert!(sixth.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn two_workers_run_each_job_once() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'embed_image' AND status = 'queued'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let (a, b) = (db.embedding_worker(), db.embedding_worker());
    let drain = |worker: vitrine::jobs::worker::Worker| async move {
        let mut ran = 0;
        loop {
            let batch = worker.run_once().await.unwrap();
            if batch == 0 {
                return ran;
            }
            ran += batch;
        }
    };
    let (ran_a, ran_b) = tokio::join!(drain(a), drain(b));
    assert_eq!(ran_a + ran_b, queued as usize, "every job exactly once between them");
    let attempts: Vec<i32> =
        sqlx::query_scalar("SELECT attempts FROM jobs WHERE kind = 'embed_image'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert!(attempts.iter().all(|&attempts| attempts == 1), "{attempts:?}");
}
