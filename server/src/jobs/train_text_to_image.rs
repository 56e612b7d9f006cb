//! The `train_text_to_image` job: trains a version of the text-to-image head on the catalog's
//! (main image, name) pairs and Fashion-MNIST's (image, class name) pairs, measures it on what it
//! did not see, stores it in the model registry and, when it scores at least as well as the
//! active version, maps the whole catalog with it and only then makes it active: search reads
//! one complete version at every moment.
//!
//! Every stage reports its progress on the job (the command line's bar, the admin's jobs page).
//! Idempotent enough to retry: an attempt that dies leaves at most an inactive version and some
//! of its mappings, which the retry's own version does not depend on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use app::backend::audit::Actor;
use app::backend::catalog;
use app::backend::jobs::{self, ClaimedJob};
use app::backend::model_registry::{self, NewVersion};
use app::backend::text_model::TextEmbedder;
use app::backend::text_to_image::metrics::{self, HeadMetrics};
use app::backend::text_to_image::train::{self, TrainParams, TrainingSet};
use app::backend::text_to_image::{
    store, AlignmentHead, TrainTextToImage, KIND, TRAIN_JOB, VERSION_PREFIX,
};
use app::backend::vision::ImageEmbedder;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlx::PgPool;
use uuid::Uuid;

use crate::datasets::fashion_mnist::{self, Split, CLASSES};
use crate::jobs::align_images::map_catalog;
use crate::jobs::progress::{train_in_background, Reporter};
use crate::jobs::worker::{one_by_one, HandlerFuture, JobHandler};

/// Fashion-MNIST training images added to the catalog's pairs by default: enough for the head
/// to learn the ten classes, few enough to embed in about a minute.
pub const DEFAULT_FASHION_IMAGES: usize = 1_000;

/// How many Fashion-MNIST images to draw: from the training split to learn from, from the test
/// split to measure on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FashionSample {
    pub train: usize,
    pub test: usize,
}

impl FashionSample {
    /// `train` images to learn from and a quarter as many (at least one per class) to measure.
    pub fn for_training(train: usize) -> Self {
        Self { train, test: (train / 4).max(CLASSES.len()) }
    }
}
/// The share of the catalog's products held out of training to measure a version on.
pub const HOLDOUT: f64 = 0.1;

/// How long a training job stays its worker's: the worker that trains runs nothing else, so
/// the shop's other jobs never wait behind a training (`vitrine serve` runs it apart).
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(3600);
/// Attempts of a training job: its data may still be embedding at first (each retry waits
/// twice as long, about 17 minutes in all).
const MAX_ATTEMPTS: i32 = 10;

/// Queues a training (one live at a time); returns the id of the job to follow, the one
/// already live when there is one.
pub async fn enqueue(pool: &PgPool, request: &TrainTextToImage) -> anyhow::Result<Uuid> {
    let job = jobs::NewJob::new(TRAIN_JOB, request).dedupe(TRAIN_JOB).max_attempts(MAX_ATTEMPTS);
    let mut conn = pool.acquire().await?;
    if let Some(id) = jobs::enqueue(&mut conn, &job).await? {
        return Ok(id);
    }
    jobs::live_id(pool, TRAIN_JOB)
        .await?
        .context("the live training job ended meanwhile; ask again")
}

/// Texts embedded per pass of the text model.
const TEXT_BATCH: usize = 32;
/// Images embedded per pass of the image model.
const IMAGE_BATCH: usize = 16;

pub struct TrainTextToImageHandler {
    pub pool: PgPool,
    pub images: ImageEmbedder,
    pub texts: TextEmbedder,
    /// Where Fashion-MNIST's files are; without them the head learns from the catalog alone.
    pub fashion_dir: PathBuf,
}

impl JobHandler for TrainTextToImageHandler {
    fn kind(&self) -> &'static str {
        TRAIN_JOB
    }

    /// Both models make the training data: without either, the job waits for it.
    fn is_ready(&self) -> bool {
        self.images.status().is_ok() && self.texts.status().is_ok()
    }

    fn run<'a>(&'a self, jobs: &'a [ClaimedJob]) -> HandlerFuture<'a> {
        one_by_one(jobs, move |job| async move {
            let request: TrainTextToImage = serde_json::from_value(job.payload.clone())
                .map_err(|err| format!("bad payload: {err}"))?;
            let reporter = Reporter::Job { pool: self.pool.clone(), id: job.id };
            let outcome = train_and_activate(
                &self.pool,
                &self.images,
                &self.texts,
                &self.fashion_dir,
                &request,
                &reporter,
            )
            .await
            .map_err(|err| format!("{err:#}"))?;
            tracing::info!(
                version = %outcome.version,
                activated = outcome.activated,
                recall_at_10 = outcome.metrics.catalog_recall_at_10,
                "text-to-image head trained"
            );
            Ok(())
        })
    }
}

/// What a training run made.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub version: String,
    pub metrics: HeadMetrics,
    pub activated: bool,
}

