//! The outbox: events written in the same transaction as the change that caused them, for a
//! delivery job to send (emails) or publish (feeds) at least once.

use serde::Serialize;
use sqlx::PgConnection;

/// Records an event under `topic`; it is delivered only if the surrounding transaction commits.
pub async fn record(
    conn: &mut PgConnection,
    topic: &str,
    payload: &impl Serialize,
) -> Result<i64, sqlx::Error> {
    let payload = serde_json::to_value(payload).expect("events serialise");
    sqlx::query_scalar!(
        "INSERT INTO outbox (topic, payload) VALUES ($1, $2) RETURNING id",
        topic,
        payload
    )
    .fetch_one(conn)
    .await
}
