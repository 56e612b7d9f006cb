//! The header's cart link with the number of items in the cart. The count is one small query
//! per page load (rendered on the server with the page). An action that answers with the cart
//! (adding, quantities) shows its count directly; a checkout or a sign-in or sign-out (signing in
//! merges the guest's cart into the account's) fetches it again.

use leptos::prelude::*;
use leptos_router::components::A;

use super::session::use_session;
use crate::server_fns::shop::cart_count;
use crate::types::{Cart, CommerceError};

#[derive(Clone, Copy)]
struct CartCount {
    changed: RwSignal<u32>,
    count: Resource<i32>,
}

pub fn provide_cart_count() {
    let session = use_session();
    let changed = RwSignal::new(0u32);
    let count = Resource::new(
        move || {
            let signed = (session.sign_in.version().get(), session.register.version().get());
            (changed.get(), signed, session.sign_out.version().get())
        },
        // The count is a convenience: when it cannot be read, the link shows none.
        |_| async { cart_count().await.unwrap_or(0) },
    );
    provide_context(CartCount { changed, count });
}

/// Fetches the count again each time an action that changes the cart completes (`version` is
/// the action's [`ServerAction::version`]).
pub fn recount_after(version: RwSignal<usize>) {
    let CartCount { changed, .. } = expect_context::<CartCount>();
    Effect::watch(move || version.get(), move |_, _, _| changed.update(|n| *n += 1), false);
}

/// Shows the item count of the cart an action answered with, without asking the server again.
pub fn count_from(cart: impl Fn() -> Option<Result<Cart, CommerceError>> + 'static) {
    let CartCount { count, .. } = expect_context::<CartCount>();
    Effect::new(move |_| {
        if let Some(Ok(cart)) = cart() {
            count.set(Some(cart.item_count));
        }
    });
}

/// "Cart", with "(n)" when the cart holds something.
#[component]
pub fn CartLink() -> impl IntoView {
    let CartCount { count, .. } = expect_context::<CartCount>();
    view! {
        <A href="/cart" attr:class="nav-link">
            "Cart"
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let items = count.await;
                    (items > 0).then(|| view! {
                        " " <span class="cart-count" data-testid="cart-count">"(" {items} ")"</span>
                    })
                })}
            </Transition>
        </A>
    }
}
