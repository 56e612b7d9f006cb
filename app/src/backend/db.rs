//! The database: the migrations compiled into the binary and the checks `/readyz` runs.

use sqlx::migrate::Migrator;
use sqlx::PgPool;

/// The schema, from `migrations/` at the workspace root; the only way the schema changes.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// How the database's applied migrations compare with the ones this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    UpToDate,
    /// Migrations this binary has that the database has not applied (or applied and failed).
    Pending(Vec<i64>),
}

/// Compares `_sqlx_migrations` with [`MIGRATOR`] without changing anything.
pub async fn migration_state(pool: &PgPool) -> Result<MigrationState, sqlx::Error> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await
            .or_else(|err| match &err {
                // No table yet: nothing applied.
                sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => {
                    Ok(Vec::new())
                }
                _ => Err(err),
            })?;

    let pending: Vec<i64> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| m.version)
        .collect();

    Ok(if pending.is_empty() { MigrationState::UpToDate } else { MigrationState::Pending(pending) })
}

/// `%query%` for ILIKE, with the pattern's own wildcards escaped.
pub fn ilike_pattern(query: &str) -> String {
    format!("%{}%", query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}
