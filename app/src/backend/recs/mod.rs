//! Recommendations: the taste model trained in burn, the classic baselines it is measured
//! against, and the figures they are judged by.
//!
//! - [`events`]: what shoppers do, checked and written off the request path.
//! - [`interactions`]: who met which item, and each item's content, as dense indices.
//! - [`model`]: the taste model (a content-aware Mult-DAE) and its trained vectors.
//! - [`train`]: its training, seeded.
//! - [`baselines`]: popularity and item-KNN, behind the [`baselines::Scorer`] every model
//!   shares.
//! - [`metrics`]: Recall@10, NDCG@10, coverage, intra-list diversity.

pub mod baselines;
pub mod events;
pub mod interactions;
pub mod metrics;
pub mod model;
pub mod train;
