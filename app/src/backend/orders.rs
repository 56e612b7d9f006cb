//! Orders: placing one from a cart (its stock held in the same transaction), the state machine,
//! the shopper's and staff's views, and the release of holds that expire. Owns `orders`,
//! `order_lines` and `order_status_changes`. Every status change writes its history row and an
//! outbox event in the transaction that makes it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::cart;
use super::catalog::{parse_currency, parse_options};
use super::inventory::{self, StockLine};
use super::jobs::{self, NewJob};
use super::outbox::{self, OrderMove, OrderPaid, OrderPlaced, ShopEvent};
use super::shopper::Shopper;
use crate::types::{
    CommerceError, Currency, Money, OrderDetail, OrderLine, OrderList, OrderListQuery, OrderStatus,
    OrderSummary, PaymentStatus, PaymentSummary, Refusal, ShippingAddress, ShippingMethod,
    StatusChange,
};

/// The job that releases an order's hold when it expires; its payload is [`ReleaseHold`].
pub const RELEASE_HOLD_JOB: &str = "release_order_hold";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReleaseHold {
    pub order_id: Uuid,
}

/// How many orders a shopper's history lists.
pub const ORDER_HISTORY: i64 = 50;

/// What checkout sends to place an order.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub cart_id: Uuid,
    pub user_id: Option<Uuid>,
    pub email: String,
    pub address: ShippingAddress,
    pub shipping_method: ShippingMethod,
}

/// Who may see an order: its account, or the guest whose cart placed it; staff see all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderViewer {
    Owner(cart::CartOwner),
    Staff,
}

