//! The catalog: categories and products. Owns the `categories` and `products` tables.

use sqlx::PgPool;
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::CurrentUser;
use super::jobs::{self, NewJob};
use super::media::{MediaStore, StoredImage};
use super::outbox::{self, ProductEvent, ShopEvent};
use crate::types::{
    AdminProduct, AuthError, Category, CategoryListing, CommerceError, Currency, ListingQuery,
    Money, OptionFacet, ProductCard, ProductDetail, Refusal, ScoredProduct, Variant,
    VariantOptions, MAX_PAGE_SIZE,
};
use serde_json::json;

/// A product card as the queries select it; `distance` is set by visual search only.
pub(crate) struct CardRow {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub category: String,
    pub price_minor: i64,
    pub currency: String,
    pub price_varies: bool,
    pub in_stock: bool,
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
            price_varies: self.price_varies,
            in_stock: self.in_stock,
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

pub(crate) fn parse_currency(code: &str) -> Result<Currency, sqlx::Error> {
    // The column has a CHECK constraint; a mismatch means the enum and the schema disagree,
    // which is a bug to surface, not a value to guess.
    Currency::parse(code)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown currency {code:?}").into()))
}

/// The newest published products, for the storefront's home page.
pub async fn newest_products(pool: &PgPool, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    // `offer`: the product's lowest price and whether any variant is available. A product
    // without variants has nothing to sell and is not listed.
    let rows = sqlx::query_as!(
        CardRow,
        r#"
        SELECT p.id, p.slug, p.name, c.name AS category,
               offer.price_minor AS "price_minor!", offer.currency AS "currency!",
               offer.price_varies AS "price_varies!", offer.in_stock AS "in_stock!",
               i.storage_key AS "storage_key?", i.alt_text AS "alt_text?",
               NULL::float8 AS "distance?"
        FROM products p
        JOIN categories c ON c.id = p.category_id
        JOIN LATERAL (
            SELECT min(v.price_minor) AS price_minor, min(v.currency) AS currency,
                   max(v.price_minor) > min(v.price_minor) AS price_varies,
                   bool_or(v.on_hand > v.reserved) AS in_stock
            FROM product_variants v WHERE v.product_id = p.id
        ) offer ON offer.price_minor IS NOT NULL
        LEFT JOIN product_images i ON i.product_id = p.id AND i.position = 0
        WHERE p.published
        ORDER BY p.created_at DESC, p.name
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(CardRow::into_card).collect()
}

/// The cards of the published products among `ids`, in the order of `ids` (a recommendation
/// row's order); unknown or hidden ones are left out.
pub async fn cards_by_ids(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<ProductCard>, sqlx::Error> {
    let rows = sqlx::query_as!(
        CardRow,
        r#"
        SELECT p.id, p.slug, p.name, c.name AS category,
               offer.price_minor AS "price_minor!", offer.currency AS "currency!",
               offer.price_varies AS "price_varies!", offer.in_stock AS "in_stock!",
               i.storage_key AS "storage_key?", i.alt_text AS "alt_text?",
               NULL::float8 AS "distance?"
        FROM UNNEST($1::uuid[]) WITH ORDINALITY AS wanted (id, rank)
        JOIN products p ON p.id = wanted.id
        JOIN categories c ON c.id = p.category_id
        JOIN LATERAL (
            SELECT min(v.price_minor) AS price_minor, min(v.currency) AS currency,
                   max(v.price_minor) > min(v.price_minor) AS price_varies,
                   bool_or(v.on_hand > v.reserved) AS in_stock
            FROM product_variants v WHERE v.product_id = p.id
        ) offer ON offer.price_minor IS NOT NULL
        LEFT JOIN product_images i ON i.product_id = p.id AND i.position = 0
        WHERE p.published
        ORDER BY wanted.rank
        "#,
        ids
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(CardRow::into_card).collect()
}

/// One published product's page, by its slug, with its variants: two queries.
pub async fn product_by_slug(
    pool: &PgPool,
    slug: &str,
) -> Result<Option<ProductDetail>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"
        SELECT p.id, p.slug, p.name, p.description, p.attributes, c.name AS category,
               c.slug AS category_slug,
               i.storage_key AS "storage_key?", i.alt_text AS "alt_text?"
        FROM products p
        JOIN categories c ON c.id = p.category_id
        LEFT JOIN product_images i ON i.product_id = p.id AND i.position = 0
        WHERE p.slug = $1 AND p.published
        "#,
        slug
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let variants = product_variants(pool, row.id).await?;
    let Some(cheapest) = variants.iter().min_by_key(|variant| variant.price.minor) else {
        return Ok(None);
    };
    let card = ProductCard {
        id: row.id,
        slug: row.slug,
        name: row.name,
        category: row.category,
        price: cheapest.price,
        price_varies: variants.iter().any(|variant| variant.price != cheapest.price),
        in_stock: variants.iter().any(|variant| variant.available > 0),
        image_url: row.storage_key.as_deref().map(MediaStore::url),
        image_alt: row.alt_text.unwrap_or_default(),
    };
    let attributes = serde_json::from_value(row.attributes).unwrap_or_default();
    Ok(Some(ProductDetail {
        card,
        description: row.description,
        category_slug: row.category_slug,
        attributes,
        variants,
    }))
}

/// A product's variants in their display order.
pub async fn product_variants(
    pool: &PgPool,
    product_id: uuid::Uuid,
) -> Result<Vec<Variant>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT id, sku, options, price_minor, currency, on_hand - reserved AS "available!"
        FROM product_variants WHERE product_id = $1
        ORDER BY position, sku
        "#,
        product_id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Variant {
                id: row.id,
                sku: row.sku,
                options: parse_options(row.options)?,
                price: Money { minor: row.price_minor, currency: parse_currency(&row.currency)? },
                available: row.available,
            })
        })
        .collect()
}

