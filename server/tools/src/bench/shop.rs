//! `vitrine bench shop`: the storefront under a fixed request rate. Builds (once, then reuses) a
//! generated catalog of `--products` products in a 10 × 10 category tree, each with one to four
//! size variants and stock, serves the real router on a local port, and sends an open-loop load
//! (requests leave on schedule whatever the answers, so a slow server cannot slow the load and
//! hide its own latency) for each scenario:
//!
//! - a category page (server-rendered HTML, a random subcategory and page, sorted by price);
//! - the home page of a shopper with a history (server-rendered HTML with the "Picked for you"
//!   row: their vector from pgvector, the filtered index scan, the cards);
//! - a product page (server-rendered HTML with its variants, similar items and the
//!   "Customers also bought" row);
//! - add to cart (`POST /api/cart/items` as a new guest);
//! - all four mixed.
//!
//! The rows need a recommender: the first run gives 2,000 generated visitors 8 views each in one
//! department, trains a version on them (3 epochs: the bench measures serving, not picks) and builds
//! trending and bought-together.
//!
//! Latency is measured from each request's scheduled start; errors are non-2xx answers and
//! failed connections.
//!
//! Then what the checks every request makes cost, timed in-process: the access token's
//! signature (the peer), the session's standing (revocation) from the cache and from the
//! database, the photo-search rate limit under its limit, the response's CSP nonce and the
//! request's metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Executor, PgPool};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::stats::Samples;
use crate::cli::BenchShopArgs;
use app::backend::auth::accounts;
use app::backend::auth::live_sessions::{Change, LiveSessions};
use app::backend::auth::tokens::TokenType;
use app::backend::auth::Auth;
use app::backend::content_policy::PageNonce;
use app::backend::model_registry;
use app::backend::rate_limit::RateLimiter;
use app::backend::recs;
use vitrine::runtime::cli::StorageArgs;
use vitrine::runtime::database;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Home,
    Category,
    Product,
    AddToCart,
    Mixed,
    /// The soak's load: six in ten pages, two add to cart, one checkout, one photo search.
    Soak,
}

/// One unit of load: a request, or for a checkout the shopper's three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    /// The home page, as a visitor with a history (their picks).
    Home,
    Category,
    Product,
    AddToCart,
    /// Add to cart, place the order, pay it (a new guest each time).
    Checkout,
    PhotoSearch,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::Home => "home page with picks (HTML)",
            Self::Category => "category page (HTML)",
            Self::Product => "product page (HTML)",
            Self::AddToCart => "add to cart (JSON)",
            Self::Mixed => "mixed: a quarter each",
            Self::Soak => "soak mix",
        }
    }

    /// What the `n`th unit of load is.
    fn work(self, n: usize) -> Work {
        match self {
            Self::Home => Work::Home,
            Self::Category => Work::Category,
            Self::Product => Work::Product,
            Self::AddToCart => Work::AddToCart,
            Self::Mixed => [Work::Home, Work::Category, Work::Product, Work::AddToCart][n % 4],
            Self::Soak => [
                Work::Category,
                Work::Product,
                Work::Category,
                Work::Product,
                Work::Category,
                Work::Product,
                Work::AddToCart,
                Work::AddToCart,
                Work::Checkout,
                Work::PhotoSearch,
            ][n % 10],
        }
    }
}

/// What the load needs: the client, the server's address, the catalog it picks from and the
/// photo it searches with.
struct Load {
    client: reqwest::Client,
    base: String,
    catalog: Catalog,
    photo: Vec<u8>,
}

/// What the load picks from.
struct Catalog {
    /// Visitors with a history, to ask for picks as.
    visitors: Vec<Uuid>,
    subcategories: Vec<String>,
    slugs: Vec<String>,
    variants: Vec<Uuid>,
}

struct Outcome {
    latency: Samples,
    errors: usize,
    sent: usize,
    elapsed: Duration,
}

