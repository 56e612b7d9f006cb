//! Paying for orders and refunding them. Owns `payments`, `refunds` and `payment_ledger`.
//!
//! A payment runs in three steps so no database lock is held while the provider thinks:
//! 1. In a transaction on the locked order: find the attempt by its idempotency key (a retry
//!    returns the first attempt's outcome), make sure the stock is held, and record the attempt
//!    as `processing` (one in flight per order, by a unique index).
//! 2. Call the provider with the attempt's id as its idempotency key.
//! 3. In a second transaction: record the outcome. Paid converts the hold into a sale; a decline
//!    releases the hold (the shopper may try another card, which holds the stock again).
//!
//! The release job leaves orders with a `processing` attempt alone, so a hold cannot expire
//! under a payment that is about to succeed.

pub mod provider;
pub mod test_provider;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use self::provider::{ChargeOutcome, ChargeRequest, PaymentProvider, ProviderError, RefundRequest};
use super::audit::{self, Actor};
use super::inventory;
use super::orders::{self, LockedOrder};
use super::outbox::{self, PaymentFailure, ShopEvent};
use crate::types::{CardDetails, CommerceError, Money, OrderStatus, RefundReceipt, Refusal};

/// The payment side of the shop's state: the provider and how long checkout holds stock.
#[derive(Clone)]
pub struct Payments {
    pub provider: Arc<dyn PaymentProvider>,
    /// How long a placed order's stock stays held for payment.
    pub hold: Duration,
}

/// A payment that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PaymentResult {
    Paid,
    /// The cardholder must confirm with their bank; then call [`confirm_payment`].
    RequiresAction {
        payment_id: Uuid,
    },
}

/// The JSON API's answer to a payment or a confirmation: what became of it, and the order now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentAnswer {
    pub payment: PaymentResult,
    pub order: crate::types::OrderDetail,
}

/// Pays the order with `card`. See the module's comment for the steps.
pub async fn pay_order(
    pool: &PgPool,
    payments: &Payments,
    order_id: Uuid,
    idempotency_key: &str,
    card: &CardDetails,
) -> Result<PaymentResult, CommerceError> {
    check_key(idempotency_key)?;
    if !card.is_well_formed(chrono::Utc::now().date_naive()) {
        return Err(CommerceError::InvalidCard);
    }
    let (payment_id, order) = match start(pool, payments, order_id, idempotency_key, card).await? {
        Started::Done(result) => return result,
        Started::Charge { payment_id, order } => (payment_id, order),
    };
    let description = format!("Vitrine order {}", order.number);
    let key = payment_id.to_string();
    let amount = Money { minor: order.total_minor, currency: order.currency };
    let outcome = payments
        .provider
        .charge(ChargeRequest { idempotency_key: &key, amount, card, description: &description })
        .await;
    settle(pool, payments, order_id, payment_id, outcome).await
}

