//! Products created and edited in the admin area: the form read whole ([`form`]), then one
//! transaction per save holding the product, its variants, opening stock through the ledger,
//! the old slug's redirect, the audit entry and the event. The text embedding and the
//! recommender's placement follow by the `products` triggers' jobs (in the same transaction),
//! and only when the name, description or category changed.
//!
//! Two admins editing one product: the form carries the revision it was opened at, the save
//! locks the row and refuses a stale revision ([`CatalogEditError::Stale`]) instead of
//! overwriting the other's changes.

pub mod categories;
pub mod form;

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use self::form::{ValidProduct, ValidVariant};
use super::audit::{self, Actor, Entry};
use super::inventory::{self, StockLine};
use super::outbox::{self, ProductEvent, ShopEvent};
use crate::types::{
    CatalogEditError, Currency, EditableProduct, EditableVariant, FieldError, Money, ProductForm,
    Refusal,
};

/// Product `id` as the edit form shows it; `None` when there is none.
pub async fn editable(pool: &PgPool, id: Uuid) -> Result<Option<EditableProduct>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    load(&mut conn, id).await
}

async fn load(conn: &mut PgConnection, id: Uuid) -> Result<Option<EditableProduct>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"
        SELECT p.id, p.revision, p.slug, p.name, p.description, p.attributes, p.published,
               p.archived_at IS NOT NULL AS "archived!", c.slug AS category
        FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.id = $1
        "#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let variants = sqlx::query!(
        r#"
        SELECT id, sku, options, price_minor, currency, on_hand
        FROM product_variants WHERE product_id = $1
        ORDER BY position, sku
        "#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let attributes: std::collections::BTreeMap<String, String> =
        serde_json::from_value(row.attributes).unwrap_or_default();
    Ok(Some(EditableProduct {
        id: row.id,
        revision: row.revision,
        slug: row.slug,
        name: row.name,
        description: row.description,
        category: row.category,
        attributes: attributes.into_iter().collect(),
        published: row.published,
        archived: row.archived,
        variants: variants
            .into_iter()
            .map(|v| EditableVariant {
                id: v.id,
                sku: v.sku,
                options: serde_json::from_value(v.options).unwrap_or_default(),
                // The column's CHECK allows only the currencies the type has.
                price: Money {
                    minor: v.price_minor,
                    currency: Currency::parse(&v.currency).unwrap_or(Currency::Eur),
                },
                on_hand: v.on_hand,
            })
            .collect(),
    }))
}

/// Creates a product (`id` `None`) or saves product `id` from `form`; the product as stored
/// after the save.
pub async fn save(
    pool: &PgPool,
    actor: Actor,
    id: Option<Uuid>,
    form: &ProductForm,
) -> Result<EditableProduct, CatalogEditError> {
    let mut tx = pool.begin().await.map_err(CatalogEditError::unavailable)?;
    let after = save_in(&mut tx, actor, id, form).await?;
    tx.commit().await.map_err(CatalogEditError::unavailable)?;
    Ok(after)
}

/// [`save`] inside the caller's transaction (an import writes the product's images in the same
/// one). A refusal may come after part of the write (a unique SKU another save took
/// meanwhile): the caller rolls the transaction back, as dropping it does.
pub async fn save_in(
    tx: &mut PgConnection,
    actor: Actor,
    id: Option<Uuid>,
    form: &ProductForm,
) -> Result<EditableProduct, CatalogEditError> {
    let valid = form::read(form).map_err(CatalogEditError::Invalid)?;
    let before = match id {
        Some(id) => {
            let stored = lock(&mut *tx, id).await?.ok_or(CatalogEditError::UnknownProduct)?;
            if form.revision != Some(stored.revision) {
                return Err(CatalogEditError::Stale);
            }
            Some(stored)
        }
        None => None,
    };
    let category_id = check_against_catalog(&mut *tx, id, &valid, before.as_ref()).await?;
    let product_id = write_product(&mut *tx, id, &valid, category_id).await.map_err(conflict)?;
    if let Some(before) = before.as_ref().filter(|before| before.slug != valid.slug) {
        sqlx::query!(
            r#"
            INSERT INTO product_slug_redirects (slug, product_id) VALUES ($1, $2)
            ON CONFLICT (slug) DO UPDATE SET product_id = EXCLUDED.product_id, created_at = now()
            "#,
            before.slug,
            product_id
        )
        .execute(&mut *tx)
        .await
        .map_err(CatalogEditError::unavailable)?;
    }
    // The slug is this product's now: an old product's redirect from it stops.
    sqlx::query!("DELETE FROM product_slug_redirects WHERE slug = $1", valid.slug)
        .execute(&mut *tx)
        .await
        .map_err(CatalogEditError::unavailable)?;
    write_variants(&mut *tx, product_id, &valid.variants, actor).await.map_err(conflict)?;

    let after =
        load(&mut *tx, product_id).await.map_err(CatalogEditError::unavailable)?.ok_or_else(
            || CatalogEditError::unavailable("the product saved is not there to read back"),
        )?;
    let (action, event) = match before {
        None => ("catalog.product.create", ShopEvent::ProductCreated(ProductEvent { product_id })),
        Some(_) => {
            ("catalog.product.update", ShopEvent::ProductUpdated(ProductEvent { product_id }))
        }
    };
    let entry = Entry {
        action,
        entity: "product",
        entity_id: product_id.to_string(),
        before: before.map(|before| json!(before)),
        after: Some(json!(after)),
    };
    audit::record(&mut *tx, actor, entry).await.map_err(CatalogEditError::unavailable)?;
    outbox::record(&mut *tx, &event).await.map_err(CatalogEditError::unavailable)?;
    Ok(after)
}

