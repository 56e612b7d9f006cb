//! The HTTP surface: operations endpoints, the Leptos pages and server functions, static files.

use std::sync::OnceLock;
use std::time::Duration;

use app::backend::content_policy::provide_page_nonce;
use app::backend::state::AppState;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::routing::{get, post, put};
use axum::Router;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::http::api;
use crate::http::ops;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The app's pages, listed once per process. Listing renders the whole app, and a listing that
/// runs while another thread renders a page can stall that page for good (leptos 0.8.23: in a
/// stress test 26 of 40 pages hung while another thread listed routes). A server lists them
/// before it serves; the integration tests start a server per test while others are serving.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn build(state: AppState) -> Router {
    crate::http::metrics::recorder();
    let routes = route_list();
    let leptos_options = state.leptos_options.clone();

    // Stored media by their own static route, not the Leptos file handler. Names are content
    // hashes, so a file never changes and browsers may keep it for a year.
    let media = Router::new().fallback_service(ServeDir::new(state.media.root())).layer(
        SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
    );

    // Photo uploads may be larger than axum's 2 MB default; the reader refuses anything over
    // the image limit as it streams in.
    let upload_limit =
        DefaultBodyLimit::max(api::photo_upload::body_limit(&app::preprocess::Limits::default()));
    // Each photo search runs the model: one client may make only so many a minute.
    let photo_searches = Router::new()
        .route("/api/search/by-image", post(api::search::by_image))
        .route("/api/search/queries", post(api::search::create_query))
        .route("/search/photo", post(api::search::photo_form))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::rate_limits::photo_search,
        ));
    let uploads = Router::new()
        .merge(photo_searches)
        .route(app::server_fns::admin::PRODUCT_IMAGES, post(api::product_images::upload))
        .layer(upload_limit);
    // An import carries a CSV and a ZIP of images; the reader refuses each over its limit.
    let imports = Router::new()
        .route(app::server_fns::admin::IMPORTS, post(api::catalog_import::upload))
        .layer(DefaultBodyLimit::max(api::catalog_import::BODY_LIMIT));

    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/api/products/{id}/similar", get(api::search::similar))
        .route("/api/search", get(api::text_search::search))
        .route("/api/search/suggest", get(api::text_search::suggest))
        .route("/api/auth/register", post(api::auth::register))
        .route("/api/auth/sign-in", post(api::auth::sign_in))
        .route("/api/auth/refresh", post(api::auth::refresh))
        .route("/api/auth/sign-out", post(api::auth::sign_out))
        .route("/api/auth/me", get(api::auth::me).delete(api::auth::delete_me))
        .route("/api/auth/me/data", get(api::auth::my_data))
        .route("/api/auth/password", post(api::auth::change_password))
        .route("/api/auth/password-reset", post(api::auth::request_reset))
        .route("/api/auth/password-reset/confirm", post(api::auth::confirm_reset))
        .route("/api/events", post(api::events::record))
        .route("/api/recommendations/{row}", get(api::recs::row))
        .route("/api/cart", get(api::shop::view_cart))
        .route("/api/cart/items", post(api::shop::add_item))
        .route("/api/cart/items/{variant_id}", put(api::shop::set_item))
        .route("/api/orders", get(api::shop::list_orders).post(api::shop::place_order))
        .route("/api/orders/{id}", get(api::shop::order))
        .route("/api/orders/{id}/payments", post(api::shop::pay))
        .route("/api/orders/{id}/payments/{payment_id}/confirm", post(api::shop::confirm))
        .route("/api/orders/{id}/cancel", post(api::shop::cancel))
        .merge(uploads)
        .merge(imports)
        .route(app::server_fns::admin::CATALOG_EXPORT, get(api::catalog_import::export))
        .route(app::server_fns::admin::ANALYTICS_EXPORT, get(api::analytics::export))
        .nest_service(app::backend::media::URL_PREFIX, media)
        .leptos_routes_with_context(&state, routes, provide_page_nonce, move || {
            shell(leptos_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            provide_page_nonce,
            shell,
        ))
        .layer(axum::middleware::from_fn(crate::http::server_fn_status::set_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::moved_products::redirect_moved,
        ))
        // Pages load with a fresh session when the access token has expired (see auth.rs).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::session_refresh::refresh_session,
        ))
        // The WASM bundle shrinks to about 40 % and the HTML to a fraction over the wire.
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Routed already (these layers wrap each route), so the route template is known.
        .layer(axum::middleware::from_fn(crate::http::metrics::track))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost, so every answer has them, timeouts and refusals included.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::security_headers::set,
        ))
        .with_state(state)
}
