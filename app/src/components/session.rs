//! The signed-in account as every page sees it: one resource, refetched whenever a sign-in,
//! sign-up, sign-out or account deletion completes, so the header and the pages agree without a
//! reload.

use leptos::prelude::*;

use crate::server_fns::account::{current_account, DeleteAccount, Register, SignIn, SignOut};
use crate::types::Account;

/// The account actions (shared, so their completion refreshes [`SessionState::account`]).
#[derive(Clone, Copy)]
pub struct SessionState {
    pub sign_in: ServerAction<SignIn>,
    pub register: ServerAction<Register>,
    pub sign_out: ServerAction<SignOut>,
    pub delete_account: ServerAction<DeleteAccount>,
    /// `None` while signed out.
    pub account: Resource<Option<Account>>,
}

pub fn provide_session() {
    let sign_in = ServerAction::<SignIn>::new();
    let register = ServerAction::<Register>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let delete_account = ServerAction::<DeleteAccount>::new();
    let account = Resource::new(
        move || {
            let versions = (sign_in.version(), register.version(), sign_out.version());
            (versions.0.get(), versions.1.get(), versions.2.get(), delete_account.version().get())
        },
        // An error (the database is down) shows as signed out; the pages that need an account
        // say so themselves.
        |_| async { current_account().await.ok().flatten() },
    );
    provide_context(SessionState { sign_in, register, sign_out, delete_account, account });
}

pub fn use_session() -> SessionState {
    expect_context::<SessionState>()
}

/// The header's account links: "Sign in" or the account and "Sign out".
#[component]
pub fn AccountLinks() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match session.account.await {
                    Some(account) => view! {
                        <a class="nav-link" href="/account" data-testid="account-link">{account.email}</a>
                        {(!account.permissions.is_empty()).then(|| view! {
                            <a class="nav-link" href="/admin">"Admin"</a>
                        })}
                        <ActionForm action=session.sign_out attr:class="inline-form">
                            <button type="submit" class="link-button">"Sign out"</button>
                        </ActionForm>
                    }
                    .into_any(),
                    None => view! { <a class="nav-link" href="/account/sign-in">"Sign in"</a> }.into_any(),
                }
            })}
        </Suspense>
    }
}
