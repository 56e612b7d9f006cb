//! What the browser and the server exchange: plain serde types, one of each, used by the pages,
//! the server functions, the JSON API and the backend alike. Nothing here depends on another
//! part of the crate except `preprocess` (the photo limits an error names); everything else
//! depends on this.
//!
//! The submodules only group the file; every type is used as `crate::types::Name`. Within the
//! folder, dependencies point one way too: money ← catalog ← commerce ← admin, catalog ← catalog_editing, catalog_import, catalog ← search ← link_source, catalog ← recs, auth ← admin,
//! models, background_jobs and analytics (on their own), and errors on top.

mod admin;
mod analytics;
mod auth;
mod background_jobs;
mod catalog;
mod catalog_editing;
mod catalog_import;
mod commerce;
mod errors;
mod link_source;
mod models;
mod money;
mod recs;
mod search;

pub use admin::*;
pub use analytics::*;
pub use auth::*;
pub use background_jobs::*;
pub use catalog::*;
pub use catalog_editing::*;
pub use catalog_import::*;
pub use commerce::*;
pub use errors::*;
pub use link_source::*;
pub use models::*;
pub use money::*;
pub use recs::*;
pub use search::*;
