//! The rate limit in front of search by photo (`app::backend::rate_limit`): a JSON client is
//! answered `429 too_many_requests` with `Retry-After`; the page's plain form goes back to the
//! search page with the message.

use app::backend::auth::session::client_ip;
use app::backend::state::AppState;
use app::types::{PhotoSearchError, Refusal};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::api::error::ApiError;

/// The no-JavaScript search form's endpoint.
const PHOTO_FORM: &str = "/search/photo";

pub async fn photo_search(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let client = client_ip(&parts, &state.auth);
    let request = Request::from_parts(parts, body);
    let Err(wait) = state.photo_search_limit.take_turn(client, "photo_search") else {
        return next.run(request).await;
    };
    let refusal = PhotoSearchError::TooManyRequests { retry_after_secs: wait };
    tracing::info!(client = ?client, wait, "photo searches throttled");
    if request.uri().path() == PHOTO_FORM {
        Redirect::to(&format!("{PHOTO_FORM}?error={}", refusal.code())).into_response()
    } else {
        ApiError::from(refusal).into_response()
    }
}
