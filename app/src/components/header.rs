use leptos::prelude::*;
use leptos_router::components::A;

use super::cart_count::CartLink;
use super::search_box::SearchBox;
use super::session::AccountLinks;
use super::wishlist::{Hydrated, Wishlist};

#[component]
pub fn SiteHeader() -> impl IntoView {
    let wishlist = expect_context::<Wishlist>();
    let Hydrated(hydrated) = expect_context::<Hydrated>();
    view! {
        <header class="site-header" data-hydrated=move || hydrated.get().to_string()>
            <A href="/" attr:class="brand">"Vitrine"</A>
            <SearchBox/>
            // The menu of a narrow screen, without JavaScript: the checkbox shows the links
            // (style/layout.css); on a wide screen the links are always shown and it is hidden.
            <input type="checkbox" id="site-menu-toggle" class="site-menu-toggle visually-hidden"/>
            <label for="site-menu-toggle" class="site-menu-button">"Menu"</label>
            <nav aria-label="Shop" class="site-nav">
                <A href="/search/photo" attr:class="nav-link">"Search by photo"</A>
                <CartLink/>
                <A href="/orders" attr:class="nav-link">"Orders"</A>
                <span class="wishlist-count" data-testid="wishlist-count">
                    "Wishlist (" {move || wishlist.len()} ")"
                </span>
                <AccountLinks/>
                // No footer to put it in: what the shop records is one click from any page.
                <A href="/privacy" attr:class="nav-link">"Privacy"</A>
            </nav>
        </header>
    }
}
