//! The category tree in the admin area: create, rename, move (never under itself or one of
//! its subcategories) and delete (only an empty one: a category with products or subcategories
//! cannot vanish). Each write is audited in its transaction.

use serde_json::json;
use sqlx::PgPool;

use super::form::{slugify, valid_slug, MAX_NAME};
use crate::backend::audit::{self, Actor, Entry};
use crate::types::{AdminCategory, CatalogEditError, CategoryForm, FieldError, Refusal};

/// Every category, depth first (each followed by its subcategories, by name).
pub async fn tree(pool: &PgPool) -> Result<Vec<AdminCategory>, sqlx::Error> {
    sqlx::query_as!(
        AdminCategory,
        r#"
        WITH RECURSIVE walk AS (
            SELECT c.id, c.slug, c.name, NULL::text AS parent_slug, 0 AS depth,
                   ARRAY[lower(c.name) || '/' || c.id::text] AS path
            FROM categories c WHERE c.parent_id IS NULL
            UNION ALL
            SELECT c.id, c.slug, c.name, w.slug, w.depth + 1,
                   w.path || (lower(c.name) || '/' || c.id::text)
            FROM categories c JOIN walk w ON c.parent_id = w.id
        )
        SELECT w.slug AS "slug!", w.name AS "name!", w.parent_slug, w.depth AS "depth!",
               (SELECT count(*) FROM products p WHERE p.category_id = w.id) AS "products!",
               (SELECT count(*) FROM categories s WHERE s.parent_id = w.id) AS "subcategories!"
        FROM walk w
        ORDER BY w.path
        "#
    )
    .fetch_all(pool)
    .await
}

/// Creates a category (blank `form.slug`) or renames / moves the one at `form.slug`.
pub async fn save(
    pool: &PgPool,
    actor: Actor,
    form: &CategoryForm,
) -> Result<(), CatalogEditError> {
    let invalid = |field: &str, message: &str| {
        CatalogEditError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
    };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(invalid("name", "Give the category a name of up to 200 characters."));
    }
    let parent = Some(form.parent.trim()).filter(|parent| !parent.is_empty());
    let mut tx = pool.begin().await.map_err(CatalogEditError::unavailable)?;
    let parent_id = match parent {
        Some(parent) => Some(
            sqlx::query_scalar!("SELECT id FROM categories WHERE slug = $1", parent)
                .fetch_optional(&mut *tx)
                .await
                .map_err(CatalogEditError::unavailable)?
                .ok_or_else(|| invalid("parent", "There is no such category."))?,
        ),
        None => None,
    };
    let editing = Some(form.slug.trim()).filter(|slug| !slug.is_empty());
    let (action, slug, before) = match editing {
        Some(slug) => {
            let stored = sqlx::query!(
                r#"
                SELECT c.id, c.name, p.slug AS "parent?"
                FROM categories c LEFT JOIN categories p ON p.id = c.parent_id
                WHERE c.slug = $1 FOR UPDATE OF c
                "#,
                slug
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(CatalogEditError::unavailable)?
            .ok_or(CatalogEditError::UnknownCategory)?;
            // The new parent must not be the category or below it.
            let cycle = sqlx::query_scalar!(
                r#"
                WITH RECURSIVE below AS (
                    SELECT id FROM categories WHERE id = $1
                    UNION ALL
                    SELECT c.id FROM categories c JOIN below b ON c.parent_id = b.id
                )
                SELECT EXISTS (SELECT 1 FROM below WHERE id = $2) AS "cycle!"
                "#,
                stored.id,
                parent_id
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(CatalogEditError::unavailable)?;
            if cycle {
                return Err(invalid(
                    "parent",
                    "A category cannot move under itself or one of its subcategories.",
                ));
            }
            sqlx::query!(
                "UPDATE categories SET name = $2, parent_id = $3 WHERE id = $1",
                stored.id,
                name,
                parent_id
            )
            .execute(&mut *tx)
            .await
            .map_err(CatalogEditError::unavailable)?;
            let before = json!({ "name": stored.name, "parent": stored.parent });
            ("catalog.category.update", slug.to_owned(), Some(before))
        }
        None => {
            let slug = match form.new_slug.trim() {
                "" => slugify(name),
                typed => typed.to_owned(),
            };
            if !valid_slug(&slug) {
                return Err(invalid(
                    "new_slug",
                    "Use lowercase letters, digits and single hyphens (like tea-sets).",
                ));
            }
            let created = sqlx::query!(
                r#"
                INSERT INTO categories (id, slug, name, parent_id) VALUES ($1, $2, $3, $4)
                ON CONFLICT (slug) DO NOTHING
                "#,
                uuid::Uuid::now_v7(),
                slug,
                name,
                parent_id
            )
            .execute(&mut *tx)
            .await
            .map_err(CatalogEditError::unavailable)?;
            if created.rows_affected() == 0 {
                return Err(invalid("new_slug", "Another category has this web address."));
            }
            ("catalog.category.create", slug, None)
        }
    };
    let entry = Entry {
        action,
        entity: "category",
        entity_id: slug,
        before,
        after: Some(json!({ "name": name, "parent": parent })),
    };
    audit::record(&mut tx, actor, entry).await.map_err(CatalogEditError::unavailable)?;
    tx.commit().await.map_err(CatalogEditError::unavailable)
}

/// Deletes the category at `slug` if it has no products and no subcategories (else refused,
/// saying what it still holds). Deleting one that is not there changes nothing.
pub async fn delete(pool: &PgPool, actor: Actor, slug: &str) -> Result<(), CatalogEditError> {
    let mut tx = pool.begin().await.map_err(CatalogEditError::unavailable)?;
    let Some(held) = sqlx::query!(
        r#"
        SELECT c.id, c.name,
               (SELECT count(*) FROM products p WHERE p.category_id = c.id) AS "products!",
               (SELECT count(*) FROM categories s WHERE s.parent_id = c.id) AS "subcategories!"
        FROM categories c WHERE c.slug = $1 FOR UPDATE
        "#,
        slug
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(CatalogEditError::unavailable)?
    else {
        return Ok(());
    };
    if held.products > 0 || held.subcategories > 0 {
        let message = format!(
            "{} still holds {} products and {} subcategories: move them first.",
            held.name, held.products, held.subcategories
        );
        return Err(CatalogEditError::Invalid(vec![FieldError {
            field: "category".into(),
            message,
        }]));
    }
    sqlx::query!("DELETE FROM categories WHERE id = $1", held.id)
        .execute(&mut *tx)
        .await
        .map_err(CatalogEditError::unavailable)?;
    let entry = Entry {
        action: "catalog.category.delete",
        entity: "category",
        entity_id: slug.to_owned(),
        before: Some(json!({ "name": held.name })),
        after: None,
    };
    audit::record(&mut tx, actor, entry).await.map_err(CatalogEditError::unavailable)?;
    tx.commit().await.map_err(CatalogEditError::unavailable)
}
