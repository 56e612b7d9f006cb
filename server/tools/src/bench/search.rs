//! `vitrine bench search`: visual search at catalog scale. Builds (once, then reuses) a
//! database of `--products` products: the real demo catalog, embedded by the model, plus
//! synthetic products whose vectors are mixtures of real embeddings with noise (so they cluster
//! as real ones do). Then measures, on this machine:
//!
//! - HNSW recall@10 against exact search, unfiltered and with a filter matching 1 % of rows,
//!   and the query latency;
//! - end to end over HTTP: a 224×224 JPEG upload (what the browser sends after preprocessing)
//!   to `POST /api/search/by-image` on the real router, p50/p95 latency one at a time, and
//!   requests per second with several clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::backend::media::MediaStore;
use app::backend::search::{products_like, SearchFilter};
use app::backend::vision::MODEL_VERSION;
use app::preprocess::{decode_upright, resize_and_centre_crop, Limits, MODEL_SIDE};
use pgvector::Vector;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Executor, PgPool};
use uuid::Uuid;

use super::stats::Samples;
use crate::cli::BenchSearchArgs;
use vitrine::commands::{reindex, seed};
use vitrine::runtime::cli::{ReindexArgs, StorageArgs};
use vitrine::runtime::database;

const SYNTHETIC_CATEGORY: &str = "bench-synthetic";
/// Every hundredth product is in this category: the 1 % filter.
const RARE_CATEGORY: &str = "bench-one-percent";
/// And every tenth in this one: a filter the planner answers with the HNSW index.
const TENTH_CATEGORY: &str = "bench-one-in-ten";
/// Uploads made from this many catalog images, cycled through.
const UPLOAD_IMAGES: usize = 64;

pub async fn run(storage: &StorageArgs, args: &BenchSearchArgs) -> anyhow::Result<()> {
    let server = database::resolve_url(storage).await?;
    let url = server.with_database(&args.database);
    super::create_database_if_missing(server.expose(), &args.database).await?;
    let pool = database::pool(url.expose(), 16).await?;
    database::migrate(&pool).await?;
    let media = MediaStore::new(storage.state_dir.join("bench-media"));

    let products: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&pool).await?;
    let complete =
        products == args.products as i64 && category(&pool, TENTH_CATEGORY).await?.is_some();
    if !complete || args.rebuild {
        build_catalog(&pool, &media, args).await?;
    } else {
        eprintln!(
            "reusing the {products}-product catalog in {} (--rebuild to redo)",
            args.database
        );
    }

    let mut rng = StdRng::seed_from_u64(args.seed);
    let real = real_embeddings(&pool).await?;
    let queries: Vec<Vec<f32>> =
        (0..args.queries).map(|_| synthetic_vector(&real, &mut rng)).collect();
    let rare = category(&pool, RARE_CATEGORY).await?.context("the 1 % category")?;
    let tenth = category(&pool, TENTH_CATEGORY).await?.context("the 10 % category")?;

    let unfiltered = index_quality(&pool, &queries, None).await?;
    let one_percent = index_quality(&pool, &queries, Some(rare)).await?;
    let ten_percent = index_quality(&pool, &queries, Some(tenth)).await?;

    let models = vitrine::runtime::model::load_models(&args.model).await?;
    let config = models.images.config();
    let auth = vitrine::runtime::auth::build(&args.auth, storage)?;
    let http = http_figures(&pool, &media, models, auth, args).await?;

    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&pool).await?;
    println!(
        "Visual search over {total} products (1280-d, cosine HNSW m=16 ef_construction=64, ef_search {}), {} queries",
        app::backend::search::EF_SEARCH,
        args.queries
    );
    println!("{:<44} {:>10} {:>9} {:>9}", "index query", "recall@10", "p50 ms", "p95 ms");
    for (name, quality) in [
        ("unfiltered", &unfiltered),
        ("filter matching 1 %", &one_percent),
        ("filter matching 10 %", &ten_percent),
    ] {
        println!(
            "{name:<44} {:>10.3} {:>9.2} {:>9.2}",
            quality.recall,
            quality.latency.median(),
            quality.latency.percentile(95.0)
        );
    }
    println!();
    println!(
        "POST /api/search/by-image, 224×224 JPEG upload → ranked results (model: {} threads, {} at once)",
        config.threads, config.concurrency
    );
    println!("{:<44} {:>10} {:>9} {:>9}", "clients", "req/s", "p50 ms", "p95 ms");
    for load in &http {
        println!(
            "{:<44} {:>10.1} {:>9.2} {:>9.2}",
            load.clients,
            load.requests_per_second,
            load.latency.median(),
            load.latency.percentile(95.0)
        );
    }
    let own_first = http.iter().map(|load| load.own_first).sum::<usize>();
    let requests = http.iter().map(|load| load.latency.len()).sum::<usize>();
    println!("uploaded catalog image's own product ranked first: {own_first}/{requests}");
    Ok(())
}

