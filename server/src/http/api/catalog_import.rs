//! `POST /api/admin/imports`: uploads a catalog import (permission `catalog`), and
//! `GET /api/admin/catalog.csv`: the catalog in the same format.
//!
//! The upload is `multipart/form-data` with the CSV as `csv` and, optionally, the ZIP of its
//! images as `images`. It answers `202` with the import's and its job's ids (the progress is
//! `imports/progress`), or, for a plain form post, a redirect to the import's page.

use app::backend::auth::CurrentUser;
use app::backend::catalog_import::{self, format, Upload, MAX_ARCHIVE_BYTES, MAX_CSV_BYTES};
use app::backend::state::AppState;
use app::server_fns::admin::{check, CATALOG_EXPORT, IMPORTS};
use app::types::{ImportError, Refusal};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;

use super::error::ApiError;
use super::{field_bytes, FieldRead};

/// What the upload route's body may weigh: both files at their largest, and the form around.
pub const BODY_LIMIT: usize = MAX_CSV_BYTES + MAX_ARCHIVE_BYTES + 1024 * 1024;

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    check(IMPORTS, &user)?;
    let upload = read(multipart).await?;
    let queued = catalog_import::create(&state.db, user.actor(), upload).await?;
    if app::server_fns::asks_for_html(&headers) {
        return Ok(Redirect::to(&format!("/admin/imports/{}", queued.import_id)).into_response());
    }
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

async fn read(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, ImportError> {
    let mut multipart = multipart.map_err(|_| ImportError::BadRequest)?;
    let (mut csv, mut images) = (None, None);
    while let Some(mut field) = multipart.next_field().await.map_err(|_| ImportError::BadRequest)? {
        let max = match field.name() {
            Some("csv") => MAX_CSV_BYTES,
            Some("images") => MAX_ARCHIVE_BYTES,
            _ => continue,
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or("upload").to_owned();
        let bytes = field_bytes(&mut field, max).await.map_err(|err| match err {
            FieldRead::TooLarge => ImportError::TooLarge { max_mib: max / (1024 * 1024) },
            FieldRead::Malformed => ImportError::BadRequest,
        })?;
        // A file input left empty still sends its (empty) part.
        if bytes.is_empty() {
            continue;
        }
        match name.as_str() {
            "csv" => csv = Some((file_name, bytes)),
            _ => images = Some((file_name, bytes)),
        }
    }
    let (file_name, csv) = csv.ok_or(ImportError::MissingCsv)?;
    Ok(Upload { file_name, csv, images })
}

pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    check(CATALOG_EXPORT, &user)?;
    let csv = format::write(&state.db).await.map_err(ImportError::unavailable)?;
    let file_name = format!("catalog-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        csv,
    )
        .into_response())
}
