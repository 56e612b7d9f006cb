//! The account of the request a server function runs in: the same [`CurrentUser`] extractor as
//! the axum handlers, the client's address, and the session cookies of the response.

use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use leptos::prelude::*;

use super::accounts::Session;
use super::session::{cleared_cookies, client_ip, session_cookies};
use super::{CurrentUser, MaybeUser};
use crate::backend::state::AppState;
use crate::types::AuthError;

/// The signed-in user, or `Unauthenticated`.
pub async fn current_user() -> Result<CurrentUser, AuthError> {
    let state = use_context::<AppState>().ok_or(AuthError::Unauthenticated)?;
    leptos_axum::extract_with_state::<CurrentUser, AppState>(&state)
        .await
        .map_err(|_| AuthError::Unauthenticated)
}

/// The signed-in user, if any.
///
/// Without a request there is nobody: leptos_axum renders the app once at start-up to list its
/// routes, with no `AppState` in context, and the header's account resource runs then too.
/// Expecting the context there panicked (now and then, as resources happened to be polled).
pub async fn maybe_user() -> Option<CurrentUser> {
    let state = use_context::<AppState>()?;
    leptos_axum::extract_with_state::<MaybeUser, AppState>(&state).await.ok().and_then(|m| m.0)
}

/// The client's address as the throttles key it ("unknown" without one).
pub fn client_address() -> String {
    let state = expect_context::<AppState>();
    use_context::<Parts>()
        .and_then(|parts| client_ip(&parts, &state.auth))
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Stores `session` in the browser with the response.
pub fn set_session(session: &Session) {
    let state = expect_context::<AppState>();
    let response = expect_context::<leptos_axum::ResponseOptions>();
    for value in session_cookies(&state.auth, session) {
        response.append_header(SET_COOKIE, value);
    }
}

/// Removes the session from the browser with the response.
pub fn clear_session() {
    let state = expect_context::<AppState>();
    let response = expect_context::<leptos_axum::ResponseOptions>();
    for value in cleared_cookies(&state.auth) {
        response.append_header(SET_COOKIE, value);
    }
}

/// After a sign-in or registration: the guest's cart joins the account's.
pub async fn adopt_guest_cart(user_id: uuid::Uuid) {
    let state = expect_context::<AppState>();
    let Some(parts) = use_context::<Parts>() else { return };
    set_cookie(crate::backend::shopper::adopt_guest_cart(&state, &parts.headers, user_id).await);
}

/// The request's shopper: the signed-in account and the guest cart cookie (nobody without a
/// request, as for [`maybe_user`]).
pub async fn shopper() -> crate::backend::shopper::Shopper {
    let Some(state) = use_context::<AppState>() else { return Default::default() };
    leptos_axum::extract_with_state::<crate::backend::shopper::Shopper, AppState>(&state)
        .await
        .unwrap_or_default()
}

/// Sets a cookie with the response (the guest cart's, made by a cart change).
pub fn set_cookie(value: Option<axum::http::HeaderValue>) {
    if let Some(value) = value {
        expect_context::<leptos_axum::ResponseOptions>().append_header(SET_COOKIE, value);
    }
}
