//! The catalog: categories and products. Owns the `categories` and `products` tables.

use sqlx::PgPool;

use super::jobs::{self, NewJob};
use super::media::{MediaStore, StoredImage};
use crate::model::{Category, Currency, Money, ProductCard, ProductDetail, ScoredProduct};

/// A product card as the queries select it; `distance` is set by visual search only.
pub(crate) struct CardRow {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub category: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: i32,
    pub storage_key: Option<String>,
    pub alt_text: Option<String>,
    pub distance: Option<f64>,
}

impl CardRow {
    pub fn into_card(self) -> Result<ProductCard, sqlx::Error> {
        let currency = parse_currency(&self.currency)?;
        Ok(ProductCard {
            id: self.id,
            slug: self.slug,
            name: self.name,
            category: self.category,
            price: Money { minor: self.price_minor, currency },
            in_stock: self.stock > 0,
            image_url: self.storage_key.as_deref().map(MediaStore::url),
            image_alt: self.alt_text.unwrap_or_default(),
        })
    }

    /// The card with its similarity (1 − cosine distance).
    pub fn into_scored(self) -> Result<ScoredProduct, sqlx::Error> {
        let distance = self.distance.unwrap_or(2.0);
        Ok(ScoredProduct { product: self.into_card()?, score: (1.0 - distance) as f32 })
    }
}

fn parse_currency(code: &str) -> Result<Currency, sqlx::Error> {
    // The column has a CHECK constraint; a mismatch means the enum and the schema disagree,
    // which is a bug to surface, not a value to guess.
    Currency::parse(code)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown currency {code:?}").into()))
}

/// The newest published products, for the storefront's home page.
pub async fn newest_products(pool: &PgPool, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let rows = sqlx::query_as!(
        CardRow,
        r#"
        SELECT p.id, p.slug, p.name, c.name AS category, p.price_minor, p.currency, p.stock,
               i.storage_key AS "storage_key?", i.alt_text AS "alt_text?",
               NULL::float8 AS "distance?"
        FROM products p
        JOIN categories c ON c.id = p.category_id
        LEFT JOIN product_images i ON i.product_id = p.id AND i.position = 0
        ORDER BY p.created_at DESC, p.name
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(CardRow::into_card).collect()
}

/// One product's page, by its slug.
pub async fn product_by_slug(
    pool: &PgPool,
    slug: &str,
) -> Result<Option<ProductDetail>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"
        SELECT p.id, p.slug, p.name, p.description, c.name AS category, c.slug AS category_slug,
               p.price_minor, p.currency, p.stock,
               i.storage_key AS "storage_key?", i.alt_text AS "alt_text?"
        FROM products p
        JOIN categories c ON c.id = p.category_id
        LEFT JOIN product_images i ON i.product_id = p.id AND i.position = 0
        WHERE p.slug = $1
        "#,
        slug
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let card = CardRow {
        id: row.id,
        slug: row.slug,
        name: row.name,
        category: row.category,
        price_minor: row.price_minor,
        currency: row.currency,
        stock: row.stock,
        storage_key: row.storage_key,
        alt_text: row.alt_text,
        distance: None,
    }
    .into_card()?;
    Ok(Some(ProductDetail {
        card,
        description: row.description,
        category_slug: row.category_slug,
        stock: row.stock,
    }))
}

/// Every category, top-level ones first, each group by name.
pub async fn list_categories(pool: &PgPool) -> Result<Vec<Category>, sqlx::Error> {
    sqlx::query_as!(
        Category,
        r#"
        SELECT c.slug, c.name, parent.slug AS "parent_slug?"
        FROM categories c
        LEFT JOIN categories parent ON parent.id = c.parent_id
        ORDER BY c.parent_id IS NOT NULL, c.name
        "#
    )
    .fetch_all(pool)
    .await
}

/// A category to create or update, identified by its slug.
pub struct CategoryUpsert<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub parent_slug: Option<&'a str>,
}

