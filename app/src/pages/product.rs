use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::cart_count::count_from;
use crate::components::product_card::ScoredGrid;
use crate::components::recommendation_row::RecommendationRowView;
use crate::components::wishlist::WishlistToggle;
use crate::pages::not_found::NotFound;
use crate::server_fns::catalog::product_page;
use crate::server_fns::shop::AddToCart;
use crate::types::{LinkParams, ProductPageData, RowKind, ShopError, Variant, MAX_LINE_QUANTITY};

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    // Where the link came from (`?q=…&pos=…`, `?rec=…&v=…&pos=…`): the server records the
    // click with the view.
    let query = use_query_map();
    let from = move || {
        let query = query.read();
        LinkParams {
            q: query.get("q"),
            pos: query.get("pos"),
            rec: query.get("rec"),
            v: query.get("v"),
        }
    };
    let page = Resource::new(
        move || (params.read().get("slug").unwrap_or_default(), from()),
        |(slug, from)| product_page(slug, from),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(data) => view! { <ProductView data/> }.into_any(),
                    Err(ShopError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductView(data: ProductPageData) -> impl IntoView {
    let ProductPageData { product, similar } = data;
    let card = product.card;
    view! {
        <Title text=card.name.clone()/>
        <article class="product-detail" data-product-slug=card.slug.clone()>
            {card.image_url.clone().map(|src| {
                view! {
                    <img class="product-detail-image" src=src alt=card.image_alt.clone() width="256" height="256"/>
                }
            })}
            <div class="product-detail-text">
                <p class="product-category">
                    <a href=format!("/categories/{}", product.category_slug)>{card.category.clone()}</a>
                </p>
                <h1>{card.name.clone()}</h1>
                <p class="product-description">{product.description}</p>
                {(!product.attributes.is_empty()).then(|| view! {
                    <dl class="account-facts product-attributes">
                        {product.attributes.into_iter().map(|(name, value)| view! {
                            <dt>{crate::types::option_name(&name)}</dt><dd>{value}</dd>
                        }).collect_view()}
                    </dl>
                })}
                <VariantPicker variants=product.variants/>
                <WishlistToggle product_id=card.id product_name=card.name.clone()/>
            </div>
        </article>
        <section class="similar-items" aria-labelledby="similar-heading">
            <h2 id="similar-heading">"Similar items"</h2>
            {if similar.is_empty() {
                view! { <p class="empty">"Nothing similar yet."</p> }.into_any()
            } else {
                view! { <ScoredGrid items=similar/> }.into_any()
            }}
        </section>
        <RecommendationRowView row=RowKind::AlsoBought product=card.id/>
    }
}

/// "Sold out", "Only 3 left" or "In stock".
fn availability(available: i32) -> String {
    match available {
        ..=0 => "Sold out".to_owned(),
        1..=5 => format!("Only {available} left"),
        _ => "In stock".to_owned(),
    }
}

/// The variants as radio buttons (each with its price and availability) and the add-to-cart
/// form; a plain form post without JavaScript.
#[component]
fn VariantPicker(variants: Vec<Variant>) -> impl IntoView {
    let add = ServerAction::<AddToCart>::new();
    count_from(move || add.value().get());
    let first = variants.iter().find(|v| v.available > 0).or(variants.first()).map(|v| v.id);
    let selected = RwSignal::new(first);
    let chosen = {
        let variants = variants.clone();
        Memo::new(move |_| variants.iter().find(|v| Some(v.id) == selected.get()).cloned())
    };
    let single = variants.len() == 1;
    let price = move || chosen.get().map(|v| v.price.to_string()).unwrap_or_default();
    let stock = move || chosen.get().map(|v| availability(v.available)).unwrap_or_default();
    let sold_out = move || chosen.get().is_none_or(|v| v.available <= 0);
    let message = move || match add.value().get() {
        Some(Ok(cart)) => view! {
            <p class="notice" role="status" data-testid="added-to-cart">
                "Added to your cart (" {cart.item_count} " items). " <a href="/cart">"View cart"</a>
            </p>
        }
        .into_any(),
        Some(Err(err)) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
        None => ().into_any(),
    };
    view! {
        <p class="product-price" data-testid="variant-price">{price}</p>
        <p class="product-stock" class:sold-out=sold_out data-testid="variant-stock">{stock}</p>
        <ActionForm action=add attr:class="add-to-cart">
            {(!single).then(|| view! {
                <fieldset class="variant-picker">
                    <legend>"Choose"</legend>
                    {variants.iter().map(|variant| {
                        let id = variant.id;
                        let label = format!(
                            "{} — {} — {}",
                            variant.label(),
                            variant.price,
                            availability(variant.available)
                        );
                        view! {
                            <label class="variant-option" class:sold-out=variant.available <= 0>
                                <input
                                    type="radio"
                                    name="variant_id"
                                    value=id.to_string()
                                    checked=Some(id) == first
                                    disabled=variant.available <= 0
                                    on:change=move |_| selected.set(Some(id))
                                />
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            {single.then(|| view! {
                <input type="hidden" name="variant_id" value=first.map(|id| id.to_string()).unwrap_or_default()/>
            })}
            <label class="quantity">
                "Quantity "
                <input type="number" name="quantity" value="1" min="1" max=MAX_LINE_QUANTITY.to_string() required/>
            </label>
            <button type="submit" disabled=sold_out>"Add to cart"</button>
        </ActionForm>
        {message}
    }
}
