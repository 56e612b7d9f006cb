//! The silent session refresh in front of every page.

use app::backend::auth::accounts;
use app::backend::auth::session::{cookie, session_cookies, ACCESS_COOKIE, REFRESH_COOKIE};
use app::backend::auth::tokens::TokenType;
use app::backend::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

/// In front of every request: a browser whose access token is missing or expired but whose
/// refresh token is still good gets a new session on its next page load, so a sign-in lasts as
/// long as the refresh token (7 days of inactivity) without the page doing anything.
///
/// Only page loads (`GET` of HTML) refresh: a browser makes one at a time, so two requests never
/// race to rotate the same token (which would look like theft and end the session).
pub async fn refresh_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let is_page_load =
        request.method() == Method::GET && app::server_fns::asks_for_html(request.headers());
    let headers = request.headers();
    let access_ok = cookie(headers, ACCESS_COOKIE)
        .is_some_and(|token| state.auth.keys.verify(&token, TokenType::Access).is_ok());
    let refresh = cookie(headers, REFRESH_COOKIE).filter(|token| !token.is_empty());
    let (true, false, Some(refresh)) = (is_page_load, access_ok, refresh) else {
        return next.run(request).await;
    };
    let Ok(session) = accounts::refresh(&state.db, &state.auth, &refresh).await else {
        // Reused, revoked or expired: the page renders signed out.
        return next.run(request).await;
    };
    // The page (and its server functions) see the new session in this very request.
    let cookie_header =
        format!("{ACCESS_COOKIE}={}; {REFRESH_COOKIE}={}", session.access, session.refresh);
    request.headers_mut().remove(COOKIE);
    request
        .headers_mut()
        .insert(COOKIE, HeaderValue::from_str(&cookie_header).expect("tokens are header-safe"));
    let mut response = next.run(request).await;
    for value in session_cookies(&state.auth, &session) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
