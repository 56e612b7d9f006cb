//! `POST /api/events` `{"events": [{kind, product_id?, query?, row?, model_version?, position?}]}`:
//! records what a shopper did (1 to 50 events a request).
//!
//! → `202 {"recorded": n}`, with the visitor cookie set when the browser had none. A browser
//! sending Global Privacy Control or Do Not Track gets `202 {"recorded": 0}` and no cookie:
//! nothing about it is kept. A malformed event is `400 malformed_event`, a product the shop does
//! not show `422 unknown_product` (the whole batch is refused either way), a flood `429`.

use app::backend::auth::session::client_ip;
use app::backend::auth::MaybeUser;
use app::backend::recs::events::{self, IncomingEvent};
use app::backend::shopper;
use app::backend::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{json_body, ApiError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    pub events: Vec<IncomingEvent>,
}

#[derive(Debug, Serialize)]
pub struct Recorded {
    pub recorded: usize,
}

pub async fn record(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    parts: Parts,
    body: Result<Json<EventBatch>, JsonRejection>,
) -> Result<Response, ApiError> {
    state.events.take_turn(client_ip(&parts, &state.auth))?;
    let batch = json_body(body)?;
    if events::not_tracked(&parts.headers) {
        return Ok((StatusCode::ACCEPTED, Json(Recorded { recorded: 0 })).into_response());
    }
    let known = shopper::visitor(&parts.headers);
    let visitor = known.unwrap_or_else(Uuid::new_v4);
    let checked = events::read(batch.events, visitor, user.map(|user| user.id))?;
    events::known_products(&state.db, &checked).await?;
    let recorded = state.events.record(checked);
    let mut response = (StatusCode::ACCEPTED, Json(Recorded { recorded })).into_response();
    if known.is_none() {
        response.headers_mut().append(SET_COOKIE, shopper::visitor_cookie(&state.auth, visitor));
    }
    Ok(response)
}
