//! The background jobs as the admin's jobs page shows them (permission `jobs`): every kind's
//! queue, what runs and on which worker, what is retrying and why, the dead jobs, and the
//! embedding backlog; and a dead job retried or discarded, each in one transaction with its
//! audit entry.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::jobs::{self, JobRecord, Listed};
use crate::types::{
    EmbeddingBacklog, JobQueue, JobRow, JobsError, JobsOverview, Refusal, JOBS_LISTED,
};

/// The overview, with the backlog measured against these model versions.
pub async fn overview(
    pool: &PgPool,
    image_model_version: &str,
    text_model_version: &str,
) -> Result<JobsOverview, sqlx::Error> {
    let queues = jobs::queue_stats(pool)
        .await?
        .into_iter()
        .map(|queue| JobQueue {
            kind: queue.kind,
            queued: queue.queued,
            oldest_due_secs: queue.oldest_due_secs,
            running: queue.running,
            dead: queue.dead,
        })
        .collect();
    let rows = |records: Vec<JobRecord>| records.into_iter().map(row).collect::<Vec<_>>();
    let images = super::catalog::embedding_counts(pool, image_model_version).await?;
    let texts = super::text_embeddings::counts(pool, text_model_version).await?;
    Ok(JobsOverview {
        at: chrono::Utc::now(),
        queues,
        running: rows(jobs::listed(pool, Listed::Running, JOBS_LISTED).await?),
        retrying: rows(jobs::listed(pool, Listed::Retrying, JOBS_LISTED).await?),
        dead: rows(jobs::listed(pool, Listed::Dead, JOBS_LISTED).await?),
        backlog: EmbeddingBacklog {
            image_model_version: image_model_version.to_owned(),
            images_ready: images.ready,
            images_waiting: images.waiting,
            images_failed: images.failed,
            text_model_version: text_model_version.to_owned(),
            texts_ready: texts.ready,
            texts_waiting: texts.waiting,
        },
    })
}

fn row(record: JobRecord) -> JobRow {
    let mut payload = record.payload.to_string();
    if payload.chars().count() > 200 {
        payload = payload.chars().take(199).chain(['…']).collect();
    }
    let progress = record.progress.map(|progress| {
        let mut text = match progress.total {
            0 => progress.stage,
            total => format!("{}: {} of {total}", progress.stage, progress.done),
        };
        if let Some(detail) = progress.detail {
            text.push_str(&format!(" ({detail})"));
        }
        text
    });
    JobRow {
        id: record.id,
        kind: record.kind,
        status: record.status,
        attempts: record.attempts,
        max_attempts: record.max_attempts,
        worker: record.locked_by,
        progress,
        last_error: record.last_error,
        run_at: record.run_at,
        updated_at: record.updated_at,
        payload,
    }
}

/// What to do with a dead job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mend {
    /// Queue it again, with fresh attempts.
    Retry,
    /// Delete it (its error is kept in the audit entry).
    Discard,
}

/// Retries or discards dead job `id`, audited.
pub async fn mend(pool: &PgPool, actor: Actor, id: Uuid, mend: Mend) -> Result<(), JobsError> {
    let mut tx = pool.begin().await.map_err(JobsError::unavailable)?;
    let before = jobs::lock(&mut tx, id)
        .await
        .map_err(JobsError::unavailable)?
        .ok_or(JobsError::UnknownJob)?;
    if before.status != "dead" {
        return Err(JobsError::NotDead(before.status));
    }
    let action = match mend {
        Mend::Retry => {
            if !jobs::requeue_dead(&mut tx, id).await.map_err(JobsError::unavailable)? {
                return Err(JobsError::AlreadyQueued);
            }
            "jobs.job.retry"
        }
        Mend::Discard => {
            jobs::delete_dead(&mut tx, id).await.map_err(JobsError::unavailable)?;
            "jobs.job.discard"
        }
    };
    let entry = Entry {
        action,
        entity: "job",
        entity_id: id.to_string(),
        before: Some(json!({
            "kind": before.kind,
            "payload": before.payload,
            "attempts": before.attempts,
            "last_error": before.last_error,
        })),
        after: (mend == Mend::Retry).then(|| json!({ "status": "queued", "attempts": 0 })),
    };
    audit::record(&mut tx, actor, entry).await.map_err(JobsError::unavailable)?;
    tx.commit().await.map_err(JobsError::unavailable)
}
