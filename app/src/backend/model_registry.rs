//! The model registry: every version of a model trained in the server, with its parameters,
//! the data it saw, its offline metrics and its weights. Owns the `model_versions` table.
//!
//! At most one version of a kind is active (a unique partial index says so to the database
//! too). Activating is audited; the previous version is kept, so rolling back is activating it.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::backend::audit::{self, Actor};

/// A trained version, before it is stored.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub kind: &'a str,
    pub version: String,
    pub params: Value,
    pub data: Value,
    pub metrics: Value,
    pub weights: Vec<u8>,
    pub training_seconds: f64,
}

/// A stored version without its weights (what lists and `/readyz` show).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    pub id: Uuid,
    pub kind: String,
    pub version: String,
    pub params: Value,
    pub data: Value,
    pub metrics: Value,
    pub training_seconds: f64,
    pub trained_at: chrono::DateTime<chrono::Utc>,
    pub active: bool,
    pub activated_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("no model version {0:?}")]
    UnknownVersion(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Stores `new` (not active); returns its id.
pub async fn insert(pool: &PgPool, new: &NewVersion<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query!(
        r#"
        INSERT INTO model_versions (id, kind, version, params, data, metrics, weights, training_seconds)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        "#,
        id,
        new.kind,
        new.version,
        new.params,
        new.data,
        new.metrics,
        new.weights,
        new.training_seconds,
    )
    .execute(pool)
    .await?;
    Ok(id)
}

/// A version name not taken yet: `<prefix>-<UTC date>-<n>`, `n` counting that day's versions.
pub async fn next_version_name(pool: &PgPool, prefix: &str) -> Result<String, sqlx::Error> {
    let day = chrono::Utc::now().format("%Y%m%d").to_string();
    let stem = format!("{prefix}-{day}-");
    let taken = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM model_versions WHERE starts_with(version, $1)"#,
        stem
    )
    .fetch_one(pool)
    .await?;
    Ok(format!("{stem}{}", taken + 1))
}

pub async fn list(pool: &PgPool, kind: &str) -> Result<Vec<VersionInfo>, sqlx::Error> {
    sqlx::query_as!(
        VersionInfo,
        r#"
        SELECT id, kind, version, params, data, metrics, training_seconds, trained_at, active,
               activated_at
        FROM model_versions WHERE kind = $1 ORDER BY trained_at DESC, version DESC
        "#,
        kind
    )
    .fetch_all(pool)
    .await
}

pub async fn by_name(pool: &PgPool, version: &str) -> Result<Option<VersionInfo>, sqlx::Error> {
    by_name_on(&mut *pool.acquire().await?, version).await
}

async fn by_name_on(
    conn: &mut PgConnection,
    version: &str,
) -> Result<Option<VersionInfo>, sqlx::Error> {
    sqlx::query_as!(
        VersionInfo,
        r#"
        SELECT id, kind, version, params, data, metrics, training_seconds, trained_at, active,
               activated_at
        FROM model_versions WHERE version = $1
        "#,
        version
    )
    .fetch_optional(conn)
    .await
}

/// The active version of `kind`, if any.
pub async fn active(pool: &PgPool, kind: &str) -> Result<Option<VersionInfo>, sqlx::Error> {
    sqlx::query_as!(
        VersionInfo,
        r#"
        SELECT id, kind, version, params, data, metrics, training_seconds, trained_at, active,
               activated_at
        FROM model_versions WHERE kind = $1 AND active
        "#,
        kind
    )
    .fetch_optional(pool)
    .await
}

/// The weights of version `id`.
pub async fn weights(pool: &PgPool, id: Uuid) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar!("SELECT weights FROM model_versions WHERE id = $1", id)
        .fetch_optional(pool)
        .await
}

/// Makes `version` the active one of its kind (the one before it is kept, inactive), audited
/// as `actor`'s, inside the caller's transaction. A no-op when it is active already.
pub async fn activate(
    conn: &mut PgConnection,
    version: &str,
    actor: Actor,
) -> Result<VersionInfo, RegistryError> {
    let target = sqlx::query!(
        "SELECT id, kind, active FROM model_versions WHERE version = $1 FOR UPDATE",
        version
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| RegistryError::UnknownVersion(version.to_owned()))?;
    if !target.active {
        let before = sqlx::query_scalar!(
            "UPDATE model_versions SET active = false WHERE kind = $1 AND active RETURNING version",
            target.kind
        )
        .fetch_optional(&mut *conn)
        .await?;
        sqlx::query!(
            "UPDATE model_versions SET active = true, activated_at = now() WHERE id = $1",
            target.id
        )
        .execute(&mut *conn)
        .await?;
        audit::record(
            &mut *conn,
            actor,
            audit::Entry {
                action: "models.version.activate",
                entity: "model_version",
                entity_id: version.to_owned(),
                before: Some(serde_json::json!({ "kind": target.kind, "active": before })),
                after: Some(serde_json::json!({ "kind": target.kind, "active": version })),
            },
        )
        .await?;
    }
    by_name_on(conn, version)
        .await?
        .ok_or_else(|| RegistryError::UnknownVersion(version.to_owned()))
}
