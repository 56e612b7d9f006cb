//! A recommendation row: its title and products, each link saying which row and model version
//! it came from (so the product's page records the click). Nothing is shown for an empty row
//! or one that failed: a row is a suggestion, never in the way of the page.

use leptos::prelude::*;
use uuid::Uuid;

use super::product_card::ProductCardView;
use crate::server_fns::recs::recommendations;
use crate::types::{LinkSource, RowKind};

#[component]
pub fn RecommendationRowView(
    row: RowKind,
    /// The product an also-bought row is about.
    #[prop(optional)]
    product: Option<Uuid>,
) -> impl IntoView {
    let found = Resource::new(move || product, move |product| recommendations(row, product, None));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(found) = found.await else { return ().into_any() };
                if found.products.is_empty() {
                    return ().into_any();
                }
                let heading = format!("{}-heading", row.name());
                let labelled_by = heading.clone();
                let version = found.model_version.clone();
                view! {
                    <section
                        class="recommendation-row"
                        data-row=row.name()
                        data-model-version=version.clone().unwrap_or_default()
                        aria-labelledby=labelled_by
                    >
                        <h2 id=heading>{found.title}</h2>
                        <div class="product-grid">
                            {found
                                .products
                                .into_iter()
                                .enumerate()
                                .map(|(position, product)| {
                                    let from = LinkSource::Recommendation {
                                        row: row.name().to_owned(),
                                        model_version: version.clone(),
                                        position: i32::try_from(position).ok(),
                                    };
                                    view! { <ProductCardView product from/> }
                                })
                                .collect_view()}
                        </div>
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
