//! Lists and rows cost a fixed number of SQL queries whatever their size: counted from sqlx's
//! own per-statement events, on this test's thread only.

use std::cell::Cell;
use std::sync::Once;

use app::backend::catalog::category_listing;
use app::backend::recs::rows::{recommend, Audience, RowRequest};
use app::backend::search::product_page;
use app::backend::vision::MODEL_VERSION;
use app::types::{ListingQuery, ListingSort, RowKind};
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::helpers::TestDb;
use crate::recommendations::{shoppers_with_tastes, small, train, two_kinds};

thread_local! {
    /// The statements counted on this thread, while [`queries`] counts (`None` otherwise).
    static COUNTED: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Counts sqlx's per-statement events into the thread's [`COUNTED`]. It is the binary's one
/// global subscriber and answers "sometimes" for sqlx's callsites, so whether an event is
/// wanted is asked on every event, on its thread. (A subscriber per test, set as the thread's
/// default, raced with callsites first hit on other threads: their interest could be cached as
/// "never", and a full run once counted zero statements.)
struct CountQueries;

impl<S: Subscriber> Layer<S> for CountQueries {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target() == "sqlx::query" {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.target() == "sqlx::query" && COUNTED.with(|counted| counted.get().is_some())
    }

    fn on_event(&self, _: &tracing::Event<'_>, _: Context<'_, S>) {
        COUNTED.with(|counted| counted.set(counted.get().map(|n| n + 1)));
    }
}

/// Runs `work` and counts the statements it sent. The test runtime polls everything on this
/// thread.
async fn queries<T>(work: impl std::future::Future<Output = T>) -> (T, usize) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CountQueries))
            .expect("no other global subscriber in the test binary");
    });
    COUNTED.with(|counted| counted.set(Some(0)));
    let output = work.await;
    let count = COUNTED.with(|counted| counted.take()).expect("counting");
    (output, count)
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
    let (small, small_queries) = queries(category_listing(&db.pool, &query(10))).await;
    let (large, large_queries) = queries(category_listing(&db.pool, &query(100))).await;
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
    let (few, few_queries) = queries(product_page(&db.pool, "teapot", MODEL_VERSION, 8)).await;
    sqlx::raw_sql(
        "INSERT INTO product_variants (id, product_id, sku, options, price_minor, currency)
         SELECT gen_random_uuid(), p.id, 'TEAPOT-' || g, jsonb_build_object('colour', 'c' || g), 900, 'EUR'
         FROM products p, generate_series(1, 11) g WHERE p.slug = 'teapot'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let (many, many_queries) = queries(product_page(&db.pool, "teapot", MODEL_VERSION, 100)).await;
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
    let (few, few_queries) = queries(recommend(&db.pool, &audience(short), &picks)).await;
    let (many, many_queries) = queries(recommend(&db.pool, &audience(long), &picks)).await;
    let (few, many) = (few.unwrap(), many.unwrap());
    assert!(few.model_version.is_some() && many.model_version.is_some(), "the model's picks");
    assert!(!few.products.is_empty() && !many.products.is_empty());
    assert_eq!(few_queries, many_queries);
    assert_eq!(few_queries, 4, "recent products, the shopper's vector, the index scan, the cards");

    // A guest on a product page: nothing to read about them, no pairs bought yet.
    let also = RowRequest { products: vec![kinds[1][0]], ..RowRequest::new(RowKind::AlsoBought) };
    let (found, guest_queries) = queries(recommend(&db.pool, &Audience::default(), &also)).await;
    assert!(!found.unwrap().products.is_empty());
    assert_eq!(guest_queries, 4, "pairs, the product's vector, the index scan, the cards");
}
