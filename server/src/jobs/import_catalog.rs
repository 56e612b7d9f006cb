//! The `import_catalog` job: runs an uploaded import (`app::backend::catalog_import::run`),
//! product by product, its counters on the import's row and the job's progress as it goes.
//! A failed attempt is retried from the start; what the first attempt wrote is then found
//! unchanged, so nothing is written twice.

use app::backend::catalog_import::{self, ImportCatalog, IMPORT_JOB};
use app::backend::jobs::ClaimedJob;
use app::backend::media::MediaStore;
use sqlx::PgPool;

use crate::jobs::worker::{one_by_one, HandlerFuture, JobHandler};

pub struct ImportCatalogHandler {
    pub pool: PgPool,
    pub media: MediaStore,
}

impl JobHandler for ImportCatalogHandler {
    fn kind(&self) -> &'static str {
        IMPORT_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, move |job| async move {
            let ImportCatalog { import_id } = serde_json::from_value(job.payload.clone())
                .map_err(|err| format!("bad payload: {err}"))?;
            let summary = catalog_import::run(&self.pool, &self.media, import_id, job.id)
                .await
                .map_err(|err| err.to_string())?;
            match summary {
                Some(summary) => tracing::info!(
                    %import_id,
                    status = summary.status.as_str(),
                    rows_done = summary.rows_done,
                    rows_failed = summary.rows_failed,
                    created = summary.products_created,
                    updated = summary.products_updated,
                    unchanged = summary.products_unchanged,
                    "import ran"
                ),
                None => tracing::warn!(%import_id, "the import to run is not there"),
            }
            Ok(())
        })
    }
}
