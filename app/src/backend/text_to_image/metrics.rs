//! How well a head maps images to texts, from embeddings alone: what the training job records
//! with each version and `vitrine-tools eval text-to-image` prints. Every vector is a unit
//! vector, so a dot product is a cosine similarity; ties go to the earlier candidate.

use serde::{Deserialize, Serialize};

/// A version's offline figures (on data it was not trained on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HeadMetrics {
    /// Held-out catalog names finding their product among all products' mapped images: the
    /// share whose product is in the top 10. What versions are compared by.
    pub catalog_recall_at_10: f64,
    /// How many held-out names that was measured on.
    pub catalog_queries: usize,
    /// Held-out Fashion-MNIST images put in the class whose name's embedding is nearest.
    pub fashion_zero_shot_accuracy: Option<f64>,
    /// Each class name's 10 nearest held-out Fashion-MNIST images: the share of its class.
    pub fashion_precision_at_10: Option<f64>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The indices of the `k` candidates most similar to `query`, most similar first.
pub fn top_k(query: &[f32], candidates: &[Vec<f32>], k: usize) -> Vec<usize> {
    let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
    for (index, candidate) in candidates.iter().enumerate() {
        let similarity = dot(query, candidate);
        if best.len() < k || best.last().is_some_and(|&(worst, _)| similarity > worst) {
            let at = best.partition_point(|&(s, _)| s >= similarity);
            best.insert(at, (similarity, index));
            best.truncate(k);
        }
    }
    best.into_iter().map(|(_, index)| index).collect()
}

/// The share of queries whose answer (`answers[i]`, an index into `gallery`) is among the `k`
/// gallery items nearest to `queries[i]`.
pub fn recall_at_k(queries: &[Vec<f32>], answers: &[usize], gallery: &[Vec<f32>], k: usize) -> f64 {
    assert_eq!(queries.len(), answers.len(), "one answer per query");
    let found = queries
        .iter()
        .zip(answers)
        .filter(|(query, answer)| top_k(query, gallery, k).contains(answer))
        .count();
    found as f64 / queries.len().max(1) as f64
}

/// The share of images whose nearest class (by its name's embedding) is their own.
pub fn zero_shot_accuracy(images: &[Vec<f32>], labels: &[usize], classes: &[Vec<f32>]) -> f64 {
    let right = images
        .iter()
        .zip(labels)
        .filter(|(image, &label)| top_k(image, classes, 1) == [label])
        .count();
    right as f64 / images.len().max(1) as f64
}

/// Each class name's `k` nearest images: the share of its own class, averaged over classes.
pub fn precision_at_k(
    classes: &[Vec<f32>],
    images: &[Vec<f32>],
    labels: &[usize],
    k: usize,
) -> f64 {
    let sum: f64 = classes
        .iter()
        .enumerate()
        .map(|(class, name)| {
            let nearest = top_k(name, images, k);
            let right = nearest.iter().filter(|&&i| labels[i] == class).count();
            right as f64 / nearest.len().max(1) as f64
        })
        .sum();
    sum / classes.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_by_similarity() {
        let candidates = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.8, 0.6], vec![-1.0, 0.0]];
        assert_eq!(top_k(&[1.0, 0.0], &candidates, 3), [0, 2, 1]);
        assert_eq!(top_k(&[0.0, 1.0], &candidates, 9), [1, 2, 0, 3]);
    }

    #[test]
    fn figures_of_a_known_case() {
        let gallery = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8]];
        // Query 0's answer is nearest; query 1's answer is third of three.
        let queries = vec![vec![1.0, 0.0], vec![1.0, 0.0]];
        assert_eq!(recall_at_k(&queries, &[0, 1], &gallery, 1), 0.5);
        assert_eq!(recall_at_k(&queries, &[0, 1], &gallery, 3), 1.0);

        let classes = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let images = vec![vec![0.9, 0.1], vec![0.2, 0.8], vec![0.7, 0.3]];
        assert_eq!(zero_shot_accuracy(&images, &[0, 1, 1], &classes), 2.0 / 3.0);
        // Class 0's two nearest: images 0 and 2 (one right); class 1's: 1 and 2 (both right).
        assert_eq!(precision_at_k(&classes, &images, &[0, 1, 1], 2), (0.5 + 1.0) / 2.0);
    }
}
