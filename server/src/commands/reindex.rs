//! `vitrine reindex`: brings every product image's embedding and every product's text
//! embedding up to the active model versions (or, with `--all`, re-embeds everything) through
//! the same job queue the server's workers use, and drives the jobs in this process with a
//! progress bar. Running servers' workers may take some of the jobs; that is fine, each image
//! and text is embedded once.

use std::sync::Arc;
use std::time::Instant;

use app::backend::catalog::{self, EmbeddingCounts, EMBED_IMAGE_JOB};
use app::backend::jobs;
use app::backend::text_embeddings::{self, TextEmbeddingCounts, EMBED_TEXT_JOB};
use app::backend::text_model::TEXT_MODEL_VERSION;
use app::backend::text_to_image::ALIGN_JOB;
use app::backend::vision::MODEL_VERSION;
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

use crate::jobs::align_images::AlignImagesHandler;
use crate::jobs::embed_image::EmbedImageHandler;
use crate::jobs::embed_text::EmbedTextHandler;
use crate::jobs::worker::{JobHandler, Worker};
use crate::runtime::cli::ReindexArgs;

/// What a reindex did with one kind of embedding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pass<C> {
    pub queued: u64,
    pub embedded: usize,
    pub seconds: f64,
    /// Where the catalog stands afterwards.
    pub counts: C,
}

/// What a reindex did; `None` for what it was told to leave alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReindexSummary {
    pub images: Option<Pass<EmbeddingCounts>>,
    pub texts: Option<Pass<TextEmbeddingCounts>>,
}

pub async fn run(
    pool: &PgPool,
    media: app::backend::media::MediaStore,
    args: &ReindexArgs,
) -> anyhow::Result<ReindexSummary> {
    let images = if args.texts {
        None
    } else {
        let queued = catalog::queue_embeddings(pool, MODEL_VERSION, args.all).await?;
        let (embedded, seconds) = drive(pool, EMBED_IMAGE_JOB, "images", args, || async {
            let images = crate::runtime::model::load_embedder_async(&args.model).await?;
            Ok(EmbedImageHandler { pool: pool.clone(), media: media.clone(), images })
        })
        .await?;
        // Images embedded anew are mapped into the text space by the active text-to-image head
        // (the embedding's trigger queued that job; there is none without a head).
        drive(pool, ALIGN_JOB, "image mappings", args, || async {
            Ok(AlignImagesHandler::new(pool.clone()))
        })
        .await?;
        let counts = catalog::embedding_counts(pool, MODEL_VERSION).await?;
        Some(Pass { queued, embedded, seconds, counts })
    };
    let texts = if args.images {
        None
    } else {
        let queued = text_embeddings::queue_all(pool, TEXT_MODEL_VERSION, args.all).await?;
        let (embedded, seconds) = drive(pool, EMBED_TEXT_JOB, "texts", args, || async {
            let texts = crate::runtime::model::load_text_embedder_async(&args.model).await?;
            Ok(EmbedTextHandler { pool: pool.clone(), texts })
        })
        .await?;
        let counts = text_embeddings::counts(pool, TEXT_MODEL_VERSION).await?;
        Some(Pass { queued, embedded, seconds, counts })
    };
    Ok(ReindexSummary { images, texts })
}

/// Runs the live jobs of `kind` with the handler `load` makes (only loaded when there is work):
/// how many ran, and in how many seconds.
async fn drive<H: JobHandler, F: std::future::Future<Output = anyhow::Result<H>>>(
    pool: &PgPool,
    kind: &str,
    noun: &str,
    args: &ReindexArgs,
    load: impl FnOnce() -> F,
) -> anyhow::Result<(usize, f64)> {
    let live = jobs::live_count(pool, kind).await?;
    eprintln!("{live} {kind} jobs to run");
    let started = Instant::now();
    let mut embedded = 0;
    if !args.enqueue_only && live > 0 {
        let worker = Worker::new(pool.clone()).with_handler(Arc::new(load().await?));
        let bar = ProgressBar::new(u64::try_from(live).unwrap_or(0)).with_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} embedding [{{bar:40}}] {{pos}}/{{len}} {noun}, {{per_sec}}, eta {{eta}}"
            ))
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
    Ok((embedded, started.elapsed().as_secs_f64()))
}
