//! A shopper's own data: a copy of everything the shop holds about their account (download my
//! data), and erasure (delete my account). Both are audited. Erasure keeps the orders, which the
//! shop must keep for its accounts, with the person taken out of them: no name, street or email,
//! only what accounting needs (amounts, lines, dates, the country for tax). The account row
//! stays, anonymised, so the orders and the audit log still point at something.

use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::audit::{self, Entry};
use super::auth::accounts::{self, AccountRecord, SessionRecord};
use super::auth::live_sessions::Change;
use super::auth::{Auth, CurrentUser};
use super::cart::{self, CartOwner};
use super::orders;
use super::outbox;
use crate::types::{AuditEntry, AuthError, Cart, OrderDetail, Refusal};

/// How many audit entries an export lists.
const AUDIT_ENTRIES: i64 = 1000;
/// How many shopper events an export lists.
const SHOPPER_EVENTS: i64 = 10_000;

/// Everything the shop holds about one account, as the shopper downloads it.
#[derive(Debug, Serialize)]
pub struct PersonalData {
    /// RFC 3339.
    pub exported_at: String,
    pub account: AccountRecord,
    /// Each sign-in, and whether it has ended.
    pub sessions: Vec<SessionRecord>,
    pub cart: Option<Cart>,
    pub orders: Vec<OrderDetail>,
    /// The emails sent to the account's address.
    pub emails: Vec<outbox::SentEmail>,
    /// What the account did in the admin area, and what was done to it.
    pub audit_log: Vec<AuditEntry>,
    /// What the shop recorded of their browsing (views, searches, clicks), newest first.
    pub shopper_events: Vec<super::recs::events::EventRecord>,
}

/// A copy of `user`'s data, recorded in the audit log.
pub async fn export(pool: &PgPool, user: &CurrentUser) -> Result<PersonalData, AuthError> {
    let account = accounts::record(pool, user.id).await?;
    let sessions = accounts::sessions(pool, user.id).await?;
    let unavailable = AuthError::unavailable;
    let cart = match cart::find(pool, CartOwner::User(user.id)).await.map_err(unavailable)? {
        Some(cart_id) => Some(cart::view(pool, cart_id).await.map_err(unavailable)?),
        None => None,
    };
    let mut orders = Vec::new();
    for order in orders::ids_of_user(pool, user.id).await.map_err(unavailable)? {
        // Its own refusal already logged why.
        let detail = orders::order_detail(pool, order).await.map_err(|_| AuthError::Unavailable)?;
        orders.push(detail);
    }
    let emails = outbox::sent_to(pool, &account.email).await.map_err(unavailable)?;
    let audit_log = audit::of_user(pool, user.id, AUDIT_ENTRIES).await?;
    let shopper_events =
        super::recs::events::of_user(pool, user.id, SHOPPER_EVENTS).await.map_err(unavailable)?;

    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let entry = Entry {
        action: "account.export",
        entity: "user",
        entity_id: user.id.to_string(),
        before: None,
        after: Some(json!({ "orders": orders.len() })),
    };
    audit::record(&mut tx, user.actor(), entry).await.map_err(AuthError::unavailable)?;
    tx.commit().await.map_err(AuthError::unavailable)?;
    Ok(PersonalData {
        exported_at: chrono::Utc::now().to_rfc3339(),
        account,
        sessions,
        cart,
        orders,
        emails,
        audit_log,
        shopper_events,
    })
}

/// Deletes `user`'s account after checking their password: in one transaction the account is
/// anonymised and every session ends, the cart goes, the orders lose the name, address and email,
/// and the events and email records that named the address are redacted. The last admin cannot
/// delete their account (the shop would have none).
pub async fn delete_account(
    pool: &PgPool,
    auth: &Auth,
    user: &CurrentUser,
    password: String,
) -> Result<(), AuthError> {
    let stored = accounts::password_hash(pool, user.id).await?;
    if !auth.passwords.verify(password, Some(stored)).await? {
        return Err(AuthError::WrongPassword);
    }
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let email = accounts::anonymise(&mut tx, user.id).await?;
    let unavailable = AuthError::unavailable;
    cart::delete_for_user(&mut tx, user.id).await.map_err(unavailable)?;
    let orders = orders::anonymise_for_user(&mut tx, user.id).await.map_err(unavailable)?;
    outbox::redact_for(&mut tx, &email).await.map_err(unavailable)?;
    let entry = Entry {
        action: "account.delete",
        entity: "user",
        entity_id: user.id.to_string(),
        before: None,
        after: Some(json!({ "orders_anonymised": orders })),
    };
    audit::record(&mut tx, user.actor(), entry).await.map_err(unavailable)?;
    auth.sessions.commit_announcing(tx, &[Change::User(user.id)]).await.map_err(unavailable)
}

/// The address a deleted account is left with: unique, and deliverable nowhere (`.invalid`).
pub fn erased_email(user: Uuid) -> String {
    format!("deleted-{user}@deleted.invalid")
}