pub async fn run(storage: &StorageArgs, args: &BenchShopArgs) -> anyhow::Result<()> {
    let server = database::resolve_url(storage).await?;
    super::create_database_if_missing(server.expose(), &args.database).await?;
    let url = server.with_database(&args.database);
    // Sized like a production web replica's pool.
    let pool = database::pool(url.expose(), 16).await?;
    database::migrate(&pool).await?;
    let products: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&pool).await?;
    if products != args.products as i64 || args.rebuild {
        build_catalog(&pool, args.products).await?;
    } else {
        eprintln!(
            "reusing the {products}-product catalog in {} (--rebuild to redo)",
            args.database
        );
    }
    if model_registry::active(&pool, recs::KIND).await?.is_none() {
        build_tastes(&pool).await?;
    }
    let catalog = load_catalog(&pool).await?;

    let models = vitrine::runtime::model::load_models(&args.model).await?;
    let auth = vitrine::runtime::auth::build(&args.auth, storage)?;
    let checks = auth.clone();
    let media = storage.media_store();
    let (addr, _server) = super::serve_shop(&pool, media, models, auth).await?;
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let photo = std::fs::read(&args.photo)
        .with_context(|| format!("reading the photo to search with, {}", args.photo.display()))?;
    let (products, variants) = (catalog.slugs.len(), catalog.variants.len());
    let load = Arc::new(Load { client, base, catalog, photo });

    // Warm-up: connections, prepared statements, caches.
    let _ = drive(&load, Scenario::Mixed, args.rate, Duration::from_secs(2)).await;

    if args.soak_minutes > 0 {
        return soak(&pool, &load, args).await;
    }
    println!(
        "Shop pages at {} req/s for {} s each (open loop), {products} products, {variants} variants; server and load share this machine",
        args.rate, args.seconds,
    );
    println!(
        "{:<28} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9}",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms"
    );
    let scenarios = [
        Scenario::Home,
        Scenario::Category,
        Scenario::Product,
        Scenario::AddToCart,
        Scenario::Mixed,
    ];
    for scenario in scenarios {
        let seconds = Duration::from_secs(args.seconds);
        let outcome = drive(&load, scenario, args.rate, seconds).await;
        println!(
            "{:<28} {:>9} {:>8} {:>8.1} {:>9.2} {:>9.2} {:>9.2}",
            scenario.name(),
            outcome.sent,
            outcome.errors,
            outcome.sent as f64 / outcome.elapsed.as_secs_f64(),
            outcome.latency.median(),
            outcome.latency.percentile(99.0),
            outcome.latency.percentile(100.0),
        );
    }
    per_request_checks(&pool, &checks, args.check_calls).await
}

/// The soak: the mixed load of pages, carts, checkouts and photo searches at `--rate` for
/// `--soak-minutes`, one row a minute with this process's resident memory (server and load
/// together), then the first minute against the last.
async fn soak(pool: &PgPool, load: &Arc<Load>, args: &BenchShopArgs) -> anyhow::Result<()> {
    // Deep stock, received through the ledger, so a long soak never sells out.
    sqlx::query(
        "WITH deep AS (UPDATE product_variants SET on_hand = on_hand + 100000 RETURNING id)
         INSERT INTO stock_movements (variant_id, reason, on_hand_delta, reserved_delta, note)
         SELECT id, 'received', 100000, 0, 'bench soak stock' FROM deep",
    )
    .execute(pool)
    .await?;
    println!(
        "Soak: {} units of load a second, {} rows of {} s (six in ten pages, two add to cart, one checkout of three requests, one photo search)",
        args.rate, args.soak_minutes, args.soak_window_secs
    );
    println!(
        "{:>6} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "row", "units", "errors", "p50 ms", "p99 ms", "max ms", "RSS MiB"
    );
    let mut rows = Vec::new();
    let rss_start = resident_mib();
    for minute in 1..=args.soak_minutes {
        let window = Duration::from_secs(args.soak_window_secs);
        let outcome = drive(load, Scenario::Soak, args.rate, window).await;
        let rss = resident_mib();
        println!(
            "{minute:>6} {:>9} {:>8} {:>9.2} {:>9.2} {:>9.2} {rss:>9.1}",
            outcome.sent,
            outcome.errors,
            outcome.latency.median(),
            outcome.latency.percentile(99.0),
            outcome.latency.percentile(100.0),
        );
        rows.push((outcome, rss));
    }
    let errors: usize = rows.iter().map(|(outcome, _)| outcome.errors).sum();
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    println!(
        "RSS {rss_start:.1} MiB before the load, {:.1} after row 1, {:.1} at the end; p99 {:.2} ms in row 1, {:.2} in the last; {errors} errors",
        first.1,
        last.1,
        first.0.latency.percentile(99.0),
        last.0.latency.percentile(99.0),
    );
    anyhow::ensure!(errors == 0, "the soak had {errors} errors");
    Ok(())
}

