//! Training the alignment head, contrastively, in burn on the CPU.
//!
//! Each pair is an image embedding and the text it should land near (a product's name, a
//! Fashion-MNIST class name). In a batch, every image is scored against every distinct text of
//! the batch (cosine over a temperature); the loss is the symmetric InfoNCE of CLIP: each image
//! should pick its own text among the batch's texts, and each text should pick its images (a
//! class name has many images in a batch, so the text side counts all of them as right).
//!
//! Reproducible: the head's first weights and the batches' order come from the seed, and
//! nothing is drawn from burn's global generator (no dropout).

use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::head::{matrix, AlignmentHead, HeadShape};
use crate::backend::text_model::TEXT_EMBEDDING_DIM;
use crate::backend::training::EpochDone;
use crate::backend::vision::EMBEDDING_DIM as IMAGE_DIM;

/// What the head learns from: distinct texts' embeddings, and images paired with one of them.
#[derive(Debug, Clone, Default)]
pub struct TrainingSet {
    /// 384-d text embeddings.
    pub texts: Vec<Vec<f32>>,
    pub pairs: Vec<Pair>,
}

#[derive(Debug, Clone)]
pub struct Pair {
    /// A 1280-d image embedding.
    pub image: Vec<f32>,
    /// Its text, an index into [`TrainingSet::texts`].
    pub text: usize,
}

impl TrainingSet {
    /// Adds a text; returns its index for [`add_pair`](Self::add_pair).
    pub fn add_text(&mut self, embedding: Vec<f32>) -> usize {
        assert_eq!(embedding.len(), TEXT_EMBEDDING_DIM, "a text model embedding");
        self.texts.push(embedding);
        self.texts.len() - 1
    }

    pub fn add_pair(&mut self, image: Vec<f32>, text: usize) {
        assert_eq!(image.len(), IMAGE_DIM, "an image model embedding");
        assert!(text < self.texts.len(), "a text added before");
        self.pairs.push(Pair { image, text });
    }
}

/// The hyper-parameters and seed of a training run; stored with the version it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    pub shape: HeadShape,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    /// Cosine similarities are divided by it before the softmax (CLIP learns it; a fixed value
    /// keeps runs comparable).
    pub temperature: f32,
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            shape: HeadShape::default(),
            epochs: 10,
            batch_size: 128,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            temperature: 0.05,
            seed: 7,
        }
    }
}

/// Trains a head on `set` and returns it ready for inference, with the last epoch's loss.
/// `on_epoch` hears of every epoch (a progress bar, the job's progress).
pub fn train(
    set: &TrainingSet,
    params: &TrainParams,
    mut on_epoch: impl FnMut(EpochDone),
) -> (AlignmentHead, f64) {
    let device = Device::flex().autodiff();
    let mut head = AlignmentHead::init(params.shape, params.seed, &device);
    let mut optimizer = AdamWConfig::new().with_weight_decay(params.weight_decay).init();
    let mut rng = StdRng::seed_from_u64(params.seed);
    let mut order: Vec<usize> = (0..set.pairs.len()).collect();
    let mut loss = f64::NAN;
    for epoch in 1..=params.epochs {
        order.shuffle(&mut rng);
        let (mut sum, mut batches) = (0.0, 0usize);
        for batch in order.chunks(params.batch_size.max(2)) {
            // A batch of one has nothing to contrast with.
            if batch.len() < 2 {
                continue;
            }
            let batch_loss = contrastive_loss(&head, set, batch, params.temperature, &device);
            sum += f64::from(batch_loss.clone().into_scalar::<f32>());
            batches += 1;
            let grads = GradientsParams::from_grads(batch_loss.backward(), &head);
            head = optimizer.step(params.learning_rate, head, grads);
        }
        loss = sum / batches.max(1) as f64;
        on_epoch(EpochDone { epoch, epochs: params.epochs, loss });
    }
    (head.valid(), loss)
}

/// The head [`train`] starts from, untrained: a reference for what learning adds.
pub fn untrained(params: &TrainParams) -> AlignmentHead {
    AlignmentHead::init(params.shape, params.seed, &Device::flex())
}

