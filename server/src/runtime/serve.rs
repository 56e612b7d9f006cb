//! `vitrine serve`: the HTTP server and/or the background worker (`--role`), with graceful
//! shutdown: on Ctrl-C or SIGTERM, in-flight requests and the job in progress finish first.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use app::backend::auth::{live_sessions, Auth};
use app::backend::catalog;
use app::backend::model_registry;
use app::backend::rate_limit::RateLimiter;
use app::backend::recs::events::EventWriter;
use app::backend::text_embeddings;
use app::backend::text_to_image::{self, TrainTextToImage};
use tokio::sync::watch;

use crate::http::{metrics, router};
use crate::jobs::align_images::AlignImagesHandler;
use crate::jobs::analytics_segments::SegmentsHandler;
use crate::jobs::embed_image::EmbedImageHandler;
use crate::jobs::embed_text::EmbedTextHandler;
use crate::jobs::import_catalog::ImportCatalogHandler;
use crate::jobs::recs_upkeep;
use crate::jobs::train_recs::{self, TrainRecsHandler};
use crate::jobs::train_text_to_image::{self, TrainTextToImageHandler};
use crate::jobs::worker::Worker;
use crate::runtime::cli::{Role, ServeArgs, StorageArgs};
use crate::runtime::database;
use crate::runtime::model::Models;
use crate::runtime::state::{self, Services};

