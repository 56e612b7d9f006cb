//! Connecting to PostgreSQL: the given `DATABASE_URL`, or the project-local cluster.

use std::time::Duration;

use app::backend::db::MIGRATOR;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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
    let pool = pool(url.expose(), 16)
        .await
        .map_err(|source| DatabaseError::Connect { url: url.clone(), source })?;
    tracing::info!(url = ?url, "connected to PostgreSQL");
    Ok(pool)
}

/// A pool on `url` with the session settings the shop's queries assume; every pool the
/// server, its tools and its tests open is made here.
pub async fn pool(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    // Filtered HNSW scans (the rows' exclusions, a category) keep walking the graph until the
    // LIMIT is filled instead of stopping at `ef_search` candidates and returning short; the
    // neighbours may come slightly out of order, which a row's ranking tolerates and the
    // photo search re-sorts. Sent at connection start-up, so a query needs no transaction or
    // extra round trip for it (pgvector takes the value when it loads).
    let options = options.options([("hnsw.iterative_scan", "relaxed_order")]);
    PgPoolOptions::new()
        .max_connections(max_connections)
        // A request waiting longer than this for a connection is better answered with an error.
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
}

/// Applies pending migrations. sqlx holds an advisory lock meanwhile, so replicas starting
/// together migrate once.
pub async fn migrate(pool: &PgPool) -> Result<(), DatabaseError> {
    MIGRATOR.run(pool).await?;
    tracing::info!(migrations = MIGRATOR.iter().count(), "database schema is up to date");
    Ok(())
}
