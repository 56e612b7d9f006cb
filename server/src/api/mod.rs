//! The JSON API (for apps and scripts) and the search form's plain HTML post. The pages call
//! the same backend through Leptos server functions (`app::api`).

pub mod error;
pub mod photo_upload;
pub mod search;
