//! Recommendations on a real database: a small taste model trained end to end and served from
//! pgvector; the rows' exclusions (cart, bought, hidden, out of stock); a product added after
//! training placed by its content; activating and rolling back through the registry, audited;
//! bought-together by lift and trending from events; the JSON API's refusals.
//!
//! The catalog is two kinds of products whose text embeddings say which kind they are, and
//! the shoppers keep to one kind each: what a model must pick up.

use app::backend::audit::Actor;
use app::backend::catalog::{upsert_category, upsert_product, upsert_variant, CategoryUpsert};
use app::backend::catalog::{ProductUpsert, VariantUpsert};
use app::backend::inventory::{self, StockLine};
use app::backend::model_registry;
use app::backend::recs::holdout::RecsMetrics;
use app::backend::recs::train::TrainParams;
use app::backend::recs::{versions, TrainRecs, KIND};
use app::types::{Currency, Money, RecommendationRow, VariantOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use uuid::Uuid;
use vitrine::jobs::progress::Reporter;
use vitrine::jobs::recs_upkeep::Placer;
use vitrine::jobs::train_recs::{train_and_activate, Outcome};

use crate::helpers::{answer, TestApp, TestDb};

/// Products of each kind.
const PER_KIND: usize = 12;
const KINDS: [&str; 2] = ["lamps", "mugs"];

/// A catalog of two kinds: returns the products of each, in slug order.
pub(crate) async fn two_kinds(db: &TestDb) -> Vec<Vec<Uuid>> {
    let mut kinds = Vec::new();
    for (kind, slug) in KINDS.iter().enumerate() {
        let mut ids = Vec::new();
        for n in 0..PER_KIND {
            ids.push(product(db, slug, &format!("{slug}-{n:02}"), kind, 10).await.0);
        }
        kinds.push(ids);
    }
    kinds
}

/// A product of `category` with one variant of `stock` units and a text embedding that says
/// its kind (one axis per kind, a little noise): `(product, variant)`.
async fn product(db: &TestDb, category: &str, slug: &str, kind: usize, stock: i32) -> (Uuid, Uuid) {
    let mut tx = db.pool.begin().await.unwrap();
    let category = CategoryUpsert { slug: category, name: category, parent_slug: None };
    let category_id = upsert_category(&mut tx, &category).await.unwrap();
    let name = slug.replace('-', " ");
    let upsert = ProductUpsert { slug, name: &name, description: "", category_id };
    let product_id = upsert_product(&mut tx, &upsert).await.unwrap();
    let options = VariantOptions::new();
    let sku = slug.to_uppercase();
    let variant = VariantUpsert {
        product_id,
        sku: &sku,
        options: &options,
        position: 0,
        price: Money { minor: 1000, currency: Currency::Eur },
    };
    let (variant_id, _) = upsert_variant(&mut tx, &variant).await.unwrap();
    if stock > 0 {
        inventory::receive(&mut tx, StockLine { variant_id, quantity: stock }, None, "test")
            .await
            .unwrap();
    }
    let mut rng = StdRng::seed_from_u64(slug.bytes().map(u64::from).sum());
    let mut embedding: Vec<f32> = (0..384).map(|_| rng.random_range(-0.02..0.02)).collect();
    embedding[kind] = 1.0;
    sqlx::query(
        "UPDATE products SET text_embedding = $2::real[]::vector, text_embedding_model = 'test',
                text_embedding_checksum = 'test' WHERE id = $1",
    )
    .bind(product_id)
    .bind(&embedding)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (product_id, variant_id)
}

/// `shoppers` visitors, each keeping to one kind (alternately) and viewing 4 of its products.
pub(crate) async fn shoppers_with_tastes(db: &TestDb, kinds: &[Vec<Uuid>], shoppers: usize) {
    let mut rng = StdRng::seed_from_u64(11);
    for shopper in 0..shoppers {
        let visitor = Uuid::new_v4();
        let kind = &kinds[shopper % kinds.len()];
        for minutes in 0..4 {
            let product = kind[rng.random_range(0..kind.len())];
            view(db, visitor, product, 60 - minutes).await;
        }
    }
}

async fn view(db: &TestDb, visitor: Uuid, product: Uuid, minutes_ago: i64) {
    sqlx::query(
        "INSERT INTO shopper_events (visitor, kind, product_id, occurred_at)
         VALUES ($1, 'view', $2, now() - make_interval(mins => $3::int))",
    )
    .bind(visitor)
    .bind(product)
    .bind(minutes_ago as i32)
    .execute(&db.pool)
    .await
    .unwrap();
}

pub(crate) fn small() -> TrainRecs {
    let params = TrainParams { epochs: 30, learning_rate: 1e-2, ..TrainParams::default() };
    TrainRecs { params: Some(params), force_activate: false }
}

pub(crate) async fn train(db: &TestDb, request: &TrainRecs) -> Outcome {
    train_and_activate(&db.pool, request, Actor::Command, &Reporter::Quiet).await.unwrap()
}

/// Row `path` (`/api/recommendations/…`) for the browser with visitor cookie `visitor`.
async fn row(app: &TestApp, path: &str, visitor: Uuid) -> RecommendationRow {
    let response = app
        .client
        .get(app.url(path))
        .header("cookie", format!("vitrine_visitor={visitor}"))
        .send()
        .await
        .unwrap();
    answer::<RecommendationRow>(response).await.ok()
}

/// How many of `row`'s products are among `ids`.
fn of(row: &RecommendationRow, ids: &[Uuid]) -> usize {
    row.products.iter().filter(|product| ids.contains(&product.id)).count()
}

#[tokio::test]
async fn a_small_model_is_trained_measured_stored_and_serves_picks_of_the_shoppers_kind() {
    let db = TestDb::migrated().await;
    let kinds = two_kinds(&db).await;
    shoppers_with_tastes(&db, &kinds, 40).await;

    let outcome = train(&db, &small()).await;
    assert!(outcome.activated, "the first version is activated");
    let metrics = outcome.metrics;
    assert!(metrics.taste.users > 0 && metrics.popularity.users == metrics.taste.users);
    // Two kinds, each shopper keeping to one: the model must do better than the popular items.
    assert!(metrics.taste.recall > metrics.popularity.recall, "{metrics:?}");
    let stored = model_registry::active(&db.pool, KIND).await.unwrap().expect("an active version");
    assert_eq!(stored.version, outcome.version);
    let saved: RecsMetrics = serde_json::from_value(stored.metrics.clone()).unwrap();
    // jsonb keeps numbers as numeric: the last digit of a double may differ.
    assert!((saved.taste.ndcg - metrics.taste.ndcg).abs() < 1e-12, "{saved:?}");
    assert_eq!(saved.taste.users, metrics.taste.users);
    assert_eq!(stored.data["window"]["shoppers"], 40);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM recommendation_vectors")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, (2 * PER_KIND) as i64);

    let app = TestApp::spawn(db).await;
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["checks"]["recommender"]["detail"], outcome.version.as_str());

    // A new visitor who looked at two lamps is offered lamps, by this version.
    let visitor = Uuid::new_v4();
    view(&app.db, visitor, kinds[0][0], 2).await;
    view(&app.db, visitor, kinds[0][1], 1).await;
    // A row of 8 takes at most two of a category while others remain: two lamps first, then
    // the best two mugs, then lamps again.
    let picks = row(&app, "/api/recommendations/picked_for_you?limit=8", visitor).await;
    assert_eq!(picks.model_version.as_deref(), Some(outcome.version.as_str()));
    assert_eq!(picks.title, "Picked for you");
    assert_eq!(picks.products.len(), 8);
    assert_eq!(of(&picks, &kinds[0]), 6, "{:?}", picks.products);
    assert_eq!(of(&picks, &kinds[0][..2]), 0, "what they met is not offered again");
    assert!(picks.products[..2].iter().all(|p| kinds[0].contains(&p.id)), "{:?}", picks.products);

    // The row was recorded as impressions.
    app.events.flush().await;
    let impressions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM shopper_events WHERE kind = 'rec_impression' AND visitor = $1
         AND row_name = 'picked_for_you' AND model_version = $2",
    )
    .bind(visitor)
    .bind(&outcome.version)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(impressions, 8);
}

