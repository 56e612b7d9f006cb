//! The admin area's queries and writes; every write is audited in its own transaction.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::CurrentUser;
use super::outbox;
use crate::types::{
    AdminProduct, AdminUser, AuditEntry, AuthError, CommerceError, Refusal, Role, StockChange,
    StockRow,
};

struct UserRow {
    id: Uuid,
    email: String,
    role: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserRow> for AdminUser {
    fn from(row: UserRow) -> Self {
        AdminUser {
            id: row.id,
            email: row.email,
            role: Role::parse(&row.role).unwrap_or(Role::Customer),
            created_at: row.created_at.to_rfc3339(),
        }
    }
}

pub async fn list_users(pool: &PgPool, limit: i64) -> Result<Vec<AdminUser>, AuthError> {
    let rows = sqlx::query_as!(
        UserRow,
        "SELECT id, email, role, created_at FROM users ORDER BY created_at DESC, id LIMIT $1",
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(AuthError::unavailable)?;
    Ok(rows.into_iter().map(AdminUser::from).collect())
}

/// Gives `user` the `role`; the last admin cannot be demoted (the shop would have none).
pub async fn set_role(
    pool: &PgPool,
    actor: &CurrentUser,
    user: Uuid,
    role: Role,
) -> Result<AdminUser, AuthError> {
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    // Locks every admin row, so two demotions at once cannot both pass the last-admin check.
    let admins = sqlx::query_scalar!("SELECT id FROM users WHERE role = 'admin' FOR UPDATE")
        .fetch_all(&mut *tx)
        .await
        .map_err(AuthError::unavailable)?;
    let before = sqlx::query_scalar!("SELECT role FROM users WHERE id = $1 FOR UPDATE", user)
        .fetch_optional(&mut *tx)
        .await
        .map_err(AuthError::unavailable)?
        .ok_or(AuthError::UnknownUser)?;
    if before == Role::Admin.as_str() && role != Role::Admin && admins.len() <= 1 {
        return Err(AuthError::LastAdmin);
    }
    let row = sqlx::query_as!(
        UserRow,
        "UPDATE users SET role = $2 WHERE id = $1 RETURNING id, email, role, created_at",
        user,
        role.as_str()
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?;
    let entry = Entry {
        action: "users.role.update",
        entity: "user",
        entity_id: user.to_string(),
        before: Some(json!({ "role": before })),
        after: Some(json!({ "role": role.as_str() })),
    };
    audit::record(&mut tx, actor.actor(), entry).await.map_err(AuthError::unavailable)?;
    tx.commit().await.map_err(AuthError::unavailable)?;
    Ok(row.into())
}

pub async fn audit_log(pool: &PgPool, limit: i64) -> Result<Vec<AuditEntry>, AuthError> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id, a.at, u.email AS "actor?", a.actor_role, host(a.ip) AS ip, a.action,
               a.entity, a.entity_id, a.before, a.after
        FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
        ORDER BY a.id DESC LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(AuthError::unavailable)?;
    Ok(rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: row.at.to_rfc3339(),
            actor: row.actor,
            actor_role: row.actor_role,
            ip: row.ip,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: row.before.map(|v| v.to_string()),
            after: row.after.map(|v| v.to_string()),
        })
        .collect())
}

pub async fn list_products(
    pool: &PgPool,
    query: &str,
    limit: i64,
) -> Result<Vec<AdminProduct>, AuthError> {
    product_rows(pool, None, &ilike_pattern(query), limit).await.map_err(AuthError::unavailable)
}

