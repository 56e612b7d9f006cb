//! The `embed_text` job: computes products' text embeddings with the text model and stores
//! them, a batch of products per pass. Idempotent: a product whose text and model version are
//! those of its stored embedding is skipped, and an embedding of a text that has changed since
//! it was read is not stored (the job fails and its retry embeds the new text).

use std::collections::HashMap;

use app::backend::jobs::ClaimedJob;
use app::backend::text_embeddings::{self, EmbedText, Stored, EMBED_TEXT_JOB};
use app::backend::text_model::TextEmbedder;
use sqlx::PgPool;

use crate::jobs::worker::{HandlerFuture, JobHandler};

/// Products embedded in one pass: one padded batch, short enough that the lease is never at
/// risk and a shopper's query never waits long behind it for the model.
pub const EMBED_TEXT_BATCH: usize = 16;

pub struct EmbedTextHandler {
    pub pool: PgPool,
    pub texts: TextEmbedder,
}

impl JobHandler for EmbedTextHandler {
    fn kind(&self) -> &'static str {
        EMBED_TEXT_JOB
    }

    fn batch_size(&self) -> usize {
        EMBED_TEXT_BATCH
    }

    /// Without the model, embedding jobs wait in the queue for it.
    fn is_ready(&self) -> bool {
        self.texts.status().is_ok()
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        Box::pin(async move {
            match self.run_batch(jobs).await {
                Ok(outcomes) => outcomes,
                Err(error) => vec![Err(error); jobs.len()],
            }
        })
    }
}

impl EmbedTextHandler {
    async fn run_batch(&self, jobs: &[ClaimedJob]) -> Result<Vec<Result<(), String>>, String> {
        let version = self.texts.model_version();
        let mut outcomes = vec![Ok(()); jobs.len()];
        // The job (index in the batch) of each product, and whether it is forced.
        let mut wanted: HashMap<uuid::Uuid, (usize, bool)> = HashMap::new();
        for (index, job) in jobs.iter().enumerate() {
            match serde_json::from_value::<EmbedText>(job.payload.clone()) {
                Ok(EmbedText { product_id, force }) => {
                    wanted.insert(product_id, (index, force));
                }
                Err(err) => outcomes[index] = Err(format!("bad payload: {err}")),
            }
        }
        let ids: Vec<uuid::Uuid> = wanted.keys().copied().collect();
        // Deleted products are simply absent: their jobs succeed with nothing to do.
        let texts = text_embeddings::product_texts(&self.pool, &ids)
            .await
            .map_err(|err| err.to_string())?
            .into_iter()
            .filter(|text| {
                let force = wanted.get(&text.product_id).is_some_and(|(_, force)| *force);
                force || !text.is_current(version)
            })
            .collect::<Vec<_>>();
        if texts.is_empty() {
            return Ok(outcomes);
        }
        let inputs = texts.iter().map(|text| text.text.clone()).collect();
        let embeddings = self.texts.embed(inputs).await.map_err(|err| err.to_string())?;
        for (text, embedding) in texts.iter().zip(embeddings) {
            let index = wanted[&text.product_id].0;
            let stored = text_embeddings::store(
                &self.pool,
                text.product_id,
                &text.checksum,
                &embedding,
                version,
            )
            .await;
            outcomes[index] = match stored {
                Ok(Stored::Stored | Stored::Gone) => Ok(()),
                Ok(Stored::TextChanged) => {
                    Err("the product's text changed while it was embedded; the retry embeds the new text".to_owned())
                }
                Err(err) => Err(err.to_string()),
            };
        }
        Ok(outcomes)
    }
}
