//! Reading a photo search upload: `multipart/form-data` with an `image` file and optional
//! `category`, `limit` and `region` fields. The file is read chunk by chunk and refused as soon
//! as it passes the byte limit, so an oversized upload is never held in memory whole.

use app::api::{DEFAULT_PHOTO_RESULTS, MAX_PHOTO_RESULTS};
use app::error::PhotoSearchError;
use app::preprocess::{Limits, Region};
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::StatusCode;

/// Room for the form's other fields and the multipart framing on top of the image itself.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

/// The request body limit for photo uploads.
pub fn body_limit(limits: &Limits) -> usize {
    limits.max_bytes + FORM_OVERHEAD_BYTES
}

/// A parsed photo search request.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoUpload {
    pub image: Vec<u8>,
    pub category: Option<String>,
    pub limit: i64,
    pub region: Option<Region>,
}

pub async fn read(
    multipart: Result<Multipart, MultipartRejection>,
    limits: &Limits,
) -> Result<PhotoUpload, PhotoSearchError> {
    let mut multipart = multipart.map_err(|_| PhotoSearchError::NotMultipart)?;
    let mut upload = PhotoUpload {
        image: Vec::new(),
        category: None,
        limit: DEFAULT_PHOTO_RESULTS,
        region: None,
    };
    let mut has_image = false;
    let mut file_named = false;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| refusal(e, limits))? {
        match field.name() {
            Some("image") => {
                has_image = true;
                file_named = field.file_name().is_some_and(|name| !name.is_empty());
                while let Some(chunk) = field.chunk().await.map_err(|e| refusal(e, limits))? {
                    if upload.image.len() + chunk.len() > limits.max_bytes {
                        return Err(too_many_bytes(limits));
                    }
                    upload.image.extend_from_slice(&chunk);
                }
            }
            Some("category") => {
                let text = field.text().await.map_err(|e| refusal(e, limits))?;
                let text = text.trim();
                // An empty select ("All categories") means no filter.
                upload.category = (!text.is_empty()).then(|| text.to_owned());
            }
            Some("limit") => {
                let text = field.text().await.map_err(|e| refusal(e, limits))?;
                let limit = text.trim().parse::<i64>().ok();
                upload.limit = limit
                    .filter(|limit| (1..=MAX_PHOTO_RESULTS).contains(limit))
                    .ok_or(PhotoSearchError::BadLimit { max: MAX_PHOTO_RESULTS })?;
            }
            Some("region") => {
                let text = field.text().await.map_err(|e| refusal(e, limits))?;
                if !text.trim().is_empty() {
                    upload.region = Some(text.parse().map_err(|()| PhotoSearchError::BadRegion)?);
                }
            }
            _ => {} // Unknown fields are ignored, as browsers may add their own.
        }
    }
    // A form submitted without choosing a file still sends an empty, unnamed `image` part.
    if !has_image || (upload.image.is_empty() && !file_named) {
        return Err(PhotoSearchError::MissingImage);
    }
    Ok(upload)
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
