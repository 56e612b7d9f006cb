//! Bulk imports of products, as the admin's imports page and `vitrine import` show them. Why an
//! upload was refused is `ImportError`, with the other refusals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Queued,
    Running,
    /// Every row was tried (some may have failed: see the counters).
    Done,
    /// Stopped as a whole (`failure` says why); the products written before stay.
    Failed,
}

impl ImportStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "queued" => Some(Self::Queued),
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// Whether it has stopped changing.
    pub fn ended(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// An import's counters: the progress bar while it runs, the result after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub id: Uuid,
    pub file_name: String,
    pub images_name: Option<String>,
    /// Who uploaded it (`None`: the command line, or an account since deleted).
    pub created_by: Option<String>,
    pub status: ImportStatus,
    /// The CSV's rows (one per variant), header excluded.
    pub rows_total: i32,
    /// Rows of products written or found unchanged.
    pub rows_done: i32,
    /// Rows of products left out for an error (a product's rows succeed or fail together).
    pub rows_failed: i32,
    pub products_created: i32,
    pub products_updated: i32,
    pub products_unchanged: i32,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ImportSummary {
    /// Rows tried so far.
    pub fn rows_seen(&self) -> i32 {
        self.rows_done + self.rows_failed
    }
}

/// Why one row was not imported: its line in the file (the header is line 1), its SKU, the
/// column at fault (`""` for the row as a whole) and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowError {
    pub line: u32,
    pub sku: String,
    pub field: String,
    pub message: String,
}

/// An import with its row errors (the first [`MAX_REPORTED_ERRORS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub summary: ImportSummary,
    pub errors: Vec<ImportRowError>,
}

/// How many row errors an import keeps (the counters count them all).
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The CSV's columns, in the order an export writes them. `product` (the product's web
/// address, shared by its variants' rows), `sku` and `price` are required; a column left out
/// keeps what a stored product has.
pub const IMPORT_COLUMNS: [&str; 11] = [
    "product",
    "name",
    "description",
    "category",
    "attributes",
    "sku",
    "options",
    "price",
    "currency",
    "opening_stock",
    "images",
];