/// Archives product `id` (it leaves the shop and the admin's default list) or restores it (it
/// stays hidden until shown again); audited, with its event. A no-op when it already is.
pub async fn set_archived(
    pool: &PgPool,
    actor: Actor,
    id: Uuid,
    archived: bool,
) -> Result<EditableProduct, CatalogEditError> {
    let mut tx = pool.begin().await.map_err(CatalogEditError::unavailable)?;
    let before = lock(&mut tx, id).await?.ok_or(CatalogEditError::UnknownProduct)?;
    if before.archived == archived {
        return Ok(before);
    }
    // A new revision: an edit form opened before the archive must not bring it back unseen.
    sqlx::query!(
        r#"
        UPDATE products
        SET archived_at = CASE WHEN $2 THEN now() END,
            published = published AND NOT $2,
            revision = revision + 1, updated_at = now()
        WHERE id = $1
        "#,
        id,
        archived
    )
    .execute(&mut *tx)
    .await
    .map_err(CatalogEditError::unavailable)?;
    let entry = Entry {
        action: if archived { "catalog.product.archive" } else { "catalog.product.restore" },
        entity: "product",
        entity_id: id.to_string(),
        before: Some(json!({ "archived": before.archived, "published": before.published })),
        after: Some(json!({ "archived": archived, "published": before.published && !archived })),
    };
    audit::record(&mut tx, actor, entry).await.map_err(CatalogEditError::unavailable)?;
    let event = ProductEvent { product_id: id };
    let event =
        if archived { ShopEvent::ProductArchived(event) } else { ShopEvent::ProductUpdated(event) };
    outbox::record(&mut tx, &event).await.map_err(CatalogEditError::unavailable)?;
    let after = load(&mut tx, id).await.map_err(CatalogEditError::unavailable)?;
    tx.commit().await.map_err(CatalogEditError::unavailable)?;
    after.ok_or(CatalogEditError::UnknownProduct)
}

/// The current slug of the shown product that used to be at `old`: where its old address
/// redirects.
pub async fn moved_to(pool: &PgPool, old: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT p.slug FROM product_slug_redirects r JOIN products p ON p.id = r.product_id
        WHERE r.slug = $1 AND p.published
        "#,
        old
    )
    .fetch_optional(pool)
    .await
}

