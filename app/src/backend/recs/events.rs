//! Shopper events: what shoppers do, recorded first-party for the recommender and the admin's
//! click-through figures. Owns the `shopper_events` table.
//!
//! - [`read`] checks a batch a client sent (kinds, fields, sizes) and [`known_products`] that
//!   every product it names is one the shop shows; a batch with one bad event is refused whole,
//!   so nothing malformed enters the data.
//! - [`EventWriter`] takes checked events without waiting and writes them in batches on a task
//!   of its own: recording never holds up a page. When the writer falls behind by
//!   [`QUEUE_CAPACITY`] events, new ones are dropped (and counted), not queued without bound.
//! - [`not_tracked`]: the browser's Global Privacy Control or Do Not Track; such a browser's
//!   events are not recorded at all (an order needs none of them).

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::backend::rate_limit::RateLimiter;
use crate::types::Refusal;

/// Events one request may carry.
pub const MAX_BATCH: usize = 50;
/// Events waiting for the writer before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 10_000;
/// Rows per `INSERT`.
const WRITE_BATCH: usize = 500;
/// The longest search text kept (as `shopper_events.query` allows).
pub const MAX_QUERY_CHARS: usize = 200;
/// Events one client may send a minute (in bursts of as many): a browsing shopper sends a few.
pub const EVENTS_PER_MINUTE: u32 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    View,
    CartAdd,
    Search,
    SearchClick,
    RecImpression,
    RecClick,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::CartAdd => "cart_add",
            Self::Search => "search",
            Self::SearchClick => "search_click",
            Self::RecImpression => "rec_impression",
            Self::RecClick => "rec_click",
        }
    }
}

/// One event as a client sends it (`POST /api/events`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingEvent {
    pub kind: EventKind,
    pub product_id: Option<Uuid>,
    pub query: Option<String>,
    /// The recommendation row (`rec_impression`, `rec_click`).
    pub row: Option<String>,
    /// The model version that filled the row.
    pub model_version: Option<String>,
    /// Where in the row or the results, from 0.
    pub position: Option<i32>,
    /// How many products a search found: set by the server that ran it, never read from a
    /// client (the analytics' zero-result searches).
    #[serde(skip)]
    pub results: Option<i32>,
}

/// A checked event, with who did it.
#[derive(Debug, Clone)]
pub struct Event {
    pub visitor: Uuid,
    pub user_id: Option<Uuid>,
    /// What was done: fields that agree with its kind ([`read`] checked them).
    pub action: IncomingEvent,
}

/// Why a batch of events was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("A request carries 1 to {MAX_BATCH} events.")]
    BadBatchSize,
    #[error("Event {index}: {reason}")]
    Malformed { index: usize, reason: &'static str },
    #[error("Event {index} names a product the shop does not show.")]
    UnknownProduct { index: usize },
    #[error("Too many events from this client; wait a moment.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("Events cannot be recorded just now.")]
    Unavailable,
}

impl Refusal for EventError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::BadBatchSize => "bad_batch_size",
            Self::Malformed { .. } => "malformed_event",
            Self::UnknownProduct { .. } => "unknown_product",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::BadBatchSize | Self::Malformed { .. } => 400,
            Self::UnknownProduct { .. } => 422,
            Self::TooManyRequests { .. } => 429,
            Self::Unavailable => 503,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

/// Checks each event's fields for its kind and attaches who did it. Search texts are trimmed;
/// the rest is taken as sent or refused.
pub fn read(
    incoming: Vec<IncomingEvent>,
    visitor: Uuid,
    user_id: Option<Uuid>,
) -> Result<Vec<Event>, EventError> {
    if incoming.is_empty() || incoming.len() > MAX_BATCH {
        return Err(EventError::BadBatchSize);
    }
    incoming
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            let malformed = |reason| EventError::Malformed { index, reason };
            let query = event.query.as_deref().map(str::trim).map(str::to_owned);
            let needs_query = matches!(event.kind, EventKind::Search | EventKind::SearchClick);
            let is_rec = matches!(event.kind, EventKind::RecImpression | EventKind::RecClick);
            match &query {
                None if needs_query => return Err(malformed("this kind needs a query")),
                Some(_) if !needs_query => return Err(malformed("only searches have a query")),
                Some(q) if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS => {
                    return Err(malformed("a query is 1 to 200 characters"))
                }
                _ => {}
            }
            match (event.kind, event.product_id) {
                (EventKind::Search, Some(_)) => {
                    return Err(malformed("a search names no product (a search_click does)"))
                }
                (EventKind::Search, None) => {}
                (_, None) => return Err(malformed("this kind needs a product_id")),
                _ => {}
            }
            match &event.row {
                None if is_rec => return Err(malformed("a recommendation event needs its row")),
                Some(_) if !is_rec => {
                    return Err(malformed("only recommendation events have a row"))
                }
                Some(row) if crate::types::RowKind::parse(row).is_none() => {
                    return Err(malformed("no such recommendation row"))
                }
                _ => {}
            }
            if event.model_version.as_ref().is_some_and(|v| v.is_empty() || v.len() > 80) {
                return Err(malformed("a model version is 1 to 80 characters"));
            }
            if event.position.is_some_and(|p| !(0..100).contains(&p)) {
                return Err(malformed("a position is 0 to 99"));
            }
            Ok(Event { visitor, user_id, action: IncomingEvent { query, ..event } })
        })
        .collect()
}

