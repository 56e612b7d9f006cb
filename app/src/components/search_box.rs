//! The header's search box: a GET form to `/search`, so it works before (and without) the
//! WASM. The query of the page being shown stays in the box.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SearchBox() -> impl IntoView {
    let query_map = use_query_map();
    let current = move || query_map.read().get("q").unwrap_or_default();
    view! {
        <form class="search-box" role="search" method="get" action="/search">
            <label class="visually-hidden" for="site-search">"Search the shop"</label>
            <input
                id="site-search"
                type="search"
                name="q"
                placeholder="Search the shop"
                autocomplete="off"
                maxlength="200"
                prop:value=current
                value=current
            />
            <button type="submit" class="secondary">"Search"</button>
        </form>
    }
}