/// Variant options as stored (a JSON object of strings, by the schema's CHECK and our writes).
pub(crate) fn parse_options(value: serde_json::Value) -> Result<VariantOptions, sqlx::Error> {
    serde_json::from_value(value).map_err(|err| sqlx::Error::Decode(err.into()))
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

/// A page of a published category (its subcategories included), filtered and sorted, in four
/// queries whatever the page size: the category, its subcategories, the page of products with
/// the total, and the option values for the filters. `None` for an unknown category.
pub async fn category_listing(
    pool: &PgPool,
    query: &ListingQuery,
) -> Result<Option<CategoryListing>, sqlx::Error> {
    let Some(category) = sqlx::query!(
        r#"
        WITH RECURSIVE tree AS (
            SELECT id FROM categories WHERE slug = $1
            UNION ALL
            SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
        )
        SELECT c.slug, c.name, parent.slug AS "parent_slug?", parent.name AS "parent_name?",
               (SELECT array_agg(id) FROM tree) AS "subtree!"
        FROM categories c
        LEFT JOIN categories parent ON parent.id = c.parent_id
        WHERE c.slug = $1
        "#,
        query.category
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let subcategories = sqlx::query_as!(
        Category,
        r#"
        SELECT c.slug, c.name, $1::text AS "parent_slug?"
        FROM categories c JOIN categories parent ON parent.id = c.parent_id
        WHERE parent.slug = $1
        ORDER BY c.name
        "#,
        query.category
    )
    .fetch_all(pool)
    .await?;

    let per_page = query.per_page.clamp(1, MAX_PAGE_SIZE);
    let page = query.page.max(1);
    let wanted_options = (!query.options.is_empty())
        .then(|| serde_json::to_value(&query.options).expect("options serialise"));
    // For each product of the subtree (found by its index), `offer` looks at its variants (by
    // theirs) that pass every filter: the cheapest price, and whether one is available. A
    // per-product lookup keeps a page of an aisle to a few hundred index reads, where grouping
    // every variant of the shop would read them all. The sort keys are CASEs so one prepared
    // statement serves every order.
    let rows = sqlx::query!(
        r#"
        SELECT p.id, p.slug, p.name, c.name AS category,
               offer.price_minor AS "price_minor!", offer.currency AS "currency!",
               offer.price_varies AS "price_varies!", offer.in_stock AS "in_stock!",
               i.storage_key AS "storage_key?", i.alt_text AS "alt_text?",
               count(*) OVER () AS "total!"
        FROM products p
        JOIN LATERAL (
            SELECT min(v.price_minor) AS price_minor, min(v.currency) AS currency,
                   max(v.price_minor) > min(v.price_minor) AS price_varies,
                   bool_or(v.on_hand > v.reserved) AS in_stock
            FROM product_variants v
            WHERE v.product_id = p.id
              AND ($2::jsonb IS NULL OR v.options @> $2)
              AND ($3::int8 IS NULL OR v.price_minor >= $3)
              AND ($4::int8 IS NULL OR v.price_minor <= $4)
              AND (NOT $5 OR v.on_hand > v.reserved)
        ) offer ON offer.price_minor IS NOT NULL
        JOIN categories c ON c.id = p.category_id
        LEFT JOIN product_images i ON i.product_id = p.id AND i.position = 0
        WHERE p.published AND p.category_id = ANY($1)
        ORDER BY CASE WHEN $6 = 'price_asc' THEN offer.price_minor END ASC,
                 CASE WHEN $6 = 'price_desc' THEN offer.price_minor END DESC,
                 CASE WHEN $6 = 'newest' THEN p.created_at END DESC,
                 p.name, p.id
        LIMIT $7 OFFSET $8
        "#,
        &category.subtree,
        wanted_options,
        query.min_price_minor,
        query.max_price_minor,
        query.in_stock,
        query.sort.code(),
        per_page,
        (page - 1) * per_page,
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map_or(0, |row| row.total);
    let products = rows
        .into_iter()
        .map(|row| {
            CardRow {
                id: row.id,
                slug: row.slug,
                name: row.name,
                category: row.category,
                price_minor: row.price_minor,
                currency: row.currency,
                price_varies: row.price_varies,
                in_stock: row.in_stock,
                storage_key: row.storage_key,
                alt_text: row.alt_text,
                distance: None,
            }
            .into_card()
        })
        .collect::<Result<Vec<_>, _>>()?;

    let facet_rows = sqlx::query!(
        r#"
        SELECT o.key AS "name!", array_agg(DISTINCT o.value ORDER BY o.value) AS "values!"
        FROM product_variants v
        JOIN products p ON p.id = v.product_id
        CROSS JOIN LATERAL jsonb_each_text(v.options) o
        WHERE p.published AND p.category_id = ANY($1)
        GROUP BY o.key
        ORDER BY o.key
        "#,
        &category.subtree,
    )
    .fetch_all(pool)
    .await?;
    let facets = facet_rows
        .into_iter()
        .map(|row| OptionFacet { name: row.name, values: row.values })
        .collect();

    let parent = category
        .parent_slug
        .clone()
        .zip(category.parent_name)
        .map(|(slug, name)| Category { slug, name, parent_slug: None });
    Ok(Some(CategoryListing {
        category: Category {
            slug: category.slug,
            name: category.name,
            parent_slug: category.parent_slug,
        },
        parent,
        subcategories,
        products,
        total,
        page,
        per_page,
        facets,
    }))
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
}

/// Creates the product or updates it in place; returns its id. Idempotent.
pub async fn upsert_product(
    conn: &mut sqlx::PgConnection,
    product: &ProductUpsert<'_>,
) -> Result<uuid::Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO products (id, slug, name, description, category_id)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (slug) DO UPDATE SET
            name = EXCLUDED.name,
            description = EXCLUDED.description,
            category_id = EXCLUDED.category_id,
            updated_at = now()
        RETURNING id
        "#,
        uuid::Uuid::now_v7(),
        product.slug,
        product.name,
        product.description,
        product.category_id,
    )
    .fetch_one(conn)
    .await
}

/// A variant to create or update, identified by its SKU.
pub struct VariantUpsert<'a> {
    pub product_id: uuid::Uuid,
    pub sku: &'a str,
    pub options: &'a VariantOptions,
    pub position: i32,
    pub price: Money,
}

