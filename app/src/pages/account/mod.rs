//! The shopper's account: sign-up, sign-in, the account page (with the password change), and
//! the password reset. Errors are shown next to the form they belong to.

pub mod reset;
pub mod sign_in;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::session::use_session;
use crate::server_fns::account::ChangePassword;
use crate::types::{AuthError, Refusal};

/// An action's refusal, in words, next to its form.
#[component]
pub fn FormError(error: Signal<Option<AuthError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            view! { <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p> }
        })
    }
}

/// The refusal of an action's last run, if it was refused.
pub fn action_error<I, T>(action: ServerAction<I>) -> Signal<Option<AuthError>>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AuthError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Your account"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.account.await {
                    Some(account) => view! {
                        <h1>"Your account"</h1>
                        <dl class="account-facts">
                            <dt>"Email"</dt><dd data-testid="account-email">{account.email.clone()}</dd>
                            <dt>"Account"</dt><dd>{account.role.as_str()}</dd>
                        </dl>
                        <ChangePasswordForm/>
                        <ActionForm action=session.sign_out>
                            <button type="submit" class="secondary">"Sign out"</button>
                        </ActionForm>
                        <YourDataSection/>
                    }
                    .into_any(),
                    None => view! { <SignInFirst/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What a page that needs an account shows to a visitor who is not signed in.
#[component]
pub fn SignInFirst() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::UNAUTHORIZED);
    }
    let next = leptos_router::hooks::use_location().pathname.get_untracked();
    view! {
        <h1>"Sign in to continue"</h1>
        <p><a href=format!("/account/sign-in?next={next}")>"Sign in"</a>" or "
           <a href="/account/sign-up">"create an account"</a>"."</p>
    }
}

/// Where the personal data export is downloaded (`GET`, the session cookie authenticates it).
pub const DATA_EXPORT: &str = "/api/auth/me/data";

/// Download my data, and delete my account (after the password, and a clear word on what stays).
#[component]
fn YourDataSection() -> impl IntoView {
    let delete = use_session().delete_account;
    view! {
        <section class="account-section" aria-labelledby="data-heading">
            <h2 id="data-heading">"Your data"</h2>
            <p>
                <a href=DATA_EXPORT download="vitrine-data.json" class="button secondary">"Download your data"</a>
                " (JSON: your account, sign-ins, cart, orders and the emails we sent you)."
            </p>
            <h3>"Delete your account"</h3>
            <p>
                "Your sign-in, cart and saved details are erased and you are signed out everywhere. "
                "Orders stay in the shop's accounts, without your name, address or email."
            </p>
            <ActionForm action=delete attr:class="stacked-form">
                <label>"Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" class="danger">"Delete my account"</button>
            </ActionForm>
            <FormError error=action_error(delete)/>
        </section>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let done = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class="account-section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change your password"</h2>
            <ActionForm action=change attr:class="stacked-form">
                <label>"Current password"
                    <input type="password" name="current_password" autocomplete="current-password" required/>
                </label>
                <label>"New password (8 to 128 characters)"
                    <input type="password" name="new_password" autocomplete="new-password" minlength="8" maxlength="128" required/>
                </label>
                <button type="submit" class="primary">"Change password"</button>
            </ActionForm>
            <FormError error=action_error(change)/>
            {move || done().then(|| view! {
                <p class="notice" role="status">"Password changed. You have been signed out everywhere else."</p>
            })}
        </section>
    }
}
