//! Prometheus metrics (the `metrics` crate, rendered by `metrics-exporter-prometheus`).
//!
//! Counters and histograms are recorded where things happen: every request by route template,
//! method and status ([`track`]), model inference and its queue wait, sign-in failures and
//! throttles, job failures. Gauges that describe the database (pool use, job queues, embedding
//! backlog, outbox lag) are read when Prometheus scrapes. `/metrics` is served only on its own
//! listen address (`--metrics-addr`, for the private network Prometheus scrapes from): never
//! next to the shop, so nothing about it is public by default. docs/operations.md lists every
//! metric with an example alert.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::Context;
use app::backend::auth::live_sessions::LiveSessions;
use app::backend::{catalog, jobs, outbox};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

/// Latency buckets in seconds: a page in milliseconds up to a slow photo search.
const SECONDS_BUCKETS: [f64; 12] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The process's recorder, installed on first use (metrics are process-wide).
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
                .expect("the buckets are not empty")
                .install_recorder()
                .expect("no other metrics recorder is installed")
        })
        .clone()
}

/// Counts each request and times it, labelled by its route template (`/products/{slug}`, not
/// each product's path, so the number of series stays bounded).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    record_request(route, method, response.status().as_u16(), started.elapsed());
    response
}

/// Records one answered request (what [`track`] does per request; `bench shop` times it).
pub fn record_request(route: String, method: String, status: u16, took: std::time::Duration) {
    histogram!("vitrine_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone())
        .record(took);
    counter!("vitrine_http_requests_total", "route" => route, "method" => method, "status" => status.to_string())
        .increment(1);
}

/// What the scrape reads: the process's database pool, its model, and (in a web process) its
/// session listener.
#[derive(Clone)]
pub struct Sources {
    pub db: PgPool,
    pub model_version: &'static str,
    pub sessions: Option<LiveSessions>,
}

/// The router of the metrics address: `GET /metrics` only.
pub fn router(sources: Sources) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state(sources)
}

/// Binds the metrics address (before the process reports itself started, so a taken port is an
/// error at start rather than a silent gap in the graphs).
pub async fn listen(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening for metrics on {addr}"))?;
    tracing::info!("serving metrics on http://{addr}/metrics");
    Ok(listener)
}

/// Serves [`router`] on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sources: Sources,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    if let Err(err) = axum::serve(listener, router(sources)).with_graceful_shutdown(shutdown).await
    {
        tracing::error!(error = %err, "the metrics listener stopped");
    }
}

async fn scrape(State(sources): State<Sources>) -> Response {
    if let Err(err) = sample_database(&sources).await {
        // The rest still renders: an outage is exactly when the other metrics matter.
        tracing::warn!(error = %err, "metrics: the database gauges could not be read");
        gauge!("vitrine_database_up").set(0.0);
    } else {
        gauge!("vitrine_database_up").set(1.0);
    }
    let pool = &sources.db;
    let idle = pool.num_idle() as f64;
    gauge!("vitrine_db_pool_connections", "state" => "idle").set(idle);
    gauge!("vitrine_db_pool_connections", "state" => "in_use").set(f64::from(pool.size()) - idle);
    gauge!("vitrine_db_pool_max_connections").set(f64::from(pool.options().get_max_connections()));
    if let Some(sessions) = &sources.sessions {
        let listening = sessions.is_listening();
        gauge!("vitrine_session_listener_up").set(if listening { 1.0 } else { 0.0 });
    }
    let recorder = recorder();
    recorder.run_upkeep();
    (StatusCode::OK, [(CONTENT_TYPE, "text/plain; version=0.0.4")], recorder.render())
        .into_response()
}

/// The gauges read from the database: job queues, the embedding backlog, the outbox's lag.
async fn sample_database(sources: &Sources) -> Result<(), sqlx::Error> {
    for queue in jobs::queue_stats(&sources.db).await? {
        let kind = queue.kind;
        gauge!("vitrine_jobs", "kind" => kind.clone(), "status" => "queued")
            .set(queue.queued as f64);
        gauge!("vitrine_jobs", "kind" => kind.clone(), "status" => "running")
            .set(queue.running as f64);
        gauge!("vitrine_jobs", "kind" => kind.clone(), "status" => "dead").set(queue.dead as f64);
        gauge!("vitrine_jobs_oldest_due_seconds", "kind" => kind).set(queue.oldest_due_secs);
    }
    let counts = catalog::embedding_counts(&sources.db, sources.model_version).await?;
    gauge!("vitrine_embedding_backlog").set(counts.waiting as f64);
    gauge!("vitrine_embedding_failed").set(counts.failed as f64);
    let (pending, oldest_secs) = outbox::lag(&sources.db).await?;
    gauge!("vitrine_outbox_pending").set(pending as f64);
    gauge!("vitrine_outbox_oldest_pending_seconds").set(oldest_secs);
    Ok(())
}
