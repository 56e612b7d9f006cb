//! The catalog: categories and products. Owns the `categories` and `products` tables.

use sqlx::PgPool;

use crate::model::{Currency, Money, ProductCard};

/// The newest published products, for the storefront's home page.
pub async fn newest_products(pool: &PgPool, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT p.id, p.slug, p.name, c.name AS category, p.price_minor, p.currency, p.stock
        FROM products p
        JOIN categories c ON c.id = p.category_id
        ORDER BY p.created_at DESC, p.name
        LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await?;

    rows.into_iter()
        .map(|row| {
            let currency = Currency::parse(&row.currency).ok_or_else(|| {
                // The column has a CHECK constraint; a mismatch means the enum and the schema
                // disagree, which is a bug to surface, not a value to guess.
                sqlx::Error::Decode(format!("unknown currency {:?}", row.currency).into())
            })?;
            Ok(ProductCard {
                id: row.id,
                slug: row.slug,
                name: row.name,
                category: row.category,
                price: Money {
                    minor: row.price_minor,
                    currency,
                },
                in_stock: row.stock > 0,
            })
        })
        .collect()
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