/// The symmetric InfoNCE loss of the pairs at `batch` (indices into `set.pairs`).
fn contrastive_loss(
    head: &AlignmentHead,
    set: &TrainingSet,
    batch: &[usize],
    temperature: f32,
    device: &Device,
) -> Tensor<1> {
    // The batch's distinct texts, and which of them each image belongs to.
    let mut texts: Vec<usize> = batch.iter().map(|&i| set.pairs[i].text).collect();
    texts.sort_unstable();
    texts.dedup();
    let owner: Vec<usize> = batch
        .iter()
        .map(|&i| texts.binary_search(&set.pairs[i].text).expect("listed above"))
        .collect();
    let mut belongs = vec![0.0f32; batch.len() * texts.len()];
    for (row, &column) in owner.iter().enumerate() {
        belongs[row * texts.len() + column] = 1.0;
    }
    let belongs =
        Tensor::<2>::from_data(TensorData::new(belongs, [batch.len(), texts.len()]), device);

    let images: Vec<Vec<f32>> = batch.iter().map(|&i| set.pairs[i].image.clone()).collect();
    let text_rows: Vec<Vec<f32>> = texts.iter().map(|&t| set.texts[t].clone()).collect();
    let mapped = head.forward(matrix(&images, IMAGE_DIM, device));
    let targets = matrix(&text_rows, TEXT_EMBEDDING_DIM, device);
    // [images, texts] cosine similarities (both sides are unit vectors), sharpened.
    let logits = mapped.matmul(targets.transpose()).div_scalar(temperature);

    // Image → text: each image's own text among the batch's (one right answer per row).
    let image_to_text = -(log_softmax(logits.clone(), 1) * belongs.clone()).sum_dim(1).mean();
    // Text → image: each text's images among the batch's, all of them right.
    let per_text = log_softmax(logits, 0).exp() * belongs;
    let text_to_image = -per_text.sum_dim(0).clamp_min(1e-12).log().mean();
    (image_to_text + text_to_image).div_scalar(2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn unit(rng: &mut StdRng, width: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..width).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    /// Four "classes": each a random text and a random image direction; each image is its
    /// class's direction plus noise. A head that learns anything maps images to their text.
    fn toy_set(seed: u64, per_class: usize) -> (TrainingSet, Vec<Vec<f32>>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut set = TrainingSet::default();
        let mut centres = Vec::new();
        for _ in 0..4 {
            let text = set.add_text(unit(&mut rng, TEXT_EMBEDDING_DIM));
            let centre = unit(&mut rng, IMAGE_DIM);
            for _ in 0..per_class {
                let noise = unit(&mut rng, IMAGE_DIM);
                let image: Vec<f32> = centre.iter().zip(&noise).map(|(c, n)| c + 0.5 * n).collect();
                set.add_pair(image, text);
            }
            centres.push(centre);
        }
        (set, centres)
    }

    fn small() -> TrainParams {
        TrainParams {
            shape: HeadShape { hidden: 16 },
            epochs: 15,
            batch_size: 16,
            ..TrainParams::default()
        }
    }

    #[test]
    fn training_lowers_the_loss_and_maps_images_to_their_text() {
        let (set, centres) = toy_set(1, 12);
        let mut losses = Vec::new();
        let (head, _) = train(&set, &small(), |done| losses.push(done.loss));
        assert_eq!(losses.len(), 15);
        assert!(losses.last().unwrap() < &(losses[0] * 0.5), "losses {losses:?}");
        let mapped = head.map_images(&centres);
        for (class, image) in mapped.iter().enumerate() {
            let scores: Vec<f32> =
                set.texts.iter().map(|t| t.iter().zip(image).map(|(a, b)| a * b).sum()).collect();
            let best = (0..scores.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b]));
            assert_eq!(best, Some(class), "scores {scores:?}");
        }
    }

    #[test]
    fn the_same_seed_trains_the_same_head() {
        let (set, centres) = toy_set(2, 6);
        let params = TrainParams { epochs: 3, ..small() };
        let (a, loss_a) = train(&set, &params, |_| {});
        let (b, loss_b) = train(&set, &params, |_| {});
        assert_eq!(loss_a, loss_b);
        assert_eq!(a.map_images(&centres), b.map_images(&centres));
    }
}
