//! Who is shopping: the signed-in account, or a guest known by the cart cookie. [`Shopper`] is
//! an axum extractor; the JSON API's handlers take it as an argument and the shop's server
//! functions get the same value through `auth::request::shopper`, so both find the same cart
//! and the same orders.

use std::convert::Infallible;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use uuid::Uuid;

use super::auth::session::{cookie, set_cookie};
use super::auth::{Auth, CurrentUser, MaybeUser};
use super::cart::{self, CartOwner, GUEST_CART_DAYS};
use super::state::AppState;
use crate::types::{Cart, CommerceError, Permission, Refusal};

pub const CART_COOKIE: &str = "vitrine_cart";
/// The first-party id a browser's shopper events are recorded under (guests and accounts alike;
/// an account's events also carry its id).
pub const VISITOR_COOKIE: &str = "vitrine_visitor";
const VISITOR_COOKIE_MAX_AGE: u64 = 365 * 24 * 3600;
const CART_COOKIE_MAX_AGE: u64 = GUEST_CART_DAYS as u64 * 24 * 3600;

/// The shopper of one request: the account when signed in, and the guest cart cookie the
/// browser sent (if any and well formed).
#[derive(Debug, Clone, Default)]
pub struct Shopper {
    pub user: Option<CurrentUser>,
    guest_cart: Option<Uuid>,
}

impl<S> FromRequestParts<S> for Shopper
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        Ok(Self { user, guest_cart: guest_cart(&parts.headers) })
    }
}

impl Shopper {
    /// Whose cart the request means: the account's when signed in, else the guest cookie's.
    pub fn owner(&self) -> Option<CartOwner> {
        match &self.user {
            Some(user) => Some(CartOwner::User(user.id)),
            None => self.guest_cart.map(CartOwner::Guest),
        }
    }

    /// Whether the shopper is staff allowed to see every order.
    pub fn is_order_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|user| user.require(Permission::Orders).is_ok())
    }

    /// The shopper's cart id, if they have a cart.
    pub async fn cart_id(&self, state: &AppState) -> Result<Option<Uuid>, CommerceError> {
        let Some(owner) = self.owner() else { return Ok(None) };
        cart::find(&state.db, owner).await.map_err(CommerceError::unavailable)
    }

    /// The shopper's cart for a change, created when missing; for a guest, with the cookie to
    /// set. It is set on every change, so it expires when the cart is pruned
    /// ([`GUEST_CART_DAYS`] after the last).
    pub async fn cart_for_update(
        &self,
        state: &AppState,
    ) -> Result<(Uuid, Option<HeaderValue>), CommerceError> {
        // A guest without a cookie gets a fresh id, which `find_or_create` then creates.
        let owner = self.owner().unwrap_or(CartOwner::Guest(Uuid::new_v4()));
        let cart_id =
            cart::find_or_create(&state.db, owner).await.map_err(CommerceError::unavailable)?;
        let guest = matches!(owner, CartOwner::Guest(_));
        Ok((
            cart_id,
            guest.then(|| cart_cookie(&state.auth, &cart_id.to_string(), CART_COOKIE_MAX_AGE)),
        ))
    }
}

/// The shopper's cart as the cart page shows it (empty when they have none).
pub async fn current_cart(state: &AppState, shopper: &Shopper) -> Result<Cart, CommerceError> {
    match shopper.cart_id(state).await? {
        Some(cart_id) => cart::view(&state.db, cart_id).await.map_err(CommerceError::unavailable),
        None => Ok(Cart::default()),
    }
}

/// How many items the shopper's cart holds, for the header.
pub async fn cart_item_count(state: &AppState, shopper: &Shopper) -> Result<i32, CommerceError> {
    let Some(owner) = shopper.owner() else { return Ok(0) };
    cart::item_count(&state.db, owner).await.map_err(CommerceError::unavailable)
}

/// What a change of the cart came to.
#[derive(Debug)]
pub struct CartChange {
    pub cart: Cart,
    /// For a guest, the cart cookie to set.
    pub cookie: Option<HeaderValue>,
    /// The product of the variant changed (what a `cart_add` event names).
    pub product_id: Uuid,
}

/// Adds to a cart line (`replace`: sets its quantity; 0 removes it).
pub async fn change_cart(
    state: &AppState,
    shopper: &Shopper,
    variant_id: Uuid,
    quantity: i32,
    replace: bool,
) -> Result<CartChange, CommerceError> {
    let (cart_id, cookie) = shopper.cart_for_update(state).await?;
    let product_id = cart::change_line(&state.db, cart_id, variant_id, quantity, replace).await?;
    let cart = cart::view(&state.db, cart_id).await.map_err(CommerceError::unavailable)?;
    Ok(CartChange { cart, cookie, product_id })
}

/// The guest cart id the browser sent, if any and well formed.
fn guest_cart(headers: &HeaderMap) -> Option<Uuid> {
    cookie(headers, CART_COOKIE).and_then(|value| Uuid::parse_str(&value).ok())
}

/// The visitor id the browser sent, if any and well formed.
pub fn visitor(headers: &HeaderMap) -> Option<Uuid> {
    cookie(headers, VISITOR_COOKIE).and_then(|value| Uuid::parse_str(&value).ok())
}

/// The `Set-Cookie` value that gives a browser its visitor id (for a year).
pub fn visitor_cookie(auth: &Auth, visitor: Uuid) -> HeaderValue {
    set_cookie(VISITOR_COOKIE, &visitor.to_string(), VISITOR_COOKIE_MAX_AGE, auth.secure_cookies)
}

/// After a sign-in or registration: the guest's cart joins the account's, and the guest cookie
/// is removed (the value to set); the browser's earlier events become the account's too. A
/// failure is logged; the sign-in stands either way.
pub async fn adopt_guest_cart(
    state: &AppState,
    headers: &HeaderMap,
    user_id: Uuid,
) -> Option<HeaderValue> {
    if let Some(visitor) = visitor(headers) {
        if let Err(err) = super::recs::events::join_account(&state.db, visitor, user_id).await {
            tracing::error!(error = %err, "joining a visitor's events to the account failed");
        }
    }
    let guest = guest_cart(headers)?;
    let merged = async {
        let mut tx = state.db.begin().await?;
        cart::merge_guest_cart(&mut tx, guest, user_id).await?;
        tx.commit().await
    };
    if let Err(err) = merged.await {
        tracing::error!(error = %err, "merging a guest cart failed");
    }
    Some(cart_cookie(&state.auth, "", 0))
}

fn cart_cookie(auth: &Auth, value: &str, max_age: u64) -> HeaderValue {
    set_cookie(CART_COOKIE, value, max_age, auth.secure_cookies)
}
