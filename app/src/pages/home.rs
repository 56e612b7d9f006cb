use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::product_card::ProductCardView;
use crate::components::recommendation_row::RecommendationRowView;
use crate::server_fns::catalog::{categories, newest_products};
use crate::types::{Category, RowKind};

#[component]
pub fn HomePage() -> impl IntoView {
    let products = Resource::new(|| (), |_| newest_products());
    let categories = Resource::new(|| (), |_| categories());
    view! {
        <Title text=""/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let top: Vec<Category> = categories
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|category| category.parent_slug.is_none())
                    .collect();
                view! {
                    <nav class="category-nav" aria-label="Categories">
                        {top.into_iter().map(|category| view! {
                            <a href=format!("/categories/{}", category.slug)>{category.name}</a>
                        }).collect_view()}
                    </nav>
                }
            })}
        </Suspense>
        <RecommendationRowView row=RowKind::PickedForYou/>
        <section class="hero">
            <h1>"New in the shop"</h1>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading products…"</p> }>
            {move || Suspend::new(async move {
                match products.await {
                    Ok(list) if list.is_empty() => {
                        view! { <p class="empty">"No products yet. Run `vitrine seed`."</p> }
                            .into_any()
                    }
                    Ok(list) => view! {
                        <div class="product-grid" data-testid="newest-products">
                            {list
                                .into_iter()
                                .map(|product| view! { <ProductCardView product/> })
                                .collect_view()}
                        </div>
                    }
                    .into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }
                        .into_any(),
                }
            })}
        </Suspense>
    }
}
