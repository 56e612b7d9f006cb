//! The `align_images` job: maps every product's main image by the active text-to-image head,
//! where the mapping is missing or was made from another image (a trigger queues the job
//! whenever product images are embedded, added or removed). Idempotent: what is current is
//! left alone, and a mapping of an image replaced meanwhile is not stored.

use std::sync::{Arc, Mutex};

use app::backend::jobs::ClaimedJob;
use app::backend::model_registry;
use app::backend::text_to_image::{self, store, AlignmentHead, ALIGN_JOB, KIND};
use sqlx::PgPool;
use uuid::Uuid;

use crate::jobs::progress::Reporter;
use crate::jobs::worker::{one_by_one, HandlerFuture, JobHandler};

/// Images mapped per database round trip and per pass of the head.
const CHUNK: i64 = 256;

pub struct AlignImagesHandler {
    pub pool: PgPool,
    /// The last head loaded, by version id: the registry is read once per version.
    head: Mutex<Option<(Uuid, Arc<AlignmentHead>)>>,
}

impl AlignImagesHandler {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, head: Mutex::new(None) }
    }

    async fn run_one(&self) -> Result<(), String> {
        let Some(active) =
            model_registry::active(&self.pool, KIND).await.map_err(|err| err.to_string())?
        else {
            return Ok(()); // No head yet: nothing to map.
        };
        let cached = self.head.lock().expect("never poisoned").clone();
        let head = match cached {
            Some((id, head)) if id == active.id => head,
            _ => {
                let head = Arc::new(
                    text_to_image::load_head(&self.pool, &active)
                        .await
                        .map_err(|err| err.to_string())?,
                );
                *self.head.lock().expect("never poisoned") = Some((active.id, Arc::clone(&head)));
                head
            }
        };
        let mapped = map_catalog(&self.pool, active.id, head, &Reporter::Quiet)
            .await
            .map_err(|err| err.to_string())?;
        tracing::info!(version = %active.version, mapped, "product images mapped into the text space");
        Ok(())
    }
}

impl JobHandler for AlignImagesHandler {
    fn kind(&self) -> &'static str {
        ALIGN_JOB
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, |_| self.run_one())
    }
}

/// Maps, by `head` (version `version_id`), every main image it has not mapped or mapped from
/// another image, and drops the rows of products left without one, reporting after every
/// chunk. Returns how many mappings were stored.
pub async fn map_catalog(
    pool: &PgPool,
    version_id: Uuid,
    head: Arc<AlignmentHead>,
    reporter: &Reporter,
) -> Result<u64, anyhow::Error> {
    let (_, waiting) = store::mapped_counts(pool, version_id).await?;
    let total = u64::try_from(waiting).unwrap_or(0);
    let mut stored = 0;
    let mut seen = 0;
    let mut after = None;
    loop {
        let images = store::images_to_map(pool, version_id, after, CHUNK).await?;
        let Some(last) = images.last() else { break };
        after = Some(last.product_id);
        let inputs: Vec<Vec<f32>> = images.iter().map(|image| image.image.clone()).collect();
        let head = Arc::clone(&head);
        // A few hundred small matrix products: CPU work, kept off the async threads.
        let mapped = tokio::task::spawn_blocking(move || head.map_images(&inputs)).await?;
        // An image changed since it was read is skipped; its trigger queued the next pass.
        stored += store::store_mapped(pool, version_id, &images, &mapped).await?;
        seen += images.len() as u64;
        reporter.report("mapping the catalog's images", seen, total.max(seen), None).await;
    }
    store::remove_unmapped(pool, version_id).await?;
    Ok(stored)
}
