use leptos::prelude::*;

use super::wishlist::WishlistToggle;
use crate::model::ProductCard;

#[component]
pub fn ProductCardView(product: ProductCard) -> impl IntoView {
    let ProductCard { id, slug, name, category, price, in_stock, image_url, image_alt } = product;
    view! {
        <article class="product-card" data-product-slug=slug>
            {image_url.map(|src| {
                view! {
                    <img class="product-image" src=src alt=image_alt width="64" height="64" loading="lazy"/>
                }
            })}
            <p class="product-category">{category}</p>
            <h2 class="product-name">{name.clone()}</h2>
            <p class="product-price">{price.to_string()}</p>
            <p class="product-stock" class:sold-out=!in_stock>
                {if in_stock { "In stock" } else { "Sold out" }}
            </p>
            <WishlistToggle product_id=id product_name=name/>
        </article>
    }
}
