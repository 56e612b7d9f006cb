//! The outbox: events written in the same transaction as the change that caused them, for the
//! relay to publish (the `shop_events` feed) and email at least once. [`ShopEvent`] is every
//! event the shop records, typed; this module owns the `outbox` table, its claims included.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::types::OrderStatus;

/// Every event the shop records. Stored as a dotted topic ([`ShopEvent::topic`]: `order.paid`,
/// `order.shipped` …) and the variant's fields as the JSON payload, so the feed and any script
/// reading it see plain names and values.
#[derive(Debug, Clone, PartialEq)]
pub enum ShopEvent {
    /// `user.registered`: a new account (the welcome email).
    UserRegistered(AccountEvent),
    /// `user.password_changed`.
    PasswordChanged(AccountEvent),
    /// `user.password_reset`: a reset link was used.
    PasswordReset(UserEvent),
    /// `email.password_reset`: the reset email, written whole by the account code (its link
    /// carries the secret token, which nothing else may see).
    PasswordResetEmail(Email),
    /// `order.placed`.
    OrderPlaced(OrderPlaced),
    /// `order.paid` (the confirmation email).
    OrderPaid(OrderPaid),
    /// `order.<status>`: any other move of an order (fulfilled, shipped, delivered, cancelled,
    /// refunded); `order.shipped` sends an email.
    OrderMoved {
        status: OrderStatus,
        order: OrderMove,
    },
    /// `payment.failed`: a declined card (the email asks for another).
    PaymentFailed(PaymentFailure),
    /// `refund.issued`.
    RefundIssued(Refund),
    /// `product.published` / `product.hidden`.
    ProductPublished(ProductEvent),
    ProductHidden(ProductEvent),
    /// `product.created` / `product.updated` / `product.archived`: the admin's product form.
    ProductCreated(ProductEvent),
    ProductUpdated(ProductEvent),
    ProductArchived(ProductEvent),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    pub user_id: Uuid,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEvent {
    pub user_id: Uuid,
}

/// An email as the relay sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_id: Uuid,
    pub number: i64,
    pub email: String,
    pub total_minor: i64,
    /// ISO 4217.
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPaid {
    pub order_id: Uuid,
    pub number: i64,
    pub email: String,
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderMove {
    pub order_id: Uuid,
    pub number: i64,
    pub email: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFailure {
    pub order_id: Uuid,
    pub number: i64,
    pub email: String,
    /// The provider's decline code.
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub order_id: Uuid,
    pub number: i64,
    pub email: String,
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    pub refunded_total_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEvent {
    pub product_id: Uuid,
}

/// A stored event whose topic or payload this code does not know: a bug to surface (the
/// relay keeps retrying it with the error), never a value to guess.
#[derive(Debug, thiserror::Error)]
#[error("event {topic:?}: {reason}")]
pub struct UnknownEvent {
    pub topic: String,
    pub reason: String,
}

impl ShopEvent {
    /// The topic it is stored and published under.
    pub fn topic(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::UserRegistered(_) => "user.registered",
            Self::PasswordChanged(_) => "user.password_changed",
            Self::PasswordReset(_) => "user.password_reset",
            Self::PasswordResetEmail(_) => "email.password_reset",
            Self::OrderPlaced(_) => "order.placed",
            Self::OrderPaid(_) => "order.paid",
            Self::OrderMoved { status, .. } => {
                return Cow::Owned(format!("order.{}", status.code()))
            }
            Self::PaymentFailed(_) => "payment.failed",
            Self::RefundIssued(_) => "refund.issued",
            Self::ProductPublished(_) => "product.published",
            Self::ProductHidden(_) => "product.hidden",
            Self::ProductCreated(_) => "product.created",
            Self::ProductUpdated(_) => "product.updated",
            Self::ProductArchived(_) => "product.archived",
        })
    }

    /// The payload it is stored with: its fields as JSON.
    pub fn payload(&self) -> Value {
        let value = match self {
            Self::UserRegistered(event) | Self::PasswordChanged(event) => {
                serde_json::to_value(event)
            }
            Self::PasswordReset(event) => serde_json::to_value(event),
            Self::PasswordResetEmail(email) => serde_json::to_value(email),
            Self::OrderPlaced(order) => serde_json::to_value(order),
            Self::OrderPaid(order) => serde_json::to_value(order),
            Self::OrderMoved { order, .. } => serde_json::to_value(order),
            Self::PaymentFailed(failure) => serde_json::to_value(failure),
            Self::RefundIssued(refund) => serde_json::to_value(refund),
            Self::ProductPublished(product)
            | Self::ProductHidden(product)
            | Self::ProductCreated(product)
            | Self::ProductUpdated(product)
            | Self::ProductArchived(product) => serde_json::to_value(product),
        };
        value.expect("plain structs serialise")
    }

    /// The event a stored topic and payload are.
    pub fn from_stored(topic: &str, payload: Value) -> Result<Self, UnknownEvent> {
        fn fields<T: serde::de::DeserializeOwned>(
            topic: &str,
            payload: Value,
        ) -> Result<T, UnknownEvent> {
            serde_json::from_value(payload)
                .map_err(|err| UnknownEvent { topic: topic.to_owned(), reason: err.to_string() })
        }
        Ok(match topic {
            "user.registered" => Self::UserRegistered(fields(topic, payload)?),
            "user.password_changed" => Self::PasswordChanged(fields(topic, payload)?),
            "user.password_reset" => Self::PasswordReset(fields(topic, payload)?),
            "email.password_reset" => Self::PasswordResetEmail(fields(topic, payload)?),
            "order.placed" => Self::OrderPlaced(fields(topic, payload)?),
            "order.paid" => Self::OrderPaid(fields(topic, payload)?),
            "payment.failed" => Self::PaymentFailed(fields(topic, payload)?),
            "refund.issued" => Self::RefundIssued(fields(topic, payload)?),
            "product.published" => Self::ProductPublished(fields(topic, payload)?),
            "product.hidden" => Self::ProductHidden(fields(topic, payload)?),
            "product.created" => Self::ProductCreated(fields(topic, payload)?),
            "product.updated" => Self::ProductUpdated(fields(topic, payload)?),
            "product.archived" => Self::ProductArchived(fields(topic, payload)?),
            other => {
                let status = other.strip_prefix("order.").and_then(OrderStatus::parse);
                let Some(status) = status else {
                    return Err(UnknownEvent {
                        topic: topic.to_owned(),
                        reason: "unknown topic".into(),
                    });
                };
                Self::OrderMoved { status, order: fields(topic, payload)? }
            }
        })
    }
}

/// Records `event`; it is delivered only if the surrounding transaction commits.
pub async fn record(conn: &mut PgConnection, event: &ShopEvent) -> Result<i64, sqlx::Error> {
    let topic = event.topic();
    sqlx::query_scalar!(
        "INSERT INTO outbox (topic, payload) VALUES ($1, $2) RETURNING id",
        topic.as_ref(),
        event.payload()
    )
    .fetch_one(conn)
    .await
}

/// An event claimed for delivery.
#[derive(Debug)]
pub struct ClaimedEvent {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub topic: String,
    pub payload: Value,
    pub attempts: i32,
}

/// Claims up to `limit` due events for `lease_secs` (another relay may take them after that),
/// oldest first; concurrent relays never share one.
pub async fn claim(
    pool: &PgPool,
    limit: i64,
    lease_secs: i32,
) -> Result<Vec<ClaimedEvent>, sqlx::Error> {
    sqlx::query_as!(
        ClaimedEvent,
        r#"
            UPDATE outbox SET attempts = attempts + 1,
                              next_attempt_at = now() + make_interval(secs => $2)
            WHERE id IN (SELECT id FROM outbox
                         WHERE delivered_at IS NULL AND next_attempt_at <= now()
                         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING id, created_at AS at, topic, payload, attempts
            "#,
        limit,
        f64::from(lease_secs),
    )
    .fetch_all(pool)
    .await
}

/// Marks an event delivered.
pub async fn delivered(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE outbox SET delivered_at = now(), last_error = NULL WHERE id = $1", id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Keeps a failed delivery's error and tries again after `delay_secs`.
pub async fn retry_later(
    pool: &PgPool,
    id: i64,
    error: &str,
    delay_secs: f64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
                        UPDATE outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3)
                        WHERE id = $1
                        "#,
        id,
        error,
        delay_secs,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// An email the shop sent, as a data export lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SentEmail {
    /// RFC 3339.
    pub sent_at: String,
    pub subject: String,
}

/// The emails sent to `email`, newest first (the notification relay records each one).
pub async fn sent_to(pool: &PgPool, email: &str) -> Result<Vec<SentEmail>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT sent_at, subject FROM sent_emails WHERE recipient = $1 ORDER BY sent_at DESC",
        email
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| SentEmail { sent_at: row.sent_at.to_rfc3339(), subject: row.subject })
        .collect())
}

