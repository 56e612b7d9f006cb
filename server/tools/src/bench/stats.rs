//! Small statistics for benchmark tables: medians and nearest-rank percentiles.

use std::time::Duration;

/// Timings of repeated runs, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    millis: Vec<f64>,
}

impl Samples {
    pub fn push(&mut self, elapsed: Duration) {
        self.millis.push(elapsed.as_secs_f64() * 1000.0);
    }

    pub fn len(&self) -> usize {
        self.millis.len()
    }

    pub fn median(&self) -> f64 {
        self.percentile(50.0)
    }

    /// The nearest-rank percentile (`p` in 0..=100); 0 for no samples.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.millis.is_empty() {
            return 0.0;
        }
        let mut sorted = self.millis.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

/// Cosine similarity of two vectors (1 when they point the same way).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b)).max(f32::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples = Samples::default();
        for ms in [5, 1, 4, 2, 3] {
            samples.push(Duration::from_millis(ms));
        }
        assert_eq!(samples.median(), 3.0);
        assert_eq!(samples.percentile(95.0), 5.0);
        assert_eq!(samples.percentile(0.0), 1.0);
        assert_eq!(Samples::default().median(), 0.0);
    }

    #[test]
    fn cosine_of_parallel_and_orthogonal_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-6);
    }
}
