//! Server functions: typed calls from the page to the server. Each body runs only on the server,
//! takes the [`AppState`](crate::backend::state::AppState) from Leptos context and calls the
//! backend; the browser build gets an HTTP stub with the same signature.

use leptos::prelude::*;

use crate::error::ShopError;
use crate::model::ProductCard;

/// How many products the home page shows.
pub const HOME_PAGE_PRODUCTS: i64 = 24;

#[server]
pub async fn newest_products() -> Result<Vec<ProductCard>, ShopError> {
    let state = expect_context::<crate::backend::state::AppState>();
    crate::backend::catalog::newest_products(&state.db, HOME_PAGE_PRODUCTS).await.map_err(|err| {
        tracing::error!(error = %err, "listing products failed");
        ShopError::Unavailable
    })
}
