//! Connecting to PostgreSQL: the given `DATABASE_URL`, or the project-local cluster.

use std::time::Duration;

use app::backend::db::MIGRATOR;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::runtime::cli::StorageArgs;
use crate::runtime::local_pg::{DatabaseUrl, LocalPgError};

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("local PostgreSQL: {0}")]
    Local(#[from] LocalPgError),
    #[error("connecting to {url:?}: {source}")]
    Connect {
        url: DatabaseUrl,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrating: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The URL to use: `DATABASE_URL` when given, else the local cluster (started if needed).
pub async fn resolve_url(args: &StorageArgs) -> Result<DatabaseUrl, DatabaseError> {
    match &args.database_url {
        Some(url) => Ok(DatabaseUrl::new(url.clone())),
        None => Ok(args.local_cluster().ensure_running().await?),
    }
}

pub async fn connect(args: &StorageArgs) -> Result<PgPool, DatabaseError> {
    let url = resolve_url(args).await?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        // A request waiting longer than this for a connection is better answered with an error.
        .acquire_timeout(Duration::from_secs(5))
        .connect(url.expose())
        .await
        .map_err(|source| DatabaseError::Connect { url: url.clone(), source })?;
    tracing::info!(url = ?url, "connected to PostgreSQL");
    Ok(pool)
}

/// Applies pending migrations. sqlx holds an advisory lock meanwhile, so replicas starting
/// together migrate once.
pub async fn migrate(pool: &PgPool) -> Result<(), DatabaseError> {
    MIGRATOR.run(pool).await?;
    tracing::info!(migrations = MIGRATOR.iter().count(), "database schema is up to date");
    Ok(())
}
