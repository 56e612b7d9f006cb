//! The job queue, in PostgreSQL. Owns the `jobs` table.
//!
//! - [`enqueue`] takes any connection, so a job is written in the same transaction as the change
//!   that needs it: both happen or neither does.
//! - [`claim`] hands out due jobs with `FOR UPDATE SKIP LOCKED` (concurrent workers never get the
//!   same job and never wait on each other) under a lease. A worker that dies simply stops
//!   renewing: when the lease runs out the job is claimed again, so nothing is lost.
//! - [`fail`] retries with exponential backoff until `max_attempts`, then marks the job dead with
//!   its error; dead jobs stay for an operator to read and retry.
//!
//! Handlers must be idempotent: a job can run more than once (a lease may expire while a slow
//! attempt is still finishing).

use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// A job to write.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub dedupe_key: Option<String>,
    pub max_attempts: i32,
    /// Not before this time (now when unset).
    pub run_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl<'a> NewJob<'a> {
    pub fn new(kind: &'a str, payload: impl Serialize) -> Self {
        Self {
            kind,
            payload: serde_json::to_value(payload).expect("job payloads serialise to JSON"),
            dedupe_key: None,
            max_attempts: 5,
            run_at: None,
        }
    }

    /// Makes enqueueing a no-op while a job with the same key is queued or running.
    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn run_at(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    pub fn max_attempts(mut self, attempts: i32) -> Self {
        self.max_attempts = attempts;
        self
    }
}

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
}

impl ClaimedJob {
    /// Whether a failure now makes the job dead rather than retried.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// What [`fail`] did with the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    RetryIn(Duration),
    Dead,
    /// The job was no longer ours (its lease ran out and another worker took it).
    LostLease,
}

/// Writes the job; returns its id, or `None` when a live job with the same dedupe key exists.
pub async fn enqueue(
    conn: &mut sqlx::PgConnection,
    job: &NewJob<'_>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO jobs (id, kind, payload, dedupe_key, max_attempts, run_at)
        VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
        ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING
        RETURNING id
        "#,
        Uuid::now_v7(),
        job.kind,
        job.payload,
        job.dedupe_key,
        job.max_attempts,
        job.run_at,
    )
    .fetch_optional(conn)
    .await
}

/// Writes `jobs`, 500 to a transaction (so a huge catalog never holds one long transaction);
/// returns how many were written (a job whose dedupe key is live already is not).
pub async fn enqueue_in_chunks(
    pool: &PgPool,
    jobs: impl IntoIterator<Item = NewJob<'_>>,
) -> Result<u64, sqlx::Error> {
    let jobs: Vec<NewJob<'_>> = jobs.into_iter().collect();
    let mut written = 0;
    for chunk in jobs.chunks(500) {
        let mut tx = pool.begin().await?;
        for job in chunk {
            if enqueue(&mut tx, job).await?.is_some() {
                written += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(written)
}

/// Jobs of `kind` still to run (queued, including those waiting to retry, or running).
pub async fn live_count(pool: &PgPool, kind: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM jobs WHERE kind = $1 AND status IN ('queued', 'running')"#,
        kind
    )
    .fetch_one(pool)
    .await
}

/// The live (queued or running) job with dedupe key `key`, if any.
pub async fn live_id(pool: &PgPool, key: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM jobs WHERE dedupe_key = $1 AND status IN ('queued', 'running')",
        key
    )
    .fetch_optional(pool)
    .await
}

/// Claims up to `limit` due jobs of the given kinds for `worker`, for `lease`. Jobs whose lease
/// ran out count as due; those that have used up their attempts are marked dead instead.
pub async fn claim(
    pool: &PgPool,
    worker: &str,
    kinds: &[String],
    lease: Duration,
    limit: i64,
) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    sqlx::query!(
        r#"
        UPDATE jobs SET status = 'dead', locked_by = NULL, locked_until = NULL,
               last_error = coalesce(last_error || '; ', '') || 'lease expired on the last attempt',
               finished_at = now(), updated_at = now()
        WHERE status = 'running' AND locked_until < now() AND attempts >= max_attempts
          AND kind = ANY($1)
        "#,
        kinds,
    )
    .execute(pool)
    .await?;

    let rows = sqlx::query!(
        r#"
        UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1,
               locked_until = now() + $2::bigint * interval '1 millisecond', updated_at = now()
        WHERE id IN (
            SELECT id FROM jobs
            WHERE kind = ANY($3)
              AND ((status = 'queued' AND run_at <= now())
                   OR (status = 'running' AND locked_until < now()))
            ORDER BY run_at
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id, kind, payload, attempts, max_attempts
        "#,
        worker,
        lease_ms,
        kinds,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ClaimedJob {
            id: row.id,
            kind: row.kind,
            payload: row.payload,
            attempt: row.attempts,
            max_attempts: row.max_attempts,
        })
        .collect())
}

