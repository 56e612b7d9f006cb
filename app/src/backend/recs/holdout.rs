//! How a version is judged before it serves: each shopper's latest items are held out, the
//! taste model and the baselines learn from the rest, and each ranks the whole catalog for
//! every shopper (what they met excluded). The same split for all, so the figures compare.

use serde::{Deserialize, Serialize};

use super::baselines::{ItemKnn, Popularity, Scorer};
use super::interactions::{Interactions, ItemContent};
use super::metrics::{accuracy, coverage, Accuracy, K};
use super::train::{train, TrainParams};
use crate::backend::training::EpochDone;

/// The share of a shopper's items held out (the latest ones; at least one).
pub const HELD_OUT_SHARE: f64 = 0.2;
/// Neighbours item-KNN keeps per item.
const KNN_NEIGHBOURS: usize = 50;

/// Training data with each shopper's latest items taken out.
pub struct Split {
    pub train: Interactions,
    /// Per shopper, what was taken out (empty for a shopper with a single item: they stay in
    /// training whole and are not measured).
    pub held_out: Vec<Vec<u32>>,
}

/// Holds out the latest `share` of each history of two items or more.
pub fn latest_items(data: &Interactions, share: f64) -> Split {
    let (histories, held_out) = data
        .histories()
        .iter()
        .map(|history| {
            if history.len() < 2 {
                return (history.clone(), Vec::new());
            }
            let out = ((history.len() as f64 * share).ceil() as usize).clamp(1, history.len() - 1);
            let (kept, latest) = history.split_at(history.len() - out);
            (kept.to_vec(), latest.to_vec())
        })
        .unzip();
    Split { train: Interactions::new(data.items(), histories), held_out }
}

/// A version's offline figures, with the baselines' on the same split.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RecsMetrics {
    pub taste: Accuracy,
    pub popularity: Accuracy,
    pub item_knn: Accuracy,
    /// The share of the catalog in at least one shopper's top 10 by the taste model.
    pub coverage: f64,
}

impl RecsMetrics {
    /// The figure versions are compared by.
    pub fn ndcg(&self) -> f64 {
        self.taste.ndcg
    }
}

/// Trains the taste model on `split.train` and measures it and the baselines; `None` when no
/// shopper has anything held out (too little data to say anything).
pub fn measure(
    split: &Split,
    content: &ItemContent,
    params: &TrainParams,
    on_epoch: impl FnMut(EpochDone),
) -> Option<RecsMetrics> {
    if split.held_out.iter().all(Vec::is_empty) {
        return None;
    }
    let (taste, _) = train(&split.train, content, params, on_epoch);
    let score = |model: &dyn Scorer| {
        let lists = model.recommend(split.train.histories(), K);
        (accuracy(&lists, &split.held_out, K), lists)
    };
    let (taste_accuracy, lists) = score(&taste);
    Some(RecsMetrics {
        taste: taste_accuracy,
        popularity: score(&Popularity::fit(&split.train)).0,
        item_knn: score(&ItemKnn::fit(&split.train, KNN_NEIGHBOURS)).0,
        coverage: coverage(&lists, split.train.items()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_items_are_held_out_and_single_items_stay() {
        let data = Interactions::new(6, vec![vec![0, 1, 2, 3, 4], vec![5], vec![1, 2]]);
        let split = latest_items(&data, 0.2);
        assert_eq!(split.train.history(0), &[0, 1, 2, 3]);
        assert_eq!(split.held_out[0], vec![4]);
        assert_eq!(split.train.history(1), &[5]);
        assert!(split.held_out[1].is_empty());
        assert_eq!(split.train.history(2), &[1]);
        assert_eq!(split.held_out[2], vec![2]);
    }
}