/// Creates the variant or updates its options and price (never its stock: that moves only
/// through the inventory ledger); returns its id and whether it was created. Idempotent.
pub async fn upsert_variant(
    conn: &mut sqlx::PgConnection,
    variant: &VariantUpsert<'_>,
) -> Result<(uuid::Uuid, bool), sqlx::Error> {
    let options = serde_json::to_value(variant.options).expect("options serialise");
    let row = sqlx::query!(
        r#"
        INSERT INTO product_variants (id, product_id, sku, options, position, price_minor, currency)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (sku) DO UPDATE SET
            options = EXCLUDED.options,
            position = EXCLUDED.position,
            price_minor = EXCLUDED.price_minor,
            currency = EXCLUDED.currency,
            updated_at = now()
        RETURNING id, (xmax = 0) AS "created!"
        "#,
        uuid::Uuid::now_v7(),
        variant.product_id,
        variant.sku,
        options,
        variant.position,
        variant.price.minor,
        variant.price.currency.code(),
    )
    .fetch_one(conn)
    .await?;
    Ok((row.id, row.created))
}

/// Deletes the product's variants other than `keep` that were never ordered (their ledger
/// goes with them); ordered ones stay for the orders' sake. For the demo seed.
pub async fn remove_other_variants(
    conn: &mut sqlx::PgConnection,
    product_id: uuid::Uuid,
    keep: &[&str],
) -> Result<u64, sqlx::Error> {
    let keep: Vec<String> = keep.iter().map(|sku| (*sku).to_owned()).collect();
    let removed = sqlx::query!(
        r#"
        DELETE FROM product_variants v
        WHERE v.product_id = $1 AND v.sku <> ALL($2)
          AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.variant_id = v.id)
          AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.variant_id = v.id
                                                          AND m.order_id IS NOT NULL)
        "#,
        product_id,
        &keep,
    )
    .execute(conn)
    .await?;
    Ok(removed.rows_affected())
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
    jobs::enqueue_in_chunks(
        pool,
        ids.into_iter().map(|image_id| EmbedImage { image_id, force }.job()),
    )
    .await
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
/// so the embedding is re-done for exactly what changed. `source_sha256`: the sha256 of the
/// original it was made from, when the server made it (an import recognises the file by it).
pub async fn upsert_product_image(
    conn: &mut sqlx::PgConnection,
    product_id: uuid::Uuid,
    position: i32,
    image: &StoredImage,
    alt_text: &str,
    source_sha256: Option<&str>,
) -> Result<uuid::Uuid, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        INSERT INTO product_images
            (id, product_id, position, storage_key, content_type, sha256, width, height, byte_size,
             alt_text, source_sha256)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (product_id, position) DO UPDATE SET
            storage_key = EXCLUDED.storage_key,
            source_sha256 = EXCLUDED.source_sha256,
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
        source_sha256,
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

