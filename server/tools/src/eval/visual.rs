//! `vitrine eval visual --dataset fashion-mnist`: do nearest neighbours under the image model's
//! embedding share the query's class, and how much more often than nearest neighbours under
//! raw pixels? Fashion-MNIST (28×28 grey clothes on black) is far from the catalog's photos, so
//! this says whether the embedding carries category information at all on images the model
//! never saw, not how the shop's search performs; `vitrine eval robustness` measures that.

use std::time::Instant;

use anyhow::ensure;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;
use vitrine::datasets::fashion_mnist::{Split, CLASSES};

use crate::cli::{Dataset, EvalVisualArgs};

/// Images per `embed_blocking` call: enough to keep every core busy, few enough for a smooth
/// progress bar.
const EMBED_CHUNK: usize = 16;

/// The cut-off of the wider precision figure (P@10).
const TOP_K: usize = 10;

pub fn run(args: &EvalVisualArgs) -> anyhow::Result<()> {
    let (train, test) = match args.dataset {
        Dataset::FashionMnist => (Split::train(&args.data_dir)?, Split::test(&args.data_dir)?),
    };
    ensure!(
        (1..=train.len()).contains(&args.gallery),
        "--gallery must be between 1 and {} (the training set's size)",
        train.len()
    );
    ensure!(
        (1..=test.len()).contains(&args.queries),
        "--queries must be between 1 and {} (the test set's size)",
        test.len()
    );
    let mut rng = StdRng::seed_from_u64(args.seed);
    let gallery = rand::seq::index::sample(&mut rng, train.len(), args.gallery).into_vec();
    let queries = rand::seq::index::sample(&mut rng, test.len(), args.queries).into_vec();
    let gallery_labels: Vec<u8> = gallery.iter().map(|&i| train.labels[i]).collect();
    let query_labels: Vec<u8> = queries.iter().map(|&i| test.labels[i]).collect();

    let raw = |split: &Split, picked: &[usize]| -> Vec<Vec<f32>> {
        picked.iter().map(|&i| centred_unit(split.image(i))).collect()
    };
    let raw_precision =
        evaluate(&raw(&test, &queries), &query_labels, &raw(&train, &gallery), &gallery_labels);

    let embedder = vitrine::runtime::model::load_embedder(&args.model)?;
    let images: Vec<(&Split, usize)> =
        gallery.iter().map(|&i| (&train, i)).chain(queries.iter().map(|&i| (&test, i))).collect();
    let started = Instant::now();
    let mut embeddings = embed(&embedder, &images)?;
    let seconds = started.elapsed().as_secs_f64();
    let query_embeddings = embeddings.split_off(gallery.len());
    let embedding_precision =
        evaluate(&query_embeddings, &query_labels, &embeddings, &gallery_labels);

    println!(
        "Fashion-MNIST retrieval: {} gallery images (train), {} queries (test), seed {}",
        args.gallery, args.queries, args.seed
    );
    println!("{:<36} {:>4} {:>7} {:>7}", "representation", "dim", "P@1", "P@10");
    let row = |name: &str, dim: usize, precision: &Precision| {
        println!("{name:<36} {dim:>4} {:>7.3} {:>7.3}", precision.at_1, precision.at_k);
    };
    row("raw pixels (centred, L2-normalised)", train.rows * train.cols, &raw_precision);
    row(
        "EfficientNet-Lite0 embedding",
        embeddings.first().map_or(0, Vec::len),
        &embedding_precision,
    );
    println!(
        "chance (share of the query's class in the gallery): {:.3}",
        chance(&query_labels, &gallery_labels)
    );
    println!(
        "embedding time: {seconds:.0} s ({:.1} images/s)",
        images.len() as f64 / seconds.max(1e-9)
    );
    println!(
        "raw pixels: each image minus its own mean, divided by its L2 norm; similarity: cosine"
    );
    println!();
    println!("{:<12} {:>7} {:>10}", "P@1 by class", "raw", "embedding");
    for (class, name) in CLASSES.iter().enumerate() {
        println!(
            "{name:<12} {:>7.3} {:>10.3}",
            raw_precision.per_class_at_1[class], embedding_precision.per_class_at_1[class]
        );
    }
    Ok(())
}

/// Raw pixels as a unit vector around the image's own mean, so a dot product is the pixels'
/// correlation: brightness and contrast differences between images do not count. A flat image
/// becomes the zero vector (similar to nothing).
fn centred_unit(pixels: &[u8]) -> Vec<f32> {
    let mean = pixels.iter().map(|&p| f32::from(p)).sum::<f32>() / pixels.len().max(1) as f32;
    let centred: Vec<f32> = pixels.iter().map(|&p| f32::from(p) - mean).collect();
    let norm = centred.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm == 0.0 {
        return centred;
    }
    centred.into_iter().map(|v| v / norm).collect()
}

