//! Old product addresses: a product page that answers 404 because the product's slug changed
//! answers `301 Moved Permanently` to its current address instead, so links and search
//! engines follow the rename. Only misses pay the lookup.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::backend::catalog_editing::moved_to;
use app::backend::state::AppState;

pub async fn redirect_moved(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let old = (request.method() == Method::GET)
        .then(|| request.uri().path().strip_prefix("/products/"))
        .flatten()
        .filter(|slug| !slug.is_empty() && !slug.contains('/'))
        .map(str::to_owned);
    let query = request.uri().query().map(str::to_owned);
    let response = next.run(request).await;
    let Some(old) = old.filter(|_| response.status() == StatusCode::NOT_FOUND) else {
        return response;
    };
    match moved_to(&state.db, &old).await {
        Ok(Some(current)) => {
            // The query (a search or recommendation click) goes along.
            let location = match query {
                Some(query) => format!("/products/{current}?{query}"),
                None => format!("/products/{current}"),
            };
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, location)]).into_response()
        }
        Ok(None) => response,
        Err(err) => {
            tracing::warn!(error = %err, "looking up a moved product");
            response
        }
    }
}
