//! Signing in and creating an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{action_error, FormError};
use crate::components::session::use_session;

#[component]
pub fn SignInPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let reset_done = move || query.read().get("reset").is_some();
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        {move || reset_done().then(|| view! {
            <p class="notice" role="status">"Your password has been changed; sign in with the new one."</p>
        })}
        <ActionForm action=session.sign_in attr:class="stacked-form">
            <input type="hidden" name="next" value=next/>
            <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
            <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
            <button type="submit" class="primary">"Sign in"</button>
        </ActionForm>
        <FormError error=action_error(session.sign_in)/>
        <p class="hint">
            <a href="/account/sign-up">"Create an account"</a>" · "
            <a href="/account/forgot">"Forgot your password?"</a>
        </p>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Create an account"/>
        <h1>"Create an account"</h1>
        <ActionForm action=session.register attr:class="stacked-form">
            <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
            <label>"Password (8 to 128 characters, not a common one)"
                <input type="password" name="password" autocomplete="new-password" minlength="8" maxlength="128" required/>
            </label>
            <button type="submit" class="primary">"Create account"</button>
        </ActionForm>
        <FormError error=action_error(session.register)/>
        <p class="hint">"Already have an account? "<a href="/account/sign-in">"Sign in"</a></p>
    }
}
