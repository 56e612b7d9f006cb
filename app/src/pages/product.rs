use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::product_page;
use crate::components::product_card::ScoredGrid;
use crate::components::wishlist::WishlistToggle;
use crate::error::ShopError;
use crate::model::ProductPageData;
use crate::pages::not_found::NotFound;

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(move || params.read().get("slug").unwrap_or_default(), product_page);
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
    let stock = match product.stock {
        0 => "Sold out".to_owned(),
        1..=5 => format!("Only {} left", product.stock),
        _ => "In stock".to_owned(),
    };
    view! {
        <Title text=card.name.clone()/>
        <article class="product-detail" data-product-slug=card.slug.clone()>
            {card.image_url.clone().map(|src| {
                view! {
                    <img class="product-detail-image" src=src alt=card.image_alt.clone() width="256" height="256"/>
                }
            })}
            <div class="product-detail-text">
                <p class="product-category">{card.category.clone()}</p>
                <h1>{card.name.clone()}</h1>
                <p class="product-price">{card.price.to_string()}</p>
                <p class="product-stock" class:sold-out=product.stock == 0>{stock}</p>
                <p class="product-description">{product.description}</p>
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
    }
}