/// How far a running job has got, as its handler reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Progress {
    /// What it is doing now: `"embedding Fashion-MNIST"`, `"training"`.
    pub stage: String,
    pub done: u64,
    pub total: u64,
    /// Anything else worth showing (`"loss 1.234"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Records `progress` on the job (kept after it ends, as its last word).
pub async fn set_progress(pool: &PgPool, id: Uuid, progress: &Progress) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE jobs SET progress = $2, updated_at = now() WHERE id = $1",
        id,
        serde_json::to_value(progress).expect("progress serialises to JSON"),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A job's status and progress, for a command that waits on it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobState {
    pub status: String,
    pub progress: Option<Progress>,
    pub last_error: Option<String>,
}

pub async fn state(pool: &PgPool, id: Uuid) -> Result<Option<JobState>, sqlx::Error> {
    let row = sqlx::query!("SELECT status, progress, last_error FROM jobs WHERE id = $1", id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|row| JobState {
        status: row.status,
        progress: row.progress.and_then(|value| serde_json::from_value(value).ok()),
        last_error: row.last_error,
    }))
}

/// Marks the job done. Returns false when the job was no longer held by `worker`.
pub async fn complete(pool: &PgPool, job: &ClaimedJob, worker: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"
        UPDATE jobs SET status = 'succeeded', locked_by = NULL, locked_until = NULL,
               finished_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'running' AND locked_by = $2
        "#,
        job.id,
        worker,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: back to the queue after a backoff, or dead after the last attempt.
pub async fn fail(
    pool: &PgPool,
    job: &ClaimedJob,
    worker: &str,
    error: &str,
) -> Result<FailureOutcome, sqlx::Error> {
    let outcome = if job.is_last_attempt() {
        FailureOutcome::Dead
    } else {
        FailureOutcome::RetryIn(backoff(job.attempt))
    };
    let (status, delay_ms) = match outcome {
        FailureOutcome::RetryIn(delay) => ("queued", delay.as_millis() as i64),
        _ => ("dead", 0),
    };
    let updated = sqlx::query!(
        r#"
        UPDATE jobs SET status = $3, last_error = $4, locked_by = NULL, locked_until = NULL,
               run_at = now() + $5::bigint * interval '1 millisecond',
               finished_at = CASE WHEN $3 = 'dead' THEN now() END, updated_at = now()
        WHERE id = $1 AND status = 'running' AND locked_by = $2
        "#,
        job.id,
        worker,
        status,
        error,
        delay_ms,
    )
    .execute(pool)
    .await?;
    Ok(if updated.rows_affected() == 1 { outcome } else { FailureOutcome::LostLease })
}

/// Exponential backoff after attempt `n` (1-based): 2 s, 4 s, 8 s, … capped at 10 minutes.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = attempt.clamp(1, 20) as u32 - 1;
    Duration::from_secs(2u64.saturating_mul(1 << exponent).min(600))
}

