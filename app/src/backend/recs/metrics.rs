//! The figures every recommender is judged by, computed the same way for each (ours, the
//! baselines, and a peer library's lists): full ranking over every item the user has not met
//! yet, the top [`K`] kept.
//!
//! - **Recall@K**: the share of a user's held-out items in their top K (hits / held-out).
//! - **NDCG@K**: hits discounted by rank, over the best order possible for that user
//!   (binary relevance; the ideal puts min(K, held-out) hits first).
//! - **Coverage**: the share of the catalog that is in at least one user's list.
//! - **Intra-list diversity**: the mean content distance between two items of a list.

use super::interactions::ItemContent;

/// The length of a recommendation row.
pub const K: usize = 10;

/// The `k` best-scored items, best first, leaving out `exclude` (what the user has met).
/// Ties go to the lower index, so a list is the same on every run.
pub fn top_k(scores: &[f32], exclude: &[u32], k: usize) -> Vec<u32> {
    let mut excluded = vec![false; scores.len()];
    for &item in exclude {
        if let Some(slot) = excluded.get_mut(item as usize) {
            *slot = true;
        }
    }
    let mut candidates: Vec<u32> =
        (0..scores.len() as u32).filter(|&item| !excluded[item as usize]).collect();
    let better = |a: &u32, b: &u32| {
        scores[*b as usize].total_cmp(&scores[*a as usize]).then_with(|| a.cmp(b))
    };
    if candidates.len() > k {
        candidates.select_nth_unstable_by(k, better);
        candidates.truncate(k);
    }
    candidates.sort_unstable_by(better);
    candidates
}

/// Accuracy over the users that have held-out items.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Accuracy {
    pub recall: f64,
    pub ndcg: f64,
    /// Users measured.
    pub users: usize,
}

/// Recall@K and NDCG@K of `lists[u]` against `held_out[u]`; users with nothing held out are
/// left out of the means.
pub fn accuracy(lists: &[Vec<u32>], held_out: &[Vec<u32>], k: usize) -> Accuracy {
    assert_eq!(lists.len(), held_out.len(), "one list per user");
    let (mut recall, mut ndcg, mut users) = (0.0, 0.0, 0usize);
    for (list, truth) in lists.iter().zip(held_out) {
        if truth.is_empty() {
            continue;
        }
        let mut dcg = 0.0;
        let mut hits = 0usize;
        for (rank, item) in list.iter().take(k).enumerate() {
            if truth.contains(item) {
                hits += 1;
                dcg += 1.0 / (rank as f64 + 2.0).log2();
            }
        }
        let ideal: f64 = (0..truth.len().min(k)).map(|rank| 1.0 / (rank as f64 + 2.0).log2()).sum();
        recall += hits as f64 / truth.len() as f64;
        ndcg += dcg / ideal;
        users += 1;
    }
    let n = users.max(1) as f64;
    Accuracy { recall: recall / n, ndcg: ndcg / n, users }
}

/// The share of `items` that appear in at least one list.
pub fn coverage(lists: &[Vec<u32>], items: usize) -> f64 {
    let mut shown = vec![false; items];
    for &item in lists.iter().flatten() {
        shown[item as usize] = true;
    }
    shown.iter().filter(|&&s| s).count() as f64 / items.max(1) as f64
}

/// The mean, over lists of two items or more, of the mean content distance between two items
/// of the list.
pub fn intra_list_diversity(lists: &[Vec<u32>], content: &ItemContent) -> f64 {
    let (mut sum, mut counted) = (0.0, 0usize);
    for list in lists.iter().filter(|list| list.len() > 1) {
        let mut pairs = 0.0;
        let mut distance = 0.0;
        for (i, &a) in list.iter().enumerate() {
            for &b in &list[i + 1..] {
                distance += f64::from(content.distance(a as usize, b as usize));
                pairs += 1.0;
            }
        }
        sum += distance / pairs;
        counted += 1;
    }
    sum / counted.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_leaves_out_what_was_met_and_breaks_ties_by_index() {
        let scores = [0.5, 0.9, 0.9, 0.1, 0.7];
        assert_eq!(top_k(&scores, &[], 3), vec![1, 2, 4]);
        assert_eq!(top_k(&scores, &[1], 3), vec![2, 4, 0]);
        assert_eq!(top_k(&scores, &[0, 1, 2, 3], 3), vec![4]);
    }

    #[test]
    fn recall_and_ndcg_by_hand() {
        // User 0: one of two held-out items, at rank 2. User 1: its only item at rank 1.
        // User 2 has nothing held out and is not counted.
        let lists = vec![vec![5, 3, 9], vec![7, 1], vec![1]];
        let held_out = vec![vec![3, 4], vec![7], vec![]];
        let got = accuracy(&lists, &held_out, 10);
        let user0_ndcg = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert_eq!(got.users, 2);
        assert!((got.recall - (0.5 + 1.0) / 2.0).abs() < 1e-12);
        assert!((got.ndcg - (user0_ndcg + 1.0) / 2.0).abs() < 1e-12);
        // Only the first k count.
        assert_eq!(accuracy(&[vec![1, 2]], &[vec![2]], 1).recall, 0.0);
    }

    #[test]
    fn coverage_and_diversity() {
        assert_eq!(coverage(&[vec![0, 1], vec![1]], 4), 0.5);
        let content = ItemContent::new(2, vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
        // Items 0 and 1 are orthogonal (distance 1), 0 and 2 the same (0).
        assert!((intra_list_diversity(&[vec![0, 1], vec![0, 2]], &content) - 0.5).abs() < 1e-6);
    }
}
