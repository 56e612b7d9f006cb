//! Server-only domain code, compiled with the `ssr` feature and never into the WASM build.
//!
//! Server functions in [`crate::server_fns`] reach it through the [`state::AppState`] the server puts
//! into Leptos context once per request; axum handlers in the `server` crate get the same state
//! through axum's `State`. One module owns each group of tables: others call its functions, not
//! its SQL.

pub mod analytics;
pub mod api_error;
pub mod audit;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod catalog_editing;
pub mod catalog_import;
pub mod checkout;
pub mod content_policy;
pub mod db;
pub mod inference;
pub mod inventory;
pub mod job_admin;
pub mod jobs;
pub mod media;
pub mod model_admin;
pub mod model_registry;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod privacy;
pub mod pytorch_weights;
pub mod rate_limit;
pub mod recs;
pub mod redirect;
pub mod search;
pub mod shopper;
pub mod state;
pub mod text_embeddings;
pub mod text_model;
pub mod text_search;
pub mod text_to_image;
pub mod training;
pub mod vision;
