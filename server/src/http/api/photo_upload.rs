//! Reading a photo search upload: `multipart/form-data` with the photo in one of two forms and
//! optional `category`, `limit` and `region` fields.
//!
//! - `image`: the original photo (JPEG, PNG or WebP; the plain form and API clients send this),
//!   which the server decodes, orients, crops to `region` and resizes;
//! - `prepared`: the model's 224×224 square as an RGB PNG, made by the page's WASM from the photo
//!   and the shopper's selection (see `app::preprocess::prepared`); `region` has already been
//!   applied, so sending one as well is refused.
//!
//! Files are read chunk by chunk and refused as soon as they pass their byte limit, so an
//! oversized upload is never held in memory whole.

use app::preprocess::{Limits, Region, PREPARED_MAX_BYTES};
use app::types::{PhotoSearchError, DEFAULT_PHOTO_RESULTS, MAX_PHOTO_RESULTS};
use axum::extract::multipart::{Field, Multipart, MultipartError, MultipartRejection};
use axum::http::StatusCode;

/// Room for the form's other fields and the multipart framing on top of the image itself.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

/// The request body limit for photo uploads.
pub fn body_limit(limits: &Limits) -> usize {
    limits.max_bytes + FORM_OVERHEAD_BYTES
}

/// The photo of a search, as it was sent.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadedImage {
    /// The original file.
    Photo(Vec<u8>),
    /// The model's square, already made by the client.
    Prepared(Vec<u8>),
}

/// A parsed photo search request.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoUpload {
    pub image: UploadedImage,
    pub category: Option<String>,
    pub limit: i64,
    pub region: Option<Region>,
}

pub async fn read(
    multipart: Result<Multipart, MultipartRejection>,
    limits: &Limits,
) -> Result<PhotoUpload, PhotoSearchError> {
    let mut multipart = multipart.map_err(|_| PhotoSearchError::NotMultipart)?;
    let mut image = None;
    let mut category = None;
    let mut limit = DEFAULT_PHOTO_RESULTS;
    let mut region = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| refusal(e, limits))? {
        match field.name() {
            Some("image") => {
                let file =
                    read_file(field, limits.max_bytes, too_many_bytes(limits), limits).await?;
                set_once(&mut image, file.map(UploadedImage::Photo))?;
            }
            Some("prepared") => {
                let too_long = PhotoSearchError::BadPreparedImage;
                let file = read_file(field, PREPARED_MAX_BYTES, too_long, limits).await?;
                set_once(&mut image, file.map(UploadedImage::Prepared))?;
            }
            Some("category") => {
                let text = field.text().await.map_err(|e| refusal(e, limits))?;
                let text = text.trim();
                // An empty select ("All categories") means no filter.
                category = (!text.is_empty()).then(|| text.to_owned());
            }
            Some("limit") => {
                let text = field.text().await.map_err(|e| refusal(e, limits))?;
                limit = text
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|limit| (1..=MAX_PHOTO_RESULTS).contains(limit))
                    .ok_or(PhotoSearchError::BadLimit { max: MAX_PHOTO_RESULTS })?;
            }
            Some("region") => {
                let text = field.text().await.map_err(|e| refusal(e, limits))?;
                if !text.trim().is_empty() {
                    region = Some(text.parse().map_err(|()| PhotoSearchError::BadRegion)?);
                }
            }
            _ => {} // Unknown fields are ignored, as browsers may add their own.
        }
    }
    let image = image.ok_or(PhotoSearchError::MissingImage)?;
    if matches!(image, UploadedImage::Prepared(_)) && region.is_some() {
        return Err(PhotoSearchError::ConflictingImages);
    }
    Ok(PhotoUpload { image, category, limit, region })
}

/// Reads one file field, refusing it with `too_long` past `max_bytes`. A file input left empty
/// (the page's camera input, usually) arrives as an empty part with no file name: `None`.
async fn read_file(
    mut field: Field<'_>,
    max_bytes: usize,
    too_long: PhotoSearchError,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, PhotoSearchError> {
    let named = field.file_name().is_some_and(|name| !name.is_empty());
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| refusal(e, limits))? {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_long);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((named || !bytes.is_empty()).then_some(bytes))
}

/// Keeps the one photo of the search; a second is refused rather than guessed between.
fn set_once(
    image: &mut Option<UploadedImage>,
    file: Option<UploadedImage>,
) -> Result<(), PhotoSearchError> {
    match (image.is_some(), file) {
        (_, None) => Ok(()),
        (false, file) => {
            *image = file;
            Ok(())
        }
        (true, Some(_)) => Err(PhotoSearchError::ConflictingImages),
    }
}

fn too_many_bytes(limits: &Limits) -> PhotoSearchError {
    PhotoSearchError::TooManyBytes { max_mib: limits.max_bytes / (1024 * 1024) }
}

/// The body limit layer stops an oversized body mid-stream; anything else is a broken form.
fn refusal(error: MultipartError, limits: &Limits) -> PhotoSearchError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_many_bytes(limits)
    } else {
        PhotoSearchError::MalformedUpload
    }
}
