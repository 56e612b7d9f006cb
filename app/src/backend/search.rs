//! Visual search: products whose images look like an embedding, nearest first, through the
//! cosine HNSW index on `product_images.embedding`. Also keeps the short-lived photo queries
//! (`image_queries`) that give a photo search's result page its own URL.

use sqlx::PgPool;
use uuid::Uuid;

use super::catalog::CardRow;
use crate::types::{PhotoSearchError, ProductPageData, Refusal, ScoredProduct};

/// Candidates the index keeps per step. pgvector's default of 40 loses recall on 1280-d
/// vectors; but the planner's cost of an HNSW scan grows with this, and at 200 it already
/// prefers a parallel exact scan of a 100k-row catalog (hundreds of ms). `vitrine bench search`
/// measures recall and latency with this setting.
pub const EF_SEARCH: i32 = 150;

/// What a visual search may be narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Only products in these categories (a category and its subcategories).
    pub category_ids: Option<Vec<Uuid>>,
    /// Leave this product out (the one whose similar items are shown).
    pub exclude_product: Option<Uuid>,
}

/// The `limit` products most like `embedding` (made by `model_version`), best first.
///
/// With a filter, an index scan alone would stop after `ef_search` candidates and return fewer
/// than `limit` rows when few of them match; pgvector 0.8's iterative scan keeps walking the
/// graph until `limit` matching rows are found (or `hnsw.max_scan_tuples` is reached).
pub async fn products_like(
    pool: &PgPool,
    embedding: &[f32],
    model_version: &str,
    filter: &SearchFilter,
    limit: i64,
) -> Result<Vec<ScoredProduct>, sqlx::Error> {
    let mut tx = vector_search_transaction(pool, EF_SEARCH).await?;
    let rows = sqlx::query_as!(
        CardRow,
        r#"
        WITH nearest AS MATERIALIZED (
            SELECT i.product_id, i.embedding <=> $1::real[]::vector AS distance
            FROM product_images i
            JOIN products p ON p.id = i.product_id
            WHERE i.status = 'ready' AND i.model_version = $2 AND p.published
              AND ($3::uuid[] IS NULL OR p.category_id = ANY($3))
              AND ($4::uuid IS NULL OR i.product_id <> $4)
            ORDER BY distance
            LIMIT 2 * $5::int8
        ),
        best AS (
            SELECT DISTINCT ON (product_id) product_id, distance
            FROM nearest
            ORDER BY product_id, distance
        )
        SELECT p.id, p.slug, p.name, c.name AS category,
               offer.price_minor AS "price_minor!", offer.currency AS "currency!",
               offer.price_varies AS "price_varies!", offer.in_stock AS "in_stock!",
               main.storage_key AS "storage_key?", main.alt_text AS "alt_text?",
               best.distance AS "distance?"
        FROM best
        JOIN products p ON p.id = best.product_id
        JOIN categories c ON c.id = p.category_id
        JOIN LATERAL (
            SELECT min(v.price_minor) AS price_minor, min(v.currency) AS currency,
                   max(v.price_minor) > min(v.price_minor) AS price_varies,
                   bool_or(v.on_hand > v.reserved) AS in_stock
            FROM product_variants v WHERE v.product_id = p.id
        ) offer ON offer.price_minor IS NOT NULL
        LEFT JOIN product_images main ON main.product_id = p.id AND main.position = 0
        ORDER BY best.distance, p.name
        LIMIT $5
        "#,
        embedding,
        model_version,
        filter.category_ids.as_deref(),
        filter.exclude_product,
        limit,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.into_iter().map(CardRow::into_scored).collect()
}

/// A transaction set up for an HNSW search with a filter, in one round trip
/// (`set_config(…, true)` is `SET LOCAL`): the text search's meaning arm uses it too.
pub(crate) async fn vector_search_transaction(
    pool: &PgPool,
    ef_search: i32,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // The iterative scan is on for every session (`relaxed_order`: neighbours may come
    // slightly out of order, and the outer query re-sorts). This transaction's settings:
    // - `ef_search`, the candidate list the graph walk keeps (the caller sizes it);
    // - a custom plan per call: the statement is prepared once per connection, and after a few
    //   runs PostgreSQL may switch to a generic plan, which must also serve the filtered case
    //   and then scans every row. Planning each call with its actual filter keeps the
    //   unfiltered search on the HNSW index.
    sqlx::query!(
        r#"
        SELECT set_config('hnsw.ef_search', $1::int4::text, true) AS "ef_search!",
               set_config('plan_cache_mode', 'force_custom_plan', true) AS "plan_cache_mode!"
        "#,
        ef_search
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(tx)
}

/// The filter for a shopper's category choice (a slug; its subcategories included). An unknown
/// slug is refused, before any inference is spent on the photo.
pub async fn category_filter(
    pool: &PgPool,
    category_slug: Option<&str>,
) -> Result<SearchFilter, PhotoSearchError> {
    let category_ids = match category_slug {
        Some(slug) => Some(
            category_subtree(pool, slug)
                .await
                .map_err(PhotoSearchError::unavailable)?
                .ok_or(PhotoSearchError::UnknownCategory)?,
        ),
        None => None,
    };
    Ok(SearchFilter { category_ids, exclude_product: None })
}

/// [`products_like`] for a shopper's request.
pub async fn search_by_embedding(
    pool: &PgPool,
    embedding: &[f32],
    model_version: &str,
    filter: &SearchFilter,
    limit: i64,
) -> Result<Vec<ScoredProduct>, PhotoSearchError> {
    products_like(pool, embedding, model_version, filter, limit)
        .await
        .map_err(PhotoSearchError::unavailable)
}

/// The ids of the category with this slug and of all categories under it; `None` when there
/// is no such category.
pub async fn category_subtree(pool: &PgPool, slug: &str) -> Result<Option<Vec<Uuid>>, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        r#"
        WITH RECURSIVE tree AS (
            SELECT id FROM categories WHERE slug = $1
            UNION ALL
            SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id
        )
        SELECT id AS "id!" FROM tree
        "#,
        slug
    )
    .fetch_all(pool)
    .await?;
    Ok(if ids.is_empty() { None } else { Some(ids) })
}

