use leptos::prelude::*;

use super::wishlist::WishlistToggle;
use crate::types::{product_href, LinkSource, NamePart, ProductCard, ScoredProduct};

#[component]
pub fn ProductCardView(
    product: ProductCard,
    /// Visual similarity to the search photo or product, shown as a percentage.
    #[prop(optional)]
    score: Option<f32>,
    /// The name in pieces, the words a text search matched marked.
    #[prop(optional)]
    name_parts: Option<Vec<NamePart>>,
    /// Where the card is shown (a search's results, a recommendation row): its link carries
    /// it, and the product's page records the click.
    #[prop(optional)]
    from: Option<LinkSource>,
) -> impl IntoView {
    let ProductCard {
        id,
        slug,
        name,
        category,
        price,
        price_varies,
        in_stock,
        image_url,
        image_alt,
    } = product;
    let href = product_href(&slug, from.as_ref());
    view! {
        <article class="product-card" data-product-slug=slug>
            {image_url.map(|src| {
                view! {
                    <img class="product-image" src=src alt=image_alt width="64" height="64" loading="lazy"/>
                }
            })}
            <p class="product-category">{category}</p>
            <h2 class="product-name">
                <a href=href>
                    {match name_parts {
                        Some(parts) => parts.into_iter().map(|part| if part.matched {
                            view! { <mark>{part.text}</mark> }.into_any()
                        } else {
                            part.text.into_any()
                        }).collect_view().into_any(),
                        None => name.clone().into_any(),
                    }}
                </a>
            </h2>
            {score.map(|score| {
                let percent = (score.clamp(0.0, 1.0) * 100.0).round();
                view! {
                    <p class="product-score" data-score=score.to_string()>{format!("{percent}% match")}</p>
                }
            })}
            <p class="product-price">{if price_varies { format!("From {price}") } else { price.to_string() }}</p>
            <p class="product-stock" class:sold-out=!in_stock>
                {if in_stock { "In stock" } else { "Sold out" }}
            </p>
            <WishlistToggle product_id=id product_name=name/>
        </article>
    }
}

/// A grid of search results, best match first.
#[component]
pub fn ScoredGrid(items: Vec<ScoredProduct>) -> impl IntoView {
    view! {
        <div class="product-grid">
            {items
                .into_iter()
                .map(|item| view! { <ProductCardView product=item.product score=item.score/> })
                .collect_view()}
        </div>
    }
}
