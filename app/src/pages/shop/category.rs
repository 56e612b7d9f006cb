//! `/categories/{slug}`: a category's products with filters (price range, in stock, options),
//! sorting and pages. The filters are a plain GET form, so every view has its own URL and works
//! without JavaScript.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use crate::components::product_card::ProductCardView;
use crate::pages::not_found::NotFound;
use crate::server_fns::shop::category_page;
use crate::types::{
    CategoryListing, ListingQuery, ListingSort, Money, ShopError, DEFAULT_PAGE_SIZE,
};

/// Query parameters that name an option filter: `opt.size=M`.
const OPTION_PREFIX: &str = "opt.";

fn listing_query(slug: String, params: &ParamsMap) -> ListingQuery {
    let get = |name: &str| params.get(name).filter(|value| !value.is_empty());
    let options: BTreeMap<String, String> = params
        .clone()
        .into_iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix(OPTION_PREFIX)?.to_owned();
            (!value.is_empty()).then_some((name, value))
        })
        .collect();
    ListingQuery {
        category: slug,
        page: get("page").and_then(|page| page.parse().ok()).unwrap_or(1),
        per_page: get("per_page").and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_PAGE_SIZE),
        min_price_minor: get("min").as_deref().and_then(Money::parse_minor),
        max_price_minor: get("max").as_deref().and_then(Money::parse_minor),
        in_stock: get("in_stock").is_some(),
        options,
        sort: get("sort").as_deref().and_then(ListingSort::parse).unwrap_or_default(),
    }
}

/// The query string of `query` on another page.
fn page_href(query: &ListingQuery, page: i64) -> String {
    let mut pairs = vec![("page".to_owned(), page.to_string())];
    if query.per_page != DEFAULT_PAGE_SIZE {
        pairs.push(("per_page".into(), query.per_page.to_string()));
    }
    if let Some(min) = query.min_price_minor {
        pairs.push(("min".into(), Money::plain(min)));
    }
    if let Some(max) = query.max_price_minor {
        pairs.push(("max".into(), Money::plain(max)));
    }
    if query.in_stock {
        pairs.push(("in_stock".into(), "1".into()));
    }
    for (name, value) in &query.options {
        pairs.push((format!("{OPTION_PREFIX}{name}"), value.clone()));
    }
    pairs.push(("sort".into(), query.sort.code().into()));
    let encoded: Vec<String> = pairs
        .into_iter()
        .map(|(key, value)| format!("{}={}", encode(&key), encode(&value)))
        .collect();
    format!("/categories/{}?{}", query.category, encoded.join("&"))
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn CategoryPage() -> impl IntoView {
    let params = use_params_map();
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let slug = params.read().get("slug").unwrap_or_default();
        listing_query(slug, &query_map.read())
    });
    let listing = Resource::new(move || query.get(), category_page);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(listing) => view! { <Listing listing query=query.get_untracked()/> }.into_any(),
                    Err(ShopError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Listing(listing: CategoryListing, query: ListingQuery) -> impl IntoView {
    let pages = listing.page_count();
    let CategoryListing { category, parent, subcategories, products, total, page, facets, .. } =
        listing;
    let action = format!("/categories/{}", category.slug);
    let price_field = |minor: Option<i64>| minor.map(Money::plain).unwrap_or_default();
    view! {
        <Title text=category.name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href="/">"Shop"</a>
            {parent.map(|parent| view! {
                " › " <a href=format!("/categories/{}", parent.slug)>{parent.name}</a>
            })}
        </nav>
        <h1>{category.name.clone()}</h1>
        {(!subcategories.is_empty()).then(|| view! {
            <ul class="subcategories">
                {subcategories.into_iter().map(|sub| view! {
                    <li><a href=format!("/categories/{}", sub.slug)>{sub.name}</a></li>
                }).collect_view()}
            </ul>
        })}
        <form method="get" action=action class="listing-filters" aria-label="Filters">
            <label>"Min price " <input type="text" inputmode="decimal" name="min" size="6" value=price_field(query.min_price_minor)/></label>
            <label>"Max price " <input type="text" inputmode="decimal" name="max" size="6" value=price_field(query.max_price_minor)/></label>
            <label class="checkbox"><input type="checkbox" name="in_stock" value="1" checked=query.in_stock/>" In stock only"</label>
            {facets.into_iter().map(|facet| {
                let chosen = query.options.get(&facet.name).cloned().unwrap_or_default();
                view! {
                    <label>{crate::types::option_name(&facet.name)} " "
                        <select name=format!("{OPTION_PREFIX}{}", facet.name)>
                            <option value="">"Any"</option>
                            {facet.values.into_iter().map(|value| {
                                let selected = value == chosen;
                                view! { <option value=value.clone() selected=selected>{value.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }
            }).collect_view()}
            <label>"Sort "
                <select name="sort">
                    {ListingSort::ALL.into_iter().map(|sort| view! {
                        <option value=sort.code() selected=sort == query.sort>{sort.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="secondary">"Apply"</button>
        </form>
        <p class="listing-count" data-testid="listing-count">
            {format!("{total} product{}", if total == 1 { "" } else { "s" })}
        </p>
        {if products.is_empty() {
            view! { <p class="empty">"Nothing matches these filters."</p> }.into_any()
        } else {
            view! {
                <div class="product-grid">
                    {products.into_iter().map(|product| view! { <ProductCardView product/> }).collect_view()}
                </div>
            }.into_any()
        }}
        {(pages > 1).then(|| view! {
            <nav class="pagination" aria-label="Pages">
                {(page > 1).then(|| view! { <a rel="prev" href=page_href(&query, page - 1)>"← Previous"</a> })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <a rel="next" href=page_href(&query, page + 1)>"Next →"</a> })}
            </nav>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_url() {
        let query = ListingQuery {
            category: "clothing".into(),
            page: 2,
            per_page: DEFAULT_PAGE_SIZE,
            min_price_minor: Some(500),
            max_price_minor: None,
            in_stock: true,
            options: BTreeMap::from([("size".into(), "M".into())]),
            sort: ListingSort::PriceAsc,
        };
        let href = page_href(&query, 3);
        assert_eq!(
            href,
            "/categories/clothing?page=3&min=5.00&in_stock=1&opt.size=M&sort=price_asc"
        );
        let params: ParamsMap = href
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|pair| pair.split_once('=').unwrap())
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let parsed = listing_query("clothing".into(), &params);
        assert_eq!(parsed, ListingQuery { page: 3, ..query });
    }
}