async fn category(pool: &PgPool, slug: &str) -> anyhow::Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
        .bind(slug)
        .fetch_optional(pool)
        .await?)
}

async fn build_catalog(
    pool: &PgPool,
    media: &MediaStore,
    args: &BenchSearchArgs,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // CASCADE: every table that refers to the catalog (variants, carts, orders, ledgers …) is
    // emptied with it, whatever later migrations add.
    pool.execute("TRUNCATE jobs, image_queries, product_images, products, categories CASCADE")
        .await?;
    let catalog = seed::DemoCatalog::load(&args.seed_data.demo_data)?;
    catalog.seed(pool, media).await?;
    let reindex_args = ReindexArgs {
        all: false,
        images: true,
        texts: false,
        enqueue_only: false,
        model: args.model.clone(),
    };
    reindex::run(pool, media.clone(), &reindex_args).await?;

    let real = real_embeddings(pool).await?;
    let synthetic = args.products.saturating_sub(real.len());
    eprintln!("adding {synthetic} synthetic products to the {} real ones…", real.len());
    let categories = synthetic_categories(pool).await?;
    // Bulk-loading into an HNSW index is far slower than building it afterwards.
    pool.execute("DROP INDEX IF EXISTS product_images_embedding_hnsw_idx").await?;
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x5eed);
    let bar = indicatif::ProgressBar::new(synthetic as u64);
    for start in (0..synthetic).step_by(1000) {
        let batch: Vec<usize> = (start..(start + 1000).min(synthetic)).collect();
        insert_synthetic(pool, &batch, &categories, &real, &mut rng).await?;
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    let indexing = Instant::now();
    let mut conn = pool.acquire().await?;
    conn.execute("SET maintenance_work_mem = '1GB'").await?;
    // The same index as migrations/…_product_images.sql.
    conn.execute(
        "CREATE INDEX product_images_embedding_hnsw_idx ON product_images \
         USING hnsw (embedding vector_cosine_ops)",
    )
    .await?;
    conn.execute("ANALYZE").await?;
    eprintln!(
        "catalog built in {:.0} s (HNSW index {:.0} s)",
        started.elapsed().as_secs_f64(),
        indexing.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The ids of the synthetic category, the 1 % one and the 10 % one.
async fn synthetic_categories(pool: &PgPool) -> anyhow::Result<[Uuid; 3]> {
    let mut ids = [Uuid::nil(); 3];
    for (id, (slug, name)) in ids.iter_mut().zip([
        (SYNTHETIC_CATEGORY, "Synthetic products"),
        (RARE_CATEGORY, "One in a hundred"),
        (TENTH_CATEGORY, "One in ten"),
    ]) {
        *id = sqlx::query_scalar(
            "INSERT INTO categories (id, slug, name) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(Uuid::now_v7())
        .bind(slug)
        .bind(name)
        .fetch_one(pool)
        .await?;
    }
    Ok(ids)
}

async fn insert_synthetic(
    pool: &PgPool,
    batch: &[usize],
    [common, rare, tenth]: &[Uuid; 3],
    real: &[(Vec<f32>, String, String)],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let products: Vec<Uuid> = batch.iter().map(|_| Uuid::now_v7()).collect();
    let categories: Vec<Uuid> = batch
        .iter()
        .map(|i| match (i % 100, i % 10) {
            (0, _) => *rare,
            (_, 5) => *tenth,
            _ => *common,
        })
        .collect();
    let slugs: Vec<String> = batch.iter().map(|i| format!("bench-{i}")).collect();
    let names: Vec<String> = batch.iter().map(|i| format!("Synthetic product {i}")).collect();
    let mut vectors = Vec::with_capacity(batch.len());
    let mut keys = Vec::with_capacity(batch.len());
    let mut checksums = Vec::with_capacity(batch.len());
    for _ in batch {
        // Shown with the picture of one of the real products it is mixed from.
        let (_, key, sha) = &real[rng.random_range(0..real.len())];
        vectors.push(Vector::from(synthetic_vector(real, rng)));
        keys.push(key.clone());
        checksums.push(sha.clone());
    }
    let image_ids: Vec<Uuid> = batch.iter().map(|_| Uuid::now_v7()).collect();

    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO products (id, category_id, slug, name)
         SELECT id, category_id, slug, name
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS t(id, category_id, slug, name)",
    )
    .bind(&products)
    .bind(&categories)
    .bind(&slugs)
    .bind(&names)
    .execute(&mut *tx)
    .await?;
    // One variant each; benchmark stock is not in the ledger (it is never sold).
    sqlx::query(
        "INSERT INTO product_variants (id, product_id, sku, price_minor, currency, on_hand)
         SELECT gen_random_uuid(), id, upper(slug), 1000, 'EUR', 10 FROM unnest($1::uuid[], $2::text[]) AS t(id, slug)",
    )
    .bind(&products)
    .bind(&slugs)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO product_images (id, product_id, storage_key, content_type, sha256, width,
                                     height, byte_size, embedding, model_version, status)
         SELECT id, product_id, storage_key, 'image/png', sha256, 64, 64, 1, embedding, $6, 'ready'
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::vector[])
              AS t(id, product_id, storage_key, sha256, embedding)",
    )
    .bind(&image_ids)
    .bind(&products)
    .bind(&keys)
    .bind(&checksums)
    .bind(&vectors)
    .bind(MODEL_VERSION)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The real catalog's embeddings, with the storage key and checksum of each image.
async fn real_embeddings(pool: &PgPool) -> anyhow::Result<Vec<(Vec<f32>, String, String)>> {
    let rows: Vec<(Vec<f32>, String, String)> = sqlx::query_as(
        "SELECT i.embedding::real[], i.storage_key, i.sha256
         FROM product_images i JOIN products p ON p.id = i.product_id
         WHERE i.status = 'ready' AND p.slug NOT LIKE 'bench-%'
         ORDER BY i.id",
    )
    .fetch_all(pool)
    .await?;
    anyhow::ensure!(!rows.is_empty(), "the demo catalog has no embedded images");
    Ok(rows)
}

/// A unit vector near the real ones: two random real embeddings mixed, plus noise.
fn synthetic_vector(real: &[(Vec<f32>, String, String)], rng: &mut StdRng) -> Vec<f32> {
    let a = &real[rng.random_range(0..real.len())].0;
    let b = &real[rng.random_range(0..real.len())].0;
    let weight: f32 = rng.random_range(0.5..1.0);
    let mut mixed: Vec<f32> = a
        .iter()
        .zip(b)
        .map(|(x, y)| (weight * x + (1.0 - weight) * y + rng.random_range(-0.02..0.02)).max(0.0))
        .collect();
    let norm = mixed.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    mixed.iter_mut().for_each(|x| *x /= norm);
    mixed
}

struct IndexQuality {
    recall: f64,
    latency: Samples,
}

/// Recall@10 of the production query (`products_like`) against an exact scan, and its latency.
async fn index_quality(
    pool: &PgPool,
    queries: &[Vec<f32>],
    category: Option<Uuid>,
) -> anyhow::Result<IndexQuality> {
    let filter = SearchFilter { category_ids: category.map(|id| vec![id]), exclude_product: None };
    let mut latency = Samples::default();
    let mut found = 0usize;
    for query in queries {
        let started = Instant::now();
        let approximate = products_like(pool, query, MODEL_VERSION, &filter, 10).await?;
        latency.push(started.elapsed());
        let exact = exact_top10(pool, query, category).await?;
        found += approximate.iter().filter(|item| exact.contains(&item.product.id)).count();
    }
    Ok(IndexQuality { recall: found as f64 / (10 * queries.len()).max(1) as f64, latency })
}

/// The true ten nearest products: index scans disabled, so every row is compared.
async fn exact_top10(
    pool: &PgPool,
    query: &[f32],
    category: Option<Uuid>,
) -> anyhow::Result<Vec<Uuid>> {
    let mut tx = pool.begin().await?;
    tx.execute("SET LOCAL enable_indexscan = off").await?;
    tx.execute("SET LOCAL enable_bitmapscan = off").await?;
    let ids = sqlx::query_scalar(
        "SELECT i.product_id FROM product_images i JOIN products p ON p.id = i.product_id
         WHERE i.status = 'ready' AND i.model_version = $2
           AND ($3::uuid IS NULL OR p.category_id = $3)
         ORDER BY i.embedding <=> $1::real[]::vector
         LIMIT 10",
    )
    .bind(query)
    .bind(MODEL_VERSION)
    .bind(category)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids)
}

