//! Server functions: typed calls from the page to the server. Each body runs only on the server,
//! takes the [`AppState`](crate::backend::state::AppState) from Leptos context and calls the
//! backend; the browser build gets an HTTP stub with the same signature.

use leptos::prelude::*;

use uuid::Uuid;

use crate::error::{PhotoSearchError, ShopError};
use crate::model::{ProductCard, ProductDetail, ScoredProduct};

/// How many products the home page shows.
pub const HOME_PAGE_PRODUCTS: i64 = 24;
/// Results of a photo search, unless the request asks for another number up to the maximum.
pub const DEFAULT_PHOTO_RESULTS: i64 = 24;
pub const MAX_PHOTO_RESULTS: i64 = 100;
/// Items in a product page's "similar items" row.
pub const SIMILAR_ITEMS: i64 = 8;

#[server]
pub async fn newest_products() -> Result<Vec<ProductCard>, ShopError> {
    let state = expect_context::<crate::backend::state::AppState>();
    crate::backend::catalog::newest_products(&state.db, HOME_PAGE_PRODUCTS).await.map_err(|err| {
        tracing::error!(error = %err, "listing products failed");
        ShopError::Unavailable
    })
}

/// One product's page; `NotFound` for an unknown slug.
#[server]
pub async fn product_page(slug: String) -> Result<ProductDetail, ShopError> {
    let state = expect_context::<crate::backend::state::AppState>();
    match crate::backend::catalog::product_by_slug(&state.db, &slug).await {
        Ok(Some(product)) => Ok(product),
        Ok(None) => Err(ShopError::NotFound),
        Err(err) => {
            tracing::error!(error = %err, %slug, "loading a product failed");
            Err(ShopError::Unavailable)
        }
    }
}

/// The products that look most like this one (the product page's "similar items" row).
#[server]
pub async fn similar_products(product_id: Uuid) -> Result<Vec<ScoredProduct>, ShopError> {
    let state = expect_context::<crate::backend::state::AppState>();
    let version = state.images.model_version();
    match crate::backend::search::similar_products(&state.db, product_id, version, SIMILAR_ITEMS)
        .await
    {
        Ok(Some(items)) => Ok(items),
        Ok(None) => Err(ShopError::NotFound),
        Err(err) => {
            tracing::error!(error = %err, %product_id, "similar products failed");
            Err(ShopError::Unavailable)
        }
    }
}

/// The results of a stored photo search (the page the search form redirects to).
#[server]
pub async fn photo_search_results(query: Uuid) -> Result<Vec<ScoredProduct>, PhotoSearchError> {
    use crate::backend::search;

    let state = expect_context::<crate::backend::state::AppState>();
    let stored = search::load_query(&state.db, query)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "loading a photo search failed");
            PhotoSearchError::Unavailable
        })?
        .filter(|stored| stored.model_version == state.images.model_version())
        .ok_or(PhotoSearchError::ExpiredSearch)?;
    search::search_by_embedding(
        &state.db,
        &stored.embedding,
        &stored.model_version,
        stored.category_slug.as_deref(),
        DEFAULT_PHOTO_RESULTS,
    )
    .await
}
