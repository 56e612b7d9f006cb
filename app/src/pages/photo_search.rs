//! Search by photo: a form that posts the photo (works without JavaScript), then the results of
//! the stored search at `/search/photo?q=<id>`. With JavaScript, photos can also be dropped onto
//! the form and a preview shows what was picked.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{categories, photo_search_results};
use crate::components::product_card::ScoredGrid;
use crate::error::PhotoSearchError;
use crate::model::{Category, ScoredProduct};

#[component]
pub fn PhotoSearchPage() -> impl IntoView {
    let query = use_query_map();
    let refused =
        move || query.read().get("error").and_then(|code| PhotoSearchError::from_code(&code));
    let selected = move || query.read().get("category").unwrap_or_default();
    let categories = Resource::new(|| (), |_| categories());
    let results = Resource::new(move || query.read().get("q"), load_results);

    view! {
        <Title text="Search by photo"/>
        <section class="hero">
            <h1>"Search by photo"</h1>
            <p>"Show us something you like and we'll find what looks like it."</p>
        </section>
        {move || refused().map(|error| {
            view! { <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p> }
        })}
        <form class="photo-search" method="post" action="/search/photo" enctype="multipart/form-data">
            <PhotoPicker/>
            <label class="field">
                "Category"
                <Suspense fallback=|| view! { <select name="category" disabled=true></select> }>
                    {move || Suspend::new(async move {
                        let list = categories.await.unwrap_or_default();
                        view! { <CategorySelect list selected=selected()/> }
                    })}
                </Suspense>
            </label>
            <button type="submit" class="primary">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Searching…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(items)) if items.is_empty() => view! {
                        <p class="empty">"Nothing in the shop looks like that yet."</p>
                    }
                    .into_any(),
                    Ok(Some(items)) => view! {
                        <section class="photo-results" aria-labelledby="results-heading">
                            <h2 id="results-heading">"Closest matches"</h2>
                            <ScoredGrid items/>
                        </section>
                    }
                    .into_any(),
                    Err(error) => view! {
                        <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The stored search named by `?q=`, if any; a malformed id is as gone as an expired one.
async fn load_results(id: Option<String>) -> Result<Option<Vec<ScoredProduct>>, PhotoSearchError> {
    let Some(id) = id else { return Ok(None) };
    let id = id.parse().map_err(|_| PhotoSearchError::ExpiredSearch)?;
    photo_search_results(id).await.map(Some)
}

#[component]
fn CategorySelect(list: Vec<Category>, selected: String) -> impl IntoView {
    let (top, sub): (Vec<Category>, Vec<Category>) =
        list.into_iter().partition(|category| category.parent_slug.is_none());
    let option = move |category: &Category, selected: &str| {
        view! {
            <option value=category.slug.clone() selected=category.slug == selected>
                {category.name.clone()}
            </option>
        }
    };
    view! {
        <select name="category">
            <option value="">"All categories"</option>
            {top
                .iter()
                .map(|parent| {
                    let children: Vec<_> = sub
                        .iter()
                        .filter(|child| child.parent_slug.as_deref() == Some(parent.slug.as_str()))
                        .map(|child| option(child, &selected))
                        .collect();
                    view! {
                        <optgroup label=parent.name.clone()>
                            <option value=parent.slug.clone() selected=parent.slug == selected>
                                {format!("All of {}", parent.name)}
                            </option>
                            {children}
                        </optgroup>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// The photo inputs: a file picker that also takes a dropped photo, and on phones the camera.
#[component]
fn PhotoPicker() -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let dragging = RwSignal::new(false);
    let preview = RwSignal::new(None::<String>);

    let on_dragover = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default(); // Lets the browser deliver the drop here instead of opening the file.
        dragging.set(true);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        browser::take_dropped_file(&ev, input, preview);
    };
    let on_change = move |_| {
        #[cfg(feature = "hydrate")]
        browser::show_preview(input, preview);
    };

    view! {
        <label class="drop-zone" class:dragging=move || dragging.get()
            on:dragover=on_dragover
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            {move || match preview.get() {
                Some(url) => view! { <img class="photo-preview" src=url alt="The photo you picked"/> }.into_any(),
                None => view! { <span class="drop-hint">"Drop a photo here, or choose one"</span> }.into_any(),
            }}
            <input node_ref=input type="file" name="image" accept="image/jpeg,image/png,image/webp"
                on:change=on_change/>
        </label>
        <label class="camera-input">
            "Take a photo"
            <input type="file" name="image" accept="image/*" capture="environment"/>
        </label>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;

    /// Puts a dropped file into the form's file input, so the form posts it like a picked one.
    pub fn take_dropped_file(
        ev: &leptos::ev::DragEvent,
        input: NodeRef<leptos::html::Input>,
        preview: RwSignal<Option<String>>,
    ) {
        let (Some(files), Some(input_el)) =
            (ev.data_transfer().and_then(|transfer| transfer.files()), input.get())
        else {
            return;
        };
        if files.length() > 0 {
            input_el.set_files(Some(&files));
            show_preview(input, preview);
        }
    }

    /// Shows the picked file; the previous preview's object URL is released.
    pub fn show_preview(input: NodeRef<leptos::html::Input>, preview: RwSignal<Option<String>>) {
        let file = input.get().and_then(|el| el.files()).and_then(|files| files.get(0));
        let url = file.and_then(|file| web_sys::Url::create_object_url_with_blob(&file).ok());
        if let Some(old) = preview.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        preview.set(url);
    }
}
