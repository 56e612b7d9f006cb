//! `vitrine bench …`: performance measurements that print tables (never timed tests).

pub mod admin;
pub mod embed;
pub mod preprocess;
pub mod python;
pub mod search;
pub mod shop;
pub mod stats;
pub mod text;
pub mod text_search;

/// Creates the benchmark's own database on the server unless it exists (it is kept between
/// runs, so a large catalog is built once).
async fn create_database_if_missing(server_url: &str, name: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use sqlx::{Connection, Executor};
    // The name comes from the command line (`--database`): only plain identifiers, so it needs
    // no quoting in the statement below.
    anyhow::ensure!(
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "a benchmark database name is lowercase letters, digits and underscores: {name:?}"
    );
    let mut admin = sqlx::PgConnection::connect(server_url).await.context("connecting as admin")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
    }
    Ok(())
}

/// Serves the shop's real router on a local port over `pool`: both models, a payment sandbox
/// that answers at once and no rate limits (a benchmark measures throughput). Its address, and
/// the task serving it.
async fn serve_shop(
    pool: &sqlx::PgPool,
    media: app::backend::media::MediaStore,
    models: vitrine::runtime::model::Models,
    auth: app::backend::auth::Auth,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    use app::backend::rate_limit::RateLimiter;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let services = vitrine::runtime::state::Services {
        db: pool.clone(),
        media,
        images: models.images,
        texts: models.texts,
        auth,
        payments: vitrine::runtime::shop::test_payments(pool.clone(), std::time::Duration::ZERO),
        photo_search_limit: RateLimiter::unlimited(),
        text_search_limit: RateLimiter::unlimited(),
        events: app::backend::recs::events::EventWriter::spawn(pool.clone()),
    };
    let state = vitrine::runtime::state::build(services, Some(addr))?;
    let router = vitrine::http::router::build(state);
    let listener = vitrine::runtime::serve::without_delay(listener);
    Ok((addr, tokio::spawn(async move { axum::serve(listener, router).await })))
}
