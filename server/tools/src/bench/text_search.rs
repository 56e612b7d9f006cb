//! `vitrine bench text-search`: text search and suggestions over HTTP on a large catalog, with
//! the real router, both models and every arm on; and the search indexes' build time and size.
//!
//! The catalog: the demo catalog seeded and its texts embedded by the real job, then synthetic
//! variations of its products up to `--products` (each a real product's name with a style and
//! a colour, its description likewise, and its text embedding the real product's with a little
//! noise, so the meaning arm walks an index of the right size and shape without spending an
//! hour of inference). The three search indexes are then built afresh and timed. Queries come
//! from the real names (exact, one typo, a 3-letter prefix) and the hand-judged descriptive set;
//! suggestions from names as they are typed.
//!
//! The load is closed-loop: each client sends its next request when the last one answered, so
//! one client shows the latency of a quiet shop and eight the throughput of a busy one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::{Executor, PgPool};
use tokio::sync::Mutex;
use vitrine::commands::{reindex, seed};
use vitrine::runtime::cli::{ReindexArgs, StorageArgs};
use vitrine::runtime::database;

use super::stats::Samples;
use crate::cli::BenchTextSearchArgs;

/// Styles and colours the synthetic variations combine (12 × 12 per real product).
const STYLES: [&str; 12] = [
    "Classic", "Mini", "Deluxe", "Travel", "Vintage", "Eco", "Pro", "Kids", "Giant", "Pocket",
    "Studio", "Limited",
];
const COLOURS: [&str; 12] = [
    "Red", "Navy", "Olive", "Ivory", "Black", "Teal", "Amber", "Plum", "Sand", "Slate", "Coral",
    "Mint",
];

/// The search indexes whose build is timed, by name (their definitions are read from the
/// database, so they are the migrations' own).
const INDEXES: [&str; 3] = [
    "products_search_document_idx",
    "products_search_name_trgm_idx",
    "products_text_embedding_hnsw_idx",
];

pub async fn run(storage: &StorageArgs, args: &BenchTextSearchArgs) -> anyhow::Result<()> {
    let server = database::resolve_url(storage).await?;
    super::create_database_if_missing(server.expose(), &args.database).await?;
    let url = server.with_database(&args.database);
    let pool = database::pool(url.expose(), 16).await?;
    database::migrate(&pool).await?;
    let media = storage.media_store();
    let products: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&pool).await?;
    let indexes = if products != args.products as i64 || args.rebuild {
        build_catalog(&pool, &media, args).await?
    } else {
        eprintln!(
            "reusing the {products}-product catalog in {} (--rebuild to redo)",
            args.database
        );
        index_sizes(&pool, None).await?
    };

    let models = vitrine::runtime::model::load_models(&args.model).await?;
    let auth = vitrine::runtime::auth::build(&args.auth, storage)?;
    let (addr, _server) = super::serve_shop(&pool, media, models, auth).await?;
    let base = format!("http://{addr}");

    let (searches, suggestions) = queries(&pool, args).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let length = Duration::from_secs(args.seconds);
    // Warm-up: connections, prepared statements, the indexes' pages.
    drive(&client, &base, "/api/search?q=", &searches, 2, Duration::from_secs(2)).await;

    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&pool).await?;
    println!(
        "Text search over HTTP, {total} products, {} search and {} suggest queries, {} s per row (closed loop; server and load share this machine)",
        searches.len(),
        suggestions.len(),
        args.seconds
    );
    println!(
        "{:<10} {:>8} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9}",
        "endpoint", "clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"
    );
    for (endpoint, path, inputs) in [
        ("search", "/api/search?q=", &searches),
        ("suggest", "/api/search/suggest?q=", &suggestions),
    ] {
        for clients in [1, args.clients] {
            let outcome = drive(&client, &base, path, inputs, clients, length).await;
            println!(
                "{endpoint:<10} {clients:>8} {:>9} {:>7} {:>8.1} {:>9.2} {:>9.2} {:>9.2}",
                outcome.latency.len(),
                outcome.errors,
                outcome.latency.len() as f64 / outcome.elapsed.as_secs_f64(),
                outcome.latency.median(),
                outcome.latency.percentile(95.0),
                outcome.latency.percentile(99.0),
            );
        }
    }
    println!();
    println!("{:<36} {:>10} {:>12}", "index", "size MiB", "build s");
    for index in indexes {
        let built = index.build_seconds.map_or("(reused)".to_owned(), |s| format!("{s:.1}"));
        println!("{:<36} {:>10.1} {:>12}", index.name, index.bytes as f64 / 1048576.0, built);
    }
    Ok(())
}

