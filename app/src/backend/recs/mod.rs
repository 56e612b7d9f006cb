//! Recommendations: the taste model trained in burn, the classic baselines it is measured
//! against, the figures they are judged by, and the rows the shop serves from them.
//!
//! - [`events`]: what shoppers do, checked and written off the request path.
//! - [`tracking`]: what the shop's own pages and API record of it, server side.
//! - [`interactions`]: who met which item, and each item's content, as dense indices.
//! - [`model`]: the taste model (a content-aware Mult-DAE) and its trained vectors.
//! - [`train`]: its training, seeded.
//! - [`baselines`]: popularity and item-KNN, behind the [`baselines::Scorer`] every model
//!   shares.
//! - [`metrics`]: Recall@10, NDCG@10, coverage, intra-list diversity.
//! - [`shop_data`]: the shop's own interactions and contents, as training data.
//! - [`holdout`]: a version's offline figures next to the baselines on the same split.
//! - [`store`]: each product's vectors per version, in pgvector.
//! - [`companions`]: trending products and products bought together.
//! - [`rows`]: the rows the pages show, with their exclusions and diversity.
//! - [`versions`]: asking for a training; activating a version (or rolling back).
//! - [`click_through`]: how often each row, as each version filled it, was shown and clicked.
//!
//! The lifecycle (in `server::jobs::train_recs`): the `train_recs` job (daily, or asked for)
//! gathers the shop's data, measures a model on each shopper's latest items, trains the
//! version on everything, stores it in the registry and, when it scores at least as well as
//! the active one, writes every product's vectors and only then makes it active.

pub mod baselines;
pub mod click_through;
pub mod companions;
pub mod events;
pub mod holdout;
pub mod interactions;
pub mod metrics;
pub mod model;
pub mod rows;
pub mod shop_data;
pub mod store;
pub mod tracking;
pub mod train;
pub mod versions;

/// The registry's kind for the taste model's versions.
pub const KIND: &str = "recommender";
/// Prefix of its version names.
pub const VERSION_PREFIX: &str = "recommender";
/// Trains a new version (payload [`TrainRecs`]).
pub const TRAIN_JOB: &str = "train_recs";
/// Places the products the active version has no vectors for by their content (payload `{}`).
pub const PLACE_JOB: &str = "place_products";
/// Rebuilds trending products and products bought together (payload `{}`).
pub const REFRESH_JOB: &str = "refresh_recs";
/// The vectors' width in the database (`recommendation_vectors`): versions are trained at it.
pub const DIMS: usize = 96;

/// What a training job is asked for.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainRecs {
    /// Hyper-parameters; the defaults when absent.
    #[serde(default)]
    pub params: Option<train::TrainParams>,
    /// Activate even when it scores below the active version.
    #[serde(default)]
    pub force_activate: bool,
}
