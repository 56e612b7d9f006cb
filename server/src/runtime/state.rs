//! The application state, assembled in one place for the server and the benchmarks that serve
//! the real router.

use std::net::SocketAddr;

use anyhow::Context;
use app::backend::auth::Auth;
use app::backend::media::MediaStore;
use app::backend::payments::Payments;
use app::backend::rate_limit::RateLimiter;
use app::backend::recs::events::EventWriter;
use app::backend::state::AppState;
use app::backend::text_model::TextEmbedder;
use app::backend::vision::ImageEmbedder;
use leptos::config::get_configuration;
use sqlx::PgPool;

/// What the state holds besides the Leptos options.
pub struct Services {
    pub db: PgPool,
    pub media: MediaStore,
    pub images: ImageEmbedder,
    pub texts: TextEmbedder,
    pub auth: Auth,
    pub payments: Payments,
    pub photo_search_limit: RateLimiter,
    pub text_search_limit: RateLimiter,
    pub events: EventWriter,
}

/// The state for a router served at `addr` (the `LEPTOS_SITE_ADDR` setting when `None`), with
/// the other `LEPTOS_*` settings cargo-leptos passes.
pub fn build(services: Services, addr: Option<SocketAddr>) -> anyhow::Result<AppState> {
    let mut leptos_options =
        get_configuration(None).context("reading the LEPTOS_* settings")?.leptos_options;
    // cargo-leptos bakes the bundle's name in at compile time; plain `cargo build`s do not.
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "vitrine".into();
    }
    if let Some(addr) = addr {
        leptos_options.site_addr = addr;
    }
    let Services {
        db,
        media,
        images,
        texts,
        auth,
        payments,
        photo_search_limit,
        text_search_limit,
        events,
    } = services;
    Ok(AppState {
        leptos_options,
        db,
        media,
        images,
        texts,
        auth,
        payments,
        photo_search_limit,
        text_search_limit,
        events,
    })
}