// The admin area's view of the catalog: listing, publishing, adding images (audited).

pub async fn list_products(
    pool: &PgPool,
    query: &str,
    archived: bool,
    limit: i64,
) -> Result<Vec<AdminProduct>, AuthError> {
    product_rows(pool, None, &super::db::ilike_pattern(query), limit, archived)
        .await
        .map_err(AuthError::unavailable)
}

/// Products (newest first) that are `product`, or whose name matches the ILIKE `pattern`
/// (archived ones only when `archived`).
async fn product_rows(
    pool: &PgPool,
    product: Option<Uuid>,
    pattern: &str,
    limit: i64,
    archived: bool,
) -> Result<Vec<AdminProduct>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT p.id, p.slug, p.name, p.published, p.archived_at IS NOT NULL AS "archived!",
               coalesce(array_agg(i.storage_key ORDER BY i.position)
                        FILTER (WHERE i.id IS NOT NULL), '{}') AS "images!"
        FROM products p LEFT JOIN product_images i ON i.product_id = p.id
        WHERE ($1::uuid IS NULL OR p.id = $1) AND p.name ILIKE $2
          AND ($1::uuid IS NOT NULL OR p.archived_at IS NULL OR $4)
        GROUP BY p.id
        ORDER BY p.created_at DESC, p.id
        LIMIT $3
        "#,
        product,
        pattern,
        limit,
        archived
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| AdminProduct {
            id: row.id,
            slug: row.slug,
            name: row.name,
            published: row.published,
            archived: row.archived,
            images: row.images.iter().map(|key| super::media::MediaStore::url(key)).collect(),
        })
        .collect())
}

