//! `vitrine serve`: the HTTP server, with graceful shutdown.

use std::net::SocketAddr;

use anyhow::Context;
use app::backend::state::AppState;
use leptos::config::get_configuration;

use crate::cli::{ServeArgs, StorageArgs};
use crate::{database, router};

pub async fn run(storage: &StorageArgs, args: ServeArgs) -> anyhow::Result<()> {
    let pool = database::connect(storage).await?;
    if !args.no_migrate {
        database::migrate(&pool).await?;
    }

    let mut leptos_options =
        get_configuration(None).context("reading the LEPTOS_* settings")?.leptos_options;
    // cargo-leptos bakes the bundle's name in at compile time; plain `cargo build`s do not.
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "vitrine".into();
    }
    let addr: SocketAddr = args.addr.unwrap_or(leptos_options.site_addr);
    leptos_options.site_addr = addr;

    let state = AppState { leptos_options, db: pool.clone(), media: storage.media_store() };
    let app = router::build(state);

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    tracing::info!("serving the shop on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;

    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
