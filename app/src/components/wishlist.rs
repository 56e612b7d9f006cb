//! The shopper's wishlist: kept in the browser (localStorage) so it works before sign-in.
//!
//! It is also the page's proof of hydration: the toggle only reacts once the WASM has taken over
//! the server-rendered HTML, and [`Hydrated`] marks the page when that has happened.

use std::collections::BTreeSet;

use leptos::prelude::*;
use uuid::Uuid;

/// The saved product ids, provided once by [`provide_wishlist`].
#[derive(Clone, Copy)]
pub struct Wishlist {
    saved: RwSignal<BTreeSet<Uuid>>,
}

impl Wishlist {
    pub fn contains(&self, id: Uuid) -> bool {
        self.saved.with(|saved| saved.contains(&id))
    }

    pub fn len(&self) -> usize {
        self.saved.with(BTreeSet::len)
    }

    pub fn is_empty(&self) -> bool {
        self.saved.with(BTreeSet::is_empty)
    }

    pub fn toggle(&self, id: Uuid) {
        self.saved.update(|saved| {
            if !saved.remove(&id) {
                saved.insert(id);
            }
        });
        storage::save(&self.saved.get_untracked());
    }
}

/// True once the page runs in the browser (effects never run during server rendering).
#[derive(Clone, Copy)]
pub struct Hydrated(pub ReadSignal<bool>);

pub fn provide_wishlist() {
    let saved = RwSignal::new(BTreeSet::new());
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| {
        saved.set(storage::load());
        set_hydrated.set(true);
    });
    provide_context(Wishlist { saved });
    provide_context(Hydrated(hydrated));
}

#[component]
pub fn WishlistToggle(product_id: Uuid, product_name: String) -> impl IntoView {
    let wishlist = expect_context::<Wishlist>();
    let saved = move || wishlist.contains(product_id);
    let label = move || {
        if saved() {
            format!("Remove {product_name} from wishlist")
        } else {
            format!("Save {product_name} to wishlist")
        }
    };
    view! {
        <button
            type="button"
            class="wishlist-toggle"
            aria-pressed=move || saved().to_string()
            aria-label=label
            on:click=move |_| wishlist.toggle(product_id)
        >
            {move || if saved() { "♥ Saved" } else { "♡ Save" }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod storage {
    use std::collections::BTreeSet;
    use uuid::Uuid;

    const KEY: &str = "vitrine.wishlist";

    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn load() -> BTreeSet<Uuid> {
        local_storage()
            .and_then(|storage| storage.get_item(KEY).ok().flatten())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }

    pub fn save(saved: &BTreeSet<Uuid>) {
        if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(saved)) {
            // A full or disabled storage only loses persistence across reloads, not the toggle.
            let _ = storage.set_item(KEY, &json);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod storage {
    use std::collections::BTreeSet;
    use uuid::Uuid;

    pub fn load() -> BTreeSet<Uuid> {
        BTreeSet::new()
    }

    pub fn save(_: &BTreeSet<Uuid>) {}
}
