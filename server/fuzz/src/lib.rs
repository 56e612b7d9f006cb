//! What the fuzz targets run: the server's own code for reading a photo upload and for the
//! query-string values it interprets, with the checks that make a run fail besides a panic.
//!
//! The server's modules are compiled here from their source files (`#[path]`), not through the
//! `vitrine` crate, so the instrumented build is the shared crate and these two modules rather
//! than the whole server (burn, sqlx, Leptos SSR).

pub mod heap;
pub mod query;
pub mod upload;

// The server's modules hold more than the targets call.
#[allow(dead_code)]
#[path = "../../src/http/api/photo_upload.rs"]
mod photo_upload;
#[allow(dead_code)]
#[path = "../../../app/src/backend/redirect.rs"]
mod redirect;