struct Load {
    clients: usize,
    requests_per_second: f64,
    latency: Samples,
    own_first: usize,
}

/// Serves the real router on a local port and sends it uploads, first one client, then several.
async fn http_figures(
    pool: &PgPool,
    media: &MediaStore,
    models: vitrine::runtime::model::Models,
    auth: app::backend::auth::Auth,
    args: &BenchSearchArgs,
) -> anyhow::Result<Vec<Load>> {
    let uploads = Arc::new(upload_files(pool, media).await?);
    let (addr, server) = super::serve_shop(pool, media.clone(), models, auth).await?;
    let url = format!("http://{addr}/api/search/by-image");

    // Warm-up: connections, caches, the model's first passes.
    let client = reqwest::Client::new();
    for (bytes, _) in uploads.iter().take(8) {
        upload(&client, &url, bytes.clone()).await?;
    }
    let mut loads = Vec::new();
    for clients in [1, args.clients] {
        loads.push(load(&url, Arc::clone(&uploads), clients, args.requests).await?);
    }
    server.abort();
    Ok(loads)
}

/// `clients` concurrent senders share `requests` uploads.
async fn load(
    url: &str,
    uploads: Arc<Vec<(Vec<u8>, String)>>,
    clients: usize,
    requests: usize,
) -> anyhow::Result<Load> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (url, uploads, next) = (url.to_owned(), Arc::clone(&uploads), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut timings = Vec::new();
            let mut own_first = 0;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let (bytes, slug) = &uploads[n % uploads.len()];
                let sent = Instant::now();
                let first = upload(&client, &url, bytes.clone()).await?;
                timings.push(sent.elapsed());
                own_first += usize::from(first.as_deref() == Some(slug.as_str()));
            }
            anyhow::Ok((timings, own_first))
        }));
    }
    let mut latency = Samples::default();
    let mut own_first = 0;
    for task in tasks {
        let (timings, own) = task.await??;
        timings.into_iter().for_each(|t: Duration| latency.push(t));
        own_first += own;
    }
    let requests_per_second = requests as f64 / started.elapsed().as_secs_f64();
    Ok(Load { clients, requests_per_second, latency, own_first })
}