/// Creates the category or updates its name and parent; returns its id. Idempotent.
pub async fn upsert_category(
    conn: &mut sqlx::PgConnection,
    category: &CategoryUpsert<'_>,
) -> Result<uuid::Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO categories (id, slug, name, parent_id)
        VALUES ($1, $2, $3, (SELECT id FROM categories WHERE slug = $4))
        ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id
        RETURNING id
        "#,
        uuid::Uuid::now_v7(),
        category.slug,
        category.name,
        category.parent_slug,
    )
    .fetch_one(conn)
    .await
}

/// A product to create or update, identified by its slug.
pub struct ProductUpsert<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub category_id: uuid::Uuid,
    pub price: Money,
    pub stock: i32,
}

/// Creates the product or updates it in place; returns its id. Idempotent.
pub async fn upsert_product(
    conn: &mut sqlx::PgConnection,
    product: &ProductUpsert<'_>,
) -> Result<uuid::Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO products (id, slug, name, description, category_id, price_minor, currency, stock)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (slug) DO UPDATE SET
            name = EXCLUDED.name,
            description = EXCLUDED.description,
            category_id = EXCLUDED.category_id,
            price_minor = EXCLUDED.price_minor,
            currency = EXCLUDED.currency,
            stock = EXCLUDED.stock,
            updated_at = now()
        RETURNING id
        "#,
        uuid::Uuid::now_v7(),
        product.slug,
        product.name,
        product.description,
        product.category_id,
        product.price.minor,
        product.price.currency.code(),
        product.stock,
    )
    .fetch_one(conn)
    .await
}

/// The job that computes a product image's embedding; its payload is [`EmbedImage`].
pub const EMBED_IMAGE_JOB: &str = "embed_image";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EmbedImage {
    pub image_id: uuid::Uuid,
    /// Embed again even when the current model version already did (`vitrine reindex --all`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

impl EmbedImage {
    fn job(self) -> NewJob<'static> {
        let key = format!("{EMBED_IMAGE_JOB}:{}", self.image_id);
        NewJob::new(EMBED_IMAGE_JOB, self).dedupe(key)
    }
}

/// Queues an `embed_image` job for every image `model_version` has not embedded (or, with
/// `force`, for every image); returns how many were queued. Images that already have a live
/// job are not queued twice.
pub async fn queue_embeddings(
    pool: &PgPool,
    model_version: &str,
    force: bool,
) -> Result<u64, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        r#"
        SELECT id FROM product_images
        WHERE $2 OR status <> 'ready' OR model_version IS DISTINCT FROM $1
        ORDER BY id
        "#,
        model_version,
        force,
    )
    .fetch_all(pool)
    .await?;
    let mut queued = 0;
    // In chunks: each commits on its own, so a huge catalog never holds one long transaction.
    for chunk in ids.chunks(500) {
        let mut tx = pool.begin().await?;
        for &image_id in chunk {
            if jobs::enqueue(&mut tx, &EmbedImage { image_id, force }.job()).await?.is_some() {
                queued += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// Where the catalog's images stand with one model version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmbeddingCounts {
    /// Embedded by this model version: searchable.
    pub ready: i64,
    /// Waiting for an embedding (new, changed, or embedded by another version).
    pub waiting: i64,
    pub failed: i64,
}

pub async fn embedding_counts(
    pool: &PgPool,
    model_version: &str,
) -> Result<EmbeddingCounts, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) FILTER (WHERE status = 'ready' AND model_version = $1) AS "ready!",
               count(*) FILTER (WHERE status = 'pending'
                                   OR (status = 'ready' AND model_version <> $1)) AS "waiting!",
               count(*) FILTER (WHERE status = 'failed') AS "failed!"
        FROM product_images
        "#,
        model_version
    )
    .fetch_one(pool)
    .await?;
    Ok(EmbeddingCounts { ready: row.ready, waiting: row.waiting, failed: row.failed })
}

