//! Text search as JSON: `GET /api/search?q=&category=&min_price=&max_price=&in_stock=&sort=&page=`
//! answers the results page's `SearchResults`, `GET /api/search/suggest?q=` the search box's
//! `Suggestions`; refusals as the rest of the API (`400 bad_price`, `429` with `Retry-After` …).
//! A search as typed (page 1, no filter or sort) is recorded as a `search` shopper event, unless
//! the browser asks not to be tracked (`recs::tracking::search` says why only those).

use app::backend::auth::session::client_ip;
use app::backend::auth::MaybeUser;
use app::backend::recs::tracking;
use app::backend::state::AppState;
use app::backend::text_search;
use app::types::{SearchError, SearchParams, Suggestions, MAX_QUERY_CHARS};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::error::ApiError;

pub async fn search(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    parts: Parts,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    // A query string that is not UTF-8 (or repeats a field) cannot be read as one search.
    let Ok(Query(params)) = params else { return Err(SearchError::BadQuery.into()) };
    let query = params.read()?;
    text_search::take_turn(&state.text_search_limit, client_ip(&parts, &state.auth))?;
    let results = text_search::search(&state.db, &state.texts, &query).await?;
    let user_id = user.map(|user| user.id);
    let visitor =
        tracking::record(&state, &parts.headers, user_id, tracking::search(&query, results.total));
    let mut response = Json(results).into_response();
    if let Some(cookie) = visitor {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct SuggestParams {
    #[serde(default)]
    q: String,
}

pub async fn suggest(
    State(state): State<AppState>,
    parts: Parts,
    params: Result<Query<SuggestParams>, QueryRejection>,
) -> Result<Json<Suggestions>, ApiError> {
    let Ok(Query(params)) = params else { return Err(SearchError::BadQuery.into()) };
    text_search::take_turn(&state.text_search_limit, client_ip(&parts, &state.auth))?;
    let q: String = params.q.chars().take(MAX_QUERY_CHARS).collect();
    Ok(Json(text_search::suggest(&state.db, &state.texts, &q).await?))
}
