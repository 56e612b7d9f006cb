//! Carts: a guest's (known by the id in its cookie) or a signed-in shopper's (one per account),
//! merged when a guest signs in. Owns `carts` and `cart_items`. Every change locks the cart row
//! first, so two tabs adding at once are applied one after the other; prices and totals are
//! always computed here from the current variants, never taken from the client.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::catalog::{parse_currency, parse_options};
use super::media::MediaStore;
use crate::types::{Cart, CartLine, CommerceError, Money, Refusal, MAX_LINE_QUANTITY};

/// How long a guest cart is kept after its last change; its cookie lasts as long.
pub const GUEST_CART_DAYS: i32 = 30;

/// Whose cart a request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartOwner {
    User(Uuid),
    /// The id from the guest's cart cookie (it may not exist any more).
    Guest(Uuid),
}

/// The owner's cart id, if they have a cart.
pub async fn find(pool: &PgPool, owner: CartOwner) -> Result<Option<Uuid>, sqlx::Error> {
    match owner {
        CartOwner::User(user_id) => {
            sqlx::query_scalar!("SELECT id FROM carts WHERE user_id = $1", user_id)
                .fetch_optional(pool)
                .await
        }
        CartOwner::Guest(cart_id) => {
            sqlx::query_scalar!("SELECT id FROM carts WHERE id = $1 AND user_id IS NULL", cart_id)
                .fetch_optional(pool)
                .await
        }
    }
}

/// How many items the owner's cart holds (0 without a cart): one query, for the header.
pub async fn item_count(pool: &PgPool, owner: CartOwner) -> Result<i32, sqlx::Error> {
    let (user_id, guest_cart_id) = match owner {
        CartOwner::User(user_id) => (Some(user_id), None),
        CartOwner::Guest(cart_id) => (None, Some(cart_id)),
    };
    sqlx::query_scalar!(
        r#"
        SELECT coalesce(sum(i.quantity), 0)::int4 AS "count!"
        FROM carts c JOIN cart_items i ON i.cart_id = c.id
        WHERE c.user_id = $1 OR (c.id = $2 AND c.user_id IS NULL)
        "#,
        user_id,
        guest_cart_id,
    )
    .fetch_one(pool)
    .await
}

/// The owner's cart, created when missing. A guest gets a new random id (the caller sets the
/// cookie) rather than the one they sent, so a client cannot choose its cart's id.
pub async fn find_or_create(pool: &PgPool, owner: CartOwner) -> Result<Uuid, sqlx::Error> {
    if let Some(id) = find(pool, owner).await? {
        return Ok(id);
    }
    let user_id = match owner {
        CartOwner::User(user_id) => Some(user_id),
        CartOwner::Guest(_) => None,
    };
    let mut conn = pool.acquire().await?;
    upsert_cart(&mut conn, user_id).await
}

/// A new guest cart (`None`), or the user's cart, created if missing. A concurrent request may
/// create the user's cart first; the upsert then returns that one.
async fn upsert_cart(conn: &mut PgConnection, user_id: Option<Uuid>) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO carts (id, user_id) VALUES ($1, $2)
        ON CONFLICT (user_id) DO UPDATE SET updated_at = now()
        RETURNING id
        "#,
        Uuid::new_v4(),
        user_id,
    )
    .fetch_one(conn)
    .await
}

/// Adds `quantity` of the variant to the cart (or, with `replace`, sets the line to it; 0
/// removes it) and answers with the variant's product. Refused when the line would exceed what
/// is available or the per-line maximum, or mix currencies.
pub async fn change_line(
    pool: &PgPool,
    cart_id: Uuid,
    variant_id: Uuid,
    quantity: i32,
    replace: bool,
) -> Result<Uuid, CommerceError> {
    let min = if replace { 0 } else { 1 };
    if !(min..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(CommerceError::BadQuantity { max: MAX_LINE_QUANTITY });
    }
    let mut tx = pool.begin().await.map_err(CommerceError::unavailable)?;
    lock(&mut tx, cart_id).await?;
    let variant = sqlx::query!(
        r#"
        SELECT v.sku, v.currency, v.on_hand - v.reserved AS "available!", p.published,
               p.id AS product_id,
               (SELECT quantity FROM cart_items WHERE cart_id = $1 AND variant_id = v.id)
                   AS "in_cart?",
               (SELECT min(o.currency) FROM cart_items i JOIN product_variants o ON o.id = i.variant_id
                WHERE i.cart_id = $1 AND i.variant_id <> v.id) AS "cart_currency?"
        FROM product_variants v JOIN products p ON p.id = v.product_id
        WHERE v.id = $2
        "#,
        cart_id,
        variant_id,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(CommerceError::unavailable)?
    .ok_or(CommerceError::UnknownVariant)?;
    let wanted = if replace { quantity } else { variant.in_cart.unwrap_or(0) + quantity };
    if wanted == 0 {
        sqlx::query!(
            "DELETE FROM cart_items WHERE cart_id = $1 AND variant_id = $2",
            cart_id,
            variant_id
        )
        .execute(&mut *tx)
        .await
        .map_err(CommerceError::unavailable)?;
    } else {
        if !variant.published {
            return Err(CommerceError::NotForSale);
        }
        if variant.cart_currency.is_some_and(|currency| currency != variant.currency) {
            return Err(CommerceError::CurrencyMismatch);
        }
        if wanted > MAX_LINE_QUANTITY {
            return Err(CommerceError::BadQuantity { max: MAX_LINE_QUANTITY });
        }
        if wanted > variant.available {
            return Err(CommerceError::NotEnoughStock {
                sku: variant.sku,
                available: variant.available.max(0),
            });
        }
        sqlx::query!(
            r#"
            INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES ($1, $2, $3)
            ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = EXCLUDED.quantity
            "#,
            cart_id,
            variant_id,
            wanted,
        )
        .execute(&mut *tx)
        .await
        .map_err(CommerceError::unavailable)?;
    }
    touch(&mut tx, cart_id).await?;
    tx.commit().await.map_err(CommerceError::unavailable)?;
    Ok(variant.product_id)
}

/// The cart as its page shows it, priced now: one query.
pub async fn view(pool: &PgPool, cart_id: Uuid) -> Result<Cart, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT i.variant_id, i.quantity, v.sku, v.options, v.price_minor, v.currency,
               v.on_hand - v.reserved AS "available!", p.slug, p.name,
               img.storage_key AS "storage_key?"
        FROM cart_items i
        JOIN product_variants v ON v.id = i.variant_id
        JOIN products p ON p.id = v.product_id
        LEFT JOIN product_images img ON img.product_id = p.id AND img.position = 0
        WHERE i.cart_id = $1
        ORDER BY i.added_at, v.sku
        "#,
        cart_id
    )
    .fetch_all(pool)
    .await?;
    let mut cart = Cart::default();
    for row in rows {
        let unit_price = Money { minor: row.price_minor, currency: parse_currency(&row.currency)? };
        let line_total = Money { minor: unit_price.minor * i64::from(row.quantity), ..unit_price };
        let subtotal = cart.subtotal.get_or_insert(Money { minor: 0, ..unit_price });
        subtotal.minor += line_total.minor;
        cart.item_count += row.quantity;
        cart.lines.push(CartLine {
            variant_id: row.variant_id,
            sku: row.sku,
            product_slug: row.slug,
            product_name: row.name,
            options: parse_options(row.options)?,
            image_url: row.storage_key.as_deref().map(MediaStore::url),
            unit_price,
            quantity: row.quantity,
            line_total,
            available: row.available,
        });
    }
    Ok(cart)
}

