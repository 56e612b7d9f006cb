//! Who is shopping: the signed-in account, or a guest known by the cart cookie. Shared by the
//! JSON API's handlers and the shop's server functions, so both find the same cart.

use axum::http::{HeaderMap, HeaderValue};
use uuid::Uuid;

use super::auth::session::cookie;
use super::auth::CurrentUser;
use super::cart::{self, CartOwner, GUEST_CART_DAYS};
use super::state::AppState;

pub const CART_COOKIE: &str = "vitrine_cart";
const CART_COOKIE_MAX_AGE: u64 = GUEST_CART_DAYS as u64 * 24 * 3600;

/// The guest cart id the browser sent, if any and well formed.
pub fn guest_cart(headers: &HeaderMap) -> Option<Uuid> {
    cookie(headers, CART_COOKIE).and_then(|value| Uuid::parse_str(&value).ok())
}

/// Whose cart the request means: the account's when signed in, else the guest cookie's.
pub fn owner(headers: &HeaderMap, user: Option<&CurrentUser>) -> Option<CartOwner> {
    match user {
        Some(user) => Some(CartOwner::User(user.id)),
        None => guest_cart(headers).map(CartOwner::Guest),
    }
}

/// The request's cart, created when missing; for a guest, with the cookie to set. It is set on
/// every change, so it expires when the cart is pruned ([`GUEST_CART_DAYS`] after the last).
pub async fn cart_for_update(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<&CurrentUser>,
) -> Result<(Uuid, Option<HeaderValue>), sqlx::Error> {
    // A guest without a cookie gets a fresh id, which `find_or_create` then creates.
    let owner = owner(headers, user).unwrap_or(CartOwner::Guest(Uuid::new_v4()));
    let cart_id = cart::find_or_create(&state.db, owner).await?;
    let guest = matches!(owner, CartOwner::Guest(_));
    Ok((cart_id, guest.then(|| cart_cookie(state, &cart_id.to_string(), CART_COOKIE_MAX_AGE))))
}

/// After a sign-in or registration: the guest's cart joins the account's, and the guest cookie
/// is removed (the value to set). A failure is logged; the sign-in stands either way.
pub async fn adopt_guest_cart(
    state: &AppState,
    headers: &HeaderMap,
    user_id: Uuid,
) -> Option<HeaderValue> {
    let guest = guest_cart(headers)?;
    let merged = async {
        let mut tx = state.db.begin().await?;
        cart::merge_guest_cart(&mut tx, guest, user_id).await?;
        tx.commit().await
    };
    if let Err(err) = merged.await {
        tracing::error!(error = %err, "merging a guest cart failed");
    }
    Some(cart_cookie(state, "", 0))
}

fn cart_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.auth.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{CART_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("uuids are header-safe")
}
