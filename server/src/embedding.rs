//! The `embed_image` job: computes a product image's embedding with the image model and stores
//! it. Idempotent: an image already embedded by the current model version is skipped (a changed
//! file would have reset it to pending), and an embedding of a file that has since been replaced
//! is not stored.

use std::sync::Arc;

use app::backend::catalog::{self, EmbedImage, EMBED_IMAGE_JOB};
use app::backend::jobs::ClaimedJob;
use app::backend::media::MediaStore;
use app::backend::vision::{ImageModel, MODEL_VERSION};
use app::preprocess::{model_input_from_file, Limits};
use sqlx::PgPool;

use crate::worker::{HandlerFuture, JobHandler};

pub struct EmbedImageHandler {
    pub pool: PgPool,
    pub media: MediaStore,
    pub model: Arc<ImageModel>,
}

impl JobHandler for EmbedImageHandler {
    fn kind(&self) -> &'static str {
        EMBED_IMAGE_JOB
    }

    fn run<'a>(&'a self, job: &'a ClaimedJob) -> HandlerFuture<'a> {
        Box::pin(async move {
            let EmbedImage { image_id } = serde_json::from_value(job.payload.clone())
                .map_err(|err| format!("bad payload: {err}"))?;
            let Some(image) =
                catalog::image_to_embed(&self.pool, image_id).await.map_err(|e| e.to_string())?
            else {
                return Ok(()); // The image was deleted; nothing to do.
            };
            if image.status == "ready" && image.model_version.as_deref() == Some(MODEL_VERSION) {
                tracing::debug!("already embedded by this model version; skipped");
                return Ok(());
            }

            let result = self.embed(&image.storage_key).await;
            match result {
                Ok(embedding) => {
                    catalog::store_image_embedding(
                        &self.pool,
                        image_id,
                        &image.sha256,
                        &embedding,
                        MODEL_VERSION,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                    Ok(())
                }
                Err(error) => {
                    if job.is_last_attempt() {
                        catalog::mark_image_failed(&self.pool, image_id, &image.sha256, &error)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    Err(error)
                }
            }
        })
    }
}

impl EmbedImageHandler {
    async fn embed(&self, storage_key: &str) -> Result<Vec<f32>, String> {
        let path = self.media.root().join(storage_key);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|err| format!("reading {}: {err}", path.display()))?;
        let model = Arc::clone(&self.model);
        // Decoding and inference are CPU work: off the async runtime.
        tokio::task::spawn_blocking(move || {
            let input = model_input_from_file(&bytes, None, &Limits::default())
                .map_err(|e| e.to_string())?;
            Ok(model.embed(&[input]).remove(0))
        })
        .await
        .map_err(|err| format!("embedding task failed: {err}"))?
    }
}
