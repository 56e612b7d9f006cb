//! Recommendation rows as JSON: `GET /api/recommendations/{row}?product=&category=&limit=`
//! answers a `RecommendationRow` for the shopper of the request (their visitor cookie, account
//! and cart), the same row the pages show. Refusals: `404 unknown_row`, `404 unknown_category`,
//! `400 product_required` (also_bought or order_email without `product`), `400 bad_request` for a query string
//! that cannot be read. The products shown are recorded as impressions, like the pages'.

use app::backend::recs::rows::{recommend, Audience, RowRequest, DEFAULT_LIMIT};
use app::backend::recs::tracking;
use app::backend::shopper::Shopper;
use app::backend::state::AppState;
use app::types::{RecsError, RowKind};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct RowParams {
    product: Option<Uuid>,
    category: Option<String>,
    limit: Option<usize>,
}

pub async fn row(
    State(state): State<AppState>,
    shopper: Shopper,
    Path(row): Path<String>,
    parts: Parts,
    params: Result<Query<RowParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let kind = RowKind::parse(&row).ok_or(RecsError::UnknownRow(row))?;
    let Query(params) = params.map_err(|rejection| RecsError::Request(rejection.body_text()))?;
    let audience = Audience::of_request(&state, &parts.headers, &shopper).await?;
    let request = RowRequest {
        row: kind,
        products: params.product.into_iter().collect(),
        category: params.category.filter(|slug| !slug.is_empty()),
        limit: params.limit.unwrap_or(DEFAULT_LIMIT),
    };
    let found = recommend(&state.db, &audience, &request).await?;
    let user_id = shopper.user.as_ref().map(|user| user.id);
    let visitor = tracking::record(&state, &parts.headers, user_id, tracking::impressions(&found));
    let mut response = Json(found).into_response();
    if let Some(cookie) = visitor {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}
