//! Reciprocal rank fusion: each arm ranks its own candidates, and a product's fused score is
//! Σ weight / (k + rank) over the arms that found it (Cormack, Clarke & Büttcher, 2009). Ranks,
//! not scores, are added, so arms whose scores mean different things (ts_rank, trigram
//! distance, cosine) combine without calibration.

use std::collections::HashMap;

use uuid::Uuid;

/// The usual constant: large enough that a first place in one arm does not outweigh
/// agreement between arms.
pub const K: f64 = 60.0;

/// One arm's ranking, best first, with the weight its votes carry.
pub struct Ranking {
    pub weight: f64,
    pub ids: Vec<Uuid>,
}

/// The fused ranking, best first, with each product's score. Ties keep the order in which
/// the products were first seen (the first arm's order first).
pub fn fuse(rankings: &[Ranking]) -> Vec<(Uuid, f64)> {
    let mut scores: HashMap<Uuid, (f64, usize)> = HashMap::new();
    let mut seen = 0;
    for ranking in rankings {
        for (index, id) in ranking.ids.iter().enumerate() {
            let entry = scores.entry(*id).or_insert_with(|| {
                seen += 1;
                (0.0, seen)
            });
            entry.0 += ranking.weight / (K + (index + 1) as f64);
        }
    }
    let mut fused: Vec<(Uuid, f64, usize)> =
        scores.into_iter().map(|(id, (score, order))| (id, score, order)).collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    fused.into_iter().map(|(id, score, _)| (id, score)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_between_arms_beats_a_single_first_place() {
        let [a, b, c] = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        let fused = fuse(&[
            Ranking { weight: 1.0, ids: vec![a, b] },
            Ranking { weight: 1.0, ids: vec![c, b] },
        ]);
        let order: Vec<Uuid> = fused.iter().map(|(id, _)| *id).collect();
        assert_eq!(order, [b, a, c]);
        assert!((fused[0].1 - 2.0 / 62.0).abs() < 1e-12);
    }

    #[test]
    fn weights_scale_an_arm_and_no_arm_is_no_result() {
        let [a, b] = [Uuid::from_u128(1), Uuid::from_u128(2)];
        let fused =
            fuse(&[Ranking { weight: 0.5, ids: vec![a] }, Ranking { weight: 1.0, ids: vec![b] }]);
        assert_eq!(fused[0].0, b);
        assert!(fuse(&[]).is_empty());
    }
}
