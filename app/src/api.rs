//! Server functions: typed calls from the page to the server. Each body runs only on the server,
//! takes the [`AppState`](crate::backend::state::AppState) from Leptos context and calls the
//! backend; the browser build gets an HTTP stub with the same signature.

use leptos::prelude::*;

use uuid::Uuid;

use crate::error::{PhotoSearchError, ShopError};
use crate::model::{Category, ProductCard, ProductPageData, ScoredProduct};

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

/// One product's page with its "similar items"; `NotFound` for an unknown slug.
#[server]
pub async fn product_page(slug: String) -> Result<ProductPageData, ShopError> {
    let state = expect_context::<crate::backend::state::AppState>();
    let version = state.images.model_version();
    crate::backend::search::product_page(&state.db, &slug, version, SIMILAR_ITEMS)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "loading a product page failed");
            ShopError::Unavailable
        })?
        .ok_or(ShopError::NotFound)
}

/// The categories a search can be narrowed to.
#[server]
pub async fn categories() -> Result<Vec<Category>, ShopError> {
    let state = expect_context::<crate::backend::state::AppState>();
    crate::backend::catalog::list_categories(&state.db).await.map_err(|err| {
        tracing::error!(error = %err, "listing categories failed");
        ShopError::Unavailable
    })
}

/// The results of a stored photo search (the page the search form redirects to).
#[server]
pub async fn photo_search_results(query: Uuid) -> Result<Vec<ScoredProduct>, PhotoSearchError> {
    use crate::backend::search;

    let state = expect_context::<crate::backend::state::AppState>();
    let stored = search::load_query(&state.db, query)
        .await
        .map_err(search::unavailable)?
        .filter(|stored| stored.model_version == state.images.model_version())
        .ok_or(PhotoSearchError::ExpiredSearch)?;
    let filter = search::category_filter(&state.db, stored.category_slug.as_deref()).await?;
    search::search_by_embedding(
        &state.db,
        &stored.embedding,
        &stored.model_version,
        &filter,
        DEFAULT_PHOTO_RESULTS,
    )
    .await
}
