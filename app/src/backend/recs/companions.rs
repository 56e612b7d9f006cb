//! The rows' companions to the taste model, rebuilt whole by the `refresh_recs` job:
//!
//! - **trending**: time-decayed popularity over the last 30 days (half-life 3 days) of views,
//!   cart adds, opened results and recommendations, and paid orders, each kind weighted by
//!   how much it says (a purchase more than a view);
//! - **bought together**: pairs of products in the same basket (a paid order or a cart) at
//!   least twice, with their lift `P(a and b) / (P(a) P(b))` over all baskets, so a pair of
//!   popular products is not mistaken for a pair that goes together.

use sqlx::PgPool;

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Refreshed {
    pub trending: u64,
    pub pairs: u64,
}

/// Rebuilds both tables, each in one transaction (readers see the old rows until it commits).
pub async fn refresh(pool: &PgPool) -> Result<Refreshed, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("DELETE FROM trending_products").execute(&mut *tx).await?;
    let trending = sqlx::query!(
        r#"
        INSERT INTO trending_products (product_id, category_id, score)
        SELECT p.id, p.category_id, sum(m.weight * power(0.5, m.age_days / 3.0))::real
        FROM (
            SELECT e.product_id,
                   CASE e.kind WHEN 'cart_add' THEN 3.0 ELSE 1.0 END AS weight,
                   extract(epoch FROM now() - e.occurred_at) / 86400.0 AS age_days
            FROM shopper_events e
            WHERE e.kind IN ('view', 'cart_add', 'search_click', 'rec_click')
              AND e.occurred_at > now() - interval '30 days'
            UNION ALL
            SELECT v.product_id, 5.0 * l.quantity, extract(epoch FROM now() - o.paid_at) / 86400.0
            FROM orders o
            JOIN order_lines l ON l.order_id = o.id
            JOIN product_variants v ON v.id = l.variant_id
            WHERE o.paid_at > now() - interval '30 days'
        ) m
        JOIN products p ON p.id = m.product_id
        GROUP BY p.id, p.category_id
        "#
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;

    let mut tx = pool.begin().await?;
    sqlx::query!("DELETE FROM product_pairs").execute(&mut *tx).await?;
    let pairs = sqlx::query!(
        r#"
        WITH baskets AS (
            SELECT DISTINCT o.id AS basket, v.product_id
            FROM orders o
            JOIN order_lines l ON l.order_id = o.id
            JOIN product_variants v ON v.id = l.variant_id
            WHERE o.paid_at IS NOT NULL
            UNION
            SELECT DISTINCT c.cart_id, v.product_id
            FROM cart_items c JOIN product_variants v ON v.id = c.variant_id
        ),
        baskets_of AS (SELECT product_id, count(*) AS n FROM baskets GROUP BY product_id),
        total AS (SELECT count(DISTINCT basket)::real AS n FROM baskets),
        together AS (
            SELECT a.product_id, b.product_id AS other_id, count(*) AS n
            FROM baskets a JOIN baskets b ON b.basket = a.basket AND b.product_id <> a.product_id
            GROUP BY a.product_id, b.product_id
            HAVING count(*) >= 2
        )
        INSERT INTO product_pairs (product_id, other_id, together, lift)
        SELECT t.product_id, t.other_id, t.n, (t.n * total.n / (a.n * b.n))::real
        FROM together t
        JOIN baskets_of a ON a.product_id = t.product_id
        JOIN baskets_of b ON b.product_id = t.other_id
        CROSS JOIN total
        "#
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(Refreshed { trending, pairs })
}