/// This process's resident memory in MiB (Linux: `VmRSS` of /proc/self/status).
fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Times the checks a request makes, `calls` times each, and prints their medians.
async fn per_request_checks(pool: &PgPool, auth: &Auth, calls: usize) -> anyhow::Result<()> {
    let email = format!("bench-{}@example.com", Uuid::new_v4());
    let session =
        accounts::register(pool, auth, &email, "a long bench passphrase".into(), "bench").await?;
    let claims = auth.keys.verify(&session.access, TokenType::Access).expect("a fresh token");
    let (user, id) = (claims.sub, claims.fam);
    let sessions = LiveSessions::default();
    let limiter = RateLimiter::per_minute(u32::MAX);
    let client: std::net::IpAddr = [192, 0, 2, 1].into();

    let mut signature = Samples::default();
    let mut cached = Samples::default();
    let mut database = Samples::default();
    let mut rate_limit = Samples::default();
    let mut nonce = Samples::default();
    let mut metrics = Samples::default();
    sessions.standing(pool, user, id).await?;
    for _ in 0..calls {
        let started = Instant::now();
        std::hint::black_box(PageNonce::new());
        nonce.push(started.elapsed());
        let started = Instant::now();
        let route = "/products/{slug}".to_owned();
        vitrine::http::metrics::record_request(route, "GET".to_owned(), 200, started.elapsed());
        metrics.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(auth.keys.verify(&session.access, TokenType::Access).is_ok());
        signature.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(sessions.standing(pool, user, id).await?);
        cached.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(limiter.check(client).is_ok());
        rate_limit.push(started.elapsed());
    }
    for _ in 0..calls.div_ceil(20) {
        sessions.forget(Change::Session(id));
        let started = Instant::now();
        std::hint::black_box(sessions.standing(pool, user, id).await?);
        database.push(started.elapsed());
    }
    println!();
    println!(
        "Per-request checks, in-process ({calls} calls each; the database one {})",
        database.len()
    );
    println!("{:<44} {:>10} {:>10} {:>12}", "check", "p50 µs", "p99 µs", "× signature");
    let peer = signature.median();
    for (name, samples) in [
        ("access token signature (HS256, the peer)", &signature),
        ("session standing, cached (revocation)", &cached),
        ("session standing, from the database (miss)", &database),
        ("photo-search rate limit, under the limit", &rate_limit),
        ("CSP nonce for the response", &nonce),
        ("metrics: a request counted and timed", &metrics),
    ] {
        println!(
            "{:<44} {:>10.2} {:>10.2} {:>12.3}",
            name,
            samples.median() * 1000.0,
            samples.percentile(99.0) * 1000.0,
            samples.median() / peer
        );
    }
    Ok(())
}

