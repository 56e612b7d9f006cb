//! The rows the shop serves: candidates from the taste model (its vectors in pgvector), from
//! products bought together, and from trending, then the rules every row keeps — never what is
//! hidden, out of stock, already in the cart or bought lately, and no more than a few products
//! of one category while others are to be had.
//!
//! Each row is a handful of indexed queries (at most four, the cards included); what is
//! expensive (training, trending, pairs) is done by jobs ahead of time.

use std::collections::HashMap;

use axum::http::HeaderMap;
use sqlx::PgPool;
use uuid::Uuid;

use super::events::not_tracked;

use super::store::{query_text, shopper_vector};
use crate::backend::catalog;
use crate::backend::search::category_subtree;
use crate::backend::shopper::{visitor, Shopper};
use crate::backend::state::AppState;
use crate::types::{RecommendationRow, RecsError, Refusal, RowKind};

/// Products a row shows unless asked for fewer or more (at most [`MAX_LIMIT`]).
pub const DEFAULT_LIMIT: usize = 8;
pub const MAX_LIMIT: usize = 24;
/// How far back "bought lately" reaches: a product bought within it is not suggested again.
const BOUGHT_DAYS: i32 = 90;
/// The recent products a shopper's vector is made from.
const HISTORY: i64 = 50;
/// Candidates read per source before the rules, per product of the row: enough to fill it
/// after the category cap, few enough that the index scan stays short.
const CANDIDATES_PER_SLOT: usize = 3;

/// Who the row is for. Events are only read when the shopper allows tracking (no Global
/// Privacy Control / Do Not Track); the cart and the orders are what an order needs anyway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    pub visitor: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub cart_id: Option<Uuid>,
    pub tracked: bool,
}

impl Audience {
    /// The audience of a request: its visitor cookie, account and cart, and whether it may be
    /// personalised from its events.
    pub async fn of_request(
        state: &AppState,
        headers: &HeaderMap,
        shopper: &Shopper,
    ) -> Result<Self, RecsError> {
        let cart_id = shopper.cart_id(state).await.map_err(|_| RecsError::Unavailable)?;
        Ok(Self {
            visitor: visitor(headers),
            user_id: shopper.user.as_ref().map(|user| user.id),
            cart_id,
            tracked: !not_tracked(headers),
        })
    }
}

/// What a row is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRequest {
    pub row: RowKind,
    /// What the row goes with: the also-bought row's product, an order's products.
    pub products: Vec<Uuid>,
    /// Only products of this category (its subcategories included), by slug.
    pub category: Option<String>,
    pub limit: usize,
}

impl RowRequest {
    pub fn new(row: RowKind) -> Self {
        Self { row, products: Vec::new(), category: None, limit: DEFAULT_LIMIT }
    }
}

/// What the shop knows of the shopper, as product ids.
#[derive(Debug, Clone, Default)]
struct Known {
    /// What they met lately, newest first (events and paid orders).
    recent: Vec<Uuid>,
    in_cart: Vec<Uuid>,
    bought: Vec<Uuid>,
}

/// A candidate and its category (for the cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    product: Uuid,
    category: Uuid,
}

/// The row `request` for `audience`.
pub async fn recommend(
    pool: &PgPool,
    audience: &Audience,
    request: &RowRequest,
) -> Result<RecommendationRow, RecsError> {
    serve(pool, audience, request).await.map_err(|err| match err {
        Failure::Refused(refusal) => refusal,
        Failure::Database(err) => RecsError::unavailable(err),
    })
}

/// A row's failures before they are told: a refusal, or ours.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Refused(#[from] RecsError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

