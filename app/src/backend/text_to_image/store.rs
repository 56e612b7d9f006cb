//! The mapped images in PostgreSQL: each product's main image as a head version sees it
//! (`product_image_texts`), kept up to date by the `align_images` job and searched by the
//! semantic arm. Owns that table.

use sqlx::PgPool;
use uuid::Uuid;

use crate::backend::vision::MODEL_VERSION as IMAGE_MODEL_VERSION;

/// A published product's main image with its name: one training pair.
#[derive(Debug, Clone)]
pub struct NamedImage {
    pub name: String,
    pub image: Vec<f32>,
}

/// The published products whose main image is embedded by the current image model, with their
/// names, in a stable order.
pub async fn named_images(pool: &PgPool) -> Result<Vec<NamedImage>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT p.name, m.embedding::real[] AS "image!"
        FROM products p JOIN product_main_images m ON m.product_id = p.id
        WHERE p.published AND m.model_version = $1
        ORDER BY p.id
        "#,
        IMAGE_MODEL_VERSION
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|row| NamedImage { name: row.name, image: row.image }).collect())
}

/// A main image whose mapping by a version is missing or out of date.
#[derive(Debug, Clone)]
pub struct ImageToMap {
    pub product_id: Uuid,
    pub image_id: Uuid,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub image: Vec<f32>,
}

/// Up to `limit` products after `after` in id order (hidden ones too: publishing one must not
/// wait for a job) whose main image's mapping by `version_id` is missing or was made from
/// another image or embedding. Paging by id reads each product once per pass (the condition on
/// `product_id` reaches the index under the view) and never returns an image whose mapping
/// could not be stored again.
pub async fn images_to_map(
    pool: &PgPool,
    version_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ImageToMap>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT m.product_id AS "product_id!", m.image_id AS "image_id!",
               m.updated_at AS "updated_at!", m.embedding::real[] AS "image!"
        FROM product_main_images m
        LEFT JOIN product_image_texts t
               ON t.product_id = m.product_id AND t.model_version_id = $1
        WHERE m.model_version = $2
          AND ($3::uuid IS NULL OR m.product_id > $3)
          AND (t.product_id IS NULL OR t.source_image <> m.image_id
               OR t.source_updated_at <> m.updated_at)
        ORDER BY m.product_id
        LIMIT $4
        "#,
        version_id,
        IMAGE_MODEL_VERSION,
        after,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ImageToMap {
            product_id: row.product_id,
            image_id: row.image_id,
            updated_at: row.updated_at,
            image: row.image,
        })
        .collect())
}

/// How many products' main images `version_id` has mapped, and how many wait.
pub async fn mapped_counts(pool: &PgPool, version_id: Uuid) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT count(*) FILTER (WHERE t.source_image = m.image_id
                                AND t.source_updated_at = m.updated_at) AS "current!",
               count(*) FILTER (WHERE t.product_id IS NULL OR t.source_image <> m.image_id
                                OR t.source_updated_at <> m.updated_at) AS "waiting!"
        FROM product_main_images m
        LEFT JOIN product_image_texts t
               ON t.product_id = m.product_id AND t.model_version_id = $1
        WHERE m.model_version = $2
        "#,
        version_id,
        IMAGE_MODEL_VERSION,
    )
    .fetch_one(pool)
    .await?;
    Ok((row.current, row.waiting))
}

/// Stores the mappings (`mapped[i]` of `images[i]`) in one transaction. A mapping whose image
/// is no longer the product's main image, or was re-embedded since it was read, is not stored
/// (the next pass maps the new one). Returns how many were stored.
pub async fn store_mapped(
    pool: &PgPool,
    version_id: Uuid,
    images: &[ImageToMap],
    mapped: &[Vec<f32>],
) -> Result<u64, sqlx::Error> {
    assert_eq!(images.len(), mapped.len(), "one mapping per image");
    let mut tx = pool.begin().await?;
    let mut stored = 0;
    for (image, embedding) in images.iter().zip(mapped) {
        let done = sqlx::query!(
            r#"
            INSERT INTO product_image_texts
                (product_id, model_version_id, embedding, source_image, source_updated_at)
            SELECT m.product_id, $2, $3::real[]::vector, m.image_id, m.updated_at
            FROM product_main_images m
            WHERE m.product_id = $1 AND m.image_id = $4 AND m.updated_at = $5
            ON CONFLICT (model_version_id, product_id) DO UPDATE
            SET embedding = excluded.embedding, source_image = excluded.source_image,
                source_updated_at = excluded.source_updated_at
            "#,
            image.product_id,
            version_id,
            embedding,
            image.image_id,
            image.updated_at,
        )
        .execute(&mut *tx)
        .await?;
        stored += done.rows_affected();
    }
    tx.commit().await?;
    Ok(stored)
}

/// Drops `version_id`'s rows of products that no longer have an embedded main image.
pub async fn remove_unmapped(pool: &PgPool, version_id: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        r#"
        DELETE FROM product_image_texts t
        WHERE t.model_version_id = $1
          AND NOT EXISTS (SELECT 1 FROM product_main_images m
                          WHERE m.product_id = t.product_id AND m.model_version = $2)
        "#,
        version_id,
        IMAGE_MODEL_VERSION,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Drops the rows of every version of the head but `keep` (they cost index space and search
/// never reads them; a rollback maps the catalog again before it switches).
pub async fn remove_other_versions(pool: &PgPool, keep: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM product_image_texts WHERE model_version_id <> $1", keep)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// How many neighbours the HNSW scan keeps in its candidate list (as for the text arm).
const EF_SEARCH: i32 = 200;

/// The published products whose main image, mapped by the active head, lies within
/// `max_distance` (cosine) of the query's text embedding: nearest first, at most `limit`.
/// Nothing while no head is active.
pub async fn nearest_products(
    pool: &PgPool,
    query: &[f32],
    max_distance: f64,
    limit: i64,
) -> Result<Vec<(Uuid, f64)>, sqlx::Error> {
    let mut tx = crate::backend::search::vector_search_transaction(pool, EF_SEARCH).await?;
    let rows = sqlx::query!(
        r#"
        SELECT n.id AS "id!", n.distance AS "distance!" FROM (
            SELECT t.product_id AS id, t.embedding <=> $1::real[]::vector AS distance
            FROM product_image_texts t JOIN products p ON p.id = t.product_id
            WHERE p.published
              AND t.model_version_id = (SELECT id FROM model_versions
                                        WHERE kind = 'text_to_image' AND active)
            ORDER BY distance
            LIMIT $2
        ) n
        WHERE n.distance <= $3
        ORDER BY n.distance, n.id
        "#,
        query,
        limit,
        max_distance,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|row| (row.id, row.distance)).collect())
}
