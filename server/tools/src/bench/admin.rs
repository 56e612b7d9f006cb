//! `vitrine-tools bench admin`: the analytics dashboard's queries over a generated history
//! (by default a million shopper events and 100,000 paid orders spread over a year), each timed
//! over a 30-day and a 365-day range: p50 and p95. The history is written through the same
//! tables and triggers the shop writes (events in batches, as the event writer inserts them;
//! orders placed, then paid), so the rollups the queries read are the ones a real history makes.

use std::time::Instant;

use anyhow::Context;
use app::backend::analytics::{self, segments};
use app::types::DateRange;
use chrono::{Duration, Utc};
use sqlx::PgPool;
use vitrine::runtime::cli::StorageArgs;
use vitrine::runtime::database;

use super::stats::Samples;
use crate::cli::BenchAdminArgs;

pub async fn run(storage: &StorageArgs, args: &BenchAdminArgs) -> anyhow::Result<()> {
    let server = database::resolve_url(storage).await?;
    super::create_database_if_missing(server.expose(), &args.database).await?;
    let pool = database::pool(server.with_database(&args.database).expose(), 8).await?;
    database::migrate(&pool).await?;
    let (events, orders): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM shopper_events), (SELECT count(*) FROM orders)",
    )
    .fetch_one(&pool)
    .await?;
    if args.rebuild || events != args.events as i64 || orders != args.orders as i64 {
        build_history(&pool, args).await?;
    } else {
        eprintln!("reusing the history in {} (--rebuild to redo)", args.database);
    }
    let started = Instant::now();
    let customers = segments::recompute(&pool, "EUR").await?;
    println!(
        "customer segments (the analytics_segments job): {customers} customers in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let today = Utc::now().date_naive();
    let ranges = [
        ("30 days", DateRange { from: today - Duration::days(29), to: today }),
        ("365 days", DateRange { from: today - Duration::days(364), to: today }),
    ];
    println!(
        "Dashboard queries over {} events and {} orders, {} runs each",
        args.events, args.orders, args.runs
    );
    println!("{:<26} {:>9} {:>9} {:>9} {:>9}", "query", "range", "p50 ms", "p95 ms", "max ms");
    for (label, range) in ranges {
        let rows = [
            (
                "sales per day",
                time(args.runs, || async { analytics::sales(&pool, range, "EUR").await.map(drop) })
                    .await?,
            ),
            (
                "funnel",
                time(args.runs, || async { analytics::funnel(&pool, range).await.map(drop) })
                    .await?,
            ),
            (
                "top products",
                time(args.runs, || async { analytics::top_products(&pool, range).await.map(drop) })
                    .await?,
            ),
            (
                "top categories",
                time(args.runs, || async {
                    analytics::top_categories(&pool, range).await.map(drop)
                })
                .await?,
            ),
            (
                "top searches",
                time(args.runs, || async {
                    analytics::queries(&pool, range, false).await.map(drop)
                })
                .await?,
            ),
            (
                "zero-result searches",
                time(args.runs, || async {
                    analytics::queries(&pool, range, true).await.map(drop)
                })
                .await?,
            ),
            (
                "recommendation rows",
                time(args.runs, || async { analytics::rows(&pool, range).await.map(drop) }).await?,
            ),
            (
                "stock alerts",
                time(args.runs, || async { analytics::stock_alerts(&pool, range).await.map(drop) })
                    .await?,
            ),
            (
                "customer segments",
                time(args.runs, || async { segments::latest(&pool).await.map(drop) }).await?,
            ),
            (
                "whole dashboard",
                time(args.runs, || async { analytics::dashboard(&pool, range).await.map(drop) })
                    .await?,
            ),
        ];
        for (query, samples) in rows {
            println!(
                "{:<26} {:>9} {:>9.2} {:>9.2} {:>9.2}",
                query,
                label,
                samples.median(),
                samples.percentile(95.0),
                samples.percentile(100.0)
            );
        }
    }
    Ok(())
}