/// Places an order for the cart's contents and holds their stock for `hold`. The cart's other
/// unpaid orders (an abandoned earlier checkout) are cancelled first so they stop holding stock;
/// while one of them is being charged, `PaymentInProgress`. `SoldOut` when a line cannot be
/// held: nothing is written then.
pub async fn place_order(
    pool: &PgPool,
    order: PlaceOrder,
    hold: Duration,
) -> Result<Uuid, CommerceError> {
    let email = crate::backend::auth::accounts::normalize_email(&order.email)
        .map_err(|_| CommerceError::BadEmail)?;
    let address = order
        .address
        .check()
        .map_err(|field| CommerceError::BadAddress { field: field.to_owned() })?;

    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    cart::lock(&mut tx, order.cart_id).await?;
    let lines = sqlx::query!(
        r#"
        SELECT i.variant_id, i.quantity, v.sku, v.options, v.price_minor, v.currency,
               p.name, p.slug, p.published
        FROM cart_items i
        JOIN product_variants v ON v.id = i.variant_id
        JOIN products p ON p.id = v.product_id
        WHERE i.cart_id = $1
        ORDER BY i.variant_id
        "#,
        order.cart_id
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    let Some(first) = lines.first() else {
        return Err(CommerceError::EmptyCart);
    };
    let currency = parse_currency(&first.currency).map_err(CommerceError::unavailable)?;
    if lines.iter().any(|line| line.currency != first.currency) {
        return Err(CommerceError::CurrencyMismatch);
    }
    if let Some(line) = lines.iter().find(|line| !line.published) {
        return Err(CommerceError::SoldOut { sku: line.sku.clone() });
    }

    // A checkout whose payment is still being processed must finish first: placing a second
    // order now could charge the shopper twice for one cart.
    let in_flight = sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "n!" FROM orders o JOIN payments p ON p.order_id = o.id
        WHERE o.cart_id = $1 AND o.status = 'pending_payment' AND p.status = 'processing'
        "#,
        order.cart_id
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    if in_flight > 0 {
        return Err(CommerceError::PaymentInProgress);
    }
    // Earlier unpaid orders of this cart were abandoned (a bank's confirmation step included):
    // they stop holding stock now rather than when their holds expire.
    let abandoned = sqlx::query_scalar!(
        r#"
        SELECT id FROM orders WHERE cart_id = $1 AND status = 'pending_payment' FOR UPDATE
        "#,
        order.cart_id
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    for order_id in abandoned {
        cancel(&mut tx, order_id, None, "replaced by a newer checkout").await?;
    }

    let subtotal: i64 = lines.iter().map(|line| line.price_minor * i64::from(line.quantity)).sum();
    let shipping = order.shipping_method.price(currency).minor;
    let order_id = Uuid::now_v7();
    let reserved_until = Utc::now() + hold;
    let number = sqlx::query_scalar!(
        r#"
        INSERT INTO orders (id, user_id, cart_id, email, status, stock_state, reserved_until,
                            currency, subtotal_minor, shipping_minor, total_minor,
                            shipping_method, shipping_address)
        VALUES ($1, $2, $3, $4, 'pending_payment', 'held', $5, $6, $7, $8, $7::int8 + $8::int8,
                $9, $10)
        RETURNING number
        "#,
        order_id,
        order.user_id,
        order.cart_id,
        email,
        reserved_until,
        currency.code(),
        subtotal,
        shipping,
        order.shipping_method.code(),
        serde_json::to_value(&address).expect("addresses serialise"),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    for line in &lines {
        sqlx::query!(
            r#"
            INSERT INTO order_lines (order_id, variant_id, sku, product_name, product_slug, options,
                                     unit_price_minor, quantity)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            "#,
            order_id,
            line.variant_id,
            line.sku,
            line.name,
            line.slug,
            line.options,
            line.price_minor,
            line.quantity,
        )
        .execute(&mut *tx)
        .await
        .map_err(CommerceError::unavailable)?;
    }
    let stock: Vec<StockLine> = lines
        .iter()
        .map(|line| StockLine { variant_id: line.variant_id, quantity: line.quantity })
        .collect();
    if let Err(short) =
        inventory::reserve(&mut tx, order_id, &stock).await.map_err(CommerceError::unavailable)?
    {
        // Dropping the transaction rolls back the order and the holds taken before this line.
        let sku = lines.iter().find(|line| line.variant_id == short.variant_id).map(|l| &l.sku);
        return Err(CommerceError::SoldOut { sku: sku.cloned().unwrap_or_default() });
    }
    record_change(&mut tx, order_id, None, OrderStatus::PendingPayment, None, "").await?;
    let placed = OrderPlaced {
        order_id,
        number,
        email: email.clone(),
        total_minor: subtotal + shipping,
        currency: currency.code().to_owned(),
    };
    outbox::record(&mut tx, &ShopEvent::OrderPlaced(placed))
        .await
        .map_err(CommerceError::unavailable)?;
    schedule_release(&mut tx, order_id, reserved_until).await?;
    tx.commit().await.map_err(CommerceError::unavailable)?;
    Ok(order_id)
}

/// The order row as payments and transitions need it, locked for the transaction.
#[derive(Debug, Clone)]
pub(crate) struct LockedOrder {
    pub id: Uuid,
    pub number: i64,
    pub email: String,
    pub status: OrderStatus,
    /// Its stock is held (not yet sold, or released by a decline or an expiry).
    pub stock_held: bool,
    pub reserved_until: Option<DateTime<Utc>>,
    pub currency: Currency,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub refunded_minor: i64,
    pub cart_id: Option<Uuid>,
}

pub(crate) async fn lock_order(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<LockedOrder, CommerceError> {
    let row = sqlx::query!(
        r#"
        SELECT id, number, email, status, stock_state = 'held' AS "stock_held!", reserved_until,
               currency, total_minor,
               paid_minor, refunded_minor, cart_id
        FROM orders WHERE id = $1 FOR UPDATE
        "#,
        order_id
    )
    .fetch_optional(conn)
    .await
    .map_err(CommerceError::unavailable)?
    .ok_or(CommerceError::OrderNotFound)?;
    Ok(LockedOrder {
        id: row.id,
        number: row.number,
        email: row.email,
        status: parse_status(&row.status)?,
        stock_held: row.stock_held,
        reserved_until: row.reserved_until,
        currency: parse_currency(&row.currency).map_err(CommerceError::unavailable)?,
        total_minor: row.total_minor,
        paid_minor: row.paid_minor,
        refunded_minor: row.refunded_minor,
        cart_id: row.cart_id,
    })
}

/// The order's lines as stock quantities.
pub(crate) async fn stock_lines(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<StockLine>, CommerceError> {
    let rows =
        sqlx::query!("SELECT variant_id, quantity FROM order_lines WHERE order_id = $1", order_id)
            .fetch_all(conn)
            .await
            .map_err(CommerceError::unavailable)?;
    Ok(rows
        .into_iter()
        .map(|row| StockLine { variant_id: row.variant_id, quantity: row.quantity })
        .collect())
}

/// Holds the order's stock again (after a decline released it) for `hold`; `SoldOut` if it
/// is gone meanwhile.
pub(crate) async fn hold_again(
    conn: &mut PgConnection,
    order: &LockedOrder,
    hold: Duration,
) -> Result<(), CommerceError> {
    let lines = stock_lines(conn, order.id).await?;
    if let Err(short) =
        inventory::reserve(conn, order.id, &lines).await.map_err(CommerceError::unavailable)?
    {
        let sku =
            sqlx::query_scalar!("SELECT sku FROM product_variants WHERE id = $1", short.variant_id)
                .fetch_one(conn)
                .await
                .map_err(CommerceError::unavailable)?;
        return Err(CommerceError::SoldOut { sku });
    }
    let until = Utc::now() + hold;
    sqlx::query!(
        "UPDATE orders SET stock_state = 'held', reserved_until = $2, updated_at = now() WHERE id = $1",
        order.id,
        until
    )
    .execute(&mut *conn)
    .await
    .map_err(CommerceError::unavailable)?;
    schedule_release(conn, order.id, until).await
}

/// Queues the job that releases the hold at `until`. One job per hold (the key names the
/// expiry), so a hold renewed after a decline gets its own job and the old one finds nothing due.
async fn schedule_release(
    conn: &mut PgConnection,
    order_id: Uuid,
    until: DateTime<Utc>,
) -> Result<(), CommerceError> {
    let release = NewJob::new(RELEASE_HOLD_JOB, ReleaseHold { order_id })
        .dedupe(format!("{RELEASE_HOLD_JOB}:{order_id}:{}", until.timestamp_micros()))
        .run_at(until);
    jobs::enqueue(conn, &release).await.map_err(CommerceError::unavailable)?;
    Ok(())
}

/// Ends the order's hold on its stock (a decline, an expiry, a cancellation).
pub(crate) async fn release_stock(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<(), CommerceError> {
    let lines = stock_lines(conn, order_id).await?;
    inventory::release(conn, order_id, &lines).await.map_err(CommerceError::unavailable)?;
    sqlx::query!(
        r#"
        UPDATE orders SET stock_state = 'released', reserved_until = NULL, updated_at = now()
        WHERE id = $1
        "#,
        order_id
    )
    .execute(conn)
    .await
    .map_err(CommerceError::unavailable)?;
    Ok(())
}

/// Records the paid order: its held stock is sold, the cart loses what was bought, and the
/// status, history and `order.paid` event are written. The caller holds the order's lock.
pub(crate) async fn mark_paid(
    conn: &mut PgConnection,
    order: &LockedOrder,
    amount_minor: i64,
) -> Result<(), CommerceError> {
    let lines = stock_lines(conn, order.id).await?;
    inventory::sell_reserved(conn, order.id, &lines).await.map_err(CommerceError::unavailable)?;
    sqlx::query!(
        r#"
        UPDATE orders SET status = 'paid', stock_state = 'sold', reserved_until = NULL,
                          paid_minor = paid_minor + $2, paid_at = now(), updated_at = now()
        WHERE id = $1
        "#,
        order.id,
        amount_minor
    )
    .execute(&mut *conn)
    .await
    .map_err(CommerceError::unavailable)?;
    if let Some(cart_id) = order.cart_id {
        sqlx::query!(
            r#"
            DELETE FROM cart_items
            WHERE cart_id = $1 AND variant_id IN (SELECT variant_id FROM order_lines WHERE order_id = $2)
            "#,
            cart_id,
            order.id
        )
        .execute(&mut *conn)
        .await
        .map_err(CommerceError::unavailable)?;
    }
    record_change(conn, order.id, Some(order.status), OrderStatus::Paid, None, "").await?;
    let paid = OrderPaid {
        order_id: order.id,
        number: order.number,
        email: order.email.clone(),
        amount_minor,
        currency: order.currency.code().to_owned(),
    };
    outbox::record(conn, &ShopEvent::OrderPaid(paid)).await.map_err(CommerceError::unavailable)?;
    Ok(())
}

/// Moves the order by hand (staff: packed, shipped, delivered; staff or shopper: cancel an
/// unpaid order). Illegal moves are refused with both statuses named.
pub async fn transition(
    pool: &PgPool,
    order_id: Uuid,
    to: OrderStatus,
    actor: Option<crate::backend::audit::Actor>,
    note: &str,
) -> Result<(), CommerceError> {
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    let order = lock_order(&mut tx, order_id).await?;
    if !to.is_manual() || !order.status.can_become(to) {
        return Err(CommerceError::IllegalTransition {
            from: order.status.code().to_owned(),
            to: to.code().to_owned(),
        });
    }
    let actor_id = actor.and_then(|actor| actor.user_id());
    if to == OrderStatus::Cancelled {
        let in_flight = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM payments
               WHERE order_id = $1 AND status IN ('processing', 'requires_action')"#,
            order_id
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(CommerceError::unavailable)?;
        if in_flight > 0 {
            return Err(CommerceError::PaymentInProgress);
        }
        cancel(&mut tx, order_id, actor_id, note).await?;
    } else {
        set_status(&mut tx, &order, to, actor_id, note).await?;
    }
    if let Some(actor) = actor {
        let entry = crate::backend::audit::Entry {
            action: "orders.status.update",
            entity: "order",
            entity_id: order_id.to_string(),
            before: Some(json!({ "status": order.status.code() })),
            after: Some(json!({ "status": to.code(), "note": note })),
        };
        crate::backend::audit::record(&mut tx, actor, entry)
            .await
            .map_err(CommerceError::unavailable)?;
    }
    tx.commit().await.map_err(CommerceError::unavailable)
}

/// Writes a new status with its history row and event (`order.<status>`).
pub(crate) async fn set_status(
    conn: &mut PgConnection,
    order: &LockedOrder,
    to: OrderStatus,
    actor_id: Option<Uuid>,
    note: &str,
) -> Result<(), CommerceError> {
    sqlx::query!(
        "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1",
        order.id,
        to.code()
    )
    .execute(&mut *conn)
    .await
    .map_err(CommerceError::unavailable)?;
    record_change(conn, order.id, Some(order.status), to, actor_id, note).await?;
    let moved = OrderMove {
        order_id: order.id,
        number: order.number,
        email: order.email.clone(),
        note: note.to_owned(),
    };
    outbox::record(conn, &ShopEvent::OrderMoved { status: to, order: moved })
        .await
        .map_err(CommerceError::unavailable)?;
    Ok(())
}

/// Cancels an unpaid order, releasing its stock if held. The caller holds no lock on it yet
/// or already holds it (locking twice in one transaction is fine).
async fn cancel(
    conn: &mut PgConnection,
    order_id: Uuid,
    actor_id: Option<Uuid>,
    reason: &str,
) -> Result<(), CommerceError> {
    let order = lock_order(conn, order_id).await?;
    if order.stock_held {
        release_stock(conn, order_id).await?;
    }
    sqlx::query!("UPDATE orders SET cancel_reason = $2 WHERE id = $1", order_id, reason)
        .execute(&mut *conn)
        .await
        .map_err(CommerceError::unavailable)?;
    // Payments asking for a second step die with the order.
    sqlx::query!(
        r#"
        UPDATE payments SET status = 'failed', decline_code = 'order_cancelled', updated_at = now()
        WHERE order_id = $1 AND status = 'requires_action'
        "#,
        order_id
    )
    .execute(&mut *conn)
    .await
    .map_err(CommerceError::unavailable)?;
    set_status(conn, &order, OrderStatus::Cancelled, actor_id, reason).await
}

/// What the release job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldOutcome {
    /// Expired and released; the unpaid order is cancelled.
    Released,
    /// Nothing to do: paid, cancelled, already released, or extended meanwhile.
    NotDue,
    /// A payment is being processed right now; try again shortly.
    PaymentInFlight,
}

/// The release job's body: cancels the unpaid order whose hold has expired, releasing its
/// stock. Idempotent: a second run finds nothing due.
pub async fn release_expired_hold(
    pool: &PgPool,
    order_id: Uuid,
) -> Result<HoldOutcome, CommerceError> {
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    let order = match lock_order(&mut tx, order_id).await {
        Ok(order) => order,
        Err(CommerceError::OrderNotFound) => return Ok(HoldOutcome::NotDue),
        Err(err) => return Err(err),
    };
    let due = order.status == OrderStatus::PendingPayment
        && order.stock_held
        && order.reserved_until.is_some_and(|until| until <= Utc::now());
    if !due {
        return Ok(HoldOutcome::NotDue);
    }
    let processing = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM payments WHERE order_id = $1 AND status = 'processing'"#,
        order_id
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    if processing > 0 {
        return Ok(HoldOutcome::PaymentInFlight);
    }
    cancel(&mut tx, order_id, None, "the hold on its items expired").await?;
    tx.commit().await.map_err(CommerceError::unavailable)?;
    Ok(HoldOutcome::Released)
}

/// `OrderNotFound` unless the shopper may see the order: theirs, or any order for staff with
/// the `orders` permission. 404 rather than 403: whether an order id exists is not for others
/// to know.
pub async fn require_viewer(
    pool: &PgPool,
    shopper: &Shopper,
    order_id: Uuid,
) -> Result<(), CommerceError> {
    let viewer = match (shopper.is_order_staff(), shopper.owner()) {
        (true, _) => OrderViewer::Staff,
        (false, Some(owner)) => OrderViewer::Owner(owner),
        (false, None) => return Err(CommerceError::OrderNotFound),
    };
    if can_view(pool, order_id, viewer).await? {
        Ok(())
    } else {
        Err(CommerceError::OrderNotFound)
    }
}

/// The shopper's orders, newest first (none for a shopper without a cart or account).
pub async fn history(pool: &PgPool, shopper: &Shopper) -> Result<Vec<OrderSummary>, CommerceError> {
    let Some(owner) = shopper.owner() else { return Ok(Vec::new()) };
    list_orders(pool, owner, ORDER_HISTORY).await
}

/// The ids of `user`'s orders, oldest first (their data export).
pub async fn ids_of_user(pool: &PgPool, user: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at, id", user)
        .fetch_all(pool)
        .await
}

/// Takes the person out of `user`'s orders (they deleted their account), keeping what the
/// shop's accounts need: the amounts, lines, dates, statuses and the country (for tax). Answers
/// how many orders were anonymised.
pub async fn anonymise_for_user(conn: &mut PgConnection, user: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        r#"
        UPDATE orders
        SET email = $2,
            shipping_address = jsonb_build_object(
                'name', '(deleted account)', 'line1', '', 'line2', '', 'city', '',
                'postal_code', '', 'country', shipping_address->>'country'),
            updated_at = now()
        WHERE user_id = $1
        "#,
        user,
        super::privacy::erased_email(user)
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Whether `viewer` may see the order.
pub async fn can_view(
    pool: &PgPool,
    order_id: Uuid,
    viewer: OrderViewer,
) -> Result<bool, CommerceError> {
    let owner = sqlx::query!("SELECT user_id, cart_id FROM orders WHERE id = $1", order_id)
        .fetch_optional(pool)
        .await
        .map_err(CommerceError::unavailable)?;
    let Some(owner) = owner else {
        return Ok(false);
    };
    Ok(match viewer {
        OrderViewer::Staff => true,
        OrderViewer::Owner(cart::CartOwner::User(user)) => owner.user_id == Some(user),
        OrderViewer::Owner(cart::CartOwner::Guest(cart)) => {
            owner.user_id.is_none() && owner.cart_id == Some(cart)
        }
    })
}

/// One order with its lines, history and payments: four queries.
pub async fn order_detail(pool: &PgPool, order_id: Uuid) -> Result<OrderDetail, CommerceError> {
    let row = sqlx::query!(
        r#"
        SELECT o.id, o.number, o.status, o.created_at, o.currency, o.subtotal_minor,
               o.shipping_minor, o.total_minor, o.paid_minor, o.refunded_minor, o.email,
               o.shipping_method AS "shipping_method: ShippingMethod", o.shipping_address, o.reserved_until,
               (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = o.id) AS "items!"
        FROM orders o WHERE o.id = $1
        "#,
        order_id
    )
    .fetch_optional(pool)
    .await
    .map_err(CommerceError::unavailable)?
    .ok_or(CommerceError::OrderNotFound)?;
    let currency = parse_currency(&row.currency).map_err(CommerceError::unavailable)?;
    let money = |minor| Money { minor, currency };
    let lines = sqlx::query!(
        r#"
        SELECT variant_id, sku, product_name, product_slug, options, unit_price_minor, quantity
        FROM order_lines WHERE order_id = $1 ORDER BY product_name, sku
        "#,
        order_id
    )
    .fetch_all(pool)
    .await
    .map_err(CommerceError::unavailable)?
    .into_iter()
    .map(|line| {
        Ok(OrderLine {
            variant_id: line.variant_id,
            sku: line.sku,
            product_name: line.product_name,
            product_slug: line.product_slug,
            options: parse_options(line.options).map_err(CommerceError::unavailable)?,
            unit_price: money(line.unit_price_minor),
            quantity: line.quantity,
            line_total: money(line.unit_price_minor * i64::from(line.quantity)),
        })
    })
    .collect::<Result<Vec<_>, CommerceError>>()?;
    let history = sqlx::query!(
        r#"
        SELECT at, from_status, to_status, note FROM order_status_changes
        WHERE order_id = $1 ORDER BY id
        "#,
        order_id
    )
    .fetch_all(pool)
    .await
    .map_err(CommerceError::unavailable)?
    .into_iter()
    .map(|change| {
        Ok(StatusChange {
            at: change.at,
            from: change.from_status.as_deref().map(parse_status).transpose()?,
            to: parse_status(&change.to_status)?,
            note: change.note,
        })
    })
    .collect::<Result<Vec<_>, CommerceError>>()?;
    let payments = sqlx::query!(
        r#"
        SELECT id, status AS "status: PaymentStatus", amount_minor, card_brand, card_last4, decline_code, created_at
        FROM payments WHERE order_id = $1 ORDER BY created_at
        "#,
        order_id
    )
    .fetch_all(pool)
    .await
    .map_err(CommerceError::unavailable)?
    .into_iter()
    .map(|payment| PaymentSummary {
        id: payment.id,
        status: payment.status,
        amount: money(payment.amount_minor),
        card_brand: payment.card_brand,
        card_last4: payment.card_last4,
        decline_code: payment.decline_code,
        created_at: payment.created_at,
    })
    .collect();
    Ok(OrderDetail {
        summary: OrderSummary {
            id: row.id,
            number: row.number,
            status: parse_status(&row.status)?,
            created_at: row.created_at,
            total: money(row.total_minor),
            refunded: money(row.refunded_minor),
            item_count: row.items,
            email: row.email,
        },
        lines,
        subtotal: money(row.subtotal_minor),
        shipping: money(row.shipping_minor),
        shipping_method: row.shipping_method,
        shipping_address: serde_json::from_value(row.shipping_address)
            .map_err(CommerceError::unavailable)?,
        reserved_until: row.reserved_until,
        paid: money(row.paid_minor),
        history,
        payments,
    })
}

/// The owner's orders, newest first (one query).
pub async fn list_orders(
    pool: &PgPool,
    owner: cart::CartOwner,
    limit: i64,
) -> Result<Vec<OrderSummary>, CommerceError> {
    let (user_id, cart_id) = match owner {
        cart::CartOwner::User(user) => (Some(user), None),
        cart::CartOwner::Guest(cart) => (None, Some(cart)),
    };
    let rows = sqlx::query_as!(
        SummaryRow,
        r#"
        SELECT o.id, o.number, o.status, o.created_at, o.currency, o.total_minor,
               o.refunded_minor, o.email,
               (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = o.id) AS "items!"
        FROM orders o
        WHERE o.user_id = $1 OR (o.user_id IS NULL AND o.cart_id = $2)
        ORDER BY o.created_at DESC
        LIMIT $3
        "#,
        user_id,
        cart_id,
        limit,
    )
    .fetch_all(pool)
    .await
    .map_err(CommerceError::unavailable)?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

/// Orders on the staff's list per page.
pub const STAFF_ORDERS_PER_PAGE: i64 = 50;

/// A page of every order for staff: found by number or by part of the email, narrowed to one
/// status, in the chosen order, with the count of all that match.
pub async fn staff_orders(
    pool: &PgPool,
    query: &OrderListQuery,
) -> Result<OrderList, CommerceError> {
    let search = query.search.trim();
    let number = search.trim_start_matches('#').parse::<i64>().ok();
    let pattern = (!search.is_empty()).then(|| crate::backend::db::ilike_pattern(search));
    let page = query.page.max(1);
    let per_page = STAFF_ORDERS_PER_PAGE;
    let rows = sqlx::query_as!(
        SummaryRow,
        r#"
        SELECT o.id, o.number, o.status, o.created_at, o.currency, o.total_minor,
               o.refunded_minor, o.email,
               (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = o.id) AS "items!"
        FROM orders o
        WHERE ($1::text IS NULL OR o.email ILIKE $1 OR o.number = $2)
          AND ($3::text IS NULL OR o.status = $3)
        ORDER BY
          CASE WHEN $4 = 'oldest' THEN o.created_at END ASC,
          CASE WHEN $4 = 'largest_total' THEN o.total_minor END DESC,
          CASE WHEN $4 = 'smallest_total' THEN o.total_minor END ASC,
          o.created_at DESC, o.number DESC
        LIMIT $5 OFFSET $6
        "#,
        pattern,
        number,
        query.status.map(OrderStatus::code),
        query.sort.code(),
        per_page,
        (page - 1) * per_page,
    )
    .fetch_all(pool)
    .await
    .map_err(CommerceError::unavailable)?;
    let total = sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM orders o
        WHERE ($1::text IS NULL OR o.email ILIKE $1 OR o.number = $2)
          AND ($3::text IS NULL OR o.status = $3)
        "#,
        pattern,
        number,
        query.status.map(OrderStatus::code),
    )
    .fetch_one(pool)
    .await
    .map_err(CommerceError::unavailable)?;
    let orders = rows.into_iter().map(SummaryRow::into_summary).collect::<Result<_, _>>()?;
    Ok(OrderList { items: orders, total, page, per_page })
}

/// One row of an order list, as both list queries select it.
struct SummaryRow {
    id: Uuid,
    number: i64,
    status: String,
    created_at: DateTime<Utc>,
    currency: String,
    total_minor: i64,
    refunded_minor: i64,
    email: String,
    items: i64,
}

impl SummaryRow {
    fn into_summary(self) -> Result<OrderSummary, CommerceError> {
        let currency = parse_currency(&self.currency).map_err(CommerceError::unavailable)?;
        Ok(OrderSummary {
            id: self.id,
            number: self.number,
            status: parse_status(&self.status)?,
            created_at: self.created_at,
            total: Money { minor: self.total_minor, currency },
            refunded: Money { minor: self.refunded_minor, currency },
            item_count: self.items,
            email: self.email,
        })
    }
}

pub(crate) async fn record_change(
    conn: &mut PgConnection,
    order_id: Uuid,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_id: Option<Uuid>,
    note: &str,
) -> Result<(), CommerceError> {
    sqlx::query!(
        r#"
        INSERT INTO order_status_changes (order_id, from_status, to_status, actor_id, note)
        VALUES ($1, $2, $3, $4, $5)
        "#,
        order_id,
        from.map(OrderStatus::code),
        to.code(),
        actor_id,
        note,
    )
    .execute(conn)
    .await
    .map_err(CommerceError::unavailable)?;
    Ok(())
}

fn parse_status(code: &str) -> Result<OrderStatus, CommerceError> {
    OrderStatus::parse(code).ok_or_else(|| {
        tracing::error!(code, "an order status the code does not know");
        CommerceError::Unavailable
    })
}
