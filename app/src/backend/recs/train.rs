//! Training the taste model in burn on the CPU.
//!
//! Each step takes a batch of users, drops each item of their histories with probability
//! `input_dropout` (the denoising: the model must recover a user's items from part of them),
//! drops the id vectors of a share `id_dropout` of the items (so the content projection learns
//! to place items with no history), and maximises the softmax likelihood of every item the
//! users met, over the whole catalog. A share `short_histories` of the rows shows the user side
//! only 1 to [`SHORT_HISTORY`] of the user's items instead: a new shopper is known by that
//! few, and a user side only ever trained on most of a history ranks them barely better than
//! popularity (docs/benchmarks.md, new users).
//!
//! Reproducible: the first weights, the batches and both dropouts come from the seed, and
//! nothing is drawn from burn's global generator.

use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::interactions::{Interactions, ItemContent};
use super::model::{IdMask, ModelShape, TasteModel, TasteVectors};
use crate::backend::training::EpochDone;

/// The hyper-parameters and seed of a training run; stored with the version it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    pub dims: usize,
    pub epochs: usize,
    /// Users per step.
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    /// The share of a history's items hidden from the user side in each step.
    pub input_dropout: f64,
    /// The share of items that lose their id vectors in each step.
    pub id_dropout: f64,
    /// The share of a batch's rows that show the user side only a few of the user's items
    /// (versions trained before it existed had none).
    #[serde(default)]
    pub short_histories: f64,
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            // Chosen by `vitrine-tools eval recs`'s tuning on its validation split
            // (docs/benchmarks.md): small vectors and many small steps; wider vectors and
            // larger batches overfit or undertrain ml-100k. With short histories on, the
            // tuning now prefers 64-d and 40 epochs; the shop keeps 20 (its daily run's time).
            dims: 96,
            epochs: 20,
            batch_size: 16,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            input_dropout: 0.35,
            id_dropout: 0.25,
            short_histories: 0.25,
            seed: 7,
        }
    }
}

/// Trains on `data` (with `content` for every item) and returns the model as vectors, with
/// the last epoch's loss. `on_epoch` hears of every epoch (a progress bar, the job's progress).
pub fn train(
    data: &Interactions,
    content: &ItemContent,
    params: &TrainParams,
    mut on_epoch: impl FnMut(EpochDone),
) -> (TasteVectors, f64) {
    assert_eq!(content.items(), data.items(), "content for every item");
    let device = Device::flex().autodiff();
    let shape =
        ModelShape { items: data.items(), content_width: content.width(), dims: params.dims };
    let mut model = TasteModel::init(shape, params.seed, &device);
    let mut optimizer = AdamWConfig::new().with_weight_decay(params.weight_decay).init();
    let mut rng = StdRng::seed_from_u64(params.seed);
    let content_tensor = Tensor::<2>::from_data(
        TensorData::new(content.values().to_vec(), [content.items(), content.width()]),
        &device,
    );
    let mut users: Vec<usize> =
        (0..data.users()).filter(|&u| !data.history(u).is_empty()).collect();
    let mut loss = f64::NAN;
    for epoch in 1..=params.epochs {
        users.shuffle(&mut rng);
        let (mut sum, mut batches) = (0.0, 0usize);
        for batch in users.chunks(params.batch_size.max(1)) {
            let (inputs, targets) = batch_rows(data, batch, params, &mut rng);
            let rows = [batch.len(), data.items()];
            let inputs = Tensor::<2>::from_data(TensorData::new(inputs, rows), &device);
            let targets = Tensor::<2>::from_data(TensorData::new(targets, rows), &device);
            let keep: Vec<f32> = (0..data.items())
                .map(|_| if rng.random_bool(params.id_dropout) { 0.0 } else { 1.0 })
                .collect();
            let keep = IdMask(Tensor::from_data(TensorData::new(keep, [data.items(), 1]), &device));
            let likelihoods = model.log_likelihoods(inputs, content_tensor.clone(), &keep);
            let batch_loss = -(likelihoods * targets).sum_dim(1).mean();
            sum += f64::from(batch_loss.clone().into_scalar::<f32>());
            batches += 1;
            let grads = GradientsParams::from_grads(batch_loss.backward(), &model);
            model = optimizer.step(params.learning_rate, model, grads);
        }
        loss = sum / batches.max(1) as f64;
        on_epoch(EpochDone { epoch, epochs: params.epochs, loss });
    }
    let unseen: Vec<bool> = data.item_counts().iter().map(|&count| count == 0).collect();
    (model.valid().vectors(content, &unseen), loss)
}

/// The most items a short row shows the user side.
pub const SHORT_HISTORY: usize = 5;