/// The model's embeddings of `images`, in order, with a progress bar on stderr.
fn embed(
    embedder: &app::backend::vision::ImageEmbedder,
    images: &[(&Split, usize)],
) -> anyhow::Result<Vec<Vec<f32>>> {
    let bar = ProgressBar::new(images.len() as u64).with_style(
        ProgressStyle::with_template(
            "{spinner} embedding [{bar:40}] {pos}/{len} images, {per_sec}, eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    let mut embeddings = Vec::with_capacity(images.len());
    for chunk in images.chunks(EMBED_CHUNK) {
        let inputs: Vec<Vec<f32>> =
            chunk.par_iter().map(|&(split, index)| split.model_input(index)).collect();
        embeddings.extend(embedder.embed_blocking(&inputs)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(embeddings)
}

/// Precision of a retrieval run: P@1 overall and per query class, and P@k.
#[derive(Debug, Clone, PartialEq)]
struct Precision {
    at_1: f64,
    at_k: f64,
    per_class_at_1: Vec<f64>,
}

/// Ranks the whole gallery for every query (in parallel) and scores the top `TOP_K`.
fn evaluate(
    queries: &[Vec<f32>],
    query_labels: &[u8],
    gallery: &[Vec<f32>],
    gallery_labels: &[u8],
) -> Precision {
    let neighbours: Vec<Vec<u8>> = queries
        .par_iter()
        .map(|query| nearest_labels(query, gallery, gallery_labels, TOP_K))
        .collect();
    precision(query_labels, &neighbours)
}

/// The labels of the `k` gallery vectors most similar to `query`, most similar first. All
/// vectors are unit length, so the dot product is the cosine similarity. Ties go to the earlier
/// gallery vector.
fn nearest_labels(query: &[f32], gallery: &[Vec<f32>], labels: &[u8], k: usize) -> Vec<u8> {
    // (similarity, gallery index), best first; at most k long.
    let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
    for (index, candidate) in gallery.iter().enumerate() {
        let similarity: f32 = query.iter().zip(candidate).map(|(a, b)| a * b).sum();
        if best.len() < k || best.last().is_some_and(|&(worst, _)| similarity > worst) {
            let at = best.partition_point(|&(s, _)| s >= similarity);
            best.insert(at, (similarity, index));
            best.truncate(k);
        }
    }
    best.into_iter().map(|(_, index)| labels[index]).collect()
}

/// P@1 (is the nearest neighbour of the query's class?) and P@k (the share of the query's class
/// among its neighbours), averaged over queries; per-class P@1 averages over the queries of
/// each class (0 for a class without queries).
fn precision(query_labels: &[u8], neighbours: &[Vec<u8>]) -> Precision {
    let mut hits = vec![0usize; CLASSES.len()];
    let mut counts = vec![0usize; CLASSES.len()];
    let mut share_sum = 0.0;
    for (&label, found) in query_labels.iter().zip(neighbours) {
        let class = usize::from(label);
        counts[class] += 1;
        if found.first() == Some(&label) {
            hits[class] += 1;
        }
        let same = found.iter().filter(|&&l| l == label).count();
        share_sum += same as f64 / found.len().max(1) as f64;
    }
    let queries = query_labels.len().max(1) as f64;
    Precision {
        at_1: hits.iter().sum::<usize>() as f64 / queries,
        at_k: share_sum / queries,
        per_class_at_1: hits
            .iter()
            .zip(&counts)
            .map(|(&h, &n)| if n == 0 { 0.0 } else { h as f64 / n as f64 })
            .collect(),
    }
}

/// What a random ranking scores on average: the mean share of the query's class in the gallery.
fn chance(query_labels: &[u8], gallery_labels: &[u8]) -> f64 {
    let mut counts = [0usize; CLASSES.len()];
    for &label in gallery_labels {
        counts[usize::from(label)] += 1;
    }
    let total: usize = query_labels.iter().map(|&label| counts[usize::from(label)]).sum();
    total as f64 / (query_labels.len() as f64 * gallery_labels.len() as f64).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_unit_vectors_ignore_brightness_and_contrast() {
        let dark = centred_unit(&[10, 20, 30, 40]);
        let bright = centred_unit(&[100, 120, 140, 160]);
        let norm: f32 = dark.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-6);
        assert!(dark.iter().sum::<f32>().abs() < 1e-6);
        for (a, b) in dark.iter().zip(&bright) {
            assert!((a - b).abs() < 1e-6);
        }
        assert_eq!(centred_unit(&[7, 7, 7]), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn nearest_labels_come_best_first() {
        let gallery = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.8, 0.6], vec![-1.0, 0.0]];
        let labels = [0, 1, 2, 3];
        assert_eq!(nearest_labels(&[1.0, 0.0], &gallery, &labels, 3), [0, 2, 1]);
        assert_eq!(nearest_labels(&[0.0, 1.0], &gallery, &labels, 2), [1, 2]);
        assert_eq!(nearest_labels(&[0.0, 1.0], &gallery, &labels, 9).len(), 4);
    }

    #[test]
    fn precision_of_a_known_ranking() {
        // Query 1 (class 0): nearest is right, 2 of 4 neighbours are. Query 2 (class 1): nearest
        // is wrong, 1 of 4 is right. Query 3 (class 1): all right.
        let labels = [0, 1, 1];
        let neighbours = vec![vec![0, 1, 0, 2], vec![0, 1, 2, 2], vec![1, 1, 1, 1]];
        let p = precision(&labels, &neighbours);
        assert!((p.at_1 - 2.0 / 3.0).abs() < 1e-9);
        assert!((p.at_k - (0.5 + 0.25 + 1.0) / 3.0).abs() < 1e-9);
        assert_eq!(p.per_class_at_1[..3], [1.0, 0.5, 0.0]);
    }

    #[test]
    fn chance_is_the_class_share_of_the_gallery() {
        assert!((chance(&[0, 1], &[0, 0, 0, 1]) - (0.75 + 0.25) / 2.0).abs() < 1e-9);
    }
}
