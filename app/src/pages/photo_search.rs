//! Search by photo: a form that posts the photo (works without JavaScript), then the results of
//! the stored search at `/search/photo?q=<id>`. With the page's WASM running, the photo is
//! decoded, shown with a crop box and reduced to the model's square in the browser, and the
//! results replace the page's without a reload (see [`PhotoPicker`]).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::photo_picker::{PhotoPicker, PickedPhoto};
use crate::components::product_card::ScoredGrid;
use crate::server_fns::catalog::{categories, photo_search_results};
use crate::types::{Category, PhotoSearchError, Refusal, ScoredProduct};

#[component]
pub fn PhotoSearchPage() -> impl IntoView {
    let query = use_query_map();
    let refused =
        move || query.read().get("error").and_then(|code| PhotoSearchError::from_code(&code));
    let selected = move || query.read().get("category").unwrap_or_default();
    let categories = Resource::new(|| (), |_| categories());
    let results = Resource::new(move || query.read().get("q"), load_results);
    let photo = PickedPhoto::new();
    let navigate = leptos_router::hooks::use_navigate();
    let on_submit = move |_ev: leptos::ev::SubmitEvent| {
        let _navigate = navigate.clone();
        #[cfg(feature = "hydrate")]
        crate::components::photo_picker::browser::submit(&_ev, photo, move |url| {
            _navigate(url, Default::default())
        });
    };

    view! {
        <Title text="Search by photo"/>
        <section class="hero">
            <h1>"Search by photo"</h1>
            <p>"Show us something you like and we'll find what looks like it."</p>
        </section>
        {move || refused().map(|error| {
            view! { <p class="error" role="alert" data-error=error.code()>{error.to_string()}</p> }
        })}
        <form class="photo-search" method="post" action="/search/photo" enctype="multipart/form-data"
            on:submit=on_submit>
            <PhotoPicker photo/>
            <label class="field">
                "Category"
                <Suspense fallback=|| view! { <select name="category" disabled=true></select> }>
                    {move || Suspend::new(async move {
                        let list = categories.await.unwrap_or_default();
                        view! { <CategorySelect list selected=selected()/> }
                    })}
                </Suspense>
            </label>
            <button type="submit" class="primary" disabled=move || photo.is_busy()>"Search"</button>
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