/// Sends `rate` units of load a second for `length`, each on its own task at its scheduled time.
async fn drive(load: &Arc<Load>, scenario: Scenario, rate: u32, length: Duration) -> Outcome {
    let total = (f64::from(rate) * length.as_secs_f64()).round() as usize;
    let gap = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let results = Arc::new(Mutex::new((Samples::default(), 0usize)));
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(11);
    let mut tasks = Vec::with_capacity(total);
    for n in 0..total {
        let due = started + gap * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let work = scenario.work(n);
        let pick = rng.random::<u64>();
        let (load, results) = (Arc::clone(load), Arc::clone(&results));
        tasks.push(tokio::spawn(async move {
            let ok = perform(&load, work, pick).await;
            let mut results = results.lock().await;
            results.0.push(due.elapsed());
            results.1 += usize::from(!ok);
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed();
    let (latency, errors) = Arc::try_unwrap(results).map(Mutex::into_inner).unwrap_or_default();
    Outcome { latency, errors, sent: total, elapsed }
}

/// Does one unit of load; whether every answer was a success (and its body arrived whole).
async fn perform(load: &Load, work: Work, pick: u64) -> bool {
    let Load { client, base, catalog, photo } = load;
    let nth = |len: usize| (pick % len.max(1) as u64) as usize;
    let variant = || catalog.variants[nth(catalog.variants.len())];
    match work {
        Work::Home => {
            let visitor = catalog.visitors[nth(catalog.visitors.len())];
            let home = client
                .get(format!("{base}/"))
                .header("cookie", format!("vitrine_visitor={visitor}"));
            succeeds(home).await.is_some()
        }
        Work::Category => {
            let category = &catalog.subcategories[nth(catalog.subcategories.len())];
            let page = 1 + pick % 4;
            succeeds(client.get(format!("{base}/categories/{category}?page={page}&sort=price_asc")))
                .await
                .is_some()
        }
        Work::Product => {
            let slug = &catalog.slugs[nth(catalog.slugs.len())];
            succeeds(client.get(format!("{base}/products/{slug}"))).await.is_some()
        }
        Work::AddToCart => succeeds(add_to_cart(client, base, variant())).await.is_some(),
        Work::Checkout => checkout(base, variant()).await.is_some(),
        Work::PhotoSearch => {
            let form = reqwest::multipart::Form::new().part(
                "image",
                reqwest::multipart::Part::bytes(photo.clone()).file_name("photo.jpg"),
            );
            succeeds(client.post(format!("{base}/api/search/by-image")).multipart(form))
                .await
                .is_some()
        }
    }
}

fn add_to_cart(client: &reqwest::Client, base: &str, variant: Uuid) -> reqwest::RequestBuilder {
    client
        .post(format!("{base}/api/cart/items"))
        .json(&serde_json::json!({ "variant_id": variant, "quantity": 1 }))
}

/// A guest's checkout: the cart (its cookie kept), the order, the payment.
async fn checkout(base: &str, variant: Uuid) -> Option<()> {
    let guest = reqwest::Client::builder().cookie_store(true).build().ok()?;
    succeeds(add_to_cart(&guest, base, variant)).await?;
    let order: serde_json::Value = serde_json::from_slice(
        &succeeds(guest.post(format!("{base}/api/orders")).json(&serde_json::json!({
            "email": "soak@example.com",
            "shipping_address": { "name": "Ada Lovelace", "line1": "12 St James's Square",
                                  "city": "London", "postal_code": "SW1Y 4JH", "country": "GB" },
            "shipping_method": "standard",
        })))
        .await?,
    )
    .ok()?;
    let id = order["summary"]["id"].as_str()?;
    let payment = guest
        .post(format!("{base}/api/orders/{id}/payments"))
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .json(&serde_json::json!({ "card": { "number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123" } }));
    succeeds(payment).await.map(|_| ())
}

/// The body of a successful answer, read whole; `None` for an error or a failed connection.
async fn succeeds(request: reqwest::RequestBuilder) -> Option<Vec<u8>> {
    let response = request.send().await.ok()?;
    let status = response.status();
    let body = response.bytes().await.ok()?;
    status.is_success().then(|| body.to_vec())
}

/// A fresh catalog: 10 top categories of 10 subcategories, `products` products spread over
/// them, each with 1–4 sizes and 0–40 units of each (received through the ledger).
async fn build_catalog(pool: &PgPool, products: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    tx.execute(
        "TRUNCATE sent_emails, shop_events, outbox, payment_ledger, refunds, payments,
                  order_status_changes, order_lines, stock_movements, orders, cart_items, carts,
                  product_images, product_variants, products, categories, shopper_events,
                  model_versions CASCADE",
    )
    .await?;
    sqlx::query(
        "INSERT INTO categories (id, slug, name)
         SELECT gen_random_uuid(), 'dept-' || d, 'Department ' || d FROM generate_series(1, 10) d;
         ",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO categories (id, slug, name, parent_id)
         SELECT gen_random_uuid(), 'dept-' || d || '-aisle-' || a, 'Aisle ' || d || '.' || a,
                (SELECT id FROM categories WHERE slug = 'dept-' || d)
         FROM generate_series(1, 10) d, generate_series(1, 10) a",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO products (id, category_id, slug, name, description, created_at)
         SELECT gen_random_uuid(),
                (SELECT id FROM categories WHERE slug = 'dept-' || (1 + g % 10) || '-aisle-' || (1 + (g / 10) % 10)),
                'item-' || g, 'Item ' || g, 'Generated product ' || g,
                now() - make_interval(mins => g)
         FROM generate_series(1, $1) g",
    )
    .bind(products as i32)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO product_variants (id, product_id, sku, options, position, price_minor, currency, on_hand)
         SELECT gen_random_uuid(), p.id, upper(p.slug) || '-' || s.size,
                CASE WHEN n.count = 1 THEN '{}'::jsonb ELSE jsonb_build_object('size', s.size) END,
                s.position, 300 + (hashtext(p.slug) & 8191) + s.position * 100, 'EUR',
                (hashtext(p.slug || s.size) & 63) % 41
         FROM products p
         CROSS JOIN LATERAL (SELECT 1 + (hashtext(p.slug) & 3) AS count) n
         JOIN (VALUES ('S', 0), ('M', 1), ('L', 2), ('XL', 3)) AS s(size, position)
           ON s.position < n.count",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO stock_movements (variant_id, reason, on_hand_delta, reserved_delta, note)
         SELECT id, 'received', on_hand, 0, 'bench opening stock' FROM product_variants WHERE on_hand > 0",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    pool.execute("ANALYZE").await?;
    eprintln!("built a {products}-product catalog in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Generated visitors with a history, for the rows.
const VISITORS: i32 = 2_000;

/// Gives [`VISITORS`] generated visitors 8 views each of one department's products, trains a
/// recommender on them (a short training: the bench measures serving) and builds trending and
/// bought-together.
async fn build_tastes(pool: &PgPool) -> anyhow::Result<()> {
    let started = Instant::now();
    sqlx::query(
        "WITH v AS (
             SELECT md5('bench visitor ' || g)::uuid AS visitor,
                    (SELECT id FROM categories WHERE slug = 'dept-' || (1 + g % 10)) AS department
             FROM generate_series(1, $1) g
         )
         INSERT INTO shopper_events (visitor, kind, product_id, occurred_at)
         SELECT v.visitor, 'view', p.id, now() - make_interval(mins => (random() * 10000)::int)
         FROM v CROSS JOIN LATERAL (
             SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id
             WHERE c.parent_id = v.department ORDER BY random() LIMIT 8
         ) p",
    )
    .bind(VISITORS)
    .execute(pool)
    .await?;
    let params = recs::train::TrainParams { epochs: 3, ..Default::default() };
    let request = recs::TrainRecs { params: Some(params), force_activate: true };
    let outcome = vitrine::jobs::train_recs::train_and_activate(
        pool,
        &request,
        app::backend::audit::Actor::Command,
        &vitrine::jobs::progress::Reporter::Quiet,
    )
    .await?;
    recs::companions::refresh(pool).await?;
    eprintln!(
        "gave {VISITORS} visitors a history and trained {} on it in {:.1} s",
        outcome.version,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn load_catalog(pool: &PgPool) -> anyhow::Result<Catalog> {
    let visitors =
        sqlx::query_scalar("SELECT DISTINCT visitor FROM shopper_events ORDER BY visitor")
            .fetch_all(pool)
            .await?;
    let subcategories =
        sqlx::query_scalar("SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY slug")
            .fetch_all(pool)
            .await?;
    let slugs =
        sqlx::query_scalar("SELECT slug FROM products ORDER BY slug").fetch_all(pool).await?;
    let variants = sqlx::query_scalar(
        "SELECT id FROM product_variants WHERE on_hand - reserved > 0 ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    Ok(Catalog { visitors, subcategories, slugs, variants })
}
