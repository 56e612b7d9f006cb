//! The shop's own data for the taste model: which products each shopper met (views, cart adds,
//! opened results and recommendations, paid orders), oldest first, and every product's content
//! (its MiniLM text embedding beside its main image's embedding).
//!
//! A shopper is their account when the events carry one (a guest's events join the account at
//! sign-in), else their visitor cookie; a guest's paid order counts under its cart.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::interactions::{Interactions, ItemContent};
use crate::backend::text_model::TEXT_EMBEDDING_DIM as TEXT_DIMS;
use crate::backend::vision::EMBEDDING_DIM as IMAGE_DIMS;

/// A product's content row: its text embedding, then its main image's (zeros for a part it
/// does not have yet).
pub const CONTENT_WIDTH: usize = TEXT_DIMS + IMAGE_DIMS;

/// What a training saw, stored with the version it made.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataWindow {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub products: usize,
    pub shoppers: usize,
    /// Distinct (shopper, product) pairs.
    pub interactions: usize,
}

/// The training data, with the products behind the item indices.
pub struct ShopData {
    /// Item index → product.
    pub products: Vec<Uuid>,
    pub content: ItemContent,
    pub data: Interactions,
    pub window: DataWindow,
}

/// The published products and what shoppers did with them since `from`.
pub async fn gather(pool: &PgPool, from: DateTime<Utc>) -> Result<ShopData, sqlx::Error> {
    let to = Utc::now();
    let products = contents(pool, None).await?;
    let index: HashMap<Uuid, u32> =
        products.iter().enumerate().map(|(i, (id, _))| (*id, i as u32)).collect();
    let rows = sqlx::query!(
        r#"
        SELECT shopper AS "shopper!", product_id AS "product_id!" FROM (
            SELECT coalesce(e.user_id, e.visitor) AS shopper, e.product_id, e.occurred_at AS at
            FROM shopper_events e
            WHERE e.kind IN ('view', 'cart_add', 'search_click', 'rec_click')
              AND e.occurred_at >= $1 AND e.occurred_at <= $2
            UNION ALL
            SELECT coalesce(o.user_id, o.cart_id), v.product_id, o.paid_at
            FROM orders o
            JOIN order_lines l ON l.order_id = o.id
            JOIN product_variants v ON v.id = l.variant_id
            WHERE o.paid_at >= $1 AND o.paid_at <= $2
              AND coalesce(o.user_id, o.cart_id) IS NOT NULL
        ) met
        WHERE product_id IS NOT NULL
        ORDER BY shopper, at
        "#,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    let mut histories: Vec<Vec<u32>> = Vec::new();
    let mut last: Option<Uuid> = None;
    for row in rows {
        // Products hidden since are not learned from (they cannot be shown anyway).
        let Some(&item) = index.get(&row.product_id) else { continue };
        if last != Some(row.shopper) {
            histories.push(Vec::new());
            last = Some(row.shopper);
        }
        histories.last_mut().expect("pushed").push(item);
    }
    histories.retain(|history| !history.is_empty());
    let data = Interactions::new(products.len(), histories);
    let window = DataWindow {
        from,
        to,
        products: products.len(),
        shoppers: data.users(),
        interactions: data.len(),
    };
    let (ids, rows): (Vec<Uuid>, Vec<Vec<f32>>) = products.into_iter().unzip();
    Ok(ShopData {
        products: ids,
        content: ItemContent::new(CONTENT_WIDTH, rows.concat()),
        data,
        window,
    })
}

/// Content rows of the published products (all of them, or those of `only`), by id.
pub async fn contents(
    pool: &PgPool,
    only: Option<&[Uuid]>,
) -> Result<Vec<(Uuid, Vec<f32>)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT p.id, p.text_embedding::real[] AS "text?", m.embedding::real[] AS "image?"
        FROM products p
        LEFT JOIN product_main_images m ON m.product_id = p.id
        WHERE p.published AND ($1::uuid[] IS NULL OR p.id = ANY($1))
        ORDER BY p.id
        "#,
        only as Option<&[Uuid]>
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut content = vec![0.0f32; CONTENT_WIDTH];
            if let Some(text) = row.text.filter(|t| t.len() == TEXT_DIMS) {
                content[..TEXT_DIMS].copy_from_slice(&text);
            }
            if let Some(image) = row.image.filter(|i| i.len() == IMAGE_DIMS) {
                content[TEXT_DIMS..].copy_from_slice(&image);
            }
            (row.id, content)
        })
        .collect())
}
