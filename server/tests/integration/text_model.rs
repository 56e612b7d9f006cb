//! The text model's fast path on its real weights: the packed dense layers
//! (`vitrine-kernels`, `app/kernels`) give the embeddings burn's own `Linear` layers give, for a
//! query, accents, the empty string, a text past 256 tokens and all of them as one batch.
//! (`vitrine-tools bench text` checks both against onnxruntime.)

use crate::helpers::text_model;

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn the_packed_dense_layers_give_the_reference_embeddings() {
    let long = "a five-string banjo with a maple neck and a bright tone ".repeat(30);
    let texts = ["warm winter boots for hiking", "Crème brûlée au café", "", long.as_str()];
    let model = text_model();
    let fast = model.embed(&texts).unwrap();
    let reference = model.embed_reference(&texts).unwrap();
    for (text, (a, b)) in texts.iter().zip(fast.iter().zip(&reference)) {
        let shown: String = text.chars().take(30).collect();
        assert!(cosine(a, b) >= 0.9999, "{shown:?}: cosine {}", cosine(a, b));
    }
    for (text, batched) in texts.iter().zip(&fast) {
        let alone = model.embed(&[text]).unwrap().remove(0);
        assert!(cosine(&alone, batched) >= 0.9999, "padding changed {text:.30?}");
    }
}