/// Sends one upload; returns the slug of the best match.
async fn upload(
    client: &reqwest::Client,
    url: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<Option<String>> {
    let part =
        reqwest::multipart::Part::bytes(bytes).file_name("photo.jpg").mime_str("image/jpeg")?;
    let form = reqwest::multipart::Form::new().part("image", part);
    let response = client.post(url).multipart(form).send().await?;
    anyhow::ensure!(response.status().is_success(), "search failed: {}", response.status());
    let body: serde_json::Value = response.json().await?;
    Ok(body["results"][0]["product"]["slug"].as_str().map(str::to_owned))
}

/// Catalog images as the browser will send them: upright, 224×224, JPEG; with their slugs.
async fn upload_files(pool: &PgPool, media: &MediaStore) -> anyhow::Result<Vec<(Vec<u8>, String)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.storage_key, p.slug FROM product_images i JOIN products p ON p.id = i.product_id
         WHERE p.slug NOT LIKE 'bench-%' ORDER BY p.slug LIMIT $1",
    )
    .bind(UPLOAD_IMAGES as i64)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(key, slug)| {
            let bytes = std::fs::read(media.root().join(&key))?;
            let image =
                resize_and_centre_crop(&decode_upright(&bytes, &Limits::default())?, MODEL_SIDE);
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
                .encode_image(&image)?;
            Ok((jpeg, slug))
        })
        .collect()
}
