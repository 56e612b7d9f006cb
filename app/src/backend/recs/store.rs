//! Each product's vectors per version of the taste model, in pgvector (`recommendation_vectors`),
//! and the trained version as the registry keeps it ([`ShopModel`]).
//!
//! A version's rows are written whole before it becomes active, and the shop reads only the
//! active version's: switching or rolling back never shows picks from half a catalog.

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{TasteVectors, TasteWeightsError};
use super::shop_data::contents;
use super::DIMS;
use crate::backend::model_registry::{self, VersionInfo};

/// A trained version: its vectors, and the product behind each item index.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopModel {
    pub vectors: TasteVectors,
    pub products: Vec<Uuid>,
    /// Items nobody had met in training (placed by content alone).
    pub unseen: Vec<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadModelError {
    #[error("version {0} has no weights stored")]
    NoWeights(String),
    #[error("version {0}'s weights do not name their products")]
    NoProducts(String),
    #[error(transparent)]
    Weights(#[from] TasteWeightsError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl ShopModel {
    /// The registry's bytes: the vectors with the product ids as their item keys. Which
    /// items were unseen is not stored: their id vectors are zero, which is what placing by
    /// content gives again.
    pub fn to_bytes(&self) -> Result<Vec<u8>, TasteWeightsError> {
        let keys: Vec<[u8; 16]> = self.products.iter().map(|id| *id.as_bytes()).collect();
        self.vectors.to_bytes(Some(&keys))
    }

    /// Version `version` from the registry.
    pub async fn load(pool: &PgPool, version: &VersionInfo) -> Result<Self, LoadModelError> {
        let bytes = model_registry::weights(pool, version.id)
            .await?
            .ok_or_else(|| LoadModelError::NoWeights(version.version.clone()))?;
        let (vectors, keys) = TasteVectors::from_bytes(&bytes)?;
        let keys = keys.ok_or_else(|| LoadModelError::NoProducts(version.version.clone()))?;
        let products: Vec<Uuid> = keys.into_iter().map(Uuid::from_bytes).collect();
        let unseen = vec![false; products.len()];
        Ok(Self { vectors, products, unseen })
    }
}

/// A product's row: `[vector, bias]` and its history vector, as pgvector's text form.
struct Row {
    product: Uuid,
    item: String,
    input: String,
    from_content: bool,
}

fn vector_text(values: impl IntoIterator<Item = f32>) -> String {
    let parts: Vec<String> = values.into_iter().map(|v| v.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// Rows written per statement.
const CHUNK: usize = 500;

/// Writes version `version_id`'s rows for every published product (trained ones from the
/// model, the rest placed by their content) and its user bias; returns the rows written.
/// Idempotent: a repeat rewrites the same rows.
pub async fn write_version(
    pool: &PgPool,
    version_id: Uuid,
    model: &ShopModel,
) -> Result<usize, sqlx::Error> {
    assert_eq!(model.vectors.dims(), DIMS, "versions are trained at the stored width");
    let mut rows: Vec<Row> = model
        .products
        .iter()
        .enumerate()
        .map(|(item, &product)| {
            let (vector, bias) = model.vectors.item(item);
            Row {
                product,
                item: vector_text(vector.iter().copied().chain([bias])),
                input: vector_text(model.vectors.input(item).iter().copied()),
                from_content: model.unseen[item],
            }
        })
        .collect();
    let known: std::collections::HashSet<Uuid> = model.products.iter().copied().collect();
    let others: Vec<Uuid> = missing(pool, version_id).await?;
    let others: Vec<Uuid> = others.into_iter().filter(|id| !known.contains(id)).collect();
    rows.extend(placed(pool, &model.vectors, &others).await?);
    let written = insert(pool, version_id, &rows).await?;
    sqlx::query!(
        r#"
        INSERT INTO recommendation_models (version_id, user_bias) VALUES ($1, $2)
        ON CONFLICT (version_id) DO UPDATE SET user_bias = excluded.user_bias
        "#,
        version_id,
        model.vectors.user_bias()
    )
    .execute(pool)
    .await?;
    Ok(written)
}

/// Places the published products version `version_id` has no row for by their content (a
/// product added since its training); returns how many.
pub async fn place_missing(
    pool: &PgPool,
    version_id: Uuid,
    vectors: &TasteVectors,
) -> Result<usize, sqlx::Error> {
    let products = missing(pool, version_id).await?;
    let rows = placed(pool, vectors, &products).await?;
    insert(pool, version_id, &rows).await
}

/// Published products without a row of `version_id`.
async fn missing(pool: &PgPool, version_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT p.id FROM products p
        WHERE p.published AND NOT EXISTS (
            SELECT 1 FROM recommendation_vectors r WHERE r.version_id = $1 AND r.product_id = p.id
        )
        "#,
        version_id
    )
    .fetch_all(pool)
    .await
}

/// Rows for `products` from their content alone.
async fn placed(
    pool: &PgPool,
    vectors: &TasteVectors,
    products: &[Uuid],
) -> Result<Vec<Row>, sqlx::Error> {
    let mut rows = Vec::with_capacity(products.len());
    for chunk in products.chunks(CHUNK) {
        for (product, content) in contents(pool, Some(chunk)).await? {
            let (vector, bias, input) = vectors.projection().project(&content);
            rows.push(Row {
                product,
                item: vector_text(vector.into_iter().chain([bias])),
                input: vector_text(input),
                from_content: true,
            });
        }
    }
    Ok(rows)
}

async fn insert(pool: &PgPool, version_id: Uuid, rows: &[Row]) -> Result<usize, sqlx::Error> {
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        let products: Vec<Uuid> = chunk.iter().map(|row| row.product).collect();
        let items: Vec<&str> = chunk.iter().map(|row| row.item.as_str()).collect();
        let inputs: Vec<&str> = chunk.iter().map(|row| row.input.as_str()).collect();
        let from_content: Vec<bool> = chunk.iter().map(|row| row.from_content).collect();
        // A product deleted meanwhile is skipped (the join), not an error.
        let done = sqlx::query!(
            r#"
            INSERT INTO recommendation_vectors (version_id, product_id, item, input, from_content)
            SELECT $1, r.product, r.item::vector, r.input::vector, r.from_content
            FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::bool[])
                AS r (product, item, input, from_content)
            JOIN products p ON p.id = r.product
            ON CONFLICT (version_id, product_id) DO UPDATE
            SET item = excluded.item, input = excluded.input, from_content = excluded.from_content
            "#,
            version_id,
            &products,
            &items as &[&str],
            &inputs as &[&str],
            &from_content,
        )
        .execute(pool)
        .await?;
        written += done.rows_affected() as usize;
    }
    Ok(written)
}