struct IndexFigures {
    name: &'static str,
    bytes: i64,
    build_seconds: Option<f64>,
}

/// The demo catalog, embedded by the real job, and its synthetic variations up to
/// `args.products`, with the search indexes built afresh (timed).
async fn build_catalog(
    pool: &PgPool,
    media: &app::backend::media::MediaStore,
    args: &BenchTextSearchArgs,
) -> anyhow::Result<Vec<IndexFigures>> {
    let started = Instant::now();
    // CASCADE: every table that refers to the catalog is emptied with it.
    pool.execute("TRUNCATE jobs, image_queries, product_images, products, categories CASCADE")
        .await?;
    seed::DemoCatalog::load(&args.seed_data.demo_data)?.seed(pool, media).await?;
    let reindex_args = ReindexArgs {
        all: false,
        images: false,
        texts: true,
        enqueue_only: false,
        model: args.model.clone(),
    };
    reindex::run(pool, media.clone(), &reindex_args).await?;
    let real: i64 = sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(pool).await?;

    // The indexes are built after the bulk load (far faster than maintaining them row by row),
    // from the definitions the migrations gave them; all in one transaction, so a failed build
    // leaves the database as the migrations made it.
    let mut tx = pool.begin().await?;
    let mut definitions = Vec::new();
    for name in INDEXES {
        let definition: String =
            sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE indexname = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .with_context(|| format!("the index {name}"))?;
        tx.execute(sqlx::AssertSqlSafe(format!("DROP INDEX {name}"))).await?;
        definitions.push((name, definition));
    }

    let synthetic = (args.products as i64 - real).max(0);
    let per_product = (synthetic + real - 1) / real.max(1);
    eprintln!("adding {synthetic} synthetic variations of the {real} real products…");
    // One variation per (product, n): style and colour from n, the real product's embedding
    // plus per-row noise (the noise subquery refers to the row, so it is drawn per row; and to
    // its own `d`, or PostgreSQL would make `array_agg` an aggregate of the outer query).
    sqlx::query(
        r#"
        INSERT INTO products (id, category_id, slug, name, description, attributes,
                              text_embedding, text_embedding_model, text_embedding_checksum)
        SELECT gen_random_uuid(), r.category_id, r.slug || '-v' || n,
               r.name || ' ' || ($3::text[])[1 + n % 12] || ' ' || ($4::text[])[1 + (n / 12) % 12],
               r.description || ' ' || ($3::text[])[1 + n % 12] || ' edition, in '
                   || lower(($4::text[])[1 + (n / 12) % 12]) || '.',
               jsonb_build_object('colour', ($4::text[])[1 + (n / 12) % 12]),
               l2_normalize(r.text_embedding + (
                   SELECT array_agg((random() - 0.5) * 0.08 + 0 * n + 0 * d)::vector
                   FROM generate_series(1, 384) d)),
               r.text_embedding_model, 'pending'
        FROM (SELECT * FROM products ORDER BY slug) r, generate_series(1, $1::int) n
        LIMIT $2
        "#,
    )
    .bind(per_product as i32)
    .bind(synthetic)
    .bind(STYLES.as_slice())
    .bind(COLOURS.as_slice())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO product_variants (id, product_id, sku, options, position, price_minor, currency, on_hand)
         SELECT gen_random_uuid(), p.id, upper(p.slug), '{}'::jsonb, 0,
                300 + (hashtext(p.slug) & 8191), 'EUR', (hashtext(p.slug) & 63) % 41
         FROM products p WHERE p.text_embedding_checksum = 'pending'",
    )
    .execute(&mut *tx)
    .await?;
    // Their texts' checksums, now that the rows exist to make the texts from; and the jobs
    // their inserts queued are dropped (their embeddings are in place).
    tx.execute(
        "UPDATE products SET text_embedding_checksum = md5(product_embedding_text(id))
         WHERE text_embedding_checksum = 'pending'",
    )
    .await?;
    tx.execute("DELETE FROM jobs WHERE kind = 'embed_text'").await?;
    tx.execute("ANALYZE products").await?;
    eprintln!("loaded in {:.1} s; building the indexes…", started.elapsed().as_secs_f64());

    let mut seconds = Vec::new();
    for (name, definition) in definitions {
        let started = Instant::now();
        tx.execute(sqlx::AssertSqlSafe(definition)).await?;
        seconds.push((name, started.elapsed().as_secs_f64()));
    }
    tx.commit().await?;
    pool.execute("VACUUM ANALYZE products").await?;
    index_sizes(pool, Some(&seconds)).await
}