/// The queue of one kind of job, as `/metrics` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStats {
    pub kind: String,
    /// Due now or later, not yet taken.
    pub queued: i64,
    /// How long the oldest due job has waited (0 with none due).
    pub oldest_due_secs: f64,
    pub running: i64,
    /// Failed for the last time.
    pub dead: i64,
}

/// Every kind's queue, in one query (kinds with only succeeded jobs are left out).
pub async fn queue_stats(pool: &PgPool) -> Result<Vec<QueueStats>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT kind,
               count(*) FILTER (WHERE status = 'queued') AS "queued!",
               coalesce(extract(epoch FROM now() - min(run_at) FILTER (
                   WHERE status = 'queued' AND run_at <= now()))::float8, 0) AS "oldest_due_secs!",
               count(*) FILTER (WHERE status = 'running') AS "running!",
               count(*) FILTER (WHERE status = 'dead') AS "dead!"
        FROM jobs
        -- Succeeded jobs pile up for ever; each status read here has its partial index.
        WHERE status IN ('queued', 'running', 'dead')
        GROUP BY kind ORDER BY kind
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| QueueStats {
            kind: row.kind,
            queued: row.queued,
            oldest_due_secs: row.oldest_due_secs,
            running: row.running,
            dead: row.dead,
        })
        .collect())
}

/// A job as an operator reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_by: Option<String>,
    pub progress: Option<Progress>,
    pub last_error: Option<String>,
    pub run_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Which jobs [`listed`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Running,
    /// Queued after a failed attempt.
    Retrying,
    Dead,
}

/// The first `limit` jobs of `which`, the latest change first.
pub async fn listed(
    pool: &PgPool,
    which: Listed,
    limit: i64,
) -> Result<Vec<JobRecord>, sqlx::Error> {
    let (status, failed) = match which {
        Listed::Running => ("running", false),
        Listed::Retrying => ("queued", true),
        Listed::Dead => ("dead", false),
    };
    let rows = sqlx::query!(
        r#"
        SELECT id, kind, payload, status, attempts, max_attempts, locked_by, progress, last_error,
               run_at, updated_at
        FROM jobs
        WHERE status = $1 AND (NOT $2 OR last_error IS NOT NULL)
        ORDER BY updated_at DESC
        LIMIT $3
        "#,
        status,
        failed,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| JobRecord {
            id: row.id,
            kind: row.kind,
            payload: row.payload,
            status: row.status,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            locked_by: row.locked_by,
            progress: row.progress.and_then(|value| serde_json::from_value(value).ok()),
            last_error: row.last_error,
            run_at: row.run_at,
            updated_at: row.updated_at,
        })
        .collect())
}

/// A job locked for the rest of the transaction, as an operator's action reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedJob {
    pub status: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Locks job `id` for the rest of the transaction and reads it, if there is such a job.
pub async fn lock(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
) -> Result<Option<LockedJob>, sqlx::Error> {
    sqlx::query_as!(
        LockedJob,
        "SELECT status, kind, payload, attempts, last_error FROM jobs WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Queues dead job `id` again with fresh attempts; false when a live job has its dedupe key
/// (the same work is queued already), and then nothing changed.
pub async fn requeue_dead(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let requeued = sqlx::query!(
        r#"
        UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), finished_at = NULL,
               updated_at = now()
        WHERE id = $1 AND status = 'dead'
          AND NOT EXISTS (SELECT 1 FROM jobs live
                          WHERE live.dedupe_key = jobs.dedupe_key AND live.status IN ('queued', 'running'))
        "#,
        id
    )
    .execute(conn)
    .await?;
    Ok(requeued.rows_affected() == 1)
}

/// Deletes dead job `id`.
pub async fn delete_dead(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM jobs WHERE id = $1 AND status = 'dead'", id).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(5), Duration::from_secs(32));
        assert_eq!(backoff(12), Duration::from_secs(600));
        assert_eq!(backoff(1000), Duration::from_secs(600));
    }
}
