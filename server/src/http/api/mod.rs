//! The JSON API (for apps and scripts) and the search form's plain HTML post. The pages call
//! the same backend through Leptos server functions (`app::api`).

/// The JSON error body, shared with the server functions' extractors in `app`.
pub use app::backend::api_error as error;
pub mod auth;
pub mod events;
pub mod photo_upload;
pub mod product_images;
pub mod recs;
pub mod search;
pub mod shop;
pub mod text_search;