async fn serve(
    pool: &PgPool,
    audience: &Audience,
    request: &RowRequest,
) -> Result<RecommendationRow, Failure> {
    let limit = request.limit.clamp(1, MAX_LIMIT);
    let categories = match &request.category {
        Some(slug) => Some(
            category_subtree(pool, slug)
                .await?
                .ok_or_else(|| RecsError::UnknownCategory(slug.clone()))?,
        ),
        None => None,
    };
    let categories = categories.as_deref();
    // Only the rows made from what the shopper met read their recent products.
    let with_recent = matches!(request.row, RowKind::PickedForYou | RowKind::CompleteYourOrder);
    let known = known(pool, audience, with_recent).await?;
    let take = (limit * CANDIDATES_PER_SLOT) as i64;
    let mut exclude: Vec<Uuid> = known.in_cart.iter().chain(&known.bought).copied().collect();
    let (title, found) = match request.row {
        RowKind::PickedForYou => {
            let met: Vec<Uuid> = known.recent.iter().chain(&exclude).copied().collect();
            exclude.extend(&known.recent);
            match model_candidates(pool, &met, &exclude, categories, take).await? {
                Some(picks) if !picks.candidates.is_empty() => ("Picked for you", picks),
                _ => ("Trending now", Found::trending(pool, &exclude, categories, take).await?),
            }
        }
        RowKind::AlsoBought | RowKind::OrderEmail => {
            if request.products.is_empty() {
                return Err(RecsError::ProductRequired.into());
            }
            exclude.extend(&request.products);
            let found =
                goes_with(pool, &request.products, &request.products, &exclude, categories, limit)
                    .await?;
            match request.row {
                // An email goes out once: with nothing that goes with the order yet, what is
                // popular is still a fair suggestion (on a product's page it would mislabel).
                RowKind::OrderEmail if found.candidates.is_empty() => (
                    "You might also like",
                    Found::trending(pool, &exclude, categories, take).await?,
                ),
                RowKind::OrderEmail => ("You might also like", found),
                _ => ("Customers also bought", found),
            }
        }
        RowKind::CompleteYourOrder => {
            let met: Vec<Uuid> = known.in_cart.iter().chain(&known.recent).copied().collect();
            let found = goes_with(pool, &known.in_cart, &met, &exclude, categories, limit).await?;
            ("Complete your order", found)
        }
        RowKind::Trending => {
            ("Trending now", Found::trending(pool, &exclude, categories, take).await?)
        }
    };
    let picked = diverse(&found.candidates, limit);
    let products = catalog::cards_by_ids(pool, &picked).await?;
    Ok(RecommendationRow {
        row: request.row,
        title: title.to_owned(),
        model_version: found.model_version,
        products,
    })
}

/// A row's candidates, best first, and the model version when the taste model gave any.
#[derive(Debug, Clone, Default)]
struct Found {
    candidates: Vec<Candidate>,
    model_version: Option<String>,
}

impl Found {
    async fn trending(
        pool: &PgPool,
        exclude: &[Uuid],
        categories: Option<&[Uuid]>,
        take: i64,
    ) -> Result<Self, sqlx::Error> {
        let candidates = trending(pool, exclude, categories, take).await?;
        Ok(Self { candidates, model_version: None })
    }
}

/// The products of order `order_id` (what its confirmation email's picks go with).
pub async fn order_products(pool: &PgPool, order_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        SELECT DISTINCT v.product_id FROM order_lines l
        JOIN product_variants v ON v.id = l.variant_id
        WHERE l.order_id = $1
        "#,
        order_id
    )
    .fetch_all(pool)
    .await
}

/// What goes with `anchors`: products bought together with them (lift), then, when that
/// leaves the row short, the taste model's picks for a shopper who met `met`. Nothing without
/// anchors.
async fn goes_with(
    pool: &PgPool,
    anchors: &[Uuid],
    met: &[Uuid],
    exclude: &[Uuid],
    categories: Option<&[Uuid]>,
    limit: usize,
) -> Result<Found, sqlx::Error> {
    if anchors.is_empty() {
        return Ok(Found::default());
    }
    let take = (limit * CANDIDATES_PER_SLOT) as i64;
    let mut found = bought_with(pool, anchors, exclude, categories, take).await?;
    let mut model_version = None;
    if found.len() < limit {
        if let Some(more) = model_candidates(pool, met, exclude, categories, take).await? {
            model_version = (!more.candidates.is_empty()).then_some(more.model_version).flatten();
            found.extend(more.candidates);
        }
    }
    Ok(Found { candidates: found, model_version })
}

