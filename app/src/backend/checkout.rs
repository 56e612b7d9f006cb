//! Placing an order from the shopper's cart: the one path the JSON API (`POST /api/orders`) and
//! the checkout page share.

use uuid::Uuid;

use super::auth::accounts;
use super::orders::{self, PlaceOrder};
use super::shopper::Shopper;
use super::state::AppState;
use crate::types::{CardDetails, CommerceError, ShippingAddress, ShippingMethod};

/// What the shopper filled in.
#[derive(Debug)]
pub struct Checkout<'a> {
    /// For the receipt; defaults to the signed-in account's email.
    pub email: Option<String>,
    pub address: ShippingAddress,
    /// A [`ShippingMethod`] code.
    pub shipping_method: &'a str,
    /// When the order is paid in the same step, its card is checked before any stock is held.
    pub card: Option<&'a CardDetails>,
}

/// Places the order for the shopper's cart and holds its stock (see [`orders::place_order`]);
/// answers with the order's id.
pub async fn place(
    state: &AppState,
    shopper: &Shopper,
    checkout: Checkout<'_>,
) -> Result<Uuid, CommerceError> {
    let cart_id = shopper.cart_id(state).await?.ok_or(CommerceError::EmptyCart)?;
    let email = match (checkout.email, &shopper.user) {
        (Some(email), _) => email,
        (None, Some(user)) => accounts::account(&state.db, &state.auth, user.id).await?.email,
        (None, None) => return Err(CommerceError::BadEmail),
    };
    let shipping_method = ShippingMethod::parse(checkout.shipping_method)
        .ok_or(CommerceError::UnknownShippingMethod)?;
    if let Some(card) = checkout.card {
        if !card.is_well_formed(chrono::Utc::now().date_naive()) {
            return Err(CommerceError::InvalidCard);
        }
    }
    let order = PlaceOrder {
        cart_id,
        user_id: shopper.user.as_ref().map(|user| user.id),
        email,
        address: checkout.address,
        shipping_method,
    };
    orders::place_order(&state.db, order, state.payments.hold).await
}
