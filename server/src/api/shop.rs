//! The shopper's JSON API: cart, checkout, payments and orders. A guest is known by the cart
//! cookie (set on the first add), a signed-in shopper by their session; the pages call the same
//! backend through server functions (`app::shop`).
//!
//! - `GET  /api/cart` · `POST /api/cart/items` `{variant_id, quantity}` (adds) ·
//!   `PUT /api/cart/items/{variant_id}` `{quantity}` (sets; 0 removes)
//! - `POST /api/orders` `{email, shipping_address, shipping_method}`: places the cart's order
//!   and holds its stock → 201 with the order; 409 `sold_out`
//! - `POST /api/orders/{id}/payments` with `Idempotency-Key` and `{card}` → 200 paid, 202 when
//!   the bank asks for confirmation, 402 declined
//! - `POST /api/orders/{id}/payments/{payment_id}/confirm` `{approved}` · `POST /api/orders/{id}/cancel`
//! - `GET  /api/orders` · `GET /api/orders/{id}`

use app::backend::auth::{CurrentUser, MaybeUser};
use app::backend::cart;
use app::backend::orders::{self, OrderViewer, PlaceOrder};
use app::backend::payments::{self, PaymentResult};
use app::backend::shopper;
use app::backend::state::AppState;
use app::commerce::{CardDetails, Cart, OrderDetail, OrderStatus, OrderSummary, ShippingAddress};
use app::error::CommerceError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiError;

/// How many orders the history lists.
const ORDER_HISTORY: i64 = 50;

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
pub struct Checkout {
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
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Result<Json<Cart>, ApiError> {
    let Some(owner) = shopper::owner(&headers, user.as_ref()) else {
        return Ok(Json(Cart::default()));
    };
    let cart = match cart::find(&state.db, owner).await.map_err(cart::unavailable)? {
        Some(cart_id) => cart::view(&state.db, cart_id).await.map_err(cart::unavailable)?,
        None => Cart::default(),
    };
    Ok(Json(cart))
}

pub async fn add_item(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Result<Json<AddItem>, JsonRejection>,
) -> Result<Response, ApiError> {
    let item = json_body(body)?;
    change_cart(&state, user, &headers, item.variant_id, item.quantity, false).await
}

pub async fn set_item(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(variant_id): Path<Uuid>,
    body: Result<Json<SetQuantity>, JsonRejection>,
) -> Result<Response, ApiError> {
    let quantity = json_body(body)?.quantity;
    change_cart(&state, user, &headers, variant_id, quantity, true).await
}

async fn change_cart(
    state: &AppState,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    variant_id: Uuid,
    quantity: i32,
    replace: bool,
) -> Result<Response, ApiError> {
    let (cart_id, cookie) =
        shopper::cart_for_update(state, headers, user.as_ref()).await.map_err(cart::unavailable)?;
    cart::change_line(&state.db, cart_id, variant_id, quantity, replace).await?;
    let cart = cart::view(&state.db, cart_id).await.map_err(cart::unavailable)?;
    Ok(with_cookie(Json(cart).into_response(), cookie))
}

pub async fn place_order(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Result<Json<Checkout>, JsonRejection>,
) -> Result<Response, ApiError> {
    let checkout = json_body(body)?;
    let owner = shopper::owner(&headers, user.as_ref()).ok_or(CommerceError::EmptyCart)?;
    let cart_id = cart::find(&state.db, owner)
        .await
        .map_err(cart::unavailable)?
        .ok_or(CommerceError::EmptyCart)?;
    let email = match (checkout.email, &user) {
        (Some(email), _) => email,
        (None, Some(user)) => account_email(&state, user.id).await?,
        (None, None) => return Err(CommerceError::BadEmail.into()),
    };
    let shipping_method = app::commerce::ShippingMethod::parse(&checkout.shipping_method)
        .ok_or(CommerceError::UnknownShippingMethod)?;
    let order = PlaceOrder {
        cart_id,
        user_id: user.as_ref().map(|user| user.id),
        email,
        address: checkout.shipping_address,
        shipping_method,
    };
    let order_id = orders::place_order(&state.db, order, state.payments.hold).await?;
    let detail = orders::order_detail(&state.db, order_id).await?;
    let location = HeaderValue::from_str(&format!("/api/orders/{order_id}")).expect("a path");
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], Json(detail))
        .into_response())
}

pub async fn pay(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    body: Result<Json<Pay>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Pay { card } = json_body(body)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .ok_or(CommerceError::MissingIdempotencyKey)?;
    require_viewer(&state, &headers, user.as_ref(), order_id).await?;
    let result = payments::pay_order(&state.db, &state.payments, order_id, key, &card).await?;
    payment_response(&state, order_id, result).await
}

pub async fn confirm(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path((order_id, payment_id)): Path<(Uuid, Uuid)>,
    body: Result<Json<Confirm>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Confirm { approved } = json_body(body)?;
    require_viewer(&state, &headers, user.as_ref(), order_id).await?;
    let result =
        payments::confirm_payment(&state.db, &state.payments, order_id, payment_id, approved)
            .await?;
    payment_response(&state, order_id, result).await
}

pub async fn cancel(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
) -> Result<Json<OrderDetail>, ApiError> {
    require_viewer(&state, &headers, user.as_ref(), order_id).await?;
    let actor = user.as_ref().map(CurrentUser::actor);
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
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Result<Json<Vec<OrderSummary>>, ApiError> {
    let Some(owner) = shopper::owner(&headers, user.as_ref()) else {
        return Ok(Json(Vec::new()));
    };
    Ok(Json(orders::list_orders(&state.db, Some(owner), None, ORDER_HISTORY).await?))
}

pub async fn order(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
) -> Result<Json<OrderDetail>, ApiError> {
    require_viewer(&state, &headers, user.as_ref(), order_id).await?;
    Ok(Json(orders::order_detail(&state.db, order_id).await?))
}

/// 404 (not 403) for someone else's order: whether an order id exists is not for them to know.
async fn require_viewer(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<&CurrentUser>,
    order_id: Uuid,
) -> Result<(), ApiError> {
    let owner = shopper::owner(headers, user).ok_or(CommerceError::OrderNotFound)?;
    let staff = user.is_some_and(|user| user.require(app::auth::Permission::Orders).is_ok());
    let viewer = if staff { OrderViewer::Staff } else { OrderViewer::Owner(owner) };
    if orders::can_view(&state.db, order_id, viewer).await? {
        Ok(())
    } else {
        Err(CommerceError::OrderNotFound.into())
    }
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
    let body = serde_json::json!({ "payment": result, "order": order });
    Ok((status, Json(body)).into_response())
}

async fn account_email(state: &AppState, user_id: Uuid) -> Result<String, ApiError> {
    let account = app::backend::auth::accounts::account(&state.db, &state.auth, user_id).await?;
    Ok(account.email)
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(value) = cookie {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(body)| body).map_err(|_| CommerceError::BadRequest.into())
}
