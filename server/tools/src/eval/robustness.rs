//! `vitrine eval robustness`: does a shopper's photo of a catalog product find that product?
//! Every product's main image is re-photographed synthetically (see [`super::rephotograph`]),
//! goes through the upload path (`model_input_from_file`) and the search the API runs
//! (`search::products_like`), and the rank of the product itself is noted.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use app::backend::media::MediaStore;
use app::backend::search::{self, SearchFilter};
use app::backend::vision::{ImageEmbedder, MODEL_VERSION};
use app::preprocess::{decode_upright, model_input_from_file, Limits};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use uuid::Uuid;

use super::rephotograph::{rephotograph, JPEG_QUALITY};
use crate::bench::stats::Samples;
use crate::cli::EvalRobustnessArgs;

/// Names a directory to save the first few query photos in, for looking at them.
const SAVE_EXAMPLES_ENV: &str = "VITRINE_EVAL_SAVE_EXAMPLES";
const SAVED_EXAMPLES: usize = 8;

/// Queries embedded per `embed_blocking` call (one pass per image, side by side on the cores).
const EMBED_CHUNK: usize = 16;

/// Results asked of the search; "in the top 5" is measured on these.
const SEARCH_LIMIT: usize = 5;

/// A product's main image in the catalog.
#[derive(Debug, Clone, sqlx::FromRow)]
struct CatalogImage {
    product_id: Uuid,
    slug: String,
    storage_key: String,
}

/// What searching for one re-photograph found.
struct Outcome {
    /// The product's own rank (0 is first), if it came back at all.
    rank: Option<usize>,
    /// Preprocessing and embedding (its share of the chunk), plus the search.
    query_time: Duration,
}

pub async fn run(
    pool: &PgPool,
    media: &MediaStore,
    args: &EvalRobustnessArgs,
) -> anyhow::Result<()> {
    let images = main_images(pool, args.limit).await?;
    ensure!(
        !images.is_empty(),
        "no product image is embedded by {MODEL_VERSION}; run `vitrine seed` and `vitrine reindex`"
    );
    let embedder = vitrine::runtime::model::load_embedder_async(&args.model).await?;
    let save_dir = std::env::var_os(SAVE_EXAMPLES_ENV).map(PathBuf::from);
    if let Some(dir) = &save_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let bar = ProgressBar::new(images.len() as u64).with_style(
        ProgressStyle::with_template(
            "{spinner} searching [{bar:40}] {pos}/{len} re-photographs, {per_sec}, eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    // Each photo gets its own generator, seeded in catalog order, so a photo does not depend
    // on how the work is chunked.
    let mut seeds = StdRng::seed_from_u64(args.seed);
    let mut outcomes = Vec::with_capacity(images.len());
    for (chunk_index, chunk) in images.chunks(EMBED_CHUNK).enumerate() {
        let photo_seeds: Vec<u64> = chunk.iter().map(|_| seeds.random()).collect();
        let queries = {
            let (embedder, root, chunk) =
                (embedder.clone(), media.root().to_path_buf(), chunk.to_vec());
            tokio::task::spawn_blocking(move || {
                photograph_and_embed(&embedder, &root, &chunk, &photo_seeds)
            })
            .await
            .context("the embedding task")??
        };
        if let Some(dir) = &save_dir {
            let first = chunk_index * EMBED_CHUNK;
            for (offset, (image, jpeg)) in chunk.iter().zip(&queries.jpegs).enumerate() {
                if first + offset < SAVED_EXAMPLES {
                    let path = dir.join(format!("{:02}-{}.jpg", first + offset, image.slug));
                    std::fs::write(&path, jpeg)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
            }
        }
        let embed_share = queries.embed_time / chunk.len() as u32;
        for (image, embedding) in chunk.iter().zip(&queries.embeddings) {
            let started = Instant::now();
            let found = search::products_like(
                pool,
                embedding,
                MODEL_VERSION,
                &SearchFilter::default(),
                SEARCH_LIMIT as i64,
            )
            .await
            .with_context(|| format!("searching for the photo of {}", image.slug))?;
            let query_time = embed_share + started.elapsed();
            let rank = found.iter().position(|hit| hit.product.id == image.product_id);
            if rank != Some(0) {
                let top: Vec<&str> = found.iter().map(|hit| hit.product.slug.as_str()).collect();
                tracing::debug!(product = image.slug, ?rank, ?top, "own product not first");
            }
            outcomes.push(Outcome { rank, query_time });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    print_summary(&outcomes, args.seed);
    Ok(())
}

/// Every product's main image that the current model has embedded, in a stable order, or the
/// first `limit` of them.
async fn main_images(pool: &PgPool, limit: Option<usize>) -> anyhow::Result<Vec<CatalogImage>> {
    let limit = limit.map_or(i64::MAX, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
    sqlx::query_as::<_, CatalogImage>(
        "SELECT i.product_id, p.slug, i.storage_key
         FROM product_images i JOIN products p ON p.id = i.product_id
         WHERE i.position = 0 AND i.status = 'ready' AND i.model_version = $1
         ORDER BY i.product_id
         LIMIT $2",
    )
    .bind(MODEL_VERSION)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("reading the catalog's main images")
}

/// A chunk's query photos and their embeddings.
struct Queries {
    jpegs: Vec<Vec<u8>>,
    embeddings: Vec<Vec<f32>>,
    /// Decoding the JPEGs as uploads and embedding them: the query side of the search.
    embed_time: Duration,
}

/// Re-photographs each image (with its own seed), then embeds the photos exactly as uploads
/// are embedded. Blocking.
fn photograph_and_embed(
    embedder: &ImageEmbedder,
    media_root: &Path,
    images: &[CatalogImage],
    seeds: &[u64],
) -> anyhow::Result<Queries> {
    let jpegs = images
        .iter()
        .zip(seeds)
        .map(|(image, &seed)| {
            let path = media_root.join(&image.storage_key);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let product = decode_upright(&bytes, &Limits::default())
                .with_context(|| format!("decoding {}", path.display()))?;
            rephotograph(&product, &mut StdRng::seed_from_u64(seed))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let started = Instant::now();
    let inputs = jpegs
        .iter()
        .map(|jpeg| model_input_from_file(jpeg, None, &Limits::default()))
        .collect::<Result<Vec<_>, _>>()
        .context("preprocessing a re-photograph as an upload")?;
    let embeddings = embedder.embed_blocking(&inputs)?;
    Ok(Queries { jpegs, embeddings, embed_time: started.elapsed() })
}

fn print_summary(outcomes: &[Outcome], seed: u64) {
    let total = outcomes.len();
    let first = outcomes.iter().filter(|o| o.rank == Some(0)).count();
    let top = outcomes.iter().filter(|o| o.rank.is_some()).count();
    let share = |n: usize| n as f64 / total.max(1) as f64;
    let mut times = Samples::default();
    for outcome in outcomes {
        times.push(outcome.query_time);
    }
    println!(
        "Robustness: {total} catalog images re-photographed (crop, rotation ±15°, colour shift, \
         background, JPEG q{JPEG_QUALITY}), seed {seed}"
    );
    println!("own product ranked first   {:.3}  ({first}/{total})", share(first));
    println!("own product in the top {SEARCH_LIMIT}   {:.3}  ({top}/{total})", share(top));
    println!(
        "median query (embed + search): {:.0} ms  (embedding timed per chunk of {EMBED_CHUNK}, \
         shared equally)",
        times.median()
    );
}