#[tokio::test]
async fn the_rows_never_offer_what_is_in_the_cart_bought_hidden_or_sold_out() {
    let db = TestDb::migrated().await;
    let kinds = two_kinds(&db).await;
    shoppers_with_tastes(&db, &kinds, 40).await;
    train(&db, &small()).await;
    let lamps = &kinds[0];
    // One lamp hidden, one sold out (its only unit held by a paying checkout).
    sqlx::query("UPDATE products SET published = false WHERE id = $1")
        .bind(lamps[5])
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE product_variants SET reserved = on_hand WHERE product_id = $1")
        .bind(lamps[6])
        .execute(&db.pool)
        .await
        .unwrap();
    let app = TestApp::spawn(db).await;
    let shopper = crate::helpers::TestShopper::new(&app);
    // The shopper carts a lamp (recorded as a cart_add under their new visitor cookie).
    let variant: Uuid = sqlx::query_scalar("SELECT id FROM product_variants WHERE product_id = $1")
        .bind(lamps[7])
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    shopper.add(variant, 1).await.ok();
    app.events.flush().await;
    for path in [
        "/api/recommendations/picked_for_you?limit=24",
        "/api/recommendations/complete_your_order?limit=24",
        "/api/recommendations/trending?limit=24",
    ] {
        let found: RecommendationRow = shopper.get(path).await.ok();
        assert!(!found.products.is_empty(), "{path}");
        for excluded in [lamps[5], lamps[6], lamps[7]] {
            assert!(found.products.iter().all(|p| p.id != excluded), "{path}: {excluded}");
        }
    }
    let also: RecommendationRow = shopper
        .get(&format!("/api/recommendations/also_bought?product={}&limit=24", lamps[0]))
        .await
        .ok();
    assert!(also
        .products
        .iter()
        .all(|p| ![lamps[0], lamps[5], lamps[6], lamps[7]].contains(&p.id)));
}

