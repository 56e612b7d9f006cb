//! The header's search box: a GET form to `/search`, so it works before (and without) the
//! WASM. Once hydrated it suggests as the shopper types (products with thumbnail and price,
//! and categories), as an ARIA combobox: arrow keys move through the suggestions while focus
//! stays in the box, Enter opens the one chosen (or searches), Escape closes them.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::server_fns::catalog::search_suggestions;
use crate::types::Suggestions;

/// Pause in typing before suggestions are asked for.
const DEBOUNCE: Duration = Duration::from_millis(150);
const LISTBOX_ID: &str = "site-search-suggestions";

/// One row of the suggestions: where it leads and what it shows.
#[derive(Clone, PartialEq)]
struct Suggestion {
    href: String,
    label: String,
    detail: String,
    image: Option<String>,
}

fn rows(suggestions: Suggestions) -> Vec<Suggestion> {
    let products = suggestions.products.into_iter().map(|product| Suggestion {
        href: format!("/products/{}", product.slug),
        detail: if product.price_varies {
            format!("From {}", product.price)
        } else {
            product.price.to_string()
        },
        label: product.name,
        image: product.image_url,
    });
    let categories = suggestions.categories.into_iter().map(|category| Suggestion {
        href: format!("/categories/{}", category.slug),
        label: category.name,
        detail: "Category".into(),
        image: None,
    });
    products.chain(categories).collect()
}

fn option_id(index: usize) -> String {
    format!("{LISTBOX_ID}-{index}")
}

#[component]
pub fn SearchBox() -> impl IntoView {
    let query_map = use_query_map();
    let text = RwSignal::new(String::new());
    // The box shows the query of the results page being viewed.
    Effect::new(move |_| text.set(query_map.read().get("q").unwrap_or_default()));
    let suggestions = RwSignal::new(Vec::<Suggestion>::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    // Every keystroke takes a ticket; a timer that wakes to find a newer ticket (the shopper
    // kept typing) asks nothing, and an answer to anything but the latest is stale and dropped.
    // One counter is the debounce and the cancellation both.
    let latest = StoredValue::new(0u64);
    let navigate = use_navigate();

    let on_input = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        text.set(q.clone());
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        if q.trim().is_empty() {
            suggestions.set(Vec::new());
            open.set(false);
            return;
        }
        set_timeout(
            move || {
                if latest.get_value() != ticket {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let answer = search_suggestions(q).await;
                    if latest.get_value() != ticket {
                        return;
                    }
                    let found = answer.map(rows).unwrap_or_default();
                    open.set(!found.is_empty());
                    active.set(None);
                    suggestions.set(found);
                });
            },
            DEBOUNCE,
        );
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = suggestions.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|active| {
                    *active = Some(active.map_or(0, |index| (index + 1) % count));
                });
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|active| {
                    *active = Some(active.map_or(count - 1, |index| (index + count - 1) % count));
                });
            }
            // Closes the suggestions; with none open, the browser's own Escape (clearing a
            // search field) goes ahead.
            "Escape" if open.get_untracked() => {
                ev.prevent_default();
                open.set(false);
                active.set(None);
            }
            "Enter" => {
                let chosen = active
                    .get_untracked()
                    .filter(|_| open.get_untracked())
                    .and_then(|index| suggestions.with_untracked(|rows| rows.get(index).cloned()));
                if let Some(chosen) = chosen {
                    ev.prevent_default();
                    open.set(false);
                    navigate(&chosen.href, Default::default());
                }
            }
            _ => {}
        }
    };

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
                role="combobox"
                aria-autocomplete="list"
                aria-controls=LISTBOX_ID
                aria-expanded=move || open.get().to_string()
                aria-activedescendant=move || active.get().filter(|_| open.get()).map(option_id)
                prop:value=move || text.get()
                value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                // A click on a suggestion lands before the box loses focus (mousedown), so
                // closing on blur does not swallow it.
                on:blur=move |_| open.set(false)
            />
            <button type="submit" class="secondary">"Search"</button>
            <ul
                id=LISTBOX_ID
                role="listbox"
                aria-label="Suggestions"
                class="search-suggestions"
                hidden=move || !open.get()
            >
                {move || suggestions.get().into_iter().enumerate().map(|(index, row)| {
                    let selected = move || active.get() == Some(index);
                    let href = row.href.clone();
                    view! {
                        <li
                            id=option_id(index)
                            role="option"
                            aria-selected=move || selected().to_string()
                            class="search-suggestion"
                            class:active=selected
                            on:mousedown=move |ev| {
                                ev.prevent_default();
                                open.set(false);
                                let _ = window().location().set_href(&href);
                            }
                        >
                            {row.image.map(|src| view! { <img src=src alt="" width="32" height="32"/> })}
                            <span class="suggestion-label">{row.label}</span>
                            <span class="suggestion-detail">{row.detail}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </form>
    }
}
