//! Server functions answer every error with `500`; ours know better. Every refusal a server
//! function returns is encoded with its own status (`app::types::RefusalEncoding`), and this
//! layer answers with that status (401, 403, 404, 409, 422, 429 …), so clients and logs tell a
//! refusal from a failure. Plain form posts are redirected by Leptos and left alone.

use app::types::RefusalStatus;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// The header Leptos marks a server function's error response with.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// Error bodies are a few dozen bytes; anything larger is not ours to read.
const MAX_ERROR_BODY: usize = 16 * 1024;

pub async fn set_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let status = serde_json::from_slice::<RefusalStatus>(&bytes).map(|refusal| refusal.status);
    if let Some(status) = status.ok().and_then(|code| StatusCode::from_u16(code).ok()) {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
