//! `vitrine-tools eval text-to-image`: how well the text-to-image head finds pictures by words.
//! It trains a head exactly as the `train_text_to_image` job does (same data, same code), but
//! with a larger share of the catalog held out and more Fashion-MNIST test images, and stores
//! nothing:
//! - **catalog recall@10**: each held-out product's name (never seen in training) searches all
//!   products' mapped main images; does its own product come in the top 10?
//! - **Fashion-MNIST P@10**: each class name ("sneaker") searches the mapped test images; the
//!   share of its class among the 10 nearest, averaged over the classes.
//! - **Fashion-MNIST zero-shot accuracy**: each test image is put in the class whose name's
//!   embedding is nearest (10-way; chance 0.1).
//!
//! The untrained head (same seed, no training) is the reference row: what the figures are
//! without learning anything.

use std::time::Instant;

use anyhow::ensure;
use app::backend::text_to_image::train::{self, TrainParams};
use sqlx::PgPool;
use vitrine::datasets::fashion_mnist::CLASSES;
use vitrine::jobs::progress::{self, Reporter};
use vitrine::jobs::train_text_to_image::{self, FashionSample};

use crate::cli::EvalTextToImageArgs;

pub async fn run(pool: &PgPool, args: &EvalTextToImageArgs) -> anyhow::Result<()> {
    ensure!(
        args.holdout > 0.0 && args.holdout < 1.0,
        "--holdout is a share of the catalog, between 0 and 1"
    );
    let images = vitrine::runtime::model::load_embedder_async(&args.model).await?;
    let texts = vitrine::runtime::model::load_text_embedder_async(&args.model).await?;
    let fashion = train_text_to_image::load_fashion(&args.model.fashion_mnist)?;
    let sample = FashionSample { train: args.fashion_images, test: args.fashion_test };
    let params = TrainParams { epochs: args.epochs, seed: args.seed, ..TrainParams::default() };

    let reporter = Reporter::Bar(progress::bar());
    let started = Instant::now();
    let data = train_text_to_image::gather(
        pool,
        &images,
        &texts,
        Some((&fashion.0, &fashion.1, sample)),
        args.holdout,
        args.seed,
        &reporter,
    )
    .await?;
    let gathering = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (head, loss) = train_text_to_image::train_reporting(&data.set, &params, &reporter).await?;
    let training = started.elapsed().as_secs_f64();
    reporter.finish();
    let trained = train_text_to_image::evaluate(&head, &data.validation);
    let untrained = train_text_to_image::evaluate(&train::untrained(&params), &data.validation);

    let products = data.validation.catalog_gallery.len();
    println!(
        "Text to image: {} catalog products ({} names held out), {} Fashion-MNIST training \
         images, {} test images; seed {}, {} epochs",
        products,
        trained.catalog_queries,
        data.fashion_pairs,
        data.validation.fashion.as_ref().map_or(0, |f| f.images.len()),
        params.seed,
        params.epochs,
    );
    println!(
        "embedding the data: {gathering:.0} s; training: {training:.1} s \
         ({} pairs, final loss {loss:.3})",
        data.set.pairs.len()
    );
    println!("{:<46} {:>8} {:>10} {:>8}", "figure", "trained", "untrained", "chance");
    let figure = |value: Option<f64>| value.map_or("-".to_owned(), |v| format!("{v:.3}"));
    println!(
        "{:<46} {:>8.3} {:>10.3} {:>8.3}",
        "catalog recall@10 (held-out names → images)",
        trained.catalog_recall_at_10,
        untrained.catalog_recall_at_10,
        10.0 / products.max(1) as f64,
    );
    println!(
        "{:<46} {:>8} {:>10} {:>8.3}",
        "Fashion-MNIST P@10 (class name → images)",
        figure(trained.fashion_precision_at_10),
        figure(untrained.fashion_precision_at_10),
        1.0 / CLASSES.len() as f64,
    );
    println!(
        "{:<46} {:>8} {:>10} {:>8.3}",
        "Fashion-MNIST zero-shot accuracy (10-way)",
        figure(trained.fashion_zero_shot_accuracy),
        figure(untrained.fashion_zero_shot_accuracy),
        1.0 / CLASSES.len() as f64,
    );
    Ok(())
}