/// Sets the product's image at `position`. Re-setting the same file keeps its embedding; a new
/// file resets the embedding to pending and queues an `embed_image` job in the same transaction,
/// so the embedding is re-done for exactly what changed.
pub async fn upsert_product_image(
    conn: &mut sqlx::PgConnection,
    product_id: uuid::Uuid,
    position: i32,
    image: &StoredImage,
    alt_text: &str,
) -> Result<uuid::Uuid, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        INSERT INTO product_images
            (id, product_id, position, storage_key, content_type, sha256, width, height, byte_size, alt_text)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (product_id, position) DO UPDATE SET
            storage_key = EXCLUDED.storage_key,
            content_type = EXCLUDED.content_type,
            width = EXCLUDED.width,
            height = EXCLUDED.height,
            byte_size = EXCLUDED.byte_size,
            alt_text = EXCLUDED.alt_text,
            embedding = CASE WHEN product_images.sha256 = EXCLUDED.sha256
                             THEN product_images.embedding END,
            model_version = CASE WHEN product_images.sha256 = EXCLUDED.sha256
                                 THEN product_images.model_version END,
            status = CASE WHEN product_images.sha256 = EXCLUDED.sha256
                          THEN product_images.status ELSE 'pending' END,
            error = CASE WHEN product_images.sha256 = EXCLUDED.sha256
                         THEN product_images.error END,
            sha256 = EXCLUDED.sha256,
            updated_at = now()
        RETURNING id, status
        "#,
        uuid::Uuid::now_v7(),
        product_id,
        position,
        image.storage_key,
        image.content_type,
        image.sha256,
        image.width as i32,
        image.height as i32,
        image.byte_size as i32,
        alt_text,
    )
    .fetch_one(&mut *conn)
    .await?;
    if row.status == "pending" {
        jobs::enqueue(conn, &EmbedImage { image_id: row.id, force: false }.job()).await?;
    }
    Ok(row.id)
}

/// What the embedding job needs to know about an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageToEmbed {
    pub storage_key: String,
    pub sha256: String,
    pub status: String,
    pub model_version: Option<String>,
}

pub async fn image_to_embed(
    pool: &PgPool,
    image_id: uuid::Uuid,
) -> Result<Option<ImageToEmbed>, sqlx::Error> {
    sqlx::query_as!(
        ImageToEmbed,
        "SELECT storage_key, sha256, status, model_version FROM product_images WHERE id = $1",
        image_id
    )
    .fetch_optional(pool)
    .await
}

/// Stores the embedding computed from the file with checksum `sha256`. A no-op (returns false)
/// when the image has been replaced meanwhile: the replacement queued its own job.
pub async fn store_image_embedding(
    pool: &PgPool,
    image_id: uuid::Uuid,
    sha256: &str,
    embedding: &[f32],
    model_version: &str,
) -> Result<bool, sqlx::Error> {
    // Sent as real[] and cast: the query macros know arrays, not pgvector's type.
    let stored = sqlx::query!(
        r#"
        UPDATE product_images
        SET embedding = $3::real[]::vector, model_version = $4, status = 'ready', error = NULL,
            updated_at = now()
        WHERE id = $1 AND sha256 = $2
        "#,
        image_id,
        sha256,
        embedding,
        model_version,
    )
    .execute(pool)
    .await?;
    Ok(stored.rows_affected() == 1)
}

/// Records that the image cannot be embedded (its last attempt failed).
pub async fn mark_image_failed(
    pool: &PgPool,
    image_id: uuid::Uuid,
    sha256: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        UPDATE product_images SET status = 'failed', error = $3, embedding = NULL,
               model_version = NULL, updated_at = now()
        WHERE id = $1 AND sha256 = $2
        "#,
        image_id,
        sha256,
        error,
    )
    .execute(pool)
    .await?;
    Ok(())
}
