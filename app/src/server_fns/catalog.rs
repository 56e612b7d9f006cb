//! The catalog's server functions: the home page's products, a product page, the categories and
//! a stored photo search's results, text search and its suggestions.

#[cfg(feature = "ssr")]
use crate::types::Refusal;
use leptos::prelude::*;

use uuid::Uuid;

use crate::types::{
    Category, LinkParams, PhotoSearchError, ProductCard, ProductPageData, ScoredProduct,
    SearchError, SearchParams, SearchResults, ShopError, Suggestions,
};
#[cfg(feature = "ssr")]
use crate::types::{DEFAULT_PHOTO_RESULTS, MAX_QUERY_CHARS, SIMILAR_ITEMS};

/// How many products the home page shows.
pub const HOME_PAGE_PRODUCTS: i64 = 24;

#[server(prefix = "/api/catalog", endpoint = "newest-products")]
pub async fn newest_products() -> Result<Vec<ProductCard>, ShopError> {
    let state = super::state();
    crate::backend::catalog::newest_products(&state.db, HOME_PAGE_PRODUCTS)
        .await
        .map_err(ShopError::unavailable)
}

/// One product's page with its "similar items"; `NotFound` for an unknown slug. Records the
/// view, and the click on the search result or recommendation the link came from (`from`, the
/// link's parameters as the URL has them).
#[server(prefix = "/api/catalog", endpoint = "product-page")]
pub async fn product_page(
    slug: String,
    #[server(default)] from: LinkParams,
) -> Result<ProductPageData, ShopError> {
    use crate::backend::recs::tracking;

    let state = super::state();
    let version = state.images.model_version();
    let page = crate::backend::search::product_page(&state.db, &slug, version, SIMILAR_ITEMS)
        .await
        .map_err(ShopError::unavailable)?;
    let Some(page) = page else {
        // A renamed product, asked for by the browser's router: it follows this redirect. A
        // full page load is the server's `moved_products` layer's to answer (301), so it is
        // not looked up twice.
        let page_load = use_context::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with("/products/"));
        if !page_load {
            let moved = crate::backend::catalog_editing::moved_to(&state.db, &slug).await;
            if let Ok(Some(current)) = moved {
                leptos_axum::redirect(&format!("/products/{current}"));
            }
        }
        return Err(ShopError::NotFound);
    };
    let opened = tracking::product_opened(page.product.card.id, from.source().as_ref());
    tracking::record_in_server_fn(opened).await;
    Ok(page)
}

/// The categories a search can be narrowed to.
#[server(prefix = "/api/catalog", endpoint = "categories")]
pub async fn categories() -> Result<Vec<Category>, ShopError> {
    let state = super::state();
    crate::backend::catalog::list_categories(&state.db).await.map_err(ShopError::unavailable)
}

/// The results of a stored photo search (the page the search form redirects to).
#[server(prefix = "/api/catalog", endpoint = "photo-search-results")]
pub async fn photo_search_results(query: Uuid) -> Result<Vec<ScoredProduct>, PhotoSearchError> {
    use crate::backend::search;

    let state = super::state();
    let stored = search::load_query(&state.db, query)
        .await
        .map_err(PhotoSearchError::unavailable)?
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

/// The client's turn under the text-search rate limit, for the two search functions.
#[cfg(feature = "ssr")]
fn take_search_turn(state: &crate::backend::state::AppState) -> Result<(), SearchError> {
    let client = use_context::<axum::http::request::Parts>()
        .and_then(|parts| crate::backend::auth::session::client_ip(&parts, &state.auth));
    crate::backend::text_search::take_turn(&state.text_search_limit, client)
}

/// A page of text-search results (`/search?…`); the parameters as the URL has them.
#[server(prefix = "/api/catalog", endpoint = "search")]
pub async fn search_products(params: SearchParams) -> Result<SearchResults, SearchError> {
    use crate::backend::recs::tracking;

    let state = super::state();
    let query = params.read()?;
    take_search_turn(&state)?;
    let results = crate::backend::text_search::search(&state.db, &state.texts, &query).await?;
    tracking::record_in_server_fn(tracking::search(&query, results.total)).await;
    Ok(results)
}

/// What the header's search box suggests for `q`.
#[server(prefix = "/api/catalog", endpoint = "suggest")]
pub async fn search_suggestions(q: String) -> Result<Suggestions, SearchError> {
    let state = super::state();
    take_search_turn(&state)?;
    let q: String = q.chars().take(MAX_QUERY_CHARS).collect();
    crate::backend::text_search::suggest(&state.db, &state.texts, &q).await
}
