//! The image model on its real weights: ImageNet classes for four photographs (skimage's CC0
//! samples) prove the network and the weight conversion, and the embeddings are unit vectors.

use std::path::PathBuf;

use app::backend::vision::EMBEDDING_DIM;
use app::preprocess::{model_input_from_file, Limits};

use crate::helpers::image_model;

fn photo(name: &str) -> Vec<f32> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos").join(name);
    model_input_from_file(&std::fs::read(path).unwrap(), None, &Limits::default()).unwrap()
}

fn top1(name: &str) -> (usize, &'static str) {
    let (id, class, _) = image_model().classify(photo(name), 1)[0];
    (id, class)
}

#[test]
fn the_cat_is_a_cat() {
    let (id, class) = top1("chelsea.png");
    assert!([281, 282, 285].contains(&id), "tabby / tiger cat / Egyptian cat, got {id} {class}");
}

#[test]
fn the_coffee_is_an_espresso() {
    assert_eq!(top1("coffee.png"), (967, "espresso"));
}

#[test]
fn the_rocket_is_a_missile_or_projectile() {
    let (id, class) = top1("rocket.jpg");
    assert!([657, 744].contains(&id), "missile / projectile, got {id} {class}");
}

#[test]
fn the_motorcycle_is_a_moped_or_scooter() {
    let (id, class) = top1("motorcycle_left.png");
    assert!([665, 670].contains(&id), "moped / motor scooter, got {id} {class}");
}

#[test]
fn embeddings_are_unit_vectors_and_tell_photos_apart() {
    let embeddings =
        image_model().embed(&[photo("coffee.png"), photo("chelsea.png"), photo("coffee.png")]);
    assert_eq!(embeddings.len(), 3);
    for embedding in &embeddings {
        assert_eq!(embedding.len(), EMBEDDING_DIM);
        let norm: f32 = embedding.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    let cosine = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!(cosine(&embeddings[0], &embeddings[2]) > 0.9999, "same photo, same embedding");
    assert!(cosine(&embeddings[0], &embeddings[1]) < 0.9, "coffee is not a cat");
}