async fn index_sizes(
    pool: &PgPool,
    built: Option<&[(&'static str, f64)]>,
) -> anyhow::Result<Vec<IndexFigures>> {
    let mut figures = Vec::new();
    for name in INDEXES {
        let bytes: i64 = sqlx::query_scalar("SELECT pg_relation_size($1::regclass)")
            .bind(name)
            .fetch_one(pool)
            .await?;
        let build_seconds =
            built.and_then(|built| built.iter().find(|(n, _)| *n == name).map(|(_, s)| *s));
        figures.push(IndexFigures { name, bytes, build_seconds });
    }
    Ok(figures)
}

/// The search queries (from the real names: exact, one typo in a long word, the name as typed
/// with its last word cut to 3 letters; and the judged descriptive set) and the suggestion
/// inputs (names as typed: 3 to 6 letters of one word, or a word and the next one's start).
async fn queries(
    pool: &PgPool,
    args: &BenchTextSearchArgs,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM products WHERE slug !~ '-v[0-9]+$' ORDER BY slug")
            .fetch_all(pool)
            .await?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut searches = Vec::new();
    let mut suggestions = Vec::new();
    for name in &names {
        let words: Vec<&str> = name.split_whitespace().collect();
        searches.push(name.clone());
        if let Some(long) = words.iter().find(|w| w.chars().count() >= 5 && w.is_ascii()) {
            let mut letters: Vec<char> = long.to_lowercase().chars().collect();
            let at = rng.random_range(0..letters.len() - 1);
            letters.swap(at, at + 1);
            searches.push(name.replace(long, &letters.into_iter().collect::<String>()));
        }
        let first: String = words[0].chars().take(rng.random_range(3..=6)).collect();
        suggestions.push(first.clone());
        if let Some(second) = words.get(1) {
            suggestions.push(format!(
                "{} {}",
                words[0],
                second.chars().take(2).collect::<String>()
            ));
        }
    }
    let judged = crate::eval::text_search::read_judged(&args.judged)?;
    searches.extend(judged.into_iter().map(|line| line.query));
    searches.shuffle(&mut rng);
    suggestions.shuffle(&mut rng);
    Ok((searches, suggestions))
}

struct Outcome {
    latency: Samples,
    errors: usize,
    elapsed: Duration,
}

/// `clients` clients, each sending its next request of `inputs` when the last one answered, for
/// `length`.
async fn drive(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    inputs: &[String],
    clients: usize,
    length: Duration,
) -> Outcome {
    let results = Arc::new(Mutex::new((Samples::default(), 0usize)));
    let inputs: Arc<Vec<String>> = Arc::new(inputs.to_vec());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for offset in 0..clients {
        let (client, results, inputs) = (client.clone(), Arc::clone(&results), Arc::clone(&inputs));
        let prefix = format!("{base}{path}");
        tasks.push(tokio::spawn(async move {
            let mut n = offset * inputs.len() / clients.max(1);
            while started.elapsed() < length {
                let query: String =
                    form_urlencoded::byte_serialize(inputs[n % inputs.len()].as_bytes()).collect();
                let sent = Instant::now();
                let ok = match client.get(format!("{prefix}{query}")).send().await {
                    Ok(response) => {
                        let status = response.status();
                        response.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                let mut results = results.lock().await;
                results.0.push(sent.elapsed());
                results.1 += usize::from(!ok);
                n += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed();
    let (latency, errors) = Arc::try_unwrap(results).map(Mutex::into_inner).unwrap_or_default();
    Outcome { latency, errors, elapsed }
}
