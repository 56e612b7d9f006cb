//! Products' text embeddings (the `text_embedding*` columns of `products`): what the
//! `embed_text` job reads and writes, and the semantic arm's nearest-neighbour query.
//!
//! The text is made in SQL (`product_embedding_text`), so the job, the freshness check and the
//! triggers that queue the job on every product change all read the same thing.

use sqlx::PgPool;
use uuid::Uuid;

use super::jobs::{self, NewJob};

/// The job that embeds a product's text; its payload is [`EmbedText`]. Product changes queue
/// it by trigger (migration `text_embeddings`); commands queue it through [`queue_all`].
pub const EMBED_TEXT_JOB: &str = "embed_text";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EmbedText {
    pub product_id: Uuid,
    /// Embed again even when the text and the model version are unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

impl EmbedText {
    fn job(self) -> NewJob<'static> {
        // The same key the triggers use: one live job per product, whoever queued it.
        let key = format!("{EMBED_TEXT_JOB}:{}", self.product_id);
        NewJob::new(EMBED_TEXT_JOB, self).dedupe(key)
    }
}

/// A product's text as the model would read it now, and what its stored embedding was made of.
#[derive(Debug, Clone)]
pub struct ProductText {
    pub product_id: Uuid,
    pub text: String,
    /// md5 of `text`.
    pub checksum: String,
    pub embedded_checksum: Option<String>,
    pub embedded_model: Option<String>,
}

impl ProductText {
    /// Whether the stored embedding is of this very text by `model_version`.
    pub fn is_current(&self, model_version: &str) -> bool {
        self.embedded_checksum.as_deref() == Some(self.checksum.as_str())
            && self.embedded_model.as_deref() == Some(model_version)
    }
}

/// The texts of those of `product_ids` that still exist.
pub async fn product_texts(
    pool: &PgPool,
    product_ids: &[Uuid],
) -> Result<Vec<ProductText>, sqlx::Error> {
    sqlx::query_as!(
        ProductText,
        r#"
        SELECT p.id AS product_id, t.text AS "text!", md5(t.text) AS "checksum!",
               p.text_embedding_checksum AS embedded_checksum,
               p.text_embedding_model AS embedded_model
        FROM products p, LATERAL (SELECT product_embedding_text(p.id) AS text) t
        WHERE p.id = ANY($1)
        "#,
        product_ids,
    )
    .fetch_all(pool)
    .await
}

/// What [`store`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Stored,
    /// The product's text changed after it was read: the embedding is of an old text.
    TextChanged,
    /// The product was deleted.
    Gone,
}

/// Stores the embedding of the text whose md5 is `checksum`, unless the product's text has
/// changed since (then the caller embeds the new text).
pub async fn store(
    pool: &PgPool,
    product_id: Uuid,
    checksum: &str,
    embedding: &[f32],
    model_version: &str,
) -> Result<Stored, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        WITH p AS (SELECT id, md5(product_embedding_text(id)) = $2 AS same FROM products WHERE id = $1),
        updated AS (
            UPDATE products SET text_embedding = $3::real[]::vector,
                                text_embedding_model = $4, text_embedding_checksum = $2
            WHERE id = $1 AND (SELECT same FROM p)
            RETURNING id
        )
        SELECT EXISTS (SELECT 1 FROM p) AS "exists!", EXISTS (SELECT 1 FROM updated) AS "stored!"
        "#,
        product_id,
        checksum,
        embedding,
        model_version,
    )
    .fetch_one(pool)
    .await?;
    Ok(match (row.exists, row.stored) {
        (_, true) => Stored::Stored,
        (true, false) => Stored::TextChanged,
        (false, false) => Stored::Gone,
    })
}

/// Queues an `embed_text` job for every product `model_version` has not embedded (or, with
/// `force`, for every product); returns how many were queued. A product whose text changed
/// has a job already: its change queued one.
pub async fn queue_all(
    pool: &PgPool,
    model_version: &str,
    force: bool,
) -> Result<u64, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        r#"
        SELECT id FROM products
        WHERE $2 OR text_embedding_model IS DISTINCT FROM $1
        ORDER BY id
        "#,
        model_version,
        force,
    )
    .fetch_all(pool)
    .await?;
    jobs::enqueue_in_chunks(
        pool,
        ids.into_iter().map(|product_id| EmbedText { product_id, force }.job()),
    )
    .await
}

/// Where the catalog's texts stand with one model version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextEmbeddingCounts {
    /// Embedded by this model version: found by meaning.
    pub ready: i64,
    /// Not embedded yet, or by another version.
    pub waiting: i64,
}

pub async fn counts(
    pool: &PgPool,
    model_version: &str,
) -> Result<TextEmbeddingCounts, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) FILTER (WHERE text_embedding_model = $1) AS "ready!",
               count(*) FILTER (WHERE text_embedding_model IS DISTINCT FROM $1) AS "waiting!"
        FROM products
        "#,
        model_version
    )
    .fetch_one(pool)
    .await?;
    Ok(TextEmbeddingCounts { ready: row.ready, waiting: row.waiting })
}

/// How many neighbours the HNSW scan keeps in its candidate list: above the arm's limit, so
/// the limit is filled from a well-explored graph.
const EF_SEARCH: i32 = 200;

/// The published products whose text embedding (by `model_version`) is within `max_distance`
/// (cosine) of `embedding`, nearest first with their distances, at most `limit`. The iterative scan keeps the
/// index walking past hidden products and other versions' rows until `limit` are found.
pub async fn nearest_products(
    pool: &PgPool,
    embedding: &[f32],
    model_version: &str,
    max_distance: f64,
    limit: i64,
) -> Result<Vec<(Uuid, f64)>, sqlx::Error> {
    let mut tx = super::search::vector_search_transaction(pool, EF_SEARCH).await?;
    // The distance cut is outside the ordered scan: inside, it would keep the index unused.
    let rows = sqlx::query!(
        r#"
        SELECT n.id AS "id!", n.distance AS "distance!" FROM (
            SELECT p.id, p.text_embedding <=> $1::real[]::vector AS distance
            FROM products p
            WHERE p.published AND p.text_embedding_model = $2
            ORDER BY distance
            LIMIT $3
        ) n
        WHERE n.distance <= $4
        ORDER BY n.distance, n.id
        "#,
        embedding,
        model_version,
        limit,
        max_distance,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|row| (row.id, row.distance)).collect())
}
