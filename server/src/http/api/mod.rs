//! The JSON API (for apps and scripts) and the search form's plain HTML post. The pages call
//! the same backend through Leptos server functions (`app::api`).

/// The JSON error body, shared with the server functions' extractors in `app`.
pub use app::backend::api_error as error;
pub mod analytics;
pub mod auth;
pub mod catalog_import;
pub mod events;
pub mod photo_upload;
pub mod product_images;
pub mod recs;
pub mod search;
pub mod shop;
pub mod text_search;

/// Why a multipart field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRead {
    /// More than the limit came in (reading stopped there).
    TooLarge,
    Malformed,
}

/// A multipart field's bytes, refused as soon as more than `max` have streamed in.
pub async fn field_bytes(
    field: &mut axum::extract::multipart::Field<'_>,
    max: usize,
) -> Result<Vec<u8>, FieldRead> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| FieldRead::Malformed)? {
        if bytes.len() + chunk.len() > max {
            return Err(FieldRead::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