/// The cardholder's answer to the bank's question for the order's waiting payment.
pub async fn confirm_payment(
    pool: &PgPool,
    payments: &Payments,
    order_id: Uuid,
    payment_id: Uuid,
    approved: bool,
) -> Result<PaymentResult, CommerceError> {
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    orders::lock_order(&mut tx, order_id).await?;
    let reference = sqlx::query_scalar!(
        r#"
        UPDATE payments SET status = 'processing', updated_at = now()
        WHERE id = $1 AND order_id = $2 AND status = 'requires_action'
        RETURNING provider_ref AS "provider_ref!"
        "#,
        payment_id,
        order_id,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?
    .ok_or(CommerceError::NothingToConfirm)?;
    tx.commit().await.map_err(CommerceError::unavailable)?;
    let outcome = payments.provider.confirm(&reference, approved).await;
    settle(pool, payments, order_id, payment_id, outcome).await
}

enum Started {
    /// The key was used before: its outcome, without calling the provider.
    Done(Result<PaymentResult, CommerceError>),
    Charge {
        payment_id: Uuid,
        order: LockedOrder,
    },
}

async fn start(
    pool: &PgPool,
    payments: &Payments,
    order_id: Uuid,
    idempotency_key: &str,
    card: &CardDetails,
) -> Result<Started, CommerceError> {
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    let order = orders::lock_order(&mut tx, order_id).await?;
    let earlier = sqlx::query!(
        r#"
        SELECT id, status, card_last4, decline_code FROM payments
        WHERE order_id = $1 AND idempotency_key = $2
        "#,
        order_id,
        idempotency_key,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    let payment_id = match earlier {
        Some(earlier) if earlier.card_last4 != card.last4() => {
            return Err(CommerceError::IdempotencyKeyReused);
        }
        Some(earlier) => match earlier.status.as_str() {
            "succeeded" => return Ok(Started::Done(Ok(PaymentResult::Paid))),
            "requires_action" => {
                return Ok(Started::Done(Ok(PaymentResult::RequiresAction {
                    payment_id: earlier.id,
                })))
            }
            "declined" => {
                let code = earlier.decline_code.unwrap_or_default();
                return Ok(Started::Done(Err(CommerceError::PaymentDeclined { code })));
            }
            "processing" => return Err(CommerceError::PaymentInProgress),
            // The provider failed last time: try again under the same key.
            _ => {
                ensure_payable(&mut tx, payments, &order).await?;
                mark_processing(&mut tx, earlier.id).await?;
                earlier.id
            }
        },
        None => {
            ensure_payable(&mut tx, payments, &order).await?;
            let payment_id = Uuid::now_v7();
            let inserted = sqlx::query!(
                r#"
                INSERT INTO payments (id, order_id, idempotency_key, provider, amount_minor,
                                      currency, card_brand, card_last4, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing')
                "#,
                payment_id,
                order_id,
                idempotency_key,
                payments.provider.name(),
                order.total_minor,
                order.currency.code(),
                card.brand(),
                card.last4(),
            )
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(err) if is_unique_violation(&err) => {
                    return Err(CommerceError::PaymentInProgress)
                }
                Err(err) => return Err(CommerceError::unavailable(err)),
            }
            payment_id
        }
    };
    tx.commit().await.map_err(CommerceError::unavailable)?;
    Ok(Started::Charge { payment_id, order })
}

/// An order can be paid while it is pending; its stock is held again if a decline released it.
async fn ensure_payable(
    conn: &mut sqlx::PgConnection,
    payments: &Payments,
    order: &LockedOrder,
) -> Result<(), CommerceError> {
    match order.status {
        OrderStatus::PendingPayment if order.stock_held => Ok(()),
        OrderStatus::PendingPayment => orders::hold_again(conn, order, payments.hold).await,
        OrderStatus::Cancelled => Err(CommerceError::ReservationExpired),
        status => Err(CommerceError::IllegalTransition {
            from: status.code().to_owned(),
            to: OrderStatus::Paid.code().to_owned(),
        }),
    }
}

async fn mark_processing(
    conn: &mut sqlx::PgConnection,
    payment_id: Uuid,
) -> Result<(), CommerceError> {
    let updated = sqlx::query!(
        "UPDATE payments SET status = 'processing', updated_at = now() WHERE id = $1",
        payment_id
    )
    .execute(conn)
    .await;
    match updated {
        Ok(_) => Ok(()),
        Err(err) if is_unique_violation(&err) => Err(CommerceError::PaymentInProgress),
        Err(err) => Err(CommerceError::unavailable(err)),
    }
}

/// Records the provider's answer for the attempt (step 3).
async fn settle(
    pool: &PgPool,
    payments: &Payments,
    order_id: Uuid,
    payment_id: Uuid,
    outcome: Result<ChargeOutcome, ProviderError>,
) -> Result<PaymentResult, CommerceError> {
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    let order = orders::lock_order(&mut tx, order_id).await?;
    let (status, reference, code) = match &outcome {
        Ok(ChargeOutcome::Succeeded { reference }) => ("succeeded", Some(reference.as_str()), None),
        Ok(ChargeOutcome::RequiresAction { reference }) => {
            ("requires_action", Some(reference.as_str()), None)
        }
        Ok(ChargeOutcome::Declined { reference, code }) => {
            ("declined", Some(reference.as_str()), Some(code.as_str()))
        }
        Err(_) => ("failed", None, Some("provider_error")),
    };
    sqlx::query!(
        r#"
        UPDATE payments SET status = $2, provider_ref = coalesce($3, provider_ref),
                            decline_code = $4, updated_at = now()
        WHERE id = $1
        "#,
        payment_id,
        status,
        reference,
        code,
    )
    .execute(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;

    let result = match outcome {
        Ok(ChargeOutcome::Succeeded { reference }) => {
            sqlx::query!(
                r#"
                INSERT INTO payment_ledger (order_id, payment_id, kind, amount_minor, currency, provider_ref)
                VALUES ($1, $2, 'charge', $3, $4, $5)
                "#,
                order_id,
                payment_id,
                order.total_minor,
                order.currency.code(),
                reference,
            )
            .execute(&mut *tx)
            .await
            .map_err(CommerceError::unavailable)?;
            if !order.stock_held {
                // Cannot happen while the release job respects `processing`; if it does, the
                // stock is taken again rather than selling what is not held.
                tracing::error!(%order_id, "a paid order had no stock held; holding it again");
                orders::hold_again(&mut tx, &order, payments.hold).await?;
            }
            orders::mark_paid(&mut tx, &order, order.total_minor).await?;
            Ok(PaymentResult::Paid)
        }
        Ok(ChargeOutcome::RequiresAction { .. }) => {
            Ok(PaymentResult::RequiresAction { payment_id })
        }
        Ok(ChargeOutcome::Declined { code, .. }) => {
            if order.stock_held {
                orders::release_stock(&mut tx, order_id).await?;
            }
            let failure = PaymentFailure {
                order_id,
                number: order.number,
                email: order.email.clone(),
                code: code.clone(),
            };
            outbox::record(&mut tx, &ShopEvent::PaymentFailed(failure))
                .await
                .map_err(CommerceError::unavailable)?;
            Err(CommerceError::PaymentDeclined { code })
        }
        Err(err) => {
            tracing::warn!(error = %err, %order_id, "the payment provider failed; the hold stays");
            Err(CommerceError::PaymentProviderUnavailable)
        }
    };
    tx.commit().await.map_err(CommerceError::unavailable)?;
    result
}

/// What staff ask to refund.
#[derive(Debug, Clone)]
pub struct RefundOrder<'a> {
    pub order_id: Uuid,
    pub amount_minor: i64,
    pub reason: &'a str,
    /// Put the goods back on the shelf; applies when this refund completes a full refund.
    pub restock: bool,
    pub idempotency_key: &'a str,
}

/// Refunds part or all of a paid order. The order stays locked across the provider call, so two
/// refunds of one order are applied one after the other and together never exceed what was
/// paid. A repeated idempotency key returns the first refund.
pub async fn refund_order(
    pool: &PgPool,
    payments: &Payments,
    request: RefundOrder<'_>,
    actor: Actor,
) -> Result<RefundReceipt, CommerceError> {
    check_key(request.idempotency_key)?;
    if request.amount_minor <= 0 {
        return Err(CommerceError::BadRequest);
    }
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    let order = orders::lock_order(&mut tx, request.order_id).await?;
    let money = |minor| Money { minor, currency: order.currency };
    let earlier = sqlx::query!(
        "SELECT id, amount_minor FROM refunds WHERE order_id = $1 AND idempotency_key = $2",
        request.order_id,
        request.idempotency_key,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    if let Some(earlier) = earlier {
        if earlier.amount_minor != request.amount_minor {
            return Err(CommerceError::IdempotencyKeyReused);
        }
        return Ok(RefundReceipt {
            refund_id: earlier.id,
            amount: money(earlier.amount_minor),
            refunded_total: money(order.refunded_minor),
            order_status: order.status,
        });
    }
    let refundable_status = matches!(
        order.status,
        OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Shipped | OrderStatus::Delivered
    );
    if !refundable_status || order.paid_minor == 0 {
        return Err(CommerceError::NotPaid);
    }
    let refundable = order.paid_minor - order.refunded_minor;
    if request.amount_minor > refundable {
        return Err(CommerceError::RefundTooLarge {
            requested: money(request.amount_minor).to_string(),
            refundable: money(refundable).to_string(),
        });
    }
    let charge = sqlx::query!(
        r#"
        SELECT id, provider_ref AS "provider_ref!" FROM payments
        WHERE order_id = $1 AND status = 'succeeded' AND provider_ref IS NOT NULL
        "#,
        request.order_id
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;

    let refund_id = Uuid::now_v7();
    let provider_key = format!("{}:{}", request.order_id, request.idempotency_key);
    let reference = payments
        .provider
        .refund(RefundRequest {
            idempotency_key: &provider_key,
            charge_reference: &charge.provider_ref,
            amount: money(request.amount_minor),
        })
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, order_id = %request.order_id, "refund failed at the provider");
            CommerceError::PaymentProviderUnavailable
        })?;
    sqlx::query!(
        r#"
        INSERT INTO refunds (id, order_id, payment_id, idempotency_key, amount_minor, reason,
                             restock, provider_ref, actor_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        "#,
        refund_id,
        request.order_id,
        charge.id,
        request.idempotency_key,
        request.amount_minor,
        request.reason,
        request.restock,
        reference,
        actor.user_id(),
    )
    .execute(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    sqlx::query!(
        r#"
        INSERT INTO payment_ledger (order_id, payment_id, refund_id, kind, amount_minor, currency,
                                    provider_ref)
        VALUES ($1, $2, $3, 'refund', $4, $5, $6)
        "#,
        request.order_id,
        charge.id,
        refund_id,
        request.amount_minor,
        order.currency.code(),
        reference,
    )
    .execute(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    let refunded_total = order.refunded_minor + request.amount_minor;
    sqlx::query!(
        "UPDATE orders SET refunded_minor = $2, updated_at = now() WHERE id = $1",
        request.order_id,
        refunded_total
    )
    .execute(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?;
    let mut status = order.status;
    if refunded_total == order.paid_minor {
        status = OrderStatus::Refunded;
        orders::set_status(&mut tx, &order, status, actor.user_id(), request.reason).await?;
        if request.restock {
            let lines = orders::stock_lines(&mut tx, request.order_id).await?;
            inventory::restock(&mut tx, request.order_id, &lines, actor.user_id())
                .await
                .map_err(CommerceError::unavailable)?;
        }
    }
    let refund = outbox::Refund {
        order_id: request.order_id,
        number: order.number,
        email: order.email.clone(),
        amount_minor: request.amount_minor,
        currency: order.currency.code().to_owned(),
        refunded_total_minor: refunded_total,
    };
    outbox::record(&mut tx, &ShopEvent::RefundIssued(refund))
        .await
        .map_err(CommerceError::unavailable)?;
    let entry = audit::Entry {
        action: "orders.refund.create",
        entity: "order",
        entity_id: request.order_id.to_string(),
        before: Some(
            json!({ "refunded_minor": order.refunded_minor, "status": order.status.code() }),
        ),
        after: Some(json!({ "refunded_minor": refunded_total, "status": status.code(),
                            "reason": request.reason, "restock": request.restock })),
    };
    audit::record(&mut tx, actor, entry).await.map_err(CommerceError::unavailable)?;
    tx.commit().await.map_err(CommerceError::unavailable)?;
    Ok(RefundReceipt {
        refund_id,
        amount: money(request.amount_minor),
        refunded_total: money(refunded_total),
        order_status: status,
    })
}

fn check_key(key: &str) -> Result<(), CommerceError> {
    if (1..=255).contains(&key.len()) {
        Ok(())
    } else {
        Err(CommerceError::MissingIdempotencyKey)
    }
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|db| db.is_unique_violation())
}
