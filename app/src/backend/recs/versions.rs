//! The recommender's versions in the model registry: asking for a training, and making a
//! version the one that serves (a new one, or an older one: rolling back).

use sqlx::PgPool;
use uuid::Uuid;

use super::store::{self, LoadModelError, ShopModel};
use super::{TrainRecs, KIND, TRAIN_JOB};
use crate::backend::audit::Actor;
use crate::backend::jobs::{self, NewJob};
use crate::backend::model_registry::{self, RegistryError, VersionInfo};

/// Attempts of a training job (a daily one that finds too little data fails and waits for the
/// next day).
pub const MAX_ATTEMPTS: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    #[error("no model version {0:?}")]
    UnknownVersion(String),
    #[error("{0} is not a recommender version")]
    OtherKind(String),
    #[error(transparent)]
    Load(#[from] LoadModelError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Queues a training (one live at a time); returns the id of the job to follow, the one
/// already live when there is one (`None` only when it ended meanwhile).
pub async fn enqueue_training(
    pool: &PgPool,
    request: &TrainRecs,
) -> Result<Option<Uuid>, sqlx::Error> {
    let job = NewJob::new(TRAIN_JOB, request).dedupe(TRAIN_JOB).max_attempts(MAX_ATTEMPTS);
    let mut conn = pool.acquire().await?;
    if let Some(id) = jobs::enqueue(&mut conn, &job).await? {
        return Ok(Some(id));
    }
    jobs::live_id(pool, TRAIN_JOB).await
}

/// Writes version `id`'s rows (the rows keep reading the active version's meanwhile), makes
/// it the active one (audited as `actor`), then drops the other versions' rows. Returns the
/// rows written.
pub async fn write_and_activate(
    pool: &PgPool,
    id: Uuid,
    version: &str,
    model: &ShopModel,
    actor: Actor,
) -> Result<usize, ActivateError> {
    let written = store::write_version(pool, id, model).await?;
    let mut tx = pool.begin().await?;
    model_registry::activate(&mut tx, version, actor).await?;
    tx.commit().await?;
    store::remove_other_versions(pool, id).await?;
    Ok(written)
}

/// Makes stored version `version` the active one, as `actor`.
pub async fn activate(
    pool: &PgPool,
    version: &str,
    actor: Actor,
) -> Result<VersionInfo, ActivateError> {
    let info = model_registry::by_name(pool, version)
        .await?
        .ok_or_else(|| ActivateError::UnknownVersion(version.to_owned()))?;
    if info.kind != KIND {
        return Err(ActivateError::OtherKind(version.to_owned()));
    }
    let model = ShopModel::load(pool, &info).await?;
    write_and_activate(pool, info.id, version, &model, actor).await?;
    Ok(model_registry::by_name(pool, version).await?.unwrap_or(info))
}
