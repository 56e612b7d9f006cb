//! `POST /api/admin/product-images`: adds an image to a product (permission `catalog`).
//!
//! `multipart/form-data` with `product` (its id) and the image as either
//! - `display`: the display image the admin page's WASM made (longest side ≤ 1024 px, re-encoded),
//!   which is checked (decoded within those limits) and stored as it is; or
//! - `image`: the original photo (the form without JavaScript), from which the server makes the
//!   same display image, and a plain form post (`Accept: text/html`) is sent back to the page.

use app::backend::auth::CurrentUser;
use app::backend::catalog::add_product_image;
use app::backend::state::AppState;
use app::preprocess::display::{display_from_photo, display_limits};
use app::preprocess::{decode_upright, Limits};
use app::server_fns::admin::{check, PRODUCT_IMAGES};
use app::types::{CommerceError, PhotoSearchError, Refusal};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use uuid::Uuid;

use super::error::ApiError;
use super::FieldRead;

/// The file of an upload, as it was sent.
enum Sent {
    Display(Vec<u8>),
    Original(Vec<u8>),
}

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    check(PRODUCT_IMAGES, &user)?;
    let (product, sent) = read(multipart).await?;
    // Decoding checks the file either way; the original is made into the display image here.
    let display = tokio::task::spawn_blocking(move || match sent {
        Sent::Display(bytes) => decode_upright(&bytes, &display_limits()).map(|_| bytes),
        Sent::Original(bytes) => display_from_photo(&bytes),
    })
    .await
    .map_err(|err| CommerceError::unavailable(format!("preparing a product image: {err}")))?
    .map_err(PhotoSearchError::from)?;
    let stored = state
        .media
        .put_product_image(&display)
        .map_err(|err| CommerceError::unavailable(format!("storing a product image: {err}")))?;
    let image = add_product_image(&state.db, &user, product, &stored)
        .await
        .map_err(CommerceError::unavailable)?
        .ok_or_else(|| ApiError::not_found("product"))?;
    if app::server_fns::asks_for_html(&headers) {
        return Ok(Redirect::to("/admin/products").into_response());
    }
    Ok((StatusCode::CREATED, Json(image)).into_response())
}

async fn read(multipart: Result<Multipart, MultipartRejection>) -> Result<(Uuid, Sent), ApiError> {
    let mut multipart = multipart.map_err(|_| PhotoSearchError::NotMultipart)?;
    let malformed = |_| ApiError::from(PhotoSearchError::MalformedUpload);
    let (mut product, mut sent) = (None, None);
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let (max, wrap): (usize, fn(Vec<u8>) -> Sent) = match field.name() {
            Some("product") => {
                let text = field.text().await.map_err(malformed)?;
                product = Some(text.trim().parse::<Uuid>().map_err(|_| {
                    ApiError::bad_request("bad_product_id", "a product id is a UUID")
                })?);
                continue;
            }
            Some("display") => (display_limits().max_bytes, Sent::Display),
            Some("image") => (Limits::default().max_bytes, Sent::Original),
            _ => continue,
        };
        let bytes = super::field_bytes(&mut field, max).await.map_err(|err| match err {
            FieldRead::TooLarge => PhotoSearchError::TooManyBytes { max_mib: max / (1024 * 1024) },
            FieldRead::Malformed => PhotoSearchError::MalformedUpload,
        })?;
        if !bytes.is_empty() {
            if sent.is_some() {
                return Err(PhotoSearchError::ConflictingImages.into());
            }
            sent = Some(wrap(bytes));
        }
    }
    let product =
        product.ok_or_else(|| ApiError::bad_request("bad_product_id", "say which product"))?;
    Ok((product, sent.ok_or(PhotoSearchError::MissingImage)?))
}
