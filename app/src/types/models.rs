//! The trained models as the admin's models page shows them: each stored version with the
//! figures it was judged by, a training's progress, and how often each recommendation row was
//! clicked. Plain numbers and text: the page formats them and never reads the registry's JSON.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a version is a version of (the registry's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// The taste model behind "Picked for you" and the other rows.
    Recommender,
    /// The head mapping image embeddings to text embeddings (search by text over photos).
    TextToImage,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [Self::Recommender, Self::TextToImage];

    /// The registry's name of the kind (`model_versions.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recommender => "recommender",
            Self::TextToImage => "text_to_image",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == kind)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Recommender => "Recommender",
            Self::TextToImage => "Text to image",
        }
    }
}

/// One stored version, newest first in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersionRow {
    pub kind: ModelKind,
    pub version: String,
    /// The one of its kind that serves.
    pub active: bool,
    /// RFC 3339.
    pub trained_at: String,
    pub training_seconds: f64,
    /// What it learnt from, in a line ("2026-06-10 to 2026-12-07: 24 products, 40 shoppers, …").
    pub data_window: String,
    pub figures: ModelFigures,
}

/// A version's offline figures, each a share between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelFigures {
    /// The taste model next to the baselines, all measured on the same held-out items.
    Recommender {
        taste: RankingFigures,
        popularity: RankingFigures,
        item_knn: RankingFigures,
        /// The share of the catalog in at least one shopper's top 10.
        coverage: f64,
        /// Shoppers with held-out items the figures are means over.
        shoppers_measured: usize,
    },
    TextToImage {
        /// Held-out catalog names finding their product in the top 10.
        catalog_recall_at_10: f64,
        catalog_queries: usize,
        /// Absent when the version was trained without Fashion-MNIST.
        fashion_zero_shot_accuracy: Option<f64>,
        fashion_precision_at_10: Option<f64>,
    },
    /// Stored figures this page cannot read (written by an older release).
    Unreadable,
}

/// How well one model ranks the held-out items.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RankingFigures {
    pub ndcg_at_10: f64,
    pub recall_at_10: f64,
}

/// Where a job is in its life (`jobs.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    /// Failed its last attempt.
    Dead,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [Self::Queued, Self::Running, Self::Succeeded, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
        }
    }

    pub fn parse(status: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == status)
    }

    /// Still to finish: worth asking again.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Waiting for a worker",
            Self::Running => "Training",
            Self::Succeeded => "Done",
            Self::Dead => "Failed",
        }
    }
}

/// A training job as the page follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingJob {
    pub job_id: Uuid,
    pub status: JobStatus,
    /// What it is doing ("measuring on each shopper's latest products"), once a worker took it.
    pub stage: Option<String>,
    pub done: u64,
    pub total: u64,
    pub detail: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// Impressions and clicks of one recommendation row filled by one model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClickThroughRow {
    pub row_name: String,
    /// `None` for rows no model filled (trending, bought together).
    pub model_version: Option<String>,
    pub impressions: i64,
    pub clicks: i64,
    /// Clicks per impression; `None` when the row was never shown.
    pub ctr: Option<f64>,
}

impl ClickThroughRow {
    pub fn new(
        row_name: String,
        model_version: Option<String>,
        impressions: i64,
        clicks: i64,
    ) -> Self {
        let ctr = (impressions > 0).then(|| clicks as f64 / impressions as f64);
        Self { row_name, model_version, impressions, clicks, ctr }
    }
}

/// How far back the click-through figures look.
pub const CLICK_THROUGH_DAYS: i32 = 30;
