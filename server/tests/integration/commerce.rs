//! The buying path over HTTP: carts, checkout with holds, payments with idempotency keys,
//! declines, expiry, refunds and the order state machine, against a real database and the
//! built-in payment sandbox.

use std::sync::Arc;
use std::time::Duration;

use app::backend::audit::Actor;
use app::backend::inventory;
use app::backend::orders;
use app::backend::payments::{self, PaymentAnswer, PaymentResult, RefundOrder};
use app::types::{CommerceError, OrderDetail, OrderStatus};
use serde_json::{json, Value};
use uuid::Uuid;
use vitrine::jobs::shop::ReleaseHoldHandler;
use vitrine::jobs::worker::Worker;

use crate::helpers::{answer, stocked_variant, TestApp, TestDb, TestShopper as Shopper};

const SUCCESS_CARD: &str = "4242 4242 4242 4242";
const DECLINED_CARD: &str = "4000 0000 0000 0002";
const CONFIRM_CARD: &str = "4000 0027 6000 3184";

async fn stock(db: &TestDb, variant_id: Uuid) -> (i32, i32) {
    sqlx::query_as("SELECT on_hand, reserved FROM product_variants WHERE id = $1")
        .bind(variant_id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn assert_ledger_balances(db: &TestDb) {
    let mut conn = db.pool.acquire().await.unwrap();
    let unbalanced = inventory::unbalanced_variants(&mut conn).await.unwrap();
    assert!(
        unbalanced.is_empty(),
        "variants whose stock disagrees with the ledger: {unbalanced:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_checkouts_sell_exactly_the_ten_in_stock() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "LAST-TEN", 10).await;
    let app = Arc::new(TestApp::spawn(db).await);

    // Watch the shelf while the crowd checks out: available never goes below zero.
    let watcher = {
        let pool = app.db.pool.clone();
        tokio::spawn(async move {
            let mut lowest = i32::MAX;
            for _ in 0..400 {
                let available: i32 = sqlx::query_scalar(
                    "SELECT on_hand - reserved FROM product_variants WHERE id = $1",
                )
                .bind(variant)
                .fetch_one(&pool)
                .await
                .unwrap();
                lowest = lowest.min(available);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            lowest
        })
    };

    // Everyone fills their cart first, then all check out at once.
    let ready = Arc::new(tokio::sync::Barrier::new(200));
    let shoppers = (0..200).map(|n| {
        let app = Arc::clone(&app);
        let ready = Arc::clone(&ready);
        tokio::spawn(async move {
            let shopper = Shopper::new(&app);
            let added = shopper.add(variant, 1).await;
            assert_eq!(added.status, 200, "everyone may put the mug in their cart");
            ready.wait().await;
            let placed = shopper.place_order().await;
            match placed.status {
                201 => {
                    let order = placed.ok();
                    let key = format!("pay-{n}");
                    let paid = shopper.pay(order.summary.id, &key, SUCCESS_CARD).await;
                    assert_eq!(paid.ok().payment, PaymentResult::Paid);
                    "paid"
                }
                _ => {
                    assert_eq!(placed.refusal(), (409, "sold_out"));
                    "sold out"
                }
            }
        })
    });
    let mut outcomes = Vec::new();
    for shopper in shoppers.collect::<Vec<_>>() {
        outcomes.push(shopper.await.unwrap());
    }
    let paid = outcomes.iter().filter(|o| **o == "paid").count();
    let sold_out = outcomes.iter().filter(|o| **o == "sold out").count();
    assert_eq!((paid, sold_out), (10, 190));

    assert!(watcher.await.unwrap() >= 0);
    assert_eq!(stock(&app.db, variant).await, (0, 0), "all ten sold, nothing left held");
    assert_ledger_balances(&app.db).await;
    let paid_orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE status = 'paid'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(paid_orders, 10);
    let captured =
        app.payments.charges().await.unwrap().iter().filter(|charge| charge.captured).count();
    assert_eq!(captured, 10, "the sandbox took money ten times");
}

#[tokio::test]
async fn a_payment_retried_with_the_same_key_charges_once() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "RETRIED", 5).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    shopper.add(variant, 2).await.ok();
    let id = shopper.place_order().await.ok().summary.id;

    // A double click and a retry after a lost response: the same key each time.
    let (first, second) = tokio::join!(
        shopper.pay(id, "key-1", SUCCESS_CARD),
        shopper.pay(id, "key-1", SUCCESS_CARD)
    );
    let statuses = [first.status, second.status];
    assert!(statuses.contains(&200), "{first:?} {second:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "in flight at most: {statuses:?}");
    let again = shopper.pay(id, "key-1", SUCCESS_CARD).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.ok().order.summary.status, OrderStatus::Paid);

    assert_eq!(app.payments.charges().await.unwrap().len(), 1, "one charge at the provider");
    let ledger: (i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(amount_minor)::int8 FROM payment_ledger WHERE kind = 'charge'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(ledger, (1, 2 * 1250 + 490), "two mugs and standard delivery, once");
    // A new key cannot pay a paid order again.
    let paid_again = shopper.pay(id, "key-2", SUCCESS_CARD).await;
    assert_eq!(paid_again.refusal(), (409, "illegal_transition"));
    // The key with another card is a different request.
    let other_card = shopper.pay(id, "key-1", "5555 5555 5555 4444").await;
    assert_eq!(other_card.refusal(), (422, "idempotency_key_reused"));
}

#[tokio::test]
async fn a_declined_card_leaves_no_order_paid_and_no_stock_held_and_can_be_retried() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "DECLINED", 3).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    shopper.add(variant, 1).await.ok();
    let id = shopper.place_order().await.ok().summary.id;
    assert_eq!(stock(&app.db, variant).await, (3, 1), "held while paying");

    let declined = shopper.pay(id, "attempt-1", DECLINED_CARD).await;
    assert_eq!(declined.refusal(), (402, "payment_declined"));
    assert!(declined.body.unwrap_err().message.contains("card_declined"));
    assert_eq!(stock(&app.db, variant).await, (3, 0), "the decline released the hold");
    let order = shopper.order(id).await.ok();
    assert_eq!(order.summary.status, OrderStatus::PendingPayment);
    assert_eq!(order.paid.minor, 0);

    assert_eq!(shopper.pay(id, "attempt-2", SUCCESS_CARD).await.ok().payment, PaymentResult::Paid);
    assert_eq!(stock(&app.db, variant).await, (2, 0), "sold after the retry");
    assert_ledger_balances(&app.db).await;
    assert_eq!(shopper.cart().await.item_count, 0, "the bought item left the cart");
}

#[tokio::test]
async fn a_card_that_needs_confirming_is_paid_once_the_shopper_confirms() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "CONFIRMED", 3).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    shopper.add(variant, 1).await.ok();
    let id = shopper.place_order().await.ok().summary.id;
    let asked = shopper.pay(id, "3ds", CONFIRM_CARD).await;
    assert_eq!(asked.status, 202);
    let PaymentResult::RequiresAction { payment_id } = asked.ok().payment else {
        panic!("the card asks for confirmation")
    };
    let confirmed = shopper.confirm(id, payment_id).await;
    assert_eq!(confirmed.status, 200);
    assert_eq!(confirmed.ok().order.summary.status, OrderStatus::Paid);
    let again = shopper.confirm(id, payment_id).await;
    assert_eq!(again.refusal().0, 409, "nothing left to confirm");
}

