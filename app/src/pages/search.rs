//! `/search?q=…`: text search results, rendered on the server (a plain GET form, so it works
//! without JavaScript and every view has a URL to share), with facets (category, price,
//! in stock), sort, pages, the matched words marked, and for a search that finds nothing or
//! little: "did you mean", the popular categories and search by photo.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::components::product_card::ProductCardView;
use crate::server_fns::catalog::search_products;
use crate::types::{
    LinkSource, Money, SearchError, SearchParams, SearchQuery, SearchResults, SearchSort,
    MAX_LINK_POSITION,
};

/// The refusal's status (and `Retry-After`) on the page's response, as the JSON API has them.
fn refused_status(err: &SearchError) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        use crate::types::Refusal;
        if let Ok(status) = axum::http::StatusCode::from_u16(err.status()) {
            response.set_status(status);
        }
        if let Some(seconds) = err.retry_after() {
            response.insert_header(axum::http::header::RETRY_AFTER, seconds.into());
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = err;
}

fn search_params(params: &ParamsMap) -> SearchParams {
    let get = |name: &str| params.get(name);
    SearchParams {
        q: get("q"),
        category: get("category"),
        min_price: get("min_price"),
        max_price: get("max_price"),
        in_stock: get("in_stock"),
        sort: get("sort"),
        page: get("page"),
    }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let query_map = use_query_map();
    let params = Memo::new(move |_| search_params(&query_map.read()));
    let results = Resource::new(move || params.get(), search_products);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Searching…"</p> }>
            {move || Suspend::new(async move {
                let params = params.get_untracked();
                match (results.await, params.read()) {
                    (Ok(results), Ok(query)) => view! { <Results results query/> }.into_any(),
                    (Err(err), _) | (_, Err(err)) => {
                        refused_status(&err);
                        view! {
                        <Title text="Search"/>
                        <h1>"Search"</h1>
                        <p class="error" role="alert" data-testid="search-error">{err.to_string()}</p>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Results(results: SearchResults, query: SearchQuery) -> impl IntoView {
    let pages = results.page_count();
    let SearchResults {
        query: text,
        hits,
        total,
        page,
        per_page,
        categories,
        price_range,
        did_you_mean,
        popular_categories,
        ..
    } = results;
    // leptos_meta writes the title into the server's HTML unescaped (0.8): a query holding
    // `</title><script>` would become markup, so the characters that make tags are dropped.
    let title = if text.is_empty() {
        "Search".to_owned()
    } else {
        format!("“{}”", text.replace(['<', '>', '&'], " "))
    };
    let price_field = |minor: Option<i64>| minor.map(Money::plain).unwrap_or_default();
    let placeholder =
        |edge: Option<Money>| edge.map(|money| Money::plain(money.minor)).unwrap_or_default();
    let (low, high) = price_range.map_or((None, None), |(low, high)| (Some(low), Some(high)));
    let chosen_category = query.category.clone().unwrap_or_default();
    let href =
        move |query: &SearchQuery, page: i64| format!("/search?{}", query.to_query_string(page));
    view! {
        <Title text=title.clone()/>
        <h1>{if text.is_empty() { "Search".to_owned() } else { format!("Results for “{text}”") }}</h1>
        {did_you_mean.map(|corrected| {
            let fixed = SearchQuery { q: corrected.clone(), page: 1, ..query.clone() };
            view! {
                <p class="did-you-mean" data-testid="did-you-mean">
                    "Did you mean " <a href=href(&fixed, 1)>{corrected}</a> "?"
                </p>
            }
        })}
        <form method="get" action="/search" class="listing-filters" aria-label="Filters">
            <input type="hidden" name="q" value=text.clone()/>
            <label>"Category "
                <select name="category">
                    <option value="">"All"</option>
                    {categories.into_iter().map(|facet| {
                        let selected = facet.slug == chosen_category;
                        view! {
                            <option value=facet.slug.clone() selected=selected>
                                {format!("{} ({})", facet.name, facet.count)}
                            </option>
                        }
                    }).collect_view()}
                </select>
            </label>
            <label>"Min price " <input type="text" inputmode="decimal" name="min_price" size="6"
                value=price_field(query.min_price_minor) placeholder=placeholder(low)/></label>
            <label>"Max price " <input type="text" inputmode="decimal" name="max_price" size="6"
                value=price_field(query.max_price_minor) placeholder=placeholder(high)/></label>
            <label class="checkbox"><input type="checkbox" name="in_stock" value="1" checked=query.in_stock/>" In stock only"</label>
            <label>"Sort "
                <select name="sort">
                    {SearchSort::ALL.into_iter().map(|sort| view! {
                        <option value=sort.code() selected=sort == query.sort>{sort.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="secondary">"Apply"</button>
        </form>
        <p class="listing-count" data-testid="search-count">
            {format!("{total} result{}", if total == 1 { "" } else { "s" })}
        </p>
        {if hits.is_empty() {
            view! {
                <section class="no-results" data-testid="no-results">
                    <p>{if text.is_empty() { "Type what you are looking for in the search box." } else { "Nothing in the shop matches that search." }}</p>
                    {(!popular_categories.is_empty()).then(|| view! {
                        <h2>"Popular categories"</h2>
                        <ul class="subcategories">
                            {popular_categories.into_iter().map(|category| view! {
                                <li><a href=format!("/categories/{}", category.slug)>{category.name}</a></li>
                            }).collect_view()}
                        </ul>
                    })}
                    <p>"Or " <a href="/search/photo">"search with a photo"</a> " of what you want."</p>
                </section>
            }.into_any()
        } else {
            view! {
                <div class="product-grid">
                    {hits.into_iter().enumerate().map(|(index, hit)| {
                        // The rank across pages, as a click model reads it; a click deeper
                        // than an event keeps a position for is recorded without one.
                        let rank = (page - 1) * per_page + index as i64;
                        let position =
                            i32::try_from(rank).ok().filter(|rank| *rank <= MAX_LINK_POSITION);
                        let from = LinkSource::Search { query: text.clone(), position };
                        view! { <ProductCardView product=hit.product name_parts=hit.name_parts from/> }
                    }).collect_view()}
                </div>
            }.into_any()
        }}
        {(pages > 1).then(|| view! {
            <nav class="pagination" aria-label="Pages">
                {(page > 1).then(|| view! { <a rel="prev" href=href(&query, page - 1)>"← Previous"</a> })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <a rel="next" href=href(&query, page + 1)>"Next →"</a> })}
            </nav>
        })}
    }
}
