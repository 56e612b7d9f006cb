//! Stock: each variant's on-hand and reserved units, and the ledger of every movement. Owns the
//! stock columns of `product_variants` and the `stock_movements` table; nothing else writes them.
//!
//! Reserving is one conditional `UPDATE … WHERE on_hand - reserved >= quantity`: PostgreSQL locks
//! the row for the update and re-checks the condition against the latest committed version, so
//! two checkouts can never both take the last unit (no read-then-write anywhere). The table's
//! CHECKs (`0 <= reserved <= on_hand`) are the backstop.

use super::audit::{self, Actor, Entry};
use crate::types::{CommerceError, Refusal, StockChange, StockRow};
use serde_json::json;
use sqlx::PgConnection;
use sqlx::PgPool;
use uuid::Uuid;

/// Why stock moved; the ledger's `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// Goods in (opening stock, a delivery).
    Received,
    /// A stock count corrected on-hand.
    Adjusted,
    /// A checkout started paying: held for its order.
    Reserved,
    /// The hold ended without a sale (declined, expired, cancelled).
    Released,
    /// The order was paid: held units left the shelf.
    Sold,
    /// Refunded goods went back on the shelf.
    Restocked,
}

impl Movement {
    fn code(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Adjusted => "adjusted",
            Self::Reserved => "reserved",
            Self::Released => "released",
            Self::Sold => "sold",
            Self::Restocked => "restocked",
        }
    }
}

/// A quantity of one variant (an order line, a cart line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockLine {
    pub variant_id: Uuid,
    pub quantity: i32,
}

/// Holds `lines` for `order_id`. Returns the first line that cannot be held (the caller rolls
/// the transaction back, releasing the lines held before it). Lines are taken in variant order
/// so two carts holding the same variants can never deadlock.
pub async fn reserve(
    conn: &mut PgConnection,
    order_id: Uuid,
    lines: &[StockLine],
) -> Result<Result<(), StockLine>, sqlx::Error> {
    for line in sorted(lines) {
        let held = sqlx::query!(
            r#"
            UPDATE product_variants SET reserved = reserved + $2, updated_at = now()
            WHERE id = $1 AND on_hand - reserved >= $2
            "#,
            line.variant_id,
            line.quantity,
        )
        .execute(&mut *conn)
        .await?;
        if held.rows_affected() == 0 {
            return Ok(Err(line));
        }
        record(conn, line.variant_id, Movement::Reserved, 0, line.quantity, Some(order_id)).await?;
    }
    Ok(Ok(()))
}

/// Ends the hold on `lines` without a sale.
pub async fn release(
    conn: &mut PgConnection,
    order_id: Uuid,
    lines: &[StockLine],
) -> Result<(), sqlx::Error> {
    for line in sorted(lines) {
        sqlx::query!(
            "UPDATE product_variants SET reserved = reserved - $2, updated_at = now() WHERE id = $1",
            line.variant_id,
            line.quantity,
        )
        .execute(&mut *conn)
        .await?;
        record(conn, line.variant_id, Movement::Released, 0, -line.quantity, Some(order_id))
            .await?;
    }
    Ok(())
}

/// Turns the hold on `lines` into a sale: the units leave on-hand and the reservation.
pub async fn sell_reserved(
    conn: &mut PgConnection,
    order_id: Uuid,
    lines: &[StockLine],
) -> Result<(), sqlx::Error> {
    for line in sorted(lines) {
        sqlx::query!(
            r#"
            UPDATE product_variants
            SET on_hand = on_hand - $2, reserved = reserved - $2, updated_at = now()
            WHERE id = $1
            "#,
            line.variant_id,
            line.quantity,
        )
        .execute(&mut *conn)
        .await?;
        record(
            conn,
            line.variant_id,
            Movement::Sold,
            -line.quantity,
            -line.quantity,
            Some(order_id),
        )
        .await?;
    }
    Ok(())
}