#[tokio::test]
async fn an_expired_hold_is_released_by_its_job_and_the_order_cancelled() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "EXPIRES", 2).await;
    let app = TestApp::builder(db).hold(Duration::from_secs(1)).spawn().await;
    let shopper = Shopper::new(&app);
    shopper.add(variant, 2).await.ok();
    let id = shopper.place_order().await.ok().summary.id;
    assert_eq!(stock(&app.db, variant).await, (2, 2));

    let worker = Worker::new(app.db.pool.clone())
        .with_handler(Arc::new(ReleaseHoldHandler { pool: app.db.pool.clone() }));
    assert_eq!(worker.run_once().await.unwrap(), 0, "not due before the hold ends");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(stock(&app.db, variant).await, (2, 0), "released");
    assert_eq!(shopper.order(id).await.ok().summary.status, OrderStatus::Cancelled);
    assert_ledger_balances(&app.db).await;

    let too_late = shopper.pay(id, "too-late", SUCCESS_CARD).await;
    assert_eq!(too_late.refusal(), (409, "reservation_expired"));
    assert!(app.payments.charges().await.unwrap().is_empty(), "nothing was charged");
    // A second run of the same job finds nothing to do.
    assert_eq!(
        orders::release_expired_hold(&app.db.pool, id).await.unwrap(),
        orders::HoldOutcome::NotDue
    );
}