/// Refuses the batch when an event names a product that does not exist or is hidden.
pub async fn known_products(pool: &PgPool, events: &[Event]) -> Result<(), EventError> {
    let named: Vec<Uuid> = events.iter().filter_map(|event| event.action.product_id).collect();
    if named.is_empty() {
        return Ok(());
    }
    let shown =
        sqlx::query_scalar!("SELECT id FROM products WHERE id = ANY($1) AND published", &named)
            .fetch_all(pool)
            .await
            .map_err(EventError::unavailable)?;
    match events
        .iter()
        .position(|event| event.action.product_id.is_some_and(|id| !shown.contains(&id)))
    {
        Some(index) => Err(EventError::UnknownProduct { index }),
        None => Ok(()),
    }
}

/// Makes `visitor`'s events recorded while signed out `user_id`'s (at sign-in, like the cart).
pub async fn join_account(pool: &PgPool, visitor: Uuid, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE shopper_events SET user_id = $2 WHERE visitor = $1 AND user_id IS NULL",
        visitor,
        user_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One recorded event, as a shopper's data export lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    pub kind: String,
    pub product_id: Option<Uuid>,
    pub query: Option<String>,
    pub row_name: Option<String>,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// The newest `limit` events recorded for `user_id` (export).
pub async fn of_user(
    pool: &PgPool,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<EventRecord>, sqlx::Error> {
    sqlx::query_as!(
        EventRecord,
        r#"
        SELECT kind, product_id, query, row_name, occurred_at FROM shopper_events
        WHERE user_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2
        "#,
        user_id,
        limit
    )
    .fetch_all(pool)
    .await
}

/// Deletes `user_id`'s events, and those of every browser they used (in the erasure's
/// transaction): what was recorded before sign-in is theirs too.
pub async fn erase_account(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        DELETE FROM shopper_events
        WHERE user_id = $1
           OR visitor IN (SELECT visitor FROM shopper_events WHERE user_id = $1)
        "#,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the browser asked not to be tracked (`Sec-GPC: 1` or `DNT: 1`).
pub fn not_tracked(headers: &HeaderMap) -> bool {
    ["sec-gpc", "dnt"].iter().any(|name| {
        headers.get(*name).and_then(|value| value.to_str().ok()).map(str::trim) == Some("1")
    })
}

enum Message {
    Event(Event),
    /// Answered once everything sent before it is written.
    Flush(oneshot::Sender<()>),
}

/// The handle requests record events through; cheap to clone.
#[derive(Clone)]
pub struct EventWriter {
    sender: mpsc::Sender<Message>,
    /// A flood from one client is refused before it is read.
    limit: RateLimiter,
}

impl EventWriter {
    /// Starts the writing task on the current runtime; each client may send
    /// [`EVENTS_PER_MINUTE`].
    pub fn spawn(pool: PgPool) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(write_loop(pool, receiver));
        Self { sender, limit: RateLimiter::per_minute(EVENTS_PER_MINUTE) }
    }

    /// Takes one of `client`'s turns (no address: a test's or a local call's, not limited).
    pub fn take_turn(&self, client: Option<std::net::IpAddr>) -> Result<(), EventError> {
        self.limit
            .take_turn(client, "events")
            .map_err(|wait| EventError::TooManyRequests { retry_after_secs: wait })
    }

    /// Queues `events` without waiting; returns how many were queued (the rest were dropped
    /// because the writer is behind).
    pub fn record(&self, events: Vec<Event>) -> usize {
        let mut queued = 0;
        for event in events {
            if self.sender.try_send(Message::Event(event)).is_ok() {
                queued += 1;
            } else {
                metrics::counter!("vitrine_events_dropped_total").increment(1);
            }
        }
        queued
    }

    /// Waits until every event queued before the call is written (tests, shutdown).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn write_loop(pool: PgPool, mut receiver: mpsc::Receiver<Message>) {
    let mut messages = Vec::with_capacity(WRITE_BATCH);
    while receiver.recv_many(&mut messages, WRITE_BATCH).await > 0 {
        let mut events = Vec::new();
        let mut flushes = Vec::new();
        for message in messages.drain(..) {
            match message {
                Message::Event(event) => events.push(event),
                Message::Flush(done) => flushes.push(done),
            }
        }
        if !events.is_empty() {
            match insert(&pool, &events).await {
                Ok(()) => {
                    metrics::counter!("vitrine_events_written_total").increment(events.len() as u64)
                }
                Err(err) => {
                    // A product deleted since the check, or the database away: these events
                    // are lost, the shop goes on.
                    metrics::counter!("vitrine_events_dropped_total")
                        .increment(events.len() as u64);
                    tracing::warn!(error = %err, events = events.len(), "could not write events");
                }
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

async fn insert(pool: &PgPool, events: &[Event]) -> Result<(), sqlx::Error> {
    fn column<T>(events: &[Event], field: impl Fn(&IncomingEvent) -> T) -> Vec<T> {
        events.iter().map(|event| field(&event.action)).collect()
    }
    let visitors: Vec<Uuid> = events.iter().map(|e| e.visitor).collect();
    let users: Vec<Option<Uuid>> = events.iter().map(|e| e.user_id).collect();
    let kinds = column(events, |e| e.kind.as_str().to_owned());
    let products = column(events, |e| e.product_id);
    let queries = column(events, |e| e.query.clone());
    let rows = column(events, |e| e.row.clone());
    let versions = column(events, |e| e.model_version.clone());
    let positions = column(events, |e| e.position);
    let results = column(events, |e| e.results);
    sqlx::query!(
        r#"
        INSERT INTO shopper_events (visitor, user_id, kind, product_id, query, row_name,
                                    model_version, position, results)
        SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[],
                             $6::text[], $7::text[], $8::int[], $9::int[])
        "#,
        &visitors,
        &users as &[Option<Uuid>],
        &kinds,
        &products as &[Option<Uuid>],
        &queries as &[Option<String>],
        &rows as &[Option<String>],
        &versions as &[Option<String>],
        &positions as &[Option<i32>],
        &results as &[Option<i32>],
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind) -> IncomingEvent {
        IncomingEvent {
            kind,
            product_id: Some(Uuid::nil()),
            query: None,
            row: None,
            model_version: None,
            position: None,
            results: None,
        }
    }

    fn refusal(events: Vec<IncomingEvent>) -> EventError {
        read(events, Uuid::nil(), None).unwrap_err()
    }

    #[test]
    fn each_kind_needs_its_fields() {
        assert!(read(vec![event(EventKind::View)], Uuid::nil(), None).is_ok());
        let search = IncomingEvent {
            product_id: None,
            query: Some(" banjo ".into()),
            ..event(EventKind::Search)
        };
        let read_search = read(vec![search], Uuid::nil(), None).unwrap();
        assert_eq!(read_search[0].action.query.as_deref(), Some("banjo"));
        assert!(matches!(
            refusal(vec![event(EventKind::View), event(EventKind::Search)]),
            EventError::Malformed { index: 1, .. }
        ));
        assert!(matches!(refusal(vec![event(EventKind::RecClick)]), EventError::Malformed { .. }));
        let unknown_row = IncomingEvent { row: Some("nope".into()), ..event(EventKind::RecClick) };
        assert!(matches!(refusal(vec![unknown_row]), EventError::Malformed { .. }));
        let far = IncomingEvent { position: Some(100), ..event(EventKind::View) };
        assert!(matches!(refusal(vec![far]), EventError::Malformed { .. }));
        let no_product = IncomingEvent { product_id: None, ..event(EventKind::CartAdd) };
        assert!(matches!(refusal(vec![no_product]), EventError::Malformed { .. }));
    }

    #[test]
    fn a_batch_is_one_to_fifty_events() {
        assert_eq!(refusal(vec![]), EventError::BadBatchSize);
        assert_eq!(refusal(vec![event(EventKind::View); MAX_BATCH + 1]), EventError::BadBatchSize);
    }

    #[test]
    fn privacy_signals_are_read() {
        let mut headers = HeaderMap::new();
        assert!(!not_tracked(&headers));
        headers.insert("sec-gpc", "1".parse().unwrap());
        assert!(not_tracked(&headers));
        let mut headers = HeaderMap::new();
        headers.insert("dnt", "1".parse().unwrap());
        assert!(not_tracked(&headers));
    }
}
