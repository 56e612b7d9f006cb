//! Delivering the outbox: every event the shop records (in the transaction of the change that
//! caused it) is published to the internal feed (`shop_events`, read by later features) and, if
//! it has a template, emailed. Delivery is at least once: a failed event is retried with growing
//! delays, and both handlers tolerate a repeat (the feed is keyed by the event, and an email
//! recorded in `sent_emails` is not sent again).

pub mod emails;
pub mod mailer;

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;

use app::backend::outbox::{self, ClaimedEvent, ShopEvent};

use self::mailer::Mailer;
use super::worker::poll_until_stopped;

/// Events claimed at once.
const BATCH: i64 = 20;

pub struct Relay {
    pub pool: PgPool,
    pub mailer: Mailer,
    pub public_url: String,
    pub idle_poll: Duration,
    /// How long claimed events are ours before another relay may take them: a relay killed
    /// mid-delivery leaves them to another after this long (the workers' `--job-lease-secs`).
    pub lease: Duration,
}

impl Relay {
    /// Delivers what is due; returns how many events it handled.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let lease_secs = i32::try_from(self.lease.as_secs().max(1)).unwrap_or(i32::MAX);
        let events = outbox::claim(&self.pool, BATCH, lease_secs).await?;
        for event in &events {
            match self.deliver(event).await {
                Ok(()) => outbox::delivered(&self.pool, event.id).await?,
                Err(err) => {
                    // 2, 4, 8 … seconds, at most an hour; never given up (the error is kept).
                    let delay = 2f64.powi(event.attempts.min(12)).min(3600.0);
                    tracing::warn!(event = event.id, topic = %event.topic, error = %err, delay, "event delivery failed; will retry");
                    outbox::retry_later(&self.pool, event.id, &format!("{err:#}"), delay).await?;
                }
            }
        }
        Ok(events.len())
    }

    async fn deliver(&self, event: &ClaimedEvent) -> anyhow::Result<()> {
        sqlx::query!(
            r#"
            INSERT INTO shop_events (outbox_id, at, topic, payload) VALUES ($1, $2, $3, $4)
            ON CONFLICT (outbox_id) DO NOTHING
            "#,
            event.id,
            event.at,
            event.topic,
            event.payload,
        )
        .execute(&self.pool)
        .await?;
        let sent =
            sqlx::query_scalar!("SELECT outbox_id FROM sent_emails WHERE outbox_id = $1", event.id)
                .fetch_optional(&self.pool)
                .await?;
        if sent.is_some() {
            return Ok(());
        }
        let typed = ShopEvent::from_stored(&event.topic, event.payload.clone())?;
        let Some(email) = emails::render(&self.pool, &self.public_url, typed).await? else {
            return Ok(());
        };
        self.mailer.send(&email, event.id).await?;
        sqlx::query!(
            "INSERT INTO sent_emails (outbox_id, recipient, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            event.id,
            email.to,
            email.subject,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Delivers until `stop` turns true.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        poll_until_stopped(stop, self.idle_poll, "outbox relay", || self.run_once()).await;
    }
}
