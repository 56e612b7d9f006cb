use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use super::auth::Auth;
use super::media::MediaStore;
use super::payments::Payments;
use super::rate_limit::RateLimiter;
use super::recs::events::EventWriter;
use super::text_model::TextEmbedder;
use super::vision::ImageEmbedder;

/// Everything a request handler or server function may need, built once at start-up.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: PgPool,
    pub media: MediaStore,
    /// The image model, shared by search requests (and the in-process worker).
    pub images: ImageEmbedder,
    /// The text model: query embeddings for text search's semantic arm.
    pub texts: TextEmbedder,
    /// Accounts: token keys, password hashing, throttling, permissions.
    pub auth: Auth,
    /// The payment provider and how long checkout holds stock.
    pub payments: Payments,
    /// How often one client may search by photo.
    #[from_ref(skip)]
    pub photo_search_limit: RateLimiter,
    /// How often one client may search by text or ask for suggestions.
    #[from_ref(skip)]
    pub text_search_limit: RateLimiter,
    /// Where shopper events go (batched, off the request path).
    pub events: EventWriter,
}