#[tokio::test]
async fn illegal_order_transitions_are_refused() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "MOVED", 3).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    shopper.add(variant, 1).await.ok();
    let id = shopper.place_order().await.ok().summary.id;
    let pool = &app.db.pool;

    let refused =
        orders::transition(pool, id, OrderStatus::Shipped, Some(Actor::Command), "").await;
    assert_eq!(
        refused,
        Err(CommerceError::IllegalTransition {
            from: "pending_payment".into(),
            to: "shipped".into()
        })
    );
    shopper.pay(id, "k", SUCCESS_CARD).await.ok();
    // A paid order is refunded, never cancelled.
    assert_eq!(shopper.cancel(id).await.refusal(), (409, "illegal_transition"));
    for next in [OrderStatus::Fulfilled, OrderStatus::Shipped, OrderStatus::Delivered] {
        orders::transition(pool, id, next, Some(Actor::Command), "").await.unwrap();
    }
    let back = orders::transition(pool, id, OrderStatus::Shipped, Some(Actor::Command), "").await;
    assert!(matches!(back, Err(CommerceError::IllegalTransition { .. })));
    // Refunded is reached only through a refund.
    let refunded =
        orders::transition(pool, id, OrderStatus::Refunded, Some(Actor::Command), "").await;
    assert!(matches!(refunded, Err(CommerceError::IllegalTransition { .. })));

    let history: Vec<OrderStatus> =
        shopper.order(id).await.ok().history.iter().map(|change| change.to).collect();
    use OrderStatus::*;
    assert_eq!(history, [PendingPayment, Paid, Fulfilled, Shipped, Delivered]);
}

#[tokio::test]
async fn refunds_never_exceed_what_was_paid() {
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "REFUNDED", 3).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    shopper.add(variant, 2).await.ok();
    let id = shopper.place_order().await.ok().summary.id;
    shopper.pay(id, "k", SUCCESS_CARD).await.ok();
    let total = 2 * 1250 + 490;
    let state_payments = app_payments(&app);
    let refund = |amount: i64, key: &'static str, restock: bool| {
        let pool = app.db.pool.clone();
        let payments = state_payments.clone();
        async move {
            let request = RefundOrder {
                order_id: id,
                amount_minor: amount,
                reason: "test",
                restock,
                idempotency_key: key,
            };
            payments::refund_order(&pool, &payments, request, Actor::Command).await
        }
    };

    // Two full refunds at once with different keys: one wins, the other is too large.
    let (a, b) = tokio::join!(refund(total, "a", false), refund(total, "b", false));
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    let refused = if a.is_err() { a } else { b };
    assert!(matches!(refused, Err(CommerceError::NotPaid | CommerceError::RefundTooLarge { .. })));

    // Partial refunds on a fresh order add up to the total and no further.
    let shopper = Shopper::new(&app);
    shopper.add(variant, 1).await.ok();
    let second = shopper.place_order().await.ok().summary.id;
    shopper.pay(second, "k", SUCCESS_CARD).await.ok();
    let partial = |amount: i64, key: &'static str| {
        let pool = app.db.pool.clone();
        let payments = state_payments.clone();
        async move {
            let request = RefundOrder {
                order_id: second,
                amount_minor: amount,
                reason: "damaged",
                restock: true,
                idempotency_key: key,
            };
            payments::refund_order(&pool, &payments, request, Actor::Command).await
        }
    };
    let first = partial(1000, "p1").await.unwrap();
    assert_eq!(first.order_status, OrderStatus::Paid, "partly refunded stays paid");
    assert_eq!(partial(1000, "p1").await.unwrap(), first, "the same key is the same refund");
    let too_much = partial(741, "p2").await;
    assert!(matches!(too_much, Err(CommerceError::RefundTooLarge { .. })), "{too_much:?}");
    let last = partial(740, "p3").await.unwrap();
    assert_eq!(last.order_status, OrderStatus::Refunded);
    assert_eq!(last.refunded_total.minor, 1250 + 490);
    assert!(matches!(partial(1, "p4").await, Err(CommerceError::NotPaid)));
    // The full refund put the mug back on the shelf.
    assert_eq!(stock(&app.db, variant).await, (3 - 2, 0));
    assert_ledger_balances(&app.db).await;
    let (paid, refunded): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(amount_minor) FILTER (WHERE kind = 'charge'), 0)::int8,
                coalesce(sum(amount_minor) FILTER (WHERE kind = 'refund'), 0)::int8
         FROM payment_ledger WHERE order_id = $1",
    )
    .bind(second)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((paid, refunded), (1250 + 490, 1250 + 490));
}

/// The payments the app was spawned with (its sandbox and hold).
fn app_payments(app: &TestApp) -> payments::Payments {
    payments::Payments { provider: app.payments.clone(), hold: crate::helpers::TEST_HOLD }
}