/// `%query%` for ILIKE, with the pattern's own wildcards escaped.
fn ilike_pattern(query: &str) -> String {
    format!("%{}%", query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// Products (newest first) that are `product`, or whose name matches the ILIKE `pattern`.
async fn product_rows(
    pool: &PgPool,
    product: Option<Uuid>,
    pattern: &str,
    limit: i64,
) -> Result<Vec<AdminProduct>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT p.id, p.slug, p.name, p.published,
               coalesce(array_agg(i.storage_key ORDER BY i.position)
                        FILTER (WHERE i.id IS NOT NULL), '{}') AS "images!"
        FROM products p LEFT JOIN product_images i ON i.product_id = p.id
        WHERE ($1::uuid IS NULL OR p.id = $1) AND p.name ILIKE $2
        GROUP BY p.id
        ORDER BY p.created_at DESC, p.id
        LIMIT $3
        "#,
        product,
        pattern,
        limit
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
        sqlx::query!(
            "UPDATE products SET published = $2, updated_at = now() WHERE id = $1",
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
        let topic = if published { "product.published" } else { "product.hidden" };
        outbox::record(&mut tx, topic, &json!({ "product_id": product }))
            .await
            .map_err(CommerceError::unavailable)?;
    }
    tx.commit().await.map_err(CommerceError::unavailable)?;
    let mut rows =
        product_rows(pool, Some(product), "%", 1).await.map_err(CommerceError::unavailable)?;
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
    let id = super::catalog::upsert_product_image(&mut tx, product, position, image, &name).await?;
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

/// Variants whose SKU or product name contains `query`, by SKU.
pub async fn list_stock(
    pool: &PgPool,
    query: &str,
    limit: i64,
) -> Result<Vec<StockRow>, CommerceError> {
    stock_rows(pool, None, &ilike_pattern(query), limit).await
}

/// Stock rows of one variant (`variant`) or of those matching the ILIKE `pattern`.
async fn stock_rows(
    pool: &PgPool,
    variant: Option<Uuid>,
    pattern: &str,
    limit: i64,
) -> Result<Vec<StockRow>, CommerceError> {
    let rows = sqlx::query!(
        r#"
        SELECT v.id, v.sku, p.name, v.options, v.on_hand, v.reserved
        FROM product_variants v JOIN products p ON p.id = v.product_id
        WHERE ($1::uuid IS NULL OR v.id = $1) AND (v.sku ILIKE $2 OR p.name ILIKE $2)
        ORDER BY v.sku
        LIMIT $3
        "#,
        variant,
        pattern,
        limit,
    )
    .fetch_all(pool)
    .await
    .map_err(CommerceError::unavailable)?;
    rows.into_iter()
        .map(|row| {
            Ok(StockRow {
                variant_id: row.id,
                sku: row.sku,
                product_name: row.name,
                options: crate::backend::catalog::parse_options(row.options)
                    .map_err(CommerceError::unavailable)?,
                on_hand: row.on_hand,
                reserved: row.reserved,
            })
        })
        .collect()
}

/// A count or a delivery for one variant: the ledger row, the new stock and the audit entry in
/// one transaction.
pub async fn adjust_stock(
    pool: &PgPool,
    actor: Actor,
    variant_id: Uuid,
    change: StockChange,
    quantity: i32,
    note: &str,
) -> Result<StockRow, CommerceError> {
    use crate::backend::inventory::{self, StockLine};
    let valid = match change {
        StockChange::Count => quantity >= 0,
        StockChange::Delivery => quantity > 0,
    };
    if !valid || quantity > 1_000_000 {
        return Err(CommerceError::BadQuantity { max: 1_000_000 });
    }
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    let (before, after) = match change {
        StockChange::Count => {
            match inventory::count(&mut tx, variant_id, quantity, actor.user_id(), note)
                .await
                .map_err(CommerceError::unavailable)?
            {
                Some(counted) => counted,
                None => {
                    let reserved = sqlx::query_scalar!(
                        "SELECT reserved FROM product_variants WHERE id = $1",
                        variant_id
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(CommerceError::unavailable)?
                    .ok_or(CommerceError::UnknownVariant)?;
                    return Err(CommerceError::CountBelowReserved { reserved });
                }
            }
        }
        StockChange::Delivery => {
            let before = sqlx::query_scalar!(
                "SELECT on_hand FROM product_variants WHERE id = $1 FOR UPDATE",
                variant_id
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(CommerceError::unavailable)?
            .ok_or(CommerceError::UnknownVariant)?;
            let line = StockLine { variant_id, quantity };
            inventory::receive(&mut tx, line, actor.user_id(), note)
                .await
                .map_err(CommerceError::unavailable)?;
            (before, before + quantity)
        }
    };
    let entry = Entry {
        action: "inventory.stock.adjust",
        entity: "variant",
        entity_id: variant_id.to_string(),
        before: Some(json!({ "on_hand": before })),
        after: Some(json!({ "on_hand": after, "change": change, "note": note })),
    };
    audit::record(&mut tx, actor, entry).await.map_err(CommerceError::unavailable)?;
    tx.commit().await.map_err(CommerceError::unavailable)?;
    let mut rows = stock_rows(pool, Some(variant_id), "%", 1).await?;
    rows.pop().ok_or(CommerceError::UnknownVariant)
}
