//! What the models trained in the server share.

/// How training goes, after each epoch: what a progress bar and a job's progress show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochDone {
    /// From 1.
    pub epoch: usize,
    pub epochs: usize,
    /// The mean loss over the epoch's batches.
    pub loss: f64,
}
