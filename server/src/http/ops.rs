//! Operations endpoints for load balancers and orchestrators.
//!
//! `/healthz` answers whether the process is alive; `/readyz` whether it can serve shoppers
//! (database reachable, schema migrated, image model loaded). Both answer JSON.

use app::backend::db::{migration_state, MigrationState};
use app::backend::state::AppState;
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
    // The server loads and warms the model before it listens, so a serving process has it.
    let config = state.images.config();
    let image_model = Check::ok_with(format!(
        "{} ({} threads, {} at once)",
        state.images.model_version(),
        config.threads,
        config.concurrency
    ));
    let ready = database.ok && migrations.ok && image_model.ok;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (
        status,
        Json(Readiness {
            status: if ready { "ready" } else { "not ready" },
            checks: Checks { database, migrations, image_model },
        }),
    )
}
