//! Lists and rows cost a fixed number of SQL queries whatever their size: counted from sqlx's
//! own per-statement events, on this test's thread only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use app::backend::catalog::category_listing;
use app::backend::recs::rows::{recommend, Audience, RowRequest};
use app::backend::search::product_page;
use app::backend::vision::MODEL_VERSION;
use app::types::{ListingQuery, ListingSort, RowKind};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::helpers::TestDb;
use crate::recommendations::{shoppers_with_tastes, small, train, two_kinds};

struct CountQueries(Arc<AtomicUsize>);

impl<S: Subscriber> Layer<S> for CountQueries {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Runs `work` (a read, so it may run again) and counts the statements it sent. The subscriber
/// is this thread's, and the test runtime polls everything on this thread.
async fn queries<T, F: std::future::Future<Output = T>>(work: impl Fn() -> F) -> (T, usize) {
    // Every measured read sends at least one statement, so a count of zero means the counter
    // did not hear them: a callsite first hit on another test's thread, while no subscriber
    // listened anywhere, can keep a cached "never interested" in a race with the registration
    // (seen in full runs even after rebuilding the interest cache once). Measure again then.
    for _ in 0..3 {
        let count = Arc::new(AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry().with(CountQueries(Arc::clone(&count)));
        let _guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        let output = work().await;
        let count = count.load(Ordering::Relaxed);
        if count > 0 {
            return (output, count);
        }
    }
    panic!("no statement was counted in three attempts");
}

/// 150 products with three sizes each in one category, beside the fixture catalog.
async fn big_category(db: &TestDb) {
    sqlx::raw_sql(
        r#"
        INSERT INTO categories (id, slug, name) VALUES (gen_random_uuid(), 'big', 'Big');
        INSERT INTO products (id, category_id, slug, name)
        SELECT gen_random_uuid(), (SELECT id FROM categories WHERE slug = 'big'),
               'item-' || g, 'Item ' || g
        FROM generate_series(1, 150) g;
        INSERT INTO product_variants (id, product_id, sku, options, position, price_minor, currency, on_hand)
        SELECT gen_random_uuid(), p.id, upper(p.slug) || '-' || s.size,
               jsonb_build_object('size', s.size), s.n, 1000 + s.n * 100, 'EUR', s.n
        FROM products p JOIN categories c ON c.id = p.category_id AND c.slug = 'big',
             (VALUES ('S', 0), ('M', 1), ('L', 2)) AS s(size, n);
        "#,
    )
    .execute(&db.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_category_page_costs_the_same_queries_for_10_and_100_products() {
    let db = TestDb::migrated().await;
    big_category(&db).await;
    let query = |per_page| ListingQuery {
        category: "big".into(),
        page: 1,
        per_page,
        in_stock: true,
        sort: ListingSort::PriceDesc,
        ..ListingQuery::default()
    };
    let (ten, hundred) = (query(10), query(100));
    let (small, small_queries) = queries(|| category_listing(&db.pool, &ten)).await;
    let (large, large_queries) = queries(|| category_listing(&db.pool, &hundred)).await;
    let (small, large) = (small.unwrap().unwrap(), large.unwrap().unwrap());
    assert_eq!((small.products.len(), large.products.len()), (10, 100));
    assert_eq!(large.total, 150);
    assert_eq!(small_queries, large_queries);
    assert_eq!(small_queries, 4, "category, subcategories, the page, the filters");
    assert_eq!(large.facets[0].values, ["L", "M", "S"]);
}

#[tokio::test]
async fn a_product_page_costs_the_same_queries_with_1_or_12_variants_and_8_or_100_similar() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    let (few, few_queries) = queries(|| product_page(&db.pool, "teapot", MODEL_VERSION, 8)).await;
    sqlx::raw_sql(
        "INSERT INTO product_variants (id, product_id, sku, options, price_minor, currency)
         SELECT gen_random_uuid(), p.id, 'TEAPOT-' || g, jsonb_build_object('colour', 'c' || g), 900, 'EUR'
         FROM products p, generate_series(1, 11) g WHERE p.slug = 'teapot'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let (many, many_queries) =
        queries(|| product_page(&db.pool, "teapot", MODEL_VERSION, 100)).await;
    let (few, many) = (few.unwrap().unwrap(), many.unwrap().unwrap());
    assert_eq!((few.product.variants.len(), many.product.variants.len()), (1, 12));
    assert_eq!(many.similar.len(), 5, "every other fixture product");
    assert_eq!(few_queries, many_queries);
}

#[tokio::test]
async fn a_row_costs_the_same_few_queries_for_a_short_or_long_history() {
    let db = TestDb::migrated().await;
    let kinds = two_kinds(&db).await;
    shoppers_with_tastes(&db, &kinds, 20).await;
    train(&db, &small()).await;
    let (short, long) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    for (visitor, met) in [(short, &kinds[0][..1]), (long, &kinds[0][..])] {
        for product in met {
            sqlx::query(
                "INSERT INTO shopper_events (visitor, kind, product_id) VALUES ($1, 'view', $2)",
            )
            .bind(visitor)
            .bind(product)
            .execute(&db.pool)
            .await
            .unwrap();
        }
    }
    let audience =
        |visitor| Audience { visitor: Some(visitor), tracked: true, ..Audience::default() };
    let picks = RowRequest::new(RowKind::PickedForYou);
    let (short, long) = (audience(short), audience(long));
    let (few, few_queries) = queries(|| recommend(&db.pool, &short, &picks)).await;
    let (many, many_queries) = queries(|| recommend(&db.pool, &long, &picks)).await;
    let (few, many) = (few.unwrap(), many.unwrap());
    assert!(few.model_version.is_some() && many.model_version.is_some(), "the model's picks");
    assert!(!few.products.is_empty() && !many.products.is_empty());
    assert_eq!(few_queries, many_queries);
    assert_eq!(few_queries, 4, "recent products, the shopper's vector, the index scan, the cards");

    // A guest on a product page: nothing to read about them, no pairs bought yet.
    let also = RowRequest { products: vec![kinds[1][0]], ..RowRequest::new(RowKind::AlsoBought) };
    let guest = Audience::default();
    let (found, guest_queries) = queries(|| recommend(&db.pool, &guest, &also)).await;
    assert!(!found.unwrap().products.is_empty());
    assert_eq!(guest_queries, 4, "pairs, the product's vector, the index scan, the cards");
}
