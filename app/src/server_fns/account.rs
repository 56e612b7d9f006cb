//! Server functions of the account pages (sign-up, sign-in, sign-out, password change and
//! reset). They call the same backend as `/api/auth/*` and keep the session in the same
//! HttpOnly cookies; the forms work without JavaScript too (each answers with a redirect).

use leptos::prelude::*;

use crate::types::{Account, AuthError};

/// The signed-in account, or `None`.
#[server(prefix = "/api/account", endpoint = "current")]
pub async fn current_account() -> Result<Option<Account>, AuthError> {
    use crate::backend::auth::{accounts, request};
    let Some(user) = request::maybe_user().await else { return Ok(None) };
    let state = super::state();
    match accounts::account(&state.db, &state.auth, user.id).await {
        Ok(account) => Ok(Some(account)),
        Err(AuthError::Unauthenticated) => Ok(None), // the account is gone
        Err(error) => Err(error),
    }
}

#[server(prefix = "/api/account", endpoint = "register")]
pub async fn register(email: String, password: String) -> Result<(), AuthError> {
    use crate::backend::auth::{accounts, request};
    let state = super::state();
    let ip = request::client_address();
    let session = accounts::register(&state.db, &state.auth, &email, password, &ip).await?;
    request::set_session(&session);
    request::adopt_guest_cart(session.account.id).await;
    leptos_axum::redirect("/account");
    Ok(())
}

#[server(prefix = "/api/account", endpoint = "sign-in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AuthError> {
    use crate::backend::auth::{accounts, request};
    let state = super::state();
    let ip = request::client_address();
    let session = accounts::sign_in(&state.db, &state.auth, &email, password, &ip).await?;
    request::set_session(&session);
    request::adopt_guest_cart(session.account.id).await;
    leptos_axum::redirect(&crate::backend::redirect::after_sign_in(next.as_deref()));
    Ok(())
}

#[server(prefix = "/api/account", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), AuthError> {
    use crate::backend::auth::session::{cookie, REFRESH_COOKIE};
    use crate::backend::auth::{accounts, request};
    let state = super::state();
    let parts = use_context::<axum::http::request::Parts>();
    let refresh = parts.and_then(|parts| cookie(&parts.headers, REFRESH_COOKIE));
    let user = request::maybe_user().await;
    accounts::sign_out(&state.db, &state.auth, refresh.as_deref(), user.as_ref()).await?;
    request::clear_session();
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api/account", endpoint = "password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AuthError> {
    use crate::backend::auth::{accounts, request};
    let state = super::state();
    let user = request::current_user().await?;
    let session =
        accounts::change_password(&state.db, &state.auth, user.id, current_password, new_password)
            .await?;
    request::set_session(&session);
    Ok(())
}

/// Deletes the signed-in account after checking its password (orders stay, anonymised), signs
/// the browser out and goes to the home page.
#[server(prefix = "/api/account", endpoint = "delete")]
pub async fn delete_account(password: String) -> Result<(), AuthError> {
    use crate::backend::auth::request;
    let state = super::state();
    let user = request::current_user().await?;
    crate::backend::privacy::delete_account(&state.db, &state.auth, &user, password).await?;
    request::clear_session();
    leptos_axum::redirect("/?account=deleted");
    Ok(())
}

/// Sends a reset link when the email has an account; the answer is the same either way.
#[server(prefix = "/api/account", endpoint = "forgot")]
pub async fn request_password_reset(email: String) -> Result<(), AuthError> {
    use crate::backend::auth::{accounts, request};
    let state = super::state();
    let ip = request::client_address();
    // The email is in the outbox; the worker's relay sends it.
    accounts::request_reset(&state.db, &state.auth, &email, &ip).await?;
    Ok(())
}

#[server(prefix = "/api/account", endpoint = "reset")]
pub async fn reset_password(token: String, new_password: String) -> Result<(), AuthError> {
    use crate::backend::auth::accounts;
    let state = super::state();
    accounts::reset_password(&state.db, &state.auth, &token, new_password).await?;
    leptos_axum::redirect("/account/sign-in?reset=done");
    Ok(())
}