/// The whole job: gather, train, measure, store, and (when at least as good) map and activate.
pub async fn train_and_activate(
    pool: &PgPool,
    images: &ImageEmbedder,
    texts: &TextEmbedder,
    fashion_dir: &std::path::Path,
    request: &TrainTextToImage,
    reporter: &Reporter,
) -> anyhow::Result<Outcome> {
    let params = request.params.clone().unwrap_or_default();
    let fashion_images = request.fashion_images.unwrap_or(DEFAULT_FASHION_IMAGES);
    let fashion = if fashion_images == 0 {
        None
    } else {
        match load_fashion(fashion_dir) {
            Ok(splits) => Some(splits),
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "training on the catalog alone");
                None
            }
        }
    };
    let data = gather(
        pool,
        images,
        texts,
        fashion
            .as_ref()
            .map(|(train, test)| (train, test, FashionSample::for_training(fashion_images))),
        HOLDOUT,
        params.seed,
        reporter,
    )
    .await?;

    let started = Instant::now();
    let (head, loss) = train_reporting(&data.set, &params, reporter).await?;
    let training_seconds = started.elapsed().as_secs_f64();
    let head = Arc::new(head);
    let metrics = evaluate(&head, &data.validation);

    let version = model_registry::next_version_name(pool, VERSION_PREFIX).await?;
    let id = model_registry::insert(
        pool,
        &NewVersion {
            kind: KIND,
            version: version.clone(),
            params: serde_json::to_value(&params)?,
            data: serde_json::json!({
                "catalog_pairs": data.catalog_pairs,
                "fashion_mnist_pairs": data.fashion_pairs,
                "holdout": HOLDOUT,
                "image_model": images.model_version(),
                "text_model": texts.model_version(),
                "final_loss": loss,
            }),
            metrics: serde_json::to_value(metrics)?,
            weights: head.to_bytes()?,
            training_seconds,
        },
    )
    .await?;

    let previous = model_registry::active(pool, KIND).await?;
    let previous_recall_at_10 = previous.as_ref().map(|active| {
        serde_json::from_value::<HeadMetrics>(active.metrics.clone())
            .map_or(0.0, |m| m.catalog_recall_at_10)
    });
    let better = previous_recall_at_10.is_none_or(|old| metrics.catalog_recall_at_10 >= old);
    let activated = better || request.force_activate;
    if activated {
        map_and_activate(pool, id, &version, head, Actor::Command, reporter).await?;
    }
    Ok(Outcome { version, metrics, activated })
}

/// Maps the catalog with version `id`, then makes it the active one (audited as `actor`), then
/// drops the other versions' mappings. Search keeps reading the old version until the switch.
pub async fn map_and_activate(
    pool: &PgPool,
    id: Uuid,
    version: &str,
    head: Arc<AlignmentHead>,
    actor: Actor,
    reporter: &Reporter,
) -> anyhow::Result<()> {
    map_catalog(pool, id, head, reporter).await?;
    let mut tx = pool.begin().await?;
    model_registry::activate(&mut tx, version, actor).await?;
    tx.commit().await?;
    store::remove_other_versions(pool, id).await?;
    Ok(())
}

pub fn load_fashion(dir: &std::path::Path) -> anyhow::Result<(Split, Split)> {
    Ok((Split::train(dir)?, Split::test(dir)?))
}

/// A training set and what the version is measured on.
pub struct Gathered {
    pub set: TrainingSet,
    pub validation: Validation,
    pub catalog_pairs: usize,
    pub fashion_pairs: usize,
}

/// Held-out data, as embeddings: image embeddings are the raw 1280-d ones (the head maps them).
pub struct Validation {
    /// The held-out products' names.
    pub catalog_queries: Vec<Vec<f32>>,
    /// Each query's product, an index into `catalog_gallery`.
    pub catalog_answers: Vec<usize>,
    /// Every product's main image, held out or not: a query searches the whole catalog.
    pub catalog_gallery: Vec<Vec<f32>>,
    pub fashion: Option<FashionValidation>,
}

pub struct FashionValidation {
    pub images: Vec<Vec<f32>>,
    pub labels: Vec<usize>,
    /// The class names' text embeddings, in label order.
    pub classes: Vec<Vec<f32>>,
}

