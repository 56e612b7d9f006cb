//! Forgotten passwords: ask for a link by email, then choose a new password with it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{action_error, FormError};
use crate::server_fns::account::{RequestPasswordReset, ResetPassword};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let sent = move || matches!(request.value().get(), Some(Ok(())));
    view! {
        <Title text="Forgot your password?"/>
        <h1>"Forgot your password?"</h1>
        <p>"Enter your email and we will send you a link to choose a new password."</p>
        <ActionForm action=request attr:class="stacked-form">
            <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
            <button type="submit" class="primary">"Send the link"</button>
        </ActionForm>
        <FormError error=action_error(request)/>
        {move || sent().then(|| view! {
            <p class="notice" role="status">"If an account uses that email, a link is on its way. It works for an hour."</p>
        })}
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Choose a new password"/>
        <h1>"Choose a new password"</h1>
        <ActionForm action=reset attr:class="stacked-form">
            <input type="hidden" name="token" value=token/>
            <label>"New password (8 to 128 characters)"
                <input type="password" name="new_password" autocomplete="new-password" minlength="8" maxlength="128" required/>
            </label>
            <button type="submit" class="primary">"Set the password"</button>
        </ActionForm>
        <FormError error=action_error(reset)/>
    }
}