#[tokio::test]
async fn a_product_added_after_training_is_placed_by_its_content_and_picked() {
    let db = TestDb::migrated().await;
    let kinds = two_kinds(&db).await;
    shoppers_with_tastes(&db, &kinds, 40).await;
    train(&db, &small()).await;
    // A lamp added a minute ago: no shopper has met it; the trigger queues its placing.
    let (new_lamp, _) = product(&db, "lamps", "lamps-new", 0, 5).await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'place_products'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(queued, 1);
    assert_eq!(Placer::new(db.pool.clone()).place().await.unwrap(), 1);
    let app = TestApp::spawn(db).await;
    let visitor = Uuid::new_v4();
    for (minutes, &lamp) in kinds[0][..3].iter().enumerate() {
        view(&app.db, visitor, lamp, minutes as i64 + 1).await;
    }
    // A row of 24 takes up to 8 of a category before others: the new lamp comes among the lamp
    // lover's first 8 and after the mug lover's 8 mugs.
    let position = |found: &RecommendationRow| {
        found.products.iter().position(|p| p.id == new_lamp).expect("the new lamp is in the row")
    };
    let picks = row(&app, "/api/recommendations/picked_for_you?limit=24", visitor).await;
    assert!(position(&picks) < 8, "{:?}", picks.products);
    let mug_lover = Uuid::new_v4();
    for (minutes, &mug) in kinds[1][..3].iter().enumerate() {
        view(&app.db, mug_lover, mug, minutes as i64 + 1).await;
    }
    let picks = row(&app, "/api/recommendations/picked_for_you?limit=24", mug_lover).await;
    assert!(position(&picks) >= 8, "{:?}", picks.products);
}

#[tokio::test]
async fn an_older_version_is_activated_audited_and_serves_while_a_worse_one_waits() {
    let db = TestDb::migrated().await;
    let kinds = two_kinds(&db).await;
    shoppers_with_tastes(&db, &kinds, 40).await;
    let first = train(&db, &small()).await;
    // A version trained for one epoch scores below the active one: stored, not activated.
    let weak = TrainRecs {
        params: Some(TrainParams {
            epochs: 1,
            learning_rate: 1e-4,
            seed: 3,
            ..TrainParams::default()
        }),
        force_activate: false,
    };
    let second = train(&db, &weak).await;
    assert!(second.metrics.ndcg() < first.metrics.ndcg(), "{second:?} vs {first:?}");
    assert!(!second.activated);
    let active = model_registry::active(&db.pool, KIND).await.unwrap().unwrap();
    assert_eq!(active.version, first.version);

    // Activating it by hand (a roll forward, then back) moves the rows with it.
    versions::activate(&db.pool, &second.version, Actor::Command).await.unwrap();
    let serving: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT version_id FROM recommendation_vectors")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let second_id = model_registry::by_name(&db.pool, &second.version).await.unwrap().unwrap().id;
    assert_eq!(serving, vec![second_id]);
    versions::activate(&db.pool, &first.version, Actor::Command).await.unwrap();
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT entity_id FROM audit_log WHERE action = 'models.version.activate' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(audited, vec![first.version.clone(), second.version.clone(), first.version.clone()]);
    let app = TestApp::spawn(db).await;
    let visitor = Uuid::new_v4();
    view(&app.db, visitor, kinds[1][0], 1).await;
    let picks = row(&app, "/api/recommendations/picked_for_you", visitor).await;
    assert_eq!(picks.model_version.as_deref(), Some(first.version.as_str()));
    assert!(matches!(
        versions::activate(&app.db.pool, "recommender-19700101-1", Actor::Command).await,
        Err(versions::ActivateError::UnknownVersion(_))
    ));
}

