//! The browser's defences, on every response: a Content-Security-Policy (scripts only from the
//! shop, see `app::backend::content_policy`), no MIME sniffing, no framing by other sites
//! (clickjacking of the admin and checkout pages), referrers cut to the origin when leaving the
//! site, the camera only for search by photo, and HSTS when the shop is served over HTTPS.

use app::backend::content_policy::{self, PageNonce};
use app::backend::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// The page whose photo picker may use the camera.
const PHOTO_SEARCH: &str = "/search/photo";
const WITH_CAMERA: HeaderValue =
    HeaderValue::from_static("camera=(self), microphone=(), geolocation=(), payment=()");
const WITHOUT_CAMERA: HeaderValue =
    HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()");

pub async fn set(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let permissions =
        if request.uri().path() == PHOTO_SEARCH { WITH_CAMERA } else { WITHOUT_CAMERA };
    // Leptos marks the page's inline scripts with this nonce (`content_policy::provide_page_nonce`).
    let nonce = PageNonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let policy = if is_page {
        let reload = content_policy::reload_socket(&state.leptos_options);
        content_policy::for_page(&nonce.0, reload)
    } else {
        content_policy::FOR_OTHER_RESPONSES
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, policy);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    // `frame-ancestors` for current browsers, X-Frame-Options for older ones.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(PERMISSIONS_POLICY, permissions);
    // Secure cookies mean the shop is reached over HTTPS (`--secure-cookies`).
    if state.auth.secure_cookies {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