/// Keeps the order but takes at most a third of the row (two at least) from one category
/// while candidates of other categories remain; fills up from the rest when they run out.
/// Repeats (a product from two sources) count once.
fn diverse(candidates: &[Candidate], limit: usize) -> Vec<Uuid> {
    let cap = (limit / 3).max(2);
    let mut per_category: HashMap<Uuid, usize> = HashMap::new();
    let mut picked: Vec<Uuid> = Vec::with_capacity(limit);
    let mut passed: Vec<Uuid> = Vec::new();
    for candidate in candidates {
        if picked.len() == limit {
            break;
        }
        if picked.contains(&candidate.product) || passed.contains(&candidate.product) {
            continue;
        }
        let count = per_category.entry(candidate.category).or_default();
        if *count < cap {
            *count += 1;
            picked.push(candidate.product);
        } else {
            passed.push(candidate.product);
        }
    }
    let room = limit - picked.len();
    picked.extend(passed.into_iter().take(room));
    picked
}

/// The shopper's recent products, cart and recent purchases: two queries at most, none for
/// a shopper the shop knows nothing of.
async fn known(
    pool: &PgPool,
    audience: &Audience,
    with_recent: bool,
) -> Result<Known, sqlx::Error> {
    let someone = audience.visitor.is_some() || audience.user_id.is_some();
    let recent = if with_recent && audience.tracked && someone {
        sqlx::query_scalar!(
            r#"
            SELECT product_id AS "product_id!" FROM (
                SELECT e.product_id, max(e.occurred_at) AS at
                FROM shopper_events e
                WHERE (e.visitor = $1 OR e.user_id = $2)
                  AND e.kind IN ('view', 'cart_add', 'search_click', 'rec_click')
                GROUP BY e.product_id
                UNION ALL
                SELECT v.product_id, max(o.paid_at)
                FROM orders o
                JOIN order_lines l ON l.order_id = o.id
                JOIN product_variants v ON v.id = l.variant_id
                WHERE o.user_id = $2 AND o.paid_at IS NOT NULL
                GROUP BY v.product_id
            ) met
            WHERE product_id IS NOT NULL
            GROUP BY product_id
            ORDER BY max(at) DESC
            LIMIT $3
            "#,
            audience.visitor,
            audience.user_id,
            HISTORY
        )
        .fetch_all(pool)
        .await?
    } else {
        Vec::new()
    };
    if audience.user_id.is_none() && audience.cart_id.is_none() {
        return Ok(Known { recent, ..Known::default() });
    }
    let owned = sqlx::query!(
        r#"
        SELECT v.product_id, bool_or(owned.in_cart) AS "in_cart!", bool_or(NOT owned.in_cart) AS "bought!"
        FROM (
            SELECT c.variant_id, true AS in_cart FROM cart_items c WHERE c.cart_id = $2
            UNION ALL
            SELECT l.variant_id, false
            FROM orders o
            JOIN order_lines l ON l.order_id = o.id
            WHERE o.paid_at > now() - make_interval(days => $3)
              AND ((o.user_id IS NOT NULL AND o.user_id = $1)
                   OR (o.cart_id IS NOT NULL AND o.cart_id = $2))
        ) owned
        JOIN product_variants v ON v.id = owned.variant_id
        GROUP BY v.product_id
        "#,
        audience.user_id,
        audience.cart_id,
        BOUGHT_DAYS
    )
    .fetch_all(pool)
    .await?;
    let pick = |take: fn(&bool, &bool) -> bool| {
        owned
            .iter()
            .filter(|row| take(&row.in_cart, &row.bought))
            .map(|row| row.product_id)
            .collect()
    };
    Ok(Known { recent, in_cart: pick(|in_cart, _| *in_cart), bought: pick(|_, bought| *bought) })
}

/// The active taste model's best products for a shopper who met `met`, by its vectors in
/// pgvector; `None` when there is no active version or it knows none of `met`. The pool's
/// sessions scan the index iteratively (`runtime::database::pool`), so the filters are applied
/// during the scan and the row is not cut short.
async fn model_candidates(
    pool: &PgPool,
    met: &[Uuid],
    exclude: &[Uuid],
    categories: Option<&[Uuid]>,
    take: i64,
) -> Result<Option<Found>, sqlx::Error> {
    if met.is_empty() {
        return Ok(None);
    }
    let Some(shopper) = shopper_vector(pool, met).await? else {
        return Ok(None);
    };
    let candidates = sqlx::query_as!(
        Candidate,
        r#"
        SELECT r.product_id AS product, p.category_id AS category
        FROM recommendation_vectors r
        JOIN products p ON p.id = r.product_id
        WHERE r.version_id = $1
          AND NOT (r.product_id = ANY($3))
          AND ($4::uuid[] IS NULL OR p.category_id = ANY($4))
          AND recommendable(r.product_id)
        ORDER BY r.item <#> $2::text::vector
        LIMIT $5
        "#,
        shopper.version_id,
        query_text(&shopper.vector),
        exclude,
        categories as Option<&[Uuid]>,
        take
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(Found { candidates, model_version: Some(shopper.version) }))
}

