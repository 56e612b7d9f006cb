//! The API's error body: `{"error": {"code": "...", "message": "..."}}` with a matching status
//! (and `Retry-After` when the client must wait).

use crate::types::Refusal;
use axum::extract::rejection::JsonRejection;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before trying again (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn not_found(what: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("no such {what}"),
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code, message: message.into(), retry_after: None }
    }
}

/// The body of a JSON request, or `400 bad_request` when it is missing or malformed (the same
/// answer as every domain's `BadRequest`).
pub fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(body)| body)
        .map_err(|_| ApiError::bad_request("bad_request", "The request could not be read."))
}

/// The one conversion from a domain's refusal to the API's answer.
impl<E: Refusal> From<E> for ApiError {
    fn from(refusal: E) -> Self {
        Self {
            // Every status a refusal names is a valid one; 500 would only mean a typo there.
            status: StatusCode::from_u16(refusal.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: refusal.code(),
            message: refusal.to_string(),
            retry_after: refusal.retry_after(),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Detail { code: self.code, message: &self.message } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