/// Locks product `id` for the rest of the transaction and reads it.
async fn lock(
    tx: &mut PgConnection,
    id: Uuid,
) -> Result<Option<EditableProduct>, CatalogEditError> {
    let found = sqlx::query_scalar!("SELECT id FROM products WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(CatalogEditError::unavailable)?;
    match found {
        Some(_) => load(tx, id).await.map_err(CatalogEditError::unavailable),
        None => Ok(None),
    }
}

/// What the form cannot know: that its category exists, that no other product has its slug
/// or one of its SKUs, that its variants are this product's and that a removed one was never
/// ordered. Every problem at once, as field errors; the category's id when there are none.
async fn check_against_catalog(
    tx: &mut PgConnection,
    id: Option<Uuid>,
    valid: &ValidProduct,
    before: Option<&EditableProduct>,
) -> Result<Uuid, CatalogEditError> {
    let mut errors = Vec::new();
    let mut fail = |field: String, message: &str| {
        errors.push(FieldError { field, message: message.to_owned() });
    };
    let category = sqlx::query_scalar!("SELECT id FROM categories WHERE slug = $1", valid.category)
        .fetch_optional(&mut *tx)
        .await
        .map_err(CatalogEditError::unavailable)?;
    if category.is_none() {
        fail("category".into(), "There is no such category.");
    }
    let slug_taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM products WHERE slug = $1 AND id IS DISTINCT FROM $2) AS "taken!""#,
        valid.slug,
        id
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(CatalogEditError::unavailable)?;
    if slug_taken {
        fail("slug".into(), "Another product has this web address.");
    }
    let kept: Vec<String> =
        valid.variants.iter().filter(|v| !v.remove).map(|v| v.sku.clone()).collect();
    let skus_taken = sqlx::query_scalar!(
        "SELECT sku FROM product_variants WHERE sku = ANY($1) AND product_id IS DISTINCT FROM $2",
        &kept,
        id
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(CatalogEditError::unavailable)?;
    let ordered = match id {
        Some(id) => sqlx::query_scalar!(
            r#"
            SELECT v.id FROM product_variants v
            WHERE v.product_id = $1
              AND (EXISTS (SELECT 1 FROM order_lines l WHERE l.variant_id = v.id)
                   OR EXISTS (SELECT 1 FROM stock_movements m
                              WHERE m.variant_id = v.id AND m.order_id IS NOT NULL))
            "#,
            id
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(CatalogEditError::unavailable)?,
        None => Vec::new(),
    };
    let stored: Vec<Uuid> =
        before.map(|b| b.variants.iter().map(|v| v.id).collect()).unwrap_or_default();
    for variant in &valid.variants {
        let field = |name: &str| format!("variants.{}.{name}", variant.row);
        if !variant.remove && skus_taken.contains(&variant.sku) {
            fail(field("sku"), "Another product has a variant with this SKU.");
        }
        if let Some(variant_id) = variant.id {
            if !stored.contains(&variant_id) {
                fail(field("sku"), "This variant is not this product's; reload the form.");
            } else if variant.remove && ordered.contains(&variant_id) {
                fail(
                    field("remove"),
                    "This variant has orders, so it stays; set its stock to 0 on the inventory page to stop selling it.",
                );
            }
        }
    }
    match category {
        Some(category) if errors.is_empty() => Ok(category),
        _ => Err(CatalogEditError::Invalid(errors)),
    }
}

async fn write_product(
    tx: &mut PgConnection,
    id: Option<Uuid>,
    valid: &ValidProduct,
    category_id: Uuid,
) -> Result<Uuid, sqlx::Error> {
    let attributes = json!(valid.attributes);
    match id {
        Some(id) => {
            sqlx::query!(
                r#"
                UPDATE products
                SET name = $2, slug = $3, description = $4, category_id = $5, attributes = $6,
                    revision = revision + 1, updated_at = now()
                WHERE id = $1
                "#,
                id,
                valid.name,
                valid.slug,
                valid.description,
                category_id,
                attributes
            )
            .execute(&mut *tx)
            .await?;
            Ok(id)
        }
        None => {
            sqlx::query_scalar!(
                r#"
                INSERT INTO products (id, slug, name, description, category_id, attributes)
                VALUES ($1, $2, $3, $4, $5, $6)
                RETURNING id
                "#,
                Uuid::now_v7(),
                valid.slug,
                valid.name,
                valid.description,
                category_id,
                attributes
            )
            .fetch_one(&mut *tx)
            .await
        }
    }
}

/// The variants in the form's order; removed ones deleted (checked unordered before), new
/// ones created with their opening stock received through the ledger.
async fn write_variants(
    tx: &mut PgConnection,
    product_id: Uuid,
    variants: &[ValidVariant],
    actor: Actor,
) -> Result<(), sqlx::Error> {
    for removed in variants.iter().filter(|v| v.remove).filter_map(|v| v.id) {
        sqlx::query!(
            "DELETE FROM product_variants WHERE id = $1 AND product_id = $2",
            removed,
            product_id
        )
        .execute(&mut *tx)
        .await?;
    }
    for (position, variant) in variants.iter().filter(|v| !v.remove).enumerate() {
        let options = json!(variant.options);
        let position = position as i32;
        match variant.id {
            Some(id) => {
                sqlx::query!(
                    r#"
                    UPDATE product_variants
                    SET sku = $3, options = $4, position = $5, price_minor = $6, currency = $7,
                        updated_at = now()
                    WHERE id = $1 AND product_id = $2
                    "#,
                    id,
                    product_id,
                    variant.sku,
                    options,
                    position,
                    variant.price.minor,
                    variant.price.currency.code(),
                )
                .execute(&mut *tx)
                .await?;
            }
            None => {
                let id = sqlx::query_scalar!(
                    r#"
                    INSERT INTO product_variants
                        (id, product_id, sku, options, position, price_minor, currency)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    RETURNING id
                    "#,
                    Uuid::now_v7(),
                    product_id,
                    variant.sku,
                    options,
                    position,
                    variant.price.minor,
                    variant.price.currency.code(),
                )
                .fetch_one(&mut *tx)
                .await?;
                if variant.opening_stock > 0 {
                    let line = StockLine { variant_id: id, quantity: variant.opening_stock };
                    inventory::receive(tx, line, actor.user_id(), "opening stock").await?;
                }
            }
        }
    }
    Ok(())
}

/// A unique constraint another save won meanwhile (or two variants swapping SKUs in one
/// save), as the field it concerns; anything else is ours.
fn conflict(error: sqlx::Error) -> CatalogEditError {
    let constraint = error.as_database_error().and_then(|e| e.constraint()).map(str::to_owned);
    let (field, message) = match constraint.as_deref() {
        Some("products_slug_key") => ("slug", "Another product has this web address."),
        Some("product_variants_sku_key") => {
            ("variants", "A SKU is taken (or two variants swap SKUs: save one change at a time).")
        }
        Some("product_variants_product_id_options_key") => {
            ("variants", "Two variants have the same options; each needs its own.")
        }
        _ => return CatalogEditError::unavailable(error),
    };
    CatalogEditError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}