/// A batch's rows `[users, items]`: the inputs (the kept part of each history, weighted to
/// unit length, as the user side expects) and the targets (the whole history).
fn batch_rows(
    data: &Interactions,
    batch: &[usize],
    params: &TrainParams,
    rng: &mut StdRng,
) -> (Vec<f32>, Vec<f32>) {
    let items = data.items();
    let mut inputs = vec![0.0f32; batch.len() * items];
    let mut targets = vec![0.0f32; batch.len() * items];
    for (row, &user) in batch.iter().enumerate() {
        let history = data.history(user);
        // No draw when short rows are off: a run without them is the same as before they were.
        let short = params.short_histories > 0.0 && rng.random_bool(params.short_histories);
        let mut kept: Vec<u32> = if short {
            let known = rng.random_range(1..=SHORT_HISTORY.min(history.len()));
            history.choose_multiple(rng, known).copied().collect()
        } else {
            history.iter().copied().filter(|_| !rng.random_bool(params.input_dropout)).collect()
        };
        // A user with nothing left says nothing; keep one item so every row teaches something.
        if kept.is_empty() {
            kept.push(history[rng.random_range(0..history.len())]);
        }
        let weight = 1.0 / (kept.len() as f32).sqrt();
        for &item in &kept {
            inputs[row * items + item as usize] = weight;
        }
        for &item in history {
            targets[row * items + item as usize] = 1.0;
        }
    }
    (inputs, targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::recs::baselines::Scorer;
    use crate::backend::recs::metrics::top_k;

    /// Two tastes over ten items: users of taste A meet some of items 0–4, users of taste B
    /// some of items 5–9. Content says which group an item is in.
    fn two_tastes(users: usize, seed: u64) -> (Interactions, ItemContent) {
        let mut rng = StdRng::seed_from_u64(seed);
        let histories = (0..users)
            .map(|user| {
                let start = if user % 2 == 0 { 0 } else { 5 };
                (start..start + 5).filter(|_| rng.random_bool(0.6)).collect()
            })
            .collect();
        let content =
            (0..10).flat_map(|item| if item < 5 { [1.0, 0.0] } else { [0.0, 1.0] }).collect();
        (Interactions::new(10, histories), ItemContent::new(2, content))
    }

    fn small() -> TrainParams {
        TrainParams {
            dims: 8,
            epochs: 30,
            batch_size: 16,
            learning_rate: 1e-2,
            ..TrainParams::default()
        }
    }

    #[test]
    fn a_user_gets_items_of_their_taste_and_the_loss_falls() {
        let (data, content) = two_tastes(60, 1);
        let mut losses = Vec::new();
        let (model, _) = train(&data, &content, &small(), |done| losses.push(done.loss));
        assert_eq!(losses.len(), 30);
        assert!(losses.last().unwrap() < &losses[0], "losses {losses:?}");
        let mut scores = vec![0.0; 10];
        model.score(&[1], &mut scores);
        assert!(top_k(&scores, &[1], 3).iter().all(|&item| item < 5), "scores {scores:?}");
        model.score(&[7, 8], &mut scores);
        assert!(top_k(&scores, &[7, 8], 3).iter().all(|&item| item >= 5), "scores {scores:?}");
    }

    #[test]
    fn an_item_nobody_met_is_placed_by_its_content() {
        // Item 4 (taste A) is never met in training.
        let (data, content) = two_tastes(60, 2);
        let histories = data
            .histories()
            .iter()
            .map(|h| h.iter().copied().filter(|&i| i != 4).collect())
            .collect();
        let data = Interactions::new(10, histories);
        let (model, _) = train(&data, &content, &small(), |_| {});
        let mut scores = vec![0.0; 10];
        model.score(&[0, 1], &mut scores);
        let b_best = (5..10).map(|item| scores[item]).fold(f32::MIN, f32::max);
        assert!(scores[4] > b_best, "scores {scores:?}");
    }

    #[test]
    fn the_same_seed_trains_the_same_model() {
        let (data, content) = two_tastes(20, 3);
        let params = TrainParams { epochs: 3, ..small() };
        let (a, loss_a) = train(&data, &content, &params, |_| {});
        let (b, loss_b) = train(&data, &content, &params, |_| {});
        assert_eq!(loss_a, loss_b);
        assert_eq!(a, b);
    }

    #[test]
    fn a_short_row_shows_one_to_five_items_and_asks_for_the_whole_history() {
        let data = Interactions::new(30, vec![(0..20).collect(), (20..22).collect()]);
        let params = TrainParams { short_histories: 1.0, ..small() };
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let (inputs, targets) = batch_rows(&data, &[0, 1], &params, &mut rng);
            for (row, whole) in [(0, 20), (1, 2)] {
                let shown = inputs[row * 30..(row + 1) * 30].iter().filter(|&&v| v > 0.0).count();
                let asked = targets[row * 30..(row + 1) * 30].iter().filter(|&&v| v > 0.0).count();
                assert!((1..=SHORT_HISTORY.min(whole)).contains(&shown), "{shown} of {whole}");
                assert_eq!(asked, whole);
            }
        }
    }
}