/// Takes `email` out of the events and email records that name it (its account was deleted).
/// Events still waiting are marked delivered: nothing more goes to a deleted account.
pub async fn redact_for(conn: &mut PgConnection, email: &str) -> Result<(), sqlx::Error> {
    const REDACTED: &str = r#"{"redacted": true}"#;
    // As the address appears in a JSON payload: a whole string value.
    let quoted = format!("\"{email}\"");
    sqlx::query!(
        r#"
        UPDATE outbox SET payload = $2::text::jsonb, delivered_at = coalesce(delivered_at, now())
        WHERE strpos(payload::text, $1) > 0
        "#,
        quoted,
        REDACTED
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE shop_events SET payload = $2::text::jsonb WHERE strpos(payload::text, $1) > 0",
        quoted,
        REDACTED
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE sent_emails SET recipient = '(deleted account)' WHERE recipient = $1",
        email
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How far delivery lags: events waiting and the age of the oldest (`/metrics`).
pub async fn lag(pool: &PgPool) -> Result<(i64, f64), sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) AS "pending!",
               coalesce(extract(epoch FROM now() - min(created_at))::float8, 0) AS "oldest_secs!"
        FROM outbox WHERE delivered_at IS NULL
        "#
    )
    .fetch_one(pool)
    .await?;
    Ok((row.pending, row.oldest_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let order_id = Uuid::nil();
        let events = [
            ShopEvent::OrderPlaced(OrderPlaced {
                order_id,
                number: 1001,
                email: "a@example.com".into(),
                total_minor: 1740,
                currency: "EUR".into(),
            }),
            ShopEvent::OrderMoved {
                status: OrderStatus::Shipped,
                order: OrderMove {
                    order_id,
                    number: 1001,
                    email: "a@example.com".into(),
                    note: String::new(),
                },
            },
            ShopEvent::ProductHidden(ProductEvent { product_id: order_id }),
            ShopEvent::ProductCreated(ProductEvent { product_id: order_id }),
            ShopEvent::ProductUpdated(ProductEvent { product_id: order_id }),
            ShopEvent::ProductArchived(ProductEvent { product_id: order_id }),
        ];
        for event in events {
            let stored = ShopEvent::from_stored(&event.topic(), event.payload()).unwrap();
            assert_eq!(stored, event);
        }
        assert!(ShopEvent::from_stored("order.teleported", Value::Null).is_err());
        assert!(ShopEvent::from_stored("order.paid", serde_json::json!({})).is_err());
    }
}