pub async fn run(storage: &StorageArgs, args: ServeArgs) -> anyhow::Result<()> {
    let pool = database::connect(storage).await?;
    if !args.no_migrate {
        database::migrate(&pool).await?;
    }

    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });

    // Every role needs the models: the web to embed search photos and queries, the worker to
    // embed the catalog. Without one the shop still serves, degraded, and keeps trying to load it.
    let models = crate::runtime::model::load_models_or_degrade(&args.model).await?;
    let images = models.images.clone();

    let worker = if args.role == Role::Web {
        None
    } else {
        // After a model or preprocessing change, the catalog re-embeds itself in the background
        // (search compares only the active version's embeddings); usually nothing is queued.
        let queued = catalog::queue_embeddings(&pool, images.model_version(), false).await?;
        if queued > 0 {
            tracing::info!(queued, version = images.model_version(), "queued images to embed");
        }
        let queued = text_embeddings::queue_all(&pool, models.texts.model_version(), false).await?;
        if queued > 0 {
            tracing::info!(
                queued,
                version = models.texts.model_version(),
                "queued product texts to embed"
            );
        }
        let handler = EmbedImageHandler {
            pool: pool.clone(),
            media: storage.media_store(),
            images: images.clone(),
        };
        let texts = EmbedTextHandler { pool: pool.clone(), texts: models.texts.clone() };
        crate::jobs::shop::schedule_cart_pruning(&pool, chrono::Utc::now()).await?;
        app::backend::analytics::segments::enqueue(&pool, Some(chrono::Utc::now())).await?;
        // Trending and bought-together now (the quarter hour begun), then every quarter hour;
        // the recommender's training nightly.
        let now = chrono::Utc::now();
        recs_upkeep::schedule_refresh(&pool, now - chrono::Duration::minutes(15)).await?;
        train_recs::schedule_daily(&pool, now).await?;
        let placer = recs_upkeep::Placer::new(pool.clone());
        let lease = std::time::Duration::from_secs(args.job_lease_secs.max(1));
        let worker = Worker::new(pool.clone())
            .with_lease(lease)
            .with_handler(Arc::new(handler))
            .with_handler(Arc::new(texts))
            .with_handler(Arc::new(AlignImagesHandler::new(pool.clone())))
            .with_handler(Arc::new(crate::jobs::shop::ReleaseHoldHandler { pool: pool.clone() }))
            .with_handler(Arc::new(crate::jobs::shop::PruneCartsHandler { pool: pool.clone() }))
            .with_handler(Arc::new(SegmentsHandler { pool: pool.clone() }))
            .with_handler(Arc::new(recs_upkeep::PlaceProductsHandler(placer.clone())))
            .with_handler(Arc::new(recs_upkeep::RefreshRecsHandler(placer)));
        // Training and imports hold their worker for minutes: they get a worker of their own,
        // so embedding a new product's text never waits behind them. Without any version of the head yet, the
        // first is trained once the catalog is embedded (the job retries until it is).
        let trainer = TrainTextToImageHandler {
            pool: pool.clone(),
            images: images.clone(),
            texts: models.texts.clone(),
            fashion_dir: args.model.fashion_mnist.clone(),
        };
        if model_registry::list(&pool, text_to_image::KIND).await?.is_empty() {
            train_text_to_image::enqueue(&pool, &TrainTextToImage::default()).await?;
        }
        let training = Worker::new(pool.clone())
            .with_lease(train_text_to_image::LEASE)
            .with_idle_poll(std::time::Duration::from_secs(5))
            .with_handler(Arc::new(trainer))
            .with_handler(Arc::new(TrainRecsHandler { pool: pool.clone() }))
            .with_handler(Arc::new(ImportCatalogHandler {
                pool: pool.clone(),
                media: storage.media_store(),
            }));
        // Not waited for at shutdown: a training cut short is taken up again once its lease runs
        // out, and shutting down must not wait minutes for it.
        tokio::spawn(training.run(stopped.clone()));
        let relay =
            crate::runtime::shop::relay(pool.clone(), &args.shop, &args.auth, storage, lease)?;
        tokio::spawn(relay.run(stopped.clone()));
        Some(tokio::spawn(worker.run(stopped.clone())))
    };

    let auth = match args.role {
        Role::Worker => None,
        _ => Some(crate::runtime::auth::build(&args.auth, storage)?),
    };
    if let Some(addr) = args.metrics_addr {
        let sources = metrics::Sources {
            db: pool.clone(),
            model_version: images.model_version(),
            sessions: auth.as_ref().map(|auth| auth.sessions.clone()),
        };
        let listener = metrics::listen(addr).await?;
        tokio::spawn(metrics::serve(listener, sources, until_stopped(stopped.clone())));
    }
    if let Some(auth) = auth {
        serve_http(storage, &args, pool.clone(), models, auth, until_stopped(stopped)).await?;
    }
    if let Some(worker) = worker {
        worker.await.context("the worker task")?;
    }
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn serve_http(
    storage: &StorageArgs,
    args: &ServeArgs,
    pool: sqlx::PgPool,
    models: Models,
    auth: Auth,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Sign-outs, role changes and disabled accounts on other replicas reach this one.
    tokio::spawn(live_sessions::listen(pool.clone(), auth.sessions.clone()));
    let payments = crate::runtime::shop::payments(&args.shop, pool.clone());
    let services = Services {
        events: EventWriter::spawn(pool.clone()),
        db: pool,
        media: storage.media_store(),
        images: models.images,
        texts: models.texts,
        auth,
        payments,
        photo_search_limit: RateLimiter::per_minute(args.photo_searches_per_minute),
        text_search_limit: RateLimiter::per_minute(args.text_searches_per_minute),
    };
    let state = state::build(services, args.addr)?;
    let addr = state.leptos_options.site_addr;
    let app = router::build(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    tracing::info!("serving the shop on http://{addr}");
    axum::serve(without_delay(listener), app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
}

/// `listener` with Nagle's algorithm off on every connection. A response leaves in several
/// writes (its head, then the body's chunks); with Nagle on, a write made while an earlier one
/// is unacknowledged waits for the client's delayed ACK (40 ms on Linux): it was the 50 ms p99
/// of product pages under `bench shop` (docs/benchmarks.md).
pub fn without_delay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn no_delay(stream: &mut tokio::net::TcpStream) {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
    }
    listener.tap_io(no_delay as fn(&mut tokio::net::TcpStream))
}

async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
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
