use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::newest_products;
use crate::components::product_card::ProductCardView;

#[component]
pub fn HomePage() -> impl IntoView {
    let products = Resource::new(|| (), |_| newest_products());
    view! {
        <Title text=""/>
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
                        <div class="product-grid">
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