/// Shows or hides a product: the change, its audit entry and its event in one transaction.
/// Setting the state it already has changes nothing and records nothing.
pub async fn set_published(
    pool: &PgPool,
    actor: Actor,
    product: Uuid,
    published: bool,
) -> Result<AdminProduct, CommerceError> {
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    let before =
        sqlx::query_scalar!("SELECT published FROM products WHERE id = $1 FOR UPDATE", product)
            .fetch_optional(&mut *tx)
            .await
            .map_err(CommerceError::unavailable)?
            .ok_or(CommerceError::UnknownProduct)?;
    if before != published {
        // Showing an archived product restores it.
        sqlx::query!(
            r#"
            UPDATE products
            SET published = $2, archived_at = CASE WHEN $2 THEN NULL ELSE archived_at END,
                updated_at = now()
            WHERE id = $1
            "#,
            product,
            published
        )
        .execute(&mut *tx)
        .await
        .map_err(CommerceError::unavailable)?;
        let entry = Entry {
            action: "catalog.product.publish",
            entity: "product",
            entity_id: product.to_string(),
            before: Some(json!({ "published": before })),
            after: Some(json!({ "published": published })),
        };
        audit::record(&mut tx, actor, entry).await.map_err(CommerceError::unavailable)?;
        let event = ProductEvent { product_id: product };
        let event = if published {
            ShopEvent::ProductPublished(event)
        } else {
            ShopEvent::ProductHidden(event)
        };
        outbox::record(&mut tx, &event).await.map_err(CommerceError::unavailable)?;
    }
    tx.commit().await.map_err(CommerceError::unavailable)?;
    let mut rows = product_rows(pool, Some(product), "%", 1, true)
        .await
        .map_err(CommerceError::unavailable)?;
    rows.pop().ok_or(CommerceError::UnknownProduct)
}

/// Adds a stored image to a product, after its others: the file must already be in the media
/// store. Queues its embedding and records the change in the audit log, in one transaction.
/// `None` when there is no such product.
pub async fn add_product_image(
    pool: &PgPool,
    actor: &CurrentUser,
    product: Uuid,
    image: &super::media::StoredImage,
) -> Result<Option<crate::types::AdminImage>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Locks the product, so two uploads at once take different positions.
    let Some(name) =
        sqlx::query_scalar!("SELECT name FROM products WHERE id = $1 FOR UPDATE", product)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(None);
    };
    let position = sqlx::query_scalar!(
        r#"SELECT coalesce(max(position) + 1, 0) AS "next!" FROM product_images WHERE product_id = $1"#,
        product
    )
    .fetch_one(&mut *tx)
    .await?;
    let id = super::catalog::upsert_product_image(&mut tx, product, position, image, &name, None)
        .await?;
    let entry = Entry {
        action: "catalog.product_image.create",
        entity: "product_image",
        entity_id: id.to_string(),
        before: None,
        after: Some(json!({
            "product_id": product,
            "position": position,
            "storage_key": image.storage_key,
            "width": image.width,
            "height": image.height,
        })),
    };
    audit::record(&mut tx, actor.actor(), entry).await?;
    tx.commit().await?;
    Ok(Some(crate::types::AdminImage {
        id,
        url: super::media::MediaStore::url(&image.storage_key),
        width: image.width,
        height: image.height,
        bytes: image.byte_size,
    }))
}