/// The products that look most like this one; `None` when there is no such product (or it is
/// hidden from the shop), and an empty list while its image is still waiting for an embedding.
pub async fn similar_products(
    pool: &PgPool,
    product_id: Uuid,
    model_version: &str,
    limit: i64,
) -> Result<Option<Vec<ScoredProduct>>, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"
        SELECT (SELECT embedding::real[]
                FROM product_images
                WHERE product_id = p.id AND status = 'ready' AND model_version = $2
                ORDER BY position
                LIMIT 1) AS "embedding: Vec<f32>"
        FROM products p
        WHERE p.id = $1 AND p.published
        "#,
        product_id,
        model_version,
    )
    .fetch_optional(pool)
    .await?;
    let Some(embedding) = found else { return Ok(None) };
    let Some(embedding) = embedding else { return Ok(Some(Vec::new())) };
    let filter = SearchFilter { category_ids: None, exclude_product: Some(product_id) };
    products_like(pool, &embedding, model_version, &filter, limit).await.map(Some)
}

/// A published product's page: the product with its variants and `similar` look-alikes, in a
/// fixed number of queries whatever the number of variants or similar items.
pub async fn product_page(
    pool: &PgPool,
    slug: &str,
    model_version: &str,
    similar: i64,
) -> Result<Option<ProductPageData>, sqlx::Error> {
    let Some(product) = super::catalog::product_by_slug(pool, slug).await? else {
        return Ok(None);
    };
    let similar =
        similar_products(pool, product.card.id, model_version, similar).await?.unwrap_or_default();
    Ok(Some(ProductPageData { product, similar }))
}

/// A photo search kept for its result page.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredQuery {
    pub embedding: Vec<f32>,
    pub model_version: String,
    pub category_slug: Option<String>,
}

/// How long a photo search's result page stays reachable.
const QUERY_RETENTION: &str = "1 day";

/// Stores a photo search; returns the id its result page is addressed by. Expired searches are
/// removed in the same transaction, so the table stays small without a separate job.
pub async fn save_query(pool: &PgPool, query: &StoredQuery) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4(); // Random: the URL must not be guessable from another one.
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "DELETE FROM image_queries WHERE created_at < now() - $1::text::interval",
        QUERY_RETENTION
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO image_queries (id, embedding, model_version, category_slug)
        VALUES ($1, $2::real[]::vector, $3, $4)
        "#,
        id,
        &query.embedding,
        query.model_version,
        query.category_slug,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn load_query(pool: &PgPool, id: Uuid) -> Result<Option<StoredQuery>, sqlx::Error> {
    sqlx::query_as!(
        StoredQuery,
        r#"
        SELECT embedding::real[] AS "embedding!: Vec<f32>", model_version, category_slug
        FROM image_queries
        WHERE id = $1 AND created_at >= now() - $2::text::interval
        "#,
        id,
        QUERY_RETENTION,
    )
    .fetch_optional(pool)
    .await
}