/// `runs` timed calls of `query` (after one untimed, to warm the cache).
async fn time<F, Fut>(runs: usize, query: F) -> anyhow::Result<Samples>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>>,
{
    query().await?;
    let mut samples = Samples::default();
    for _ in 0..runs {
        let started = Instant::now();
        query().await?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

/// A year of history: a catalog of `--products`, `--orders` paid orders of one to three units
/// by 20,000 customers, `--events` shopper events (views, cart adds, searches, one in twenty
/// finding nothing, result clicks, recommendation impressions and clicks) and photo searches.
async fn build_history(pool: &PgPool, args: &BenchAdminArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    sqlx::raw_sql(
        "TRUNCATE shopper_events, order_lines, order_status_changes, payments, refunds,
                  payment_ledger, stock_movements, orders, image_queries, customer_segments,
                  analytics_daily_counts, analytics_daily_sales, analytics_daily_products,
                  analytics_monthly_products,
                  analytics_daily_queries, analytics_daily_rows, cart_items, carts,
                  product_variants, products, categories, jobs CASCADE",
    )
    .execute(pool)
    .await
    .context("clearing the bench database")?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO categories (id, slug, name)
         SELECT gen_random_uuid(), 'category-' || n, 'Category ' || n FROM generate_series(1, 20) n",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO products (id, slug, name, description, category_id)
         SELECT gen_random_uuid(), 'product-' || n, 'Product ' || n, '',
                (SELECT id FROM categories WHERE slug = 'category-' || (1 + n % 20))
         FROM generate_series(1, $1) n",
    )
    .bind(args.products as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO product_variants (id, product_id, sku, price_minor, currency, on_hand)
         SELECT gen_random_uuid(), id, 'SKU-' || upper(substr(md5(slug), 1, 12)), 500 + (hashtext(slug) & 8191), 'EUR',
                hashtext(slug || 'stock') & 63
         FROM products",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    // Every choice is a hash of the row's number: the same arguments give the same history.
    sqlx::raw_sql(
        "CREATE UNLOGGED TABLE IF NOT EXISTS bench_variants (k bigint PRIMARY KEY, id uuid, product_id uuid);
         TRUNCATE bench_variants;
         INSERT INTO bench_variants SELECT row_number() OVER (ORDER BY sku), id, product_id FROM product_variants",
    )
    .execute(pool)
    .await?;
    // Orders in batches: placed (a line each), then paid, as checkout and payment write them.
    let batch = 10_000usize;
    let mut made = 0;
    while made < args.orders {
        let n = batch.min(args.orders - made);
        let mut tx = pool.begin().await?;
        sqlx::query(
            "CREATE TEMP TABLE new_orders ON COMMIT DROP AS
             SELECT gen_random_uuid() AS id, g AS n,
                    now() - ((hashtext(g || 'at') & 2147483647) % (364 * 86400)) * interval '1 second' AS at,
                    b.id AS variant_id, 1 + (hashtext(g || 'q') & 2147483647) % 3 AS quantity
             FROM generate_series($1 + 1, $1 + $3) g
             JOIN bench_variants b ON b.k = 1 + (hashtext(g || 'v') & 2147483647) % $2",
        )
        .bind(made as i64)
        .bind(args.products as i64)
        .bind(n as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO orders (id, email, status, stock_state, currency, subtotal_minor, shipping_minor,
                                 total_minor, shipping_method, shipping_address, created_at)
             SELECT o.id, 'customer-' || (o.n % 20000) || '@bench.invalid', 'paid', 'sold', 'EUR',
                    v.price_minor * o.quantity, 495, v.price_minor * o.quantity + 495, 'standard', '{}', o.at
             FROM new_orders o JOIN product_variants v ON v.id = o.variant_id",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO order_lines (order_id, variant_id, sku, product_name, product_slug, options,
                                      unit_price_minor, quantity)
             SELECT o.id, v.id, v.sku, p.name, p.slug, '{}', v.price_minor, o.quantity
             FROM new_orders o JOIN product_variants v ON v.id = o.variant_id JOIN products p ON p.id = v.product_id",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE orders o SET paid_at = n.at + interval '2 minutes', paid_minor = total_minor
             FROM new_orders n WHERE n.id = o.id",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        made += n;
    }

    // Events in batches, each one statement (as the event writer inserts them).
    let mut made = 0;
    while made < args.events {
        let n = batch.min(args.events - made);
        sqlx::query(
            "WITH e AS (
                 SELECT (hashtext(g || 'kind') & 2147483647) % 100 AS r,
                        now() - ((hashtext(g || 'at') & 2147483647) % (364 * 86400)) * interval '1 second' AS at,
                        b.product_id, 'word' || (hashtext(g || 'word') & 2147483647) % 300 AS query,
                        md5(g::text)::uuid AS visitor
                 FROM generate_series($1 + 1, $1 + $3) g
                 JOIN bench_variants b ON b.k = 1 + (hashtext(g || 'p') & 2147483647) % $2),
             typed AS (
                 SELECT *, CASE WHEN r < 60 THEN 'view' WHEN r < 70 THEN 'cart_add'
                                WHEN r < 80 THEN 'search' WHEN r < 85 THEN 'search_click'
                                WHEN r < 97 THEN 'rec_impression' ELSE 'rec_click' END AS kind
                 FROM e)
             INSERT INTO shopper_events (visitor, kind, product_id, query, row_name, position, results, occurred_at)
             SELECT visitor, kind, CASE WHEN kind = 'search' THEN NULL ELSE product_id END,
                    CASE WHEN kind IN ('search', 'search_click') THEN query END,
                    CASE WHEN kind IN ('rec_impression', 'rec_click') THEN 'picked_for_you' END,
                    CASE WHEN kind IN ('rec_impression', 'rec_click', 'search_click') THEN 0 END,
                    -- One search in twenty finds nothing.
                    CASE WHEN kind = 'search' THEN CASE WHEN r = 70 THEN 0 ELSE 12 END END, at
             FROM typed",
        )
        .bind(made as i64)
        .bind(args.products as i64)
        .bind(n as i64)
        .execute(pool)
        .await?;
        made += n;
    }
    sqlx::query(
        "INSERT INTO image_queries (id, embedding, model_version, created_at)
         SELECT gen_random_uuid(), array_fill(0, ARRAY[1280])::vector, 'bench',
                now() - ((hashtext(g || 'photo') & 2147483647) % (364 * 86400)) * interval '1 second'
         FROM generate_series(1, $1) g",
    )
    .bind((args.events / 200).max(1) as i64)
    .execute(pool)
    .await?;
    sqlx::raw_sql("ANALYZE").execute(pool).await?;
    println!(
        "generated {} orders and {} events (and their rollups) in {:.1} s",
        args.orders,
        args.events,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
