//! Operations endpoints for load balancers and orchestrators.
//!
//! `/healthz` answers whether the process is alive; `/readyz` whether it can serve shoppers
//! (database reachable, schema migrated: else `503 not ready`), and says `degraded` (still
//! `200`) while a model is not loaded or the session listener is down. Both answer
//! JSON.

use app::backend::db::{migration_state, MigrationState};
use app::backend::model_registry;
use app::backend::recs;
use app::backend::state::AppState;
use app::backend::text_to_image;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
}

pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

#[derive(Debug, Serialize)]
pub struct Readiness {
    pub status: &'static str,
    pub checks: Checks,
}

#[derive(Debug, Serialize)]
pub struct Checks {
    pub database: Check,
    pub migrations: Check,
    pub image_model: Check,
    /// Without it, text search runs on its lexical arms alone.
    pub text_model: Check,
    /// The text-to-image head's active version (search by what pictures show); none before
    /// the first training, when text search simply goes without that arm.
    pub text_to_image: Check,
    /// The recommender's active version; none before the first training, when the rows show
    /// trending products and products bought together.
    pub recommender: Check,
    /// The listener that hears other replicas' sign-outs and role changes.
    pub sessions: Check,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    fn ok() -> Self {
        Self { ok: true, detail: None }
    }

    fn ok_with(detail: impl Into<String>) -> Self {
        Self { ok: true, detail: Some(detail.into()) }
    }

    fn failed(detail: impl Into<String>) -> Self {
        Self { ok: false, detail: Some(detail.into()) }
    }
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, migrations) = match migration_state(&state.db).await {
        Ok(MigrationState::UpToDate) => (Check::ok(), Check::ok()),
        Ok(MigrationState::Pending(versions)) => {
            (Check::ok(), Check::failed(format!("pending migrations: {versions:?}")))
        }
        Err(err) => {
            tracing::warn!(error = %err, "readiness: database unreachable");
            (Check::failed("unreachable"), Check::failed("unknown"))
        }
    };
    let config = state.images.config();
    let image_model = match state.images.status() {
        Ok(()) => Check::ok_with(format!(
            "{} ({} threads, {} at once)",
            state.images.model_version(),
            config.threads,
            config.concurrency
        )),
        Err(reason) => Check::failed(format!("unavailable: {reason}")),
    };
    let text_model = match state.texts.status() {
        Ok(()) => Check::ok_with(state.texts.model_version()),
        Err(reason) => Check::failed(format!("unavailable: {reason}")),
    };
    let text_to_image = match model_registry::active(&state.db, text_to_image::KIND).await {
        Ok(Some(version)) => Check::ok_with(version.version),
        Ok(None) => Check::ok_with("no version active yet: search goes without the pictures arm"),
        Err(_) => Check::failed("unknown"),
    };
    let recommender = match model_registry::active(&state.db, recs::KIND).await {
        Ok(Some(version)) => Check::ok_with(version.version),
        Ok(None) => Check::ok_with("no version active yet: the rows show trending products"),
        Err(_) => Check::failed("unknown"),
    };
    let sessions = if state.auth.sessions.is_listening() {
        Check::ok()
    } else {
        Check::failed("not listening: revocations reach this replica within 5 s")
    };
    // Without the database nothing works; without the model (or the session listener) the shop
    // still serves everything else, so it stays in the load balancer, marked degraded.
    let ready = database.ok && migrations.ok;
    let status = match (ready, image_model.ok && text_model.ok && sessions.ok) {
        (false, _) => "not ready",
        (true, false) => "degraded",
        (true, true) => "ready",
    };
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (
        code,
        Json(Readiness {
            status,
            checks: Checks {
                database,
                migrations,
                image_model,
                text_model,
                text_to_image,
                recommender,
                sessions,
            },
        }),
    )
}
