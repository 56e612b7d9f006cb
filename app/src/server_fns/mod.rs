//! The `#[server]` functions the pages call, grouped by use case. Each is thin: find out who is
//! asking, call one backend function, answer with a [`crate::types`] value or refusal. The
//! browser build gets an HTTP stub with the same signature; the bodies run only on the server,
//! where they reach the backend through the `AppState` in Leptos context.

pub mod account;
pub mod admin;
pub mod catalog;
pub mod recs;
pub mod shop;

/// The application state the server put into Leptos context for this request.
#[cfg(feature = "ssr")]
pub(crate) fn state() -> crate::backend::state::AppState {
    leptos::prelude::expect_context::<crate::backend::state::AppState>()
}

/// Whether this server function call is a plain HTML form post (no JavaScript ran the form):
/// the browser then wants a page back, as Leptos decides by the same `Accept` header.
#[cfg(feature = "ssr")]
pub(crate) fn plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| asks_for_html(&parts.headers))
}

/// Whether a request asks for a page (`Accept: text/html`): a page load, or a plain form post
/// that is answered with a redirect to a page rather than JSON.
#[cfg(feature = "ssr")]
pub fn asks_for_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
