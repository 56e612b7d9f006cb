//! The classic recommenders the learned model must beat, measured on the same data by the same
//! code ([`super::metrics`]): popularity (what most users have) and item-KNN (items met by the
//! same users as what you have, by cosine over the users who met them).

use rayon::prelude::*;

use super::interactions::Interactions;
use super::metrics::top_k;

/// Anything that can score every item for a user known by their history.
pub trait Scorer: Sync {
    /// Fills `scores` (one per item; higher is better) for a user who met `history`.
    fn score(&self, history: &[u32], scores: &mut [f32]);

    fn items(&self) -> usize;

    /// Each user's top `k`, leaving out what they met.
    fn recommend(&self, histories: &[Vec<u32>], k: usize) -> Vec<Vec<u32>> {
        histories
            .par_iter()
            .map_init(
                || vec![0.0f32; self.items()],
                |scores, history| {
                    self.score(history, scores);
                    top_k(scores, history, k)
                },
            )
            .collect()
    }
}

/// Every user gets the items most users have.
#[derive(Debug, Clone)]
pub struct Popularity {
    counts: Vec<f32>,
}

impl Popularity {
    pub fn fit(data: &Interactions) -> Self {
        Self { counts: data.item_counts().into_iter().map(|c| c as f32).collect() }
    }
}

impl Scorer for Popularity {
    fn score(&self, _history: &[u32], scores: &mut [f32]) {
        scores.copy_from_slice(&self.counts);
    }

    fn items(&self) -> usize {
        self.counts.len()
    }
}

/// Item-based nearest neighbours: each item keeps its `neighbours` most similar items
/// (cosine between the sets of users who met them); a user's score for an item is the sum of
/// its similarities to the items they met.
#[derive(Debug, Clone)]
pub struct ItemKnn {
    /// `(neighbour, similarity)` per item, most similar first.
    neighbours: Vec<Vec<(u32, f32)>>,
}

impl ItemKnn {
    pub fn fit(data: &Interactions, neighbours: usize) -> Self {
        let item_users = data.item_users();
        let counts = data.item_counts();
        let histories = data.histories();
        let neighbours = (0..data.items())
            .into_par_iter()
            .map_init(
                || vec![0u32; data.items()],
                |together, item| {
                    // How many users met both `item` and each other item.
                    let mut met = Vec::new();
                    for &user in &item_users[item] {
                        for &other in &histories[user as usize] {
                            if other as usize != item {
                                if together[other as usize] == 0 {
                                    met.push(other);
                                }
                                together[other as usize] += 1;
                            }
                        }
                    }
                    let mut similar: Vec<(u32, f32)> = met
                        .iter()
                        .map(|&other| {
                            let both = std::mem::take(&mut together[other as usize]) as f32;
                            let norms =
                                (counts[item] as f32 * counts[other as usize] as f32).sqrt();
                            (other, both / norms)
                        })
                        .collect();
                    similar.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                    similar.truncate(neighbours);
                    similar
                },
            )
            .collect();
        Self { neighbours }
    }
}

impl Scorer for ItemKnn {
    fn score(&self, history: &[u32], scores: &mut [f32]) {
        scores.fill(0.0);
        for &item in history {
            for &(other, similarity) in &self.neighbours[item as usize] {
                scores[other as usize] += similarity;
            }
        }
    }

    fn items(&self) -> usize {
        self.neighbours.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tastes: items 0–2 go together, items 3–4 go together; item 0 is the most popular.
    fn two_tastes() -> Interactions {
        Interactions::new(
            5,
            vec![vec![0, 1, 2], vec![0, 1], vec![0, 2], vec![3, 4], vec![0, 3, 4], vec![0]],
        )
    }

    #[test]
    fn popularity_ranks_by_how_many_users_met_an_item() {
        let model = Popularity::fit(&two_tastes());
        assert_eq!(model.recommend(&[vec![], vec![0]], 2), vec![vec![0, 1], vec![1, 2]]);
    }

    #[test]
    fn item_knn_follows_what_the_same_users_met() {
        let model = ItemKnn::fit(&two_tastes(), 10);
        // Met item 3: item 4 (always with it) first, though item 0 is more popular.
        assert_eq!(model.recommend(&[vec![3]], 1), vec![vec![4]]);
        assert_eq!(model.recommend(&[vec![1]], 1), vec![vec![0]]);
        // Cosine: items 3 and 4 have the same users.
        assert!((model.neighbours[3][0].1 - 1.0).abs() < 1e-6);
        // One neighbour kept per item.
        assert!(ItemKnn::fit(&two_tastes(), 1).neighbours.iter().all(|n| n.len() <= 1));
    }
}