/// Drops the rows of every version but `keep` (they are written again on activation).
pub async fn remove_other_versions(pool: &PgPool, keep: Uuid) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!("DELETE FROM recommendation_vectors WHERE version_id <> $1", keep)
        .execute(pool)
        .await?
        .rows_affected())
}

/// The active version and the vector of a shopper who met `products` under it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopperVector {
    pub version_id: Uuid,
    /// The version's name, for the row's links and click-through.
    pub version: String,
    pub vector: Vec<f32>,
}

/// The vector, under the active version, of a shopper who met `products` (those it has rows
/// for); `None` without an active version or when it knows none of them. One round trip:
/// it runs on every personal row.
pub async fn shopper_vector(
    pool: &PgPool,
    products: &[Uuid],
) -> Result<Option<ShopperVector>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        SELECT v.id AS version_id, v.version, m.user_bias AS "user_bias!",
               (SELECT sum(r.input)::real[] FROM recommendation_vectors r
                WHERE r.version_id = v.id AND r.product_id = ANY($2)) AS "sum?",
               (SELECT count(*) FROM recommendation_vectors r
                WHERE r.version_id = v.id AND r.product_id = ANY($2)) AS "met!"
        FROM model_versions v
        JOIN recommendation_models m ON m.version_id = v.id
        WHERE v.kind = $1 AND v.active
        "#,
        super::KIND,
        products
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some(sum) = row.sum.filter(|_| row.met > 0) else { return Ok(None) };
    // The model's user side (`TasteVectors::user`): tanh(Σ inputs / √n + bias).
    let scale = 1.0 / (row.met as f32).sqrt();
    let vector = sum.iter().zip(&row.user_bias).map(|(s, b)| (s * scale + b).tanh()).collect();
    Ok(Some(ShopperVector { version_id: row.version_id, version: row.version, vector }))
}

/// The shopper vector as the inner-product query: `[vector, 1]` meets `[item, bias]`.
pub fn query_text(shopper: &[f32]) -> String {
    vector_text(shopper.iter().copied().chain([1.0]))
}
