//! `vitrine reindex`: brings every product image's embedding up to the active model version
//! (or, with `--all`, re-embeds everything) through the same job queue the server's workers
//! use, and drives the jobs in this process with a progress bar. Running servers' workers may
//! take some of the jobs; that is fine, each image is embedded once.

use std::time::Instant;

use app::backend::catalog::{self, EMBED_IMAGE_JOB};
use app::backend::jobs;
use app::backend::vision::MODEL_VERSION;
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

use crate::jobs::embed_image::EmbedImageHandler;
use crate::jobs::worker::Worker;
use crate::runtime::cli::ReindexArgs;

/// What a reindex did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReindexSummary {
    pub queued: u64,
    pub embedded: usize,
    pub seconds: f64,
    pub counts: catalog::EmbeddingCounts,
}

pub async fn run(
    pool: &PgPool,
    media: app::backend::media::MediaStore,
    args: &ReindexArgs,
) -> anyhow::Result<ReindexSummary> {
    let queued = catalog::queue_embeddings(pool, MODEL_VERSION, args.all).await?;
    let live = jobs::live_count(pool, EMBED_IMAGE_JOB).await?;
    eprintln!("{queued} images queued for {MODEL_VERSION}; {live} embedding jobs to run");
    let started = Instant::now();
    let mut embedded = 0;
    if !args.enqueue_only && live > 0 {
        let images = crate::runtime::model::load_embedder_async(&args.model).await?;
        let handler = EmbedImageHandler { pool: pool.clone(), media, images };
        let worker = Worker::new(pool.clone()).with_handler(std::sync::Arc::new(handler));

        let bar = ProgressBar::new(u64::try_from(live).unwrap_or(0)).with_style(
            ProgressStyle::with_template(
                "{spinner} embedding [{bar:40}] {pos}/{len} images, {per_sec}, eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        // Stops when nothing is due: jobs waiting out a retry delay are left to the workers.
        loop {
            let ran = worker.run_once().await?;
            if ran == 0 {
                break;
            }
            embedded += ran;
            bar.inc(ran as u64);
        }
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    let counts = catalog::embedding_counts(pool, MODEL_VERSION).await?;
    Ok(ReindexSummary { queued, embedded, seconds, counts })
}
