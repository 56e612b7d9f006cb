//! The recommendation rows the pages show (the JSON API's `GET /api/recommendations/{row}` is
//! the same row for scripts). Each row shown is recorded as impressions, unless the browser
//! asks not to be tracked.

use leptos::prelude::*;
use uuid::Uuid;

use crate::types::{RecommendationRow, RecsError, RowKind};

/// Row `row` for the shopper of this request: about `product` (the also-bought row), from
/// `category` only when given (a slug).
#[server(prefix = "/api/recs", endpoint = "row")]
pub async fn recommendations(
    row: RowKind,
    product: Option<Uuid>,
    category: Option<String>,
) -> Result<RecommendationRow, RecsError> {
    use crate::backend::auth::request;
    use crate::backend::recs::rows::{recommend, Audience, RowRequest};
    use crate::backend::recs::tracking;

    let state = super::state();
    let headers =
        use_context::<axum::http::request::Parts>().map(|parts| parts.headers).unwrap_or_default();
    let audience = Audience::of_request(&state, &headers, &request::shopper().await).await?;
    let products = product.into_iter().collect();
    let asked = RowRequest { products, category, ..RowRequest::new(row) };
    let found = recommend(&state.db, &audience, &asked).await?;
    tracking::record_in_server_fn(tracking::impressions(&found)).await;
    Ok(found)
}
