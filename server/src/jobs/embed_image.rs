//! The `embed_image` job: computes product images' embeddings with the image model and stores
//! them, several images per pass of the model. Idempotent: an image already embedded by the
//! current model version is skipped (a changed file would have reset it to pending), and an
//! embedding of a file that has since been replaced is not stored.

use app::backend::catalog::{self, EmbedImage, ImageToEmbed, EMBED_IMAGE_JOB};
use app::backend::jobs::ClaimedJob;
use app::backend::media::MediaStore;
use app::backend::vision::{ImageEmbedder, MODEL_VERSION};
use app::preprocess::{model_input_from_file, Limits};
use sqlx::PgPool;
use uuid::Uuid;

use crate::jobs::worker::{HandlerFuture, JobHandler};

/// Images embedded in one pass of the model: enough to amortise the per-pass overhead, few
/// enough that one bad batch costs little and the lease is never at risk.
pub const EMBED_BATCH: usize = 8;

pub struct EmbedImageHandler {
    pub pool: PgPool,
    pub media: MediaStore,
    pub images: ImageEmbedder,
}

/// An image whose file is decoded and ready for the model.
struct Prepared {
    job: usize,
    image_id: Uuid,
    sha256: String,
    input: Vec<f32>,
}

impl JobHandler for EmbedImageHandler {
    fn kind(&self) -> &'static str {
        EMBED_IMAGE_JOB
    }

    fn batch_size(&self) -> usize {
        EMBED_BATCH
    }

    /// Without the model, embedding jobs wait in the queue for it.
    fn is_ready(&self) -> bool {
        self.images.status().is_ok()
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        Box::pin(async move {
            let mut outcomes = Vec::with_capacity(jobs.len());
            let mut prepared = Vec::new();
            for (index, job) in jobs.iter().enumerate() {
                match self.prepare(index, job).await {
                    Ok(Some(image)) => {
                        prepared.push(image);
                        outcomes.push(Ok(()));
                    }
                    Ok(None) => outcomes.push(Ok(())),
                    Err(error) => outcomes.push(Err(error)),
                }
            }
            if prepared.is_empty() {
                return outcomes;
            }

            let inputs =
                prepared.iter_mut().map(|image| std::mem::take(&mut image.input)).collect();
            match self.images.embed_inputs(inputs).await {
                Ok(embeddings) => {
                    for (image, embedding) in prepared.iter().zip(embeddings) {
                        let stored = catalog::store_image_embedding(
                            &self.pool,
                            image.image_id,
                            &image.sha256,
                            &embedding,
                            MODEL_VERSION,
                        )
                        .await;
                        if let Err(err) = stored {
                            outcomes[image.job] = Err(err.to_string());
                        }
                    }
                }
                Err(err) => {
                    for image in &prepared {
                        outcomes[image.job] = Err(err.to_string());
                    }
                }
            }
            outcomes
        })
    }
}

impl EmbedImageHandler {
    /// The image of `job` (the batch's `index`-th) decoded for the model; `None` when there is
    /// nothing to do.
    async fn prepare(&self, index: usize, job: &ClaimedJob) -> Result<Option<Prepared>, String> {
        let EmbedImage { image_id, force } = serde_json::from_value(job.payload.clone())
            .map_err(|err| format!("bad payload: {err}"))?;
        let Some(image) =
            catalog::image_to_embed(&self.pool, image_id).await.map_err(|e| e.to_string())?
        else {
            return Ok(None); // The image was deleted; nothing to do.
        };
        let current =
            image.status == "ready" && image.model_version.as_deref() == Some(MODEL_VERSION);
        if current && !force {
            tracing::debug!(%image_id, "already embedded by this model version; skipped");
            return Ok(None);
        }
        match self.decode(&image).await {
            Ok(input) => Ok(Some(Prepared { job: index, image_id, sha256: image.sha256, input })),
            Err(error) => {
                // The file itself is the problem: once retries are exhausted, say so on the image.
                if job.is_last_attempt() {
                    catalog::mark_image_failed(&self.pool, image_id, &image.sha256, &error)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Err(error)
            }
        }
    }

    async fn decode(&self, image: &ImageToEmbed) -> Result<Vec<f32>, String> {
        let path = self.media.root().join(&image.storage_key);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|err| format!("reading {}: {err}", path.display()))?;
        // Decoding is CPU work: off the async runtime.
        tokio::task::spawn_blocking(move || {
            model_input_from_file(&bytes, None, &Limits::default()).map_err(|e| e.to_string())
        })
        .await
        .map_err(|err| format!("decoding task failed: {err}"))?
    }
}
