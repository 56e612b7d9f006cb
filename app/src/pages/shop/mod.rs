//! The buying path's pages: categories, the cart, checkout and the shopper's orders.

pub mod cart;
pub mod category;
pub mod checkout;
pub mod orders;

use leptos::prelude::*;

use crate::types::{CommerceError, Refusal};

/// A shop action's refusal, in words, next to its form.
#[component]
pub fn RefusalNotice(error: Signal<Option<CommerceError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            view! { <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p> }
        })
    }
}