#[tokio::test]
async fn bought_together_is_by_lift_and_trending_follows_the_events() {
    let db = TestDb::migrated().await;
    let kinds = two_kinds(&db).await;
    let (lamps, mugs) = (&kinds[0], &kinds[1]);
    // Carts: lamp 0 with mug 0 three times; mug 1 is in every cart (popular, no more likely
    // with lamp 0 than without it).
    let baskets: Vec<Vec<Uuid>> = vec![
        vec![lamps[0], mugs[0], mugs[1]],
        vec![lamps[0], mugs[0], mugs[1]],
        vec![lamps[0], mugs[0], mugs[1]],
        vec![lamps[1], mugs[1]],
        vec![lamps[2], mugs[1]],
        vec![lamps[0], mugs[1]],
    ];
    for basket in &baskets {
        let cart = Uuid::new_v4();
        sqlx::query("INSERT INTO carts (id) VALUES ($1)")
            .bind(cart)
            .execute(&db.pool)
            .await
            .unwrap();
        for product in basket {
            sqlx::query(
                "INSERT INTO cart_items (cart_id, variant_id, quantity)
                 SELECT $1, id, 1 FROM product_variants WHERE product_id = $2",
            )
            .bind(cart)
            .bind(product)
            .execute(&db.pool)
            .await
            .unwrap();
        }
    }
    // Lamp 3 viewed a lot today, lamp 4 as much but a month ago.
    for _ in 0..5 {
        view(&db, Uuid::new_v4(), lamps[3], 10).await;
        view(&db, Uuid::new_v4(), lamps[4], 29 * 24 * 60).await;
    }
    let refreshed = app::backend::recs::companions::refresh(&db.pool).await.unwrap();
    assert!(refreshed.pairs > 0 && refreshed.trending == 2, "{refreshed:?}");
    let app = TestApp::spawn(db).await;
    let visitor = Uuid::new_v4();
    let also =
        row(&app, &format!("/api/recommendations/also_bought?product={}", lamps[0]), visitor).await;
    // No model is active: the row is lift alone, and mug 1 (lift 1) is not in it.
    assert_eq!(also.model_version, None);
    assert_eq!(also.products.iter().map(|p| p.id).collect::<Vec<_>>(), vec![mugs[0]]);
    let trending = row(&app, "/api/recommendations/trending?category=lamps", visitor).await;
    assert_eq!(trending.products[0].id, lamps[3]);
    assert_eq!(trending.products[1].id, lamps[4]);
    assert!(trending.products.iter().all(|p| lamps.contains(&p.id)));
    // Nobody is known: picked-for-you falls back to trending.
    let picks = row(&app, "/api/recommendations/picked_for_you", Uuid::new_v4()).await;
    assert_eq!(picks.title, "Trending now");
    assert_eq!(picks.products[0].id, lamps[3]);
}

#[tokio::test]
async fn the_api_refuses_unknown_rows_and_categories_and_also_bought_without_a_product() {
    let db = TestDb::migrated().await;
    let app = TestApp::spawn(db).await;
    for (path, status, code) in [
        ("/api/recommendations/bestsellers", 404, "unknown_row"),
        ("/api/recommendations/trending?category=no-such", 404, "unknown_category"),
        ("/api/recommendations/also_bought", 400, "product_required"),
        ("/api/recommendations/trending?limit=many", 400, "bad_request"),
    ] {
        let answer = answer::<RecommendationRow>(app.get(path).await).await;
        assert_eq!(answer.refusal(), (status, code), "{path}");
    }
}