/// Products in baskets with `anchors` more often than chance (lift above 1), best first.
async fn bought_with(
    pool: &PgPool,
    anchors: &[Uuid],
    exclude: &[Uuid],
    categories: Option<&[Uuid]>,
    take: i64,
) -> Result<Vec<Candidate>, sqlx::Error> {
    sqlx::query_as!(
        Candidate,
        r#"
        SELECT pp.other_id AS product, p.category_id AS category
        FROM product_pairs pp
        JOIN products p ON p.id = pp.other_id
        WHERE pp.product_id = ANY($1) AND pp.lift > 1
          AND NOT (pp.other_id = ANY($2))
          AND ($3::uuid[] IS NULL OR p.category_id = ANY($3))
          AND recommendable(pp.other_id)
        GROUP BY pp.other_id, p.category_id
        ORDER BY sum(pp.lift) DESC, pp.other_id
        LIMIT $4
        "#,
        anchors,
        exclude,
        categories as Option<&[Uuid]>,
        take
    )
    .fetch_all(pool)
    .await
}

/// Trending products, then the newest (a shop without history yet still has a row).
async fn trending(
    pool: &PgPool,
    exclude: &[Uuid],
    categories: Option<&[Uuid]>,
    take: i64,
) -> Result<Vec<Candidate>, sqlx::Error> {
    sqlx::query_as!(
        Candidate,
        r#"
        SELECT product AS "product!", category AS "category!" FROM (
            (SELECT t.product_id AS product, t.category_id AS category, t.score AS score,
                    NULL::timestamptz AS created_at
             FROM trending_products t
             WHERE NOT (t.product_id = ANY($1))
               AND ($2::uuid[] IS NULL OR t.category_id = ANY($2))
               AND recommendable(t.product_id)
             ORDER BY t.score DESC
             LIMIT $3)
            UNION ALL
            (SELECT p.id, p.category_id, 0, p.created_at
             FROM products p
             WHERE p.published AND NOT (p.id = ANY($1))
               AND ($2::uuid[] IS NULL OR p.category_id = ANY($2))
               AND recommendable(p.id)
             ORDER BY p.created_at DESC
             LIMIT $3)
        ) ranked
        ORDER BY score DESC, created_at DESC NULLS FIRST, product
        LIMIT $3
        "#,
        exclude,
        categories as Option<&[Uuid]>,
        take
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_takes_a_third_of_the_row_while_others_remain() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let candidates: Vec<Candidate> = (0..8)
            .map(|i| Candidate { product: Uuid::from_u128(10 + i), category: a })
            .chain([Candidate { product: Uuid::from_u128(99), category: b }])
            .collect();
        let picked = diverse(&candidates, 6);
        // Two of category a, then b's one, then a's again to fill the row.
        assert_eq!(picked.len(), 6);
        assert_eq!(picked[..3], [Uuid::from_u128(10), Uuid::from_u128(11), Uuid::from_u128(99)]);
        assert_eq!(picked[3..], [Uuid::from_u128(12), Uuid::from_u128(13), Uuid::from_u128(14)]);
    }

    #[test]
    fn a_product_from_two_sources_counts_once() {
        let a = Uuid::from_u128(1);
        let one = Candidate { product: Uuid::from_u128(5), category: a };
        assert_eq!(diverse(&[one, one], 4), vec![one.product]);
    }

    #[test]
    fn row_names_round_trip() {
        for row in RowKind::ALL {
            assert_eq!(RowKind::parse(row.name()), Some(row));
        }
        assert_eq!(RowKind::parse("bestsellers"), None);
    }
}
