use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use super::media::MediaStore;

/// Everything a request handler or server function may need, built once at start-up.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: PgPool,
    pub media: MediaStore,
}
