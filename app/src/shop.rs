//! Server functions of the shop's pages: category listings, the cart, checkout, payment and
//! the shopper's orders. They call the same backend as the JSON API (`/api/cart`, `/api/orders`),
//! find the same cart (account or guest cookie), and the forms work without JavaScript.

use leptos::prelude::*;
use uuid::Uuid;

use crate::commerce::{CardDetails, Cart, OrderDetail, OrderSummary, ShippingAddress};
use crate::error::{CommerceError, ShopError};
use crate::model::{CategoryListing, ListingQuery};

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

/// The shopper and cart of the request a server function runs in.
#[cfg(feature = "ssr")]
mod this_request {
    use axum::http::header::SET_COOKIE;
    use axum::http::request::Parts;
    use leptos::prelude::*;
    use uuid::Uuid;

    use crate::backend::auth::{request as auth_request, CurrentUser};
    use crate::backend::cart::{self, CartOwner};
    use crate::backend::shopper;
    use crate::backend::state::AppState;
    use crate::error::CommerceError;

    pub fn state() -> AppState {
        expect_context::<AppState>()
    }

    fn headers() -> axum::http::HeaderMap {
        use_context::<Parts>().map(|parts| parts.headers).unwrap_or_default()
    }

    pub async fn shopper() -> (Option<CurrentUser>, Option<CartOwner>) {
        let user = auth_request::maybe_user().await;
        let owner = shopper::owner(&headers(), user.as_ref());
        (user, owner)
    }

    /// The request's cart for a change, made when missing; a guest's cookie is set (again).
    pub async fn cart_for_update() -> Result<Uuid, CommerceError> {
        let user = auth_request::maybe_user().await;
        let (cart_id, cookie) = shopper::cart_for_update(&state(), &headers(), user.as_ref())
            .await
            .map_err(cart::unavailable)?;
        if let Some(value) = cookie {
            expect_context::<leptos_axum::ResponseOptions>().append_header(SET_COOKIE, value);
        }
        Ok(cart_id)
    }

    /// 404 unless the request's shopper (or staff) may see the order.
    pub async fn require_viewer(order_id: Uuid) -> Result<(), CommerceError> {
        use crate::backend::orders::{self, OrderViewer};
        let (user, owner) = shopper().await;
        let staff =
            user.as_ref().is_some_and(|u| u.require(crate::auth::Permission::Orders).is_ok());
        let viewer = match (staff, owner) {
            (true, _) => OrderViewer::Staff,
            (false, Some(owner)) => OrderViewer::Owner(owner),
            (false, None) => return Err(CommerceError::OrderNotFound),
        };
        if orders::can_view(&state().db, order_id, viewer).await? {
            Ok(())
        } else {
            Err(CommerceError::OrderNotFound)
        }
    }
}

/// A page of a category with the shopper's filters and order.
#[server(prefix = "/api/shop", endpoint = "category")]
pub async fn category_page(query: ListingQuery) -> Result<CategoryListing, ShopError> {
    let state = this_request::state();
    crate::backend::catalog::category_listing(&state.db, &query)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "listing a category failed");
            ShopError::Unavailable
        })?
        .ok_or(ShopError::NotFound)
}

#[server(prefix = "/api/shop", endpoint = "cart")]
pub async fn current_cart() -> Result<Cart, CommerceError> {
    use crate::backend::cart;
    let state = this_request::state();
    let (_, owner) = this_request::shopper().await;
    let Some(owner) = owner else { return Ok(Cart::default()) };
    match cart::find(&state.db, owner).await.map_err(cart::unavailable)? {
        Some(cart_id) => cart::view(&state.db, cart_id).await.map_err(cart::unavailable),
        None => Ok(Cart::default()),
    }
}

/// How many items the shopper's cart holds, for the header.
#[server(prefix = "/api/shop", endpoint = "cart-count")]
pub async fn cart_count() -> Result<i32, CommerceError> {
    use crate::backend::cart;
    let (_, owner) = this_request::shopper().await;
    let Some(owner) = owner else { return Ok(0) };
    cart::item_count(&this_request::state().db, owner).await.map_err(cart::unavailable)
}

#[server(prefix = "/api/shop", endpoint = "add-to-cart")]
pub async fn add_to_cart(variant_id: Uuid, quantity: i32) -> Result<Cart, CommerceError> {
    use crate::backend::cart;
    let state = this_request::state();
    let cart_id = this_request::cart_for_update().await?;
    cart::change_line(&state.db, cart_id, variant_id, quantity, false).await?;
    cart::view(&state.db, cart_id).await.map_err(cart::unavailable)
}

/// Sets a cart line's quantity (0 removes it).
#[server(prefix = "/api/shop", endpoint = "set-quantity")]
pub async fn set_cart_quantity(variant_id: Uuid, quantity: i32) -> Result<Cart, CommerceError> {
    use crate::backend::cart;
    let state = this_request::state();
    let cart_id = this_request::cart_for_update().await?;
    cart::change_line(&state.db, cart_id, variant_id, quantity, true).await?;
    cart::view(&state.db, cart_id).await.map_err(cart::unavailable)
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
    use crate::backend::{cart, orders};
    let state = this_request::state();
    let (user, owner) = this_request::shopper().await;
    let owner = owner.ok_or(CommerceError::EmptyCart)?;
    let cart_id = cart::find(&state.db, owner)
        .await
        .map_err(cart::unavailable)?
        .ok_or(CommerceError::EmptyCart)?;
    let shipping_method = crate::commerce::ShippingMethod::parse(&shipping_method)
        .ok_or(CommerceError::UnknownShippingMethod)?;
    if !card.is_well_formed(chrono::Utc::now().date_naive()) {
        return Err(CommerceError::InvalidCard);
    }
    let order = orders::PlaceOrder {
        cart_id,
        user_id: user.map(|user| user.id),
        email,
        address,
        shipping_method,
    };
    let order_id = orders::place_order(&state.db, order, state.payments.hold).await?;
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
    this_request::require_viewer(order_id).await?;
    pay(order_id, &idempotency_key, &card).await
}

#[cfg(feature = "ssr")]
async fn pay(
    order_id: Uuid,
    idempotency_key: &str,
    card: &CardDetails,
) -> Result<PaymentStep, CommerceError> {
    use crate::backend::payments;
    let state = this_request::state();
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
    this_request::require_viewer(order_id).await?;
    let state = this_request::state();
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
    let cart = current_cart().await?;
    let (user, _) = this_request::shopper().await;
    let email = match user {
        Some(user) => {
            let state = this_request::state();
            crate::backend::auth::accounts::account(&state.db, &state.auth, user.id)
                .await
                .ok()
                .map(|account| account.email)
        }
        None => None,
    };
    Ok(CheckoutDraft { cart, email, idempotency_key: Uuid::new_v4().to_string() })
}

#[server(prefix = "/api/shop", endpoint = "orders")]
pub async fn my_orders() -> Result<Vec<OrderSummary>, CommerceError> {
    use crate::backend::orders;
    let (_, owner) = this_request::shopper().await;
    let Some(owner) = owner else { return Ok(Vec::new()) };
    orders::list_orders(&this_request::state().db, Some(owner), None, 50).await
}

#[server(prefix = "/api/shop", endpoint = "order")]
pub async fn order(order_id: Uuid) -> Result<OrderDetail, CommerceError> {
    this_request::require_viewer(order_id).await?;
    crate::backend::orders::order_detail(&this_request::state().db, order_id).await
}
