//! The background jobs as the admin's jobs page and its JSON show them (permission `jobs`).
//! Why a retry or discard was refused is `JobsError`, with the other refusals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Everything the jobs page shows, read at `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobsOverview {
    pub at: DateTime<Utc>,
    /// Each kind with live or dead jobs.
    pub queues: Vec<JobQueue>,
    pub running: Vec<JobRow>,
    /// Jobs that failed and wait for their next attempt, latest failure first.
    pub retrying: Vec<JobRow>,
    /// Jobs that used up their attempts, latest first: retry or discard them.
    pub dead: Vec<JobRow>,
    pub backlog: EmbeddingBacklog,
}

/// One kind's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobQueue {
    pub kind: String,
    /// Waiting (due now or later).
    pub queued: i64,
    /// How long the oldest due job has waited, in seconds (0 with none due).
    pub oldest_due_secs: f64,
    pub running: i64,
    pub dead: i64,
}

/// One job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// The worker holding it (running jobs).
    pub worker: Option<String>,
    /// What the handler last reported ("importing rows: 120 of 400").
    pub progress: Option<String>,
    pub last_error: Option<String>,
    /// When it is due (its next attempt, for a retrying job).
    pub run_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The payload as JSON text, cut to 200 characters.
    pub payload: String,
}

/// What waits for the active model versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingBacklog {
    pub image_model_version: String,
    pub images_ready: i64,
    /// New or changed images, or embedded by another version.
    pub images_waiting: i64,
    pub images_failed: i64,
    pub text_model_version: String,
    pub texts_ready: i64,
    pub texts_waiting: i64,
}

/// The most jobs each list of the overview shows.
pub const JOBS_LISTED: i64 = 50;
