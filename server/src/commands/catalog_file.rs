//! `vitrine import FILE` and `vitrine export`: the catalog's CSV (with a ZIP of images) from
//! the command line. An import is the same job as an upload in the admin area, run here with a
//! progress bar (or only queued, for a running server's worker).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use app::backend::audit::Actor;
use app::backend::catalog_import::{self, format, Upload};
use app::backend::media::MediaStore;
use app::types::ImportReport;
use sqlx::PgPool;

use crate::jobs::import_catalog::ImportCatalogHandler;
use crate::jobs::progress;
use crate::jobs::worker::Worker;
use crate::runtime::cli::ImportArgs;

/// Imports `args.file`; the import's report once it has run (`None` when only queued).
pub async fn import(
    pool: &PgPool,
    media: MediaStore,
    args: &ImportArgs,
) -> anyhow::Result<Option<ImportReport>> {
    let read =
        |path: &Path| std::fs::read(path).with_context(|| format!("reading {}", path.display()));
    let name = |path: &Path| {
        path.file_name()
            .map_or_else(|| "upload".to_owned(), |name| name.to_string_lossy().into_owned())
    };
    let images = match &args.images {
        Some(path) => Some((name(path), read(path)?)),
        None => None,
    };
    let upload = Upload { file_name: name(&args.file), csv: read(&args.file)?, images };
    let queued = catalog_import::create(pool, Actor::Command, upload)
        .await
        .map_err(|refusal| anyhow::anyhow!("{refusal}"))?;
    if args.enqueue_only {
        println!("queued import {} (job {})", queued.import_id, queued.job_id);
        return Ok(None);
    }
    let worker = Worker::new(pool.clone())
        .with_handler(Arc::new(ImportCatalogHandler { pool: pool.clone(), media }));
    progress::run_here_and_follow(pool, queued.job_id, &worker, "the import").await?;
    catalog_import::report(pool, queued.import_id).await?.context("the import vanished").map(Some)
}

/// Prints an import's result: its counters, then each row error.
pub fn print_report(report: &ImportReport) {
    let summary = &report.summary;
    println!(
        "{}: {} rows imported, {} failed; products {} created, {} updated, {} unchanged",
        summary.status.as_str(),
        summary.rows_done,
        summary.rows_failed,
        summary.products_created,
        summary.products_updated,
        summary.products_unchanged
    );
    if let Some(failure) = &summary.failure {
        println!("stopped: {failure}");
    }
    for error in &report.errors {
        let field =
            if error.field.is_empty() { String::new() } else { format!(" {}:", error.field) };
        println!("line {} ({}):{field} {}", error.line, error.sku, error.message);
    }
}

/// Writes the catalog as an import file to `out` (stdout when `None`).
pub async fn export(pool: &PgPool, out: Option<&Path>) -> anyhow::Result<()> {
    let csv = format::write(pool).await?;
    match out {
        Some(path) => {
            std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(csv.as_bytes()).context("writing the export")
        }
    }
}