#[tokio::test]
async fn a_guest_cart_follows_the_shopper_into_their_new_account() {
    let db = TestDb::migrated().await;
    let mug = stocked_variant(&db, "MERGED", 5).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    assert_eq!(shopper.add(mug, 2).await.ok().item_count, 2);
    assert_eq!(shopper.add(mug, 4).await.refusal(), (409, "not_enough_stock"));

    let registered = shopper
        .post::<Value>(
            "/api/auth/register",
            json!({ "email": "merged@example.com", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(registered.status, 201);
    assert_eq!(shopper.cart().await.item_count, 2, "the guest's mugs are in the account's cart");
    let guest_carts: i64 = sqlx::query_scalar("SELECT count(*) FROM carts WHERE user_id IS NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(guest_carts, 0, "the guest cart was merged away");

    // Signed in, the email defaults to the account's.
    let placed = shopper
        .post::<OrderDetail>(
            "/api/orders",
            json!({ "shipping_address": { "name": "M", "line1": "1 Road", "city": "Paris",
                                          "postal_code": "75001", "country": "FR" },
                    "shipping_method": "express" }),
        )
        .await;
    assert_eq!(placed.status, 201);
    let order = placed.ok();
    assert_eq!(order.summary.email, "merged@example.com");
    assert_eq!(order.shipping.minor, 1290);

    // Another browser sees neither the cart nor the order.
    let stranger = Shopper::new(&app);
    assert_eq!(stranger.order(order.summary.id).await.refusal(), (404, "order_not_found"));
    assert_eq!(stranger.cart().await.item_count, 0);
}

#[tokio::test]
async fn bad_checkout_input_gets_clear_errors() {
    let db = TestDb::migrated().await;
    let mug = stocked_variant(&db, "INPUTS", 5).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    assert_eq!(shopper.place_order().await.refusal(), (422, "empty_cart"));
    for quantity in [0, 100] {
        assert_eq!(shopper.add(mug, quantity).await.refusal(), (422, "bad_quantity"));
    }
    assert_eq!(shopper.add(Uuid::new_v4(), 1).await.refusal(), (404, "unknown_variant"));
    shopper.add(mug, 1).await.ok();
    let no_name = shopper
        .post::<OrderDetail>(
            "/api/orders",
            json!({ "email": "a@b.c", "shipping_address": { "name": "", "line1": "x",
              "city": "y", "postal_code": "1", "country": "DE" }, "shipping_method": "standard" }),
        )
        .await;
    assert_eq!(no_name.refusal(), (422, "bad_address"));
    let nonsense = shopper.post::<OrderDetail>("/api/orders", json!({ "nonsense": true })).await;
    assert_eq!(nonsense.refusal(), (400, "bad_request"));
    let id = shopper.place_order().await.ok().summary.id;
    assert_eq!(shopper.pay(id, "k", "4242 4242 4242 4241").await.refusal(), (422, "invalid_card"));
    let response = shopper
        .client
        .post(app.url(&format!("/api/orders/{id}/payments")))
        .json(&json!({ "card": { "number": SUCCESS_CARD, "expiry": "12/30", "cvc": "123" } }))
        .send()
        .await
        .unwrap();
    let no_key = answer::<PaymentAnswer>(response).await;
    assert_eq!(no_key.refusal(), (400, "missing_idempotency_key"));
}

#[tokio::test]
async fn stock_counts_and_deliveries_go_through_the_ledger_and_the_audit_log() {
    use app::backend::inventory::adjust_stock;
    use app::types::StockChange;
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "COUNTED", 5).await;
    let app = TestApp::spawn(db).await;
    let shopper = Shopper::new(&app);
    shopper.add(variant, 2).await.ok();
    shopper.place_order().await.ok(); // holds 2
    let pool = &app.db.pool;

    let refused = adjust_stock(pool, Actor::Command, variant, StockChange::Count, 1, "").await;
    assert_eq!(refused, Err(CommerceError::CountBelowReserved { reserved: 2 }));
    let delivered =
        adjust_stock(pool, Actor::Command, variant, StockChange::Delivery, 10, "pallet 7").await;
    assert_eq!(delivered.map(|row| (row.on_hand, row.reserved)), Ok((15, 2)));
    let counted =
        adjust_stock(pool, Actor::Command, variant, StockChange::Count, 12, "count").await;
    assert_eq!(counted.map(|row| (row.on_hand, row.reserved)), Ok((12, 2)));
    let bad = adjust_stock(pool, Actor::Command, variant, StockChange::Delivery, 0, "").await;
    assert!(matches!(bad, Err(CommerceError::BadQuantity { .. })));
    assert_ledger_balances(&app.db).await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'inventory.stock.adjust'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(audited, 2, "the two changes made, not the refused ones");
}

#[tokio::test]
async fn a_hidden_product_leaves_the_shop_and_carts_holding_it_cannot_check_out() {
    use app::backend::catalog::set_published;
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "HIDDEN", 5).await;
    let app = TestApp::spawn(db).await;
    let pool = &app.db.pool;
    let product: Uuid = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'hidden'")
        .fetch_one(pool)
        .await
        .unwrap();
    let shopper = Shopper::new(&app);
    assert_eq!(shopper.add(variant, 1).await.status, 200, "in the cart before it is hidden");

    let hidden = set_published(pool, Actor::Command, product, false).await.unwrap();
    assert!(!hidden.published);
    let again = set_published(pool, Actor::Command, product, false).await.unwrap();
    assert!(!again.published, "hiding a hidden product changes nothing");

    assert_eq!(app.get("/products/hidden").await.status(), 404);
    let aisle = app.get("/categories/mugs").await;
    assert_eq!(aisle.status(), 200);
    assert!(!aisle.text().await.unwrap().contains("/products/hidden"), "not listed");
    let similar = app.get(&format!("/api/products/{product}/similar")).await;
    assert_eq!(similar.status(), 404);
    assert_eq!(shopper.add(variant, 1).await.refusal(), (422, "not_for_sale"));
    assert_eq!(shopper.place_order().await.refusal(), (409, "sold_out"));
    assert_eq!(stock(&app.db, variant).await, (5, 0), "nothing held");

    set_published(pool, Actor::Command, product, true).await.unwrap();
    assert_eq!(app.get("/products/hidden").await.status(), 200);
    assert_eq!(
        shopper.place_order().await.status,
        201,
        "the same cart checks out once it is shown"
    );

    let recorded: (i64, Vec<String>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM audit_log WHERE action = 'catalog.product.publish'),
                (SELECT array_agg(topic ORDER BY id) FROM outbox WHERE topic LIKE 'product.%')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(recorded, (2, vec!["product.hidden".to_owned(), "product.published".to_owned()]));
    let unknown = set_published(pool, Actor::Command, Uuid::new_v4(), false).await;
    assert_eq!(unknown.map(|_| ()), Err(CommerceError::UnknownProduct));
}

#[tokio::test]
async fn guest_carts_idle_for_30_days_are_pruned_by_a_daily_job_and_the_rest_kept() {
    use vitrine::jobs::shop::{schedule_cart_pruning, PruneCartsHandler};
    let db = TestDb::migrated().await;
    let variant = stocked_variant(&db, "PRUNED", 5).await;
    let app = TestApp::spawn(db).await;
    let pool = &app.db.pool;
    let (idle, active, member) = (Shopper::new(&app), Shopper::new(&app), Shopper::new(&app));
    idle.add(variant, 1).await.ok();
    assert_eq!(idle.place_order().await.status, 201, "an order placed from the cart that goes");
    active.add(variant, 1).await.ok();
    let registered = member
        .post::<Value>(
            "/api/auth/register",
            json!({ "email": "member@example.com", "password": "correct horse battery" }),
        )
        .await;
    assert_eq!(registered.status, 201);
    member.add(variant, 1).await.ok();
    sqlx::query("UPDATE carts SET updated_at = now() - interval '31 days'")
        .execute(pool)
        .await
        .unwrap();

    // A change starts the 30 days again, and sets the cookie again for as long.
    let active_cart: Uuid = sqlx::query_scalar(
        "SELECT c.id FROM carts c WHERE c.user_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let response = app
        .client
        .put(app.url(&format!("/api/cart/items/{variant}")))
        .header("cookie", format!("vitrine_cart={active_cart}"))
        .json(&json!({ "quantity": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with(&format!("vitrine_cart={active_cart};"))
            && cookie.contains("Max-Age=2592000"),
        "{cookie}"
    );

    schedule_cart_pruning(pool, chrono::Utc::now()).await.unwrap();
    let worker =
        Worker::new(pool.clone()).with_handler(Arc::new(PruneCartsHandler { pool: pool.clone() }));
    assert_eq!(worker.run_once().await.unwrap(), 1);

    assert_eq!(idle.cart().await.item_count, 0, "the idle guest's cart is gone");
    assert_eq!(active.cart().await.item_count, 2, "a cart changed today stays");
    assert_eq!(member.cart().await.item_count, 1, "an account's cart is never pruned");
    let orphaned: (i64, i64) = sqlx::query_as("SELECT count(*), count(cart_id) FROM orders")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(orphaned, (1, 0), "the order stays, no longer pointing at a cart");
    let tomorrow: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'prune_guest_carts' AND status = 'queued'
         AND run_at > now() + interval '23 hours'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(tomorrow, 1, "the next run is queued for tomorrow");
}