/// Puts refunded units of `order_id` back on the shelf.
pub async fn restock(
    conn: &mut PgConnection,
    order_id: Uuid,
    lines: &[StockLine],
    actor_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    for line in sorted(lines) {
        add_on_hand(conn, line, Movement::Restocked, Some(order_id), actor_id, "").await?;
    }
    Ok(())
}

/// Goods in: adds `quantity` to on-hand (a delivery, or the opening stock of a new variant).
pub async fn receive(
    conn: &mut PgConnection,
    line: StockLine,
    actor_id: Option<Uuid>,
    note: &str,
) -> Result<(), sqlx::Error> {
    add_on_hand(conn, line, Movement::Received, None, actor_id, note).await
}

/// A stock count: on-hand becomes `counted`, the difference recorded as `adjusted`. Refused
/// (`None`) when fewer are counted than checkouts hold; returns on-hand before and after.
pub async fn count(
    conn: &mut PgConnection,
    variant_id: Uuid,
    counted: i32,
    actor_id: Option<Uuid>,
    note: &str,
) -> Result<Option<(i32, i32)>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        "SELECT on_hand, reserved FROM product_variants WHERE id = $1 FOR UPDATE",
        variant_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    if counted < row.reserved {
        return Ok(None);
    }
    let line = StockLine { variant_id, quantity: counted - row.on_hand };
    add_on_hand(conn, line, Movement::Adjusted, None, actor_id, note).await?;
    Ok(Some((row.on_hand, counted)))
}

async fn add_on_hand(
    conn: &mut PgConnection,
    line: StockLine,
    movement: Movement,
    order_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    note: &str,
) -> Result<(), sqlx::Error> {
    if line.quantity == 0 {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE product_variants SET on_hand = on_hand + $2, updated_at = now() WHERE id = $1",
        line.variant_id,
        line.quantity,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO stock_movements
            (variant_id, reason, on_hand_delta, reserved_delta, order_id, actor_id, note)
        VALUES ($1, $2, $3, 0, $4, $5, $6)
        "#,
        line.variant_id,
        movement.code(),
        line.quantity,
        order_id,
        actor_id,
        note,
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn sorted(lines: &[StockLine]) -> Vec<StockLine> {
    let mut sorted = lines.to_vec();
    sorted.sort_by_key(|line| line.variant_id);
    sorted
}

async fn record(
    conn: &mut PgConnection,
    variant_id: Uuid,
    movement: Movement,
    on_hand_delta: i32,
    reserved_delta: i32,
    order_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO stock_movements (variant_id, reason, on_hand_delta, reserved_delta, order_id)
        VALUES ($1, $2, $3, $4, $5)
        "#,
        variant_id,
        movement.code(),
        on_hand_delta,
        reserved_delta,
        order_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Variants whose columns disagree with the sum of their ledger (none, unless something wrote
/// stock behind this module's back). Used by tests and `vitrine` operators alike.
pub async fn unbalanced_variants(conn: &mut PgConnection) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT v.id FROM product_variants v
        LEFT JOIN (SELECT variant_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
                   FROM stock_movements GROUP BY variant_id) m ON m.variant_id = v.id
        WHERE v.on_hand <> coalesce(m.on_hand, 0) OR v.reserved <> coalesce(m.reserved, 0)
        "#
    )
    .fetch_all(conn)
    .await
}

// The admin area's stock: listing and recording counts and deliveries (audited).

/// Variants whose SKU or product name contains `query`, by SKU.
pub async fn list_stock(
    pool: &PgPool,
    query: &str,
    limit: i64,
) -> Result<Vec<StockRow>, CommerceError> {
    stock_rows(pool, None, &super::db::ilike_pattern(query), limit).await
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
            match count(&mut tx, variant_id, quantity, actor.user_id(), note)
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
            receive(&mut tx, line, actor.user_id(), note)
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
