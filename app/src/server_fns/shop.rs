//! Server functions of the shop's pages: category listings, the cart, checkout, payment and
//! the shopper's orders. They call the same backend as the JSON API (`/api/cart`, `/api/orders`),
//! find the same cart (account or guest cookie), and the forms work without JavaScript.

#[cfg(feature = "ssr")]
use crate::types::Refusal;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use super::state;
#[cfg(feature = "ssr")]
use crate::backend::auth::request;
use crate::types::{
    CardDetails, Cart, CategoryListing, CommerceError, ListingQuery, OrderDetail, OrderSummary,
    ShippingAddress, ShopError,
};

/// What a payment attempt came to, for the checkout page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PaymentStep {
    Paid {
        order_id: Uuid,
    },
    /// The bank asks the shopper to confirm this payment.
    Confirm {
        order_id: Uuid,
        payment_id: Uuid,
    },
}

/// A page of a category with the shopper's filters and order.
#[server(prefix = "/api/shop", endpoint = "category")]
pub async fn category_page(query: ListingQuery) -> Result<CategoryListing, ShopError> {
    let state = state();
    crate::backend::catalog::category_listing(&state.db, &query)
        .await
        .map_err(ShopError::unavailable)?
        .ok_or(ShopError::NotFound)
}

#[server(prefix = "/api/shop", endpoint = "cart")]
pub async fn current_cart() -> Result<Cart, CommerceError> {
    crate::backend::shopper::current_cart(&state(), &request::shopper().await).await
}

/// How many items the shopper's cart holds, for the header.
#[server(prefix = "/api/shop", endpoint = "cart-count")]
pub async fn cart_count() -> Result<i32, CommerceError> {
    crate::backend::shopper::cart_item_count(&state(), &request::shopper().await).await
}

#[server(prefix = "/api/shop", endpoint = "add-to-cart")]
pub async fn add_to_cart(variant_id: Uuid, quantity: i32) -> Result<Cart, CommerceError> {
    use crate::backend::recs::tracking;

    let shopper = request::shopper().await;
    let change =
        crate::backend::shopper::change_cart(&state(), &shopper, variant_id, quantity, false)
            .await?;
    request::set_cookie(change.cookie);
    tracking::record_in_server_fn(tracking::cart_add(change.product_id)).await;
    Ok(change.cart)
}

/// Sets a cart line's quantity (0 removes it).
#[server(prefix = "/api/shop", endpoint = "set-quantity")]
pub async fn set_cart_quantity(variant_id: Uuid, quantity: i32) -> Result<Cart, CommerceError> {
    let shopper = request::shopper().await;
    let change =
        crate::backend::shopper::change_cart(&state(), &shopper, variant_id, quantity, true)
            .await?;
    request::set_cookie(change.cookie);
    Ok(change.cart)
}

/// Places the order for the cart and pays it with the card, in one step for the page. A
/// declined card leaves the order unpaid (its stock released); [`pay_order`] tries again.
#[server(prefix = "/api/shop", endpoint = "checkout")]
pub async fn checkout(
    email: String,
    address: ShippingAddress,
    shipping_method: String,
    card: CardDetails,
    idempotency_key: String,
) -> Result<PaymentStep, CommerceError> {
    use crate::backend::checkout::{self, Checkout};
    let shopper = request::shopper().await;
    let checkout = Checkout {
        email: Some(email),
        address,
        shipping_method: &shipping_method,
        card: Some(&card),
    };
    let order_id = checkout::place(&state(), &shopper, checkout).await?;
    pay(order_id, &idempotency_key, &card).await
}

/// Where the page goes once an order is paid.
#[cfg(feature = "ssr")]
fn to_confirmation(step: PaymentStep) -> PaymentStep {
    if let PaymentStep::Paid { order_id } = step {
        leptos_axum::redirect(&format!("/orders/{order_id}?placed=1"));
    }
    step
}

/// Pays an unpaid order (again, after a decline).
#[server(prefix = "/api/shop", endpoint = "pay")]
pub async fn pay_order(
    order_id: Uuid,
    card: CardDetails,
    idempotency_key: String,
) -> Result<PaymentStep, CommerceError> {
    require_viewer(order_id).await?;
    pay(order_id, &idempotency_key, &card).await
}

#[cfg(feature = "ssr")]
async fn pay(
    order_id: Uuid,
    idempotency_key: &str,
    card: &CardDetails,
) -> Result<PaymentStep, CommerceError> {
    use crate::backend::payments;
    let state = state();
    let result =
        payments::pay_order(&state.db, &state.payments, order_id, idempotency_key, card).await?;
    Ok(to_confirmation(step(order_id, result)))
}

#[cfg(feature = "ssr")]
fn step(order_id: Uuid, result: crate::backend::payments::PaymentResult) -> PaymentStep {
    use crate::backend::payments::PaymentResult;
    match result {
        PaymentResult::Paid => PaymentStep::Paid { order_id },
        PaymentResult::RequiresAction { payment_id } => {
            PaymentStep::Confirm { order_id, payment_id }
        }
    }
}

/// The shopper's answer to the bank's question (the test provider's 3-D Secure step).
#[server(prefix = "/api/shop", endpoint = "confirm-payment")]
pub async fn confirm_payment(
    order_id: Uuid,
    payment_id: Uuid,
    approved: bool,
) -> Result<PaymentStep, CommerceError> {
    use crate::backend::payments;
    require_viewer(order_id).await?;
    let state = state();
    let result =
        payments::confirm_payment(&state.db, &state.payments, order_id, payment_id, approved)
            .await?;
    Ok(to_confirmation(step(order_id, result)))
}

/// What the checkout page starts from: the cart, the account's email when signed in, and a
/// fresh idempotency key for this checkout's payment (a resubmitted form reuses it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckoutDraft {
    pub cart: Cart,
    pub email: Option<String>,
    pub idempotency_key: String,
}

#[server(prefix = "/api/shop", endpoint = "checkout-start")]
pub async fn checkout_start() -> Result<CheckoutDraft, CommerceError> {
    let state = state();
    let shopper = request::shopper().await;
    let cart = crate::backend::shopper::current_cart(&state, &shopper).await?;
    let email = match &shopper.user {
        Some(user) => crate::backend::auth::accounts::account(&state.db, &state.auth, user.id)
            .await
            .ok()
            .map(|account| account.email),
        None => None,
    };
    Ok(CheckoutDraft { cart, email, idempotency_key: Uuid::new_v4().to_string() })
}

#[server(prefix = "/api/shop", endpoint = "orders")]
pub async fn my_orders() -> Result<Vec<OrderSummary>, CommerceError> {
    crate::backend::orders::history(&state().db, &request::shopper().await).await
}

#[server(prefix = "/api/shop", endpoint = "order")]
pub async fn order(order_id: Uuid) -> Result<OrderDetail, CommerceError> {
    require_viewer(order_id).await?;
    crate::backend::orders::order_detail(&state().db, order_id).await
}

/// `OrderNotFound` unless the request's shopper (or staff) may see the order.
#[cfg(feature = "ssr")]
async fn require_viewer(order_id: Uuid) -> Result<(), CommerceError> {
    crate::backend::orders::require_viewer(&state().db, &request::shopper().await, order_id).await
}