/// Moves a guest's cart into the signed-in user's (quantities add up, capped at the per-line
/// maximum; availability is checked again at checkout) and gives the user the guest's orders.
/// Called when a guest signs in or registers; a no-op without a guest cart.
pub async fn merge_guest_cart(
    conn: &mut PgConnection,
    guest_cart_id: Uuid,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    let guest = sqlx::query_scalar!(
        "SELECT id FROM carts WHERE id = $1 AND user_id IS NULL FOR UPDATE",
        guest_cart_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if guest.is_none() {
        return Ok(());
    }
    let user_cart = upsert_cart(conn, Some(user_id)).await?;
    sqlx::query!(
        r#"
        INSERT INTO cart_items (cart_id, variant_id, quantity, added_at)
        SELECT $2, variant_id, quantity, added_at FROM cart_items WHERE cart_id = $1
        ON CONFLICT (cart_id, variant_id) DO UPDATE
            SET quantity = least(cart_items.quantity + EXCLUDED.quantity, $3)
        "#,
        guest_cart_id,
        user_cart,
        MAX_LINE_QUANTITY,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE orders SET user_id = $2, cart_id = $3 WHERE cart_id = $1 AND user_id IS NULL",
        guest_cart_id,
        user_id,
        user_cart,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("DELETE FROM carts WHERE id = $1", guest_cart_id).execute(&mut *conn).await?;
    Ok(())
}

/// Locks the cart row for the rest of the transaction (changes and checkouts of one cart queue).
pub(crate) async fn lock(conn: &mut PgConnection, cart_id: Uuid) -> Result<(), CommerceError> {
    sqlx::query_scalar!("SELECT id FROM carts WHERE id = $1 FOR UPDATE", cart_id)
        .fetch_optional(conn)
        .await
        .map_err(CommerceError::unavailable)?
        .map(|_| ())
        .ok_or(CommerceError::EmptyCart)
}

async fn touch(conn: &mut PgConnection, cart_id: Uuid) -> Result<(), CommerceError> {
    sqlx::query!("UPDATE carts SET updated_at = now() WHERE id = $1", cart_id)
        .execute(conn)
        .await
        .map_err(CommerceError::unavailable)?;
    Ok(())
}

/// Deletes guest carts unchanged for [`GUEST_CART_DAYS`]: their cookies have expired, so no
/// browser can reach them any more. Orders placed from them keep their own copy of the lines.
/// Deletes in batches, so a large backlog never holds many row locks at once. Returns how many.
pub async fn prune_idle_guest_carts(pool: &PgPool) -> Result<u64, sqlx::Error> {
    const BATCH: i64 = 5_000;
    let mut pruned = 0;
    loop {
        // A cart changed meanwhile is locked by its change, and re-checked here once free.
        let deleted = sqlx::query!(
            r#"
            DELETE FROM carts WHERE id IN (
                SELECT id FROM carts
                WHERE user_id IS NULL AND updated_at < now() - make_interval(days => $1)
                LIMIT $2
            )
              AND user_id IS NULL AND updated_at < now() - make_interval(days => $1)
            "#,
            GUEST_CART_DAYS,
            BATCH,
        )
        .execute(pool)
        .await?
        .rows_affected();
        pruned += deleted;
        if deleted < BATCH as u64 {
            return Ok(pruned);
        }
    }
}

/// Deletes the account's cart and its items (its owner deleted the account).
pub async fn delete_for_user(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM carts WHERE user_id = $1", user_id).execute(conn).await?;
    Ok(())
}
