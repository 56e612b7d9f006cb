//! Text to image: a head trained in the server maps image embeddings into the text model's
//! space, so the semantic arm of text search also finds a product by what its picture shows.
//!
//! - [`head`]: the network, and its weights as bytes for the model registry.
//! - [`train`]: contrastive training in burn, seeded.
//! - [`metrics`]: the figures a version is judged by.
//! - [`store`]: each product's mapped main image, per version, and the search over the active
//!   version's.
//!
//! The lifecycle (in `server::jobs`): the `train_text_to_image` job trains a version on the
//! catalog's (image, name) pairs and Fashion-MNIST's (image, class name) pairs, stores it in the
//! registry, and when it scores at least as well as the active one maps every product's image
//! and only then makes it active. From then on, an image embedded anew queues `align_images`
//! (a trigger), which maps what is missing or stale.

pub mod head;
pub mod metrics;
pub mod store;
pub mod train;

pub use head::{AlignmentHead, HeadShape};

use burn::prelude::Device;
use sqlx::PgPool;

use crate::backend::model_registry::{self, VersionInfo};

/// The registry's kind for the head's versions.
pub const KIND: &str = "text_to_image";
/// Prefix of its version names.
pub const VERSION_PREFIX: &str = "text-to-image";
/// Trains a new version (payload [`TrainTextToImage`]).
pub const TRAIN_JOB: &str = "train_text_to_image";
/// Maps the images the active version has not mapped (payload `{}`; one live job at a time).
pub const ALIGN_JOB: &str = "align_images";

/// What a training job is asked for.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainTextToImage {
    /// Hyper-parameters; the defaults when absent.
    #[serde(default)]
    pub params: Option<train::TrainParams>,
    /// Fashion-MNIST training images to add to the catalog's pairs (0: the catalog alone).
    #[serde(default)]
    pub fashion_images: Option<usize>,
    /// Activate even when it scores below the active version.
    #[serde(default)]
    pub force_activate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadHeadError {
    #[error("version {0} has no weights stored")]
    NoWeights(String),
    #[error("version {version} has unreadable parameters: {reason}")]
    Params { version: String, reason: String },
    #[error(transparent)]
    Weights(#[from] head::HeadWeightsError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The head of `version`, loaded from the registry onto the CPU.
pub async fn load_head(
    pool: &PgPool,
    version: &VersionInfo,
) -> Result<AlignmentHead, LoadHeadError> {
    let params: train::TrainParams =
        serde_json::from_value(version.params.clone()).map_err(|err| LoadHeadError::Params {
            version: version.version.clone(),
            reason: err.to_string(),
        })?;
    let bytes = model_registry::weights(pool, version.id)
        .await?
        .ok_or_else(|| LoadHeadError::NoWeights(version.version.clone()))?;
    Ok(AlignmentHead::from_bytes(params.shape, bytes, &Device::flex())?)
}
