//! The shopper's JSON API: cart, checkout, payments and orders. A guest is known by the cart
//! cookie (set on the first add), a signed-in shopper by their session; the pages call the same
//! backend through server functions (`app::server_fns::shop`).
//!
//! - `GET  /api/cart` · `POST /api/cart/items` `{variant_id, quantity}` (adds; a `cart_add`
//!   shopper event, unless the browser asks not to be tracked) ·
//!   `PUT /api/cart/items/{variant_id}` `{quantity}` (sets; 0 removes)
//! - `POST /api/orders` `{email, shipping_address, shipping_method}`: places the cart's order
//!   and holds its stock → 201 with the order; 409 `sold_out`
//! - `POST /api/orders/{id}/payments` with `Idempotency-Key` and `{card}` → 200 paid, 202 when
//!   the bank asks for confirmation, 402 declined
//! - `POST /api/orders/{id}/payments/{payment_id}/confirm` `{approved}` · `POST /api/orders/{id}/cancel`
//! - `GET  /api/orders` · `GET /api/orders/{id}`

use app::backend::auth::CurrentUser;
use app::backend::checkout::{self, Checkout};
use app::backend::orders;
use app::backend::payments::{self, PaymentAnswer, PaymentResult};
use app::backend::recs::tracking;
use app::backend::shopper::{self, Shopper};
use app::backend::state::AppState;
use app::types::{
    CardDetails, Cart, CommerceError, OrderDetail, OrderStatus, OrderSummary, ShippingAddress,
};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use super::error::{json_body, ApiError};

#[derive(Debug, Deserialize)]
pub struct AddItem {
    pub variant_id: Uuid,
    #[serde(default = "one")]
    pub quantity: i32,
}

fn one() -> i32 {
    1
}

#[derive(Debug, Deserialize)]
pub struct SetQuantity {
    pub quantity: i32,
}

#[derive(Debug, Deserialize)]
pub struct CheckoutBody {
    /// Defaults to the signed-in account's email.
    pub email: Option<String>,
    pub shipping_address: ShippingAddress,
    pub shipping_method: String,
}

#[derive(Debug, Deserialize)]
pub struct Pay {
    pub card: CardDetails,
}

#[derive(Debug, Deserialize)]
pub struct Confirm {
    pub approved: bool,
}

pub async fn view_cart(
    State(state): State<AppState>,
    shopper: Shopper,
) -> Result<Json<Cart>, ApiError> {
    Ok(Json(shopper::current_cart(&state, &shopper).await?))
}

pub async fn add_item(
    State(state): State<AppState>,
    shopper: Shopper,
    headers: HeaderMap,
    body: Result<Json<AddItem>, JsonRejection>,
) -> Result<Response, ApiError> {
    let item = json_body(body)?;
    let change =
        shopper::change_cart(&state, &shopper, item.variant_id, item.quantity, false).await?;
    let user_id = shopper.user.as_ref().map(|user| user.id);
    let visitor =
        tracking::record(&state, &headers, user_id, tracking::cart_add(change.product_id));
    let response = with_cookie(Json(change.cart).into_response(), change.cookie);
    Ok(with_cookie(response, visitor))
}

pub async fn set_item(
    State(state): State<AppState>,
    shopper: Shopper,
    Path(variant_id): Path<Uuid>,
    body: Result<Json<SetQuantity>, JsonRejection>,
) -> Result<Response, ApiError> {
    let quantity = json_body(body)?.quantity;
    let change = shopper::change_cart(&state, &shopper, variant_id, quantity, true).await?;
    Ok(with_cookie(Json(change.cart).into_response(), change.cookie))
}

pub async fn place_order(
    State(state): State<AppState>,
    shopper: Shopper,
    body: Result<Json<CheckoutBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let checkout = Checkout {
        email: body.email,
        address: body.shipping_address,
        shipping_method: &body.shipping_method,
        card: None,
    };
    let order_id = checkout::place(&state, &shopper, checkout).await?;
    let detail = orders::order_detail(&state.db, order_id).await?;
    let location = HeaderValue::from_str(&format!("/api/orders/{order_id}")).expect("a path");
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], Json(detail))
        .into_response())
}

pub async fn pay(
    State(state): State<AppState>,
    shopper: Shopper,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    body: Result<Json<Pay>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Pay { card } = json_body(body)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .ok_or(CommerceError::MissingIdempotencyKey)?;
    orders::require_viewer(&state.db, &shopper, order_id).await?;
    let result = payments::pay_order(&state.db, &state.payments, order_id, key, &card).await?;
    payment_response(&state, order_id, result).await
}

pub async fn confirm(
    State(state): State<AppState>,
    shopper: Shopper,
    Path((order_id, payment_id)): Path<(Uuid, Uuid)>,
    body: Result<Json<Confirm>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Confirm { approved } = json_body(body)?;
    orders::require_viewer(&state.db, &shopper, order_id).await?;
    let result =
        payments::confirm_payment(&state.db, &state.payments, order_id, payment_id, approved)
            .await?;
    payment_response(&state, order_id, result).await
}

pub async fn cancel(
    State(state): State<AppState>,
    shopper: Shopper,
    Path(order_id): Path<Uuid>,
) -> Result<Json<OrderDetail>, ApiError> {
    orders::require_viewer(&state.db, &shopper, order_id).await?;
    let actor = shopper.user.as_ref().map(CurrentUser::actor);
    orders::transition(
        &state.db,
        order_id,
        OrderStatus::Cancelled,
        actor,
        "cancelled by the shopper",
    )
    .await?;
    Ok(Json(orders::order_detail(&state.db, order_id).await?))
}

pub async fn list_orders(
    State(state): State<AppState>,
    shopper: Shopper,
) -> Result<Json<Vec<OrderSummary>>, ApiError> {
    Ok(Json(orders::history(&state.db, &shopper).await?))
}

pub async fn order(
    State(state): State<AppState>,
    shopper: Shopper,
    Path(order_id): Path<Uuid>,
) -> Result<Json<OrderDetail>, ApiError> {
    orders::require_viewer(&state.db, &shopper, order_id).await?;
    Ok(Json(orders::order_detail(&state.db, order_id).await?))
}

async fn payment_response(
    state: &AppState,
    order_id: Uuid,
    result: PaymentResult,
) -> Result<Response, ApiError> {
    let status = match result {
        PaymentResult::Paid => StatusCode::OK,
        PaymentResult::RequiresAction { .. } => StatusCode::ACCEPTED,
    };
    let order = orders::order_detail(&state.db, order_id).await?;
    let body = PaymentAnswer { payment: result, order };
    Ok((status, Json(body)).into_response())
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(value) = cookie {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