/// Embeds the catalog's names (its images are embedded already) and `fashion`'s sampled
/// images, and splits the catalog: `holdout` of its products, drawn with `seed`, are only
/// measured on.
pub async fn gather(
    pool: &PgPool,
    images: &ImageEmbedder,
    texts: &TextEmbedder,
    fashion: Option<(&Split, &Split, FashionSample)>,
    holdout: f64,
    seed: u64,
    reporter: &Reporter,
) -> anyhow::Result<Gathered> {
    let waiting = catalog::embedding_counts(pool, images.model_version()).await?.waiting;
    anyhow::ensure!(
        waiting == 0,
        "{waiting} product images are still to be embedded; training waits for them (the job retries)"
    );
    let products = store::named_images(pool).await?;
    // One to learn from and one to measure on, at the very least.
    anyhow::ensure!(
        products.len() >= 2,
        "{} published products have an embedded main image; the head needs at least 2",
        products.len()
    );
    let names: Vec<String> = products.iter().map(|product| product.name.clone()).collect();
    let name_embeddings = embed_texts(texts, names, reporter).await?;

    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..products.len()).collect();
    order.shuffle(&mut rng);
    let held_out = ((products.len() as f64 * holdout).ceil() as usize).clamp(1, products.len() - 1);
    let (validation_products, training_products) = order.split_at(held_out);

    let mut set = TrainingSet::default();
    for &index in training_products {
        let text = set.add_text(name_embeddings[index].clone());
        set.add_pair(products[index].image.clone(), text);
    }
    let catalog_pairs = set.pairs.len();
    let mut validation = Validation {
        catalog_queries: validation_products.iter().map(|&i| name_embeddings[i].clone()).collect(),
        catalog_answers: validation_products.to_vec(),
        catalog_gallery: products.into_iter().map(|product| product.image).collect(),
        fashion: None,
    };

    if let Some((train_split, test_split, count)) = fashion {
        let class_names: Vec<String> = CLASSES.iter().map(|name| (*name).to_owned()).collect();
        let classes = texts.embed(class_names).await?;
        let class_texts: Vec<usize> =
            classes.iter().map(|class| set.add_text(class.clone())).collect();
        let picked = sample(train_split, count.train, &mut rng);
        let embedded =
            embed_fashion(images, train_split, &picked, "Fashion-MNIST (training)", reporter)
                .await?;
        for (image, &index) in embedded.into_iter().zip(&picked) {
            set.add_pair(image, class_texts[usize::from(train_split.labels[index])]);
        }
        let picked = sample(test_split, count.test, &mut rng);
        let embedded =
            embed_fashion(images, test_split, &picked, "Fashion-MNIST (validation)", reporter)
                .await?;
        validation.fashion = Some(FashionValidation {
            images: embedded,
            labels: picked.iter().map(|&i| usize::from(test_split.labels[i])).collect(),
            classes,
        });
    }
    let fashion_pairs = set.pairs.len() - catalog_pairs;
    Ok(Gathered { set, validation, catalog_pairs, fashion_pairs })
}

/// `count` distinct images of `split` (all of them when it has fewer), drawn from `rng`.
fn sample(split: &Split, count: usize, rng: &mut StdRng) -> Vec<usize> {
    rand::seq::index::sample(rng, split.len(), count.min(split.len())).into_vec()
}

async fn embed_texts(
    texts: &TextEmbedder,
    names: Vec<String>,
    reporter: &Reporter,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let total = names.len() as u64;
    let mut embeddings = Vec::with_capacity(names.len());
    for chunk in names.chunks(TEXT_BATCH) {
        embeddings.extend(texts.embed(chunk.to_vec()).await?);
        reporter
            .report("embedding the catalog's names", embeddings.len() as u64, total, None)
            .await;
    }
    Ok(embeddings)
}

async fn embed_fashion(
    images: &ImageEmbedder,
    split: &Split,
    picked: &[usize],
    stage: &str,
    reporter: &Reporter,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let total = picked.len() as u64;
    let mut embeddings = Vec::with_capacity(picked.len());
    for chunk in picked.chunks(IMAGE_BATCH) {
        // Upscaling to the model's side is CPU work: off the async threads.
        let (rows, cols) = (split.rows, split.cols);
        let pixels: Vec<Vec<u8>> = chunk.iter().map(|&index| split.image(index).to_vec()).collect();
        let inputs = tokio::task::spawn_blocking(move || {
            pixels.iter().map(|image| fashion_mnist::model_input(image, rows, cols)).collect()
        })
        .await?;
        embeddings.extend(images.embed_inputs(inputs).await.context("embedding Fashion-MNIST")?);
        reporter.report(stage, embeddings.len() as u64, total, None).await;
    }
    Ok(embeddings)
}

/// Trains off the async threads, reporting every epoch's loss.
pub async fn train_reporting(
    set: &TrainingSet,
    params: &TrainParams,
    reporter: &Reporter,
) -> anyhow::Result<(AlignmentHead, f64)> {
    let (set, params) = (set.clone(), params.clone());
    train_in_background("training", reporter, move |on_epoch| train::train(&set, &params, on_epoch))
        .await
}

/// A head's figures on `validation`.
pub fn evaluate(head: &AlignmentHead, validation: &Validation) -> HeadMetrics {
    let gallery = head.map_images(&validation.catalog_gallery);
    let catalog_recall_at_10 = metrics::recall_at_k(
        &validation.catalog_queries,
        &validation.catalog_answers,
        &gallery,
        10,
    );
    let (fashion_zero_shot_accuracy, fashion_precision_at_10) = match &validation.fashion {
        Some(fashion) => {
            let mapped = head.map_images(&fashion.images);
            (
                Some(metrics::zero_shot_accuracy(&mapped, &fashion.labels, &fashion.classes)),
                Some(metrics::precision_at_k(&fashion.classes, &mapped, &fashion.labels, 10)),
            )
        }
        None => (None, None),
    };
    HeadMetrics {
        catalog_recall_at_10,
        catalog_queries: validation.catalog_queries.len(),
        fashion_zero_shot_accuracy,
        fashion_precision_at_10,
    }
}
