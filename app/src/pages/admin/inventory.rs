//! Inventory: find variants by SKU or product name, see on-hand, held and available units, and
//! record a stock count or a delivery (each a ledger row and an audit entry).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::RequirePermission;
use crate::pages::shop::RefusalNotice;
use crate::server_fns::admin::{list_stock, AdjustStock};
use crate::types::{options_label, CommerceError, Permission, StockRow};

#[component]
pub fn AdminInventoryPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let adjust = ServerAction::<AdjustStock>::new();
    let rows = Resource::new(move || (search(), adjust.version().get()), |(q, _)| list_stock(q));
    view! {
        <Title text="Inventory · Admin"/>
        <RequirePermission permission=Some(Permission::Inventory)>
            <StockTable adjust rows search=Signal::derive(search)/>
        </RequirePermission>
    }
}

#[component]
fn StockTable(
    adjust: ServerAction<AdjustStock>,
    rows: Resource<Result<Vec<StockRow>, CommerceError>>,
    search: Signal<String>,
) -> impl IntoView {
    let error = Signal::derive(move || adjust.value().get().and_then(Result::err));
    view! {
        <h1>"Inventory"</h1>
        <form method="get" action="/admin/inventory" class="inline-form">
            <input name="q" value=search aria-label="SKU or product" placeholder="SKU or product"/>
            <button type="submit" class="secondary">"Find"</button>
        </form>
        <RefusalNotice error/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) => view! {
                        <table class="admin-table">
                            <thead><tr><th>"SKU"</th><th>"Product"</th><th>"On hand"</th><th>"Held"</th><th>"Available"</th><th>"Record"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|row| view! { <StockLine row adjust/> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StockLine(row: StockRow, adjust: ServerAction<AdjustStock>) -> impl IntoView {
    let options = options_label(&row.options);
    let sku = row.sku.clone();
    view! {
        <tr data-sku=row.sku.clone()>
            <td><code>{row.sku.clone()}</code></td>
            <td>{row.product_name.clone()} {(!options.is_empty()).then(|| view! { <span class="line-options">{options}</span> })}</td>
            <td data-testid="on-hand">{row.on_hand}</td>
            <td>{row.reserved}</td>
            <td>{row.on_hand - row.reserved}</td>
            <td>
                <ActionForm action=adjust attr:class="inline-form">
                    <input type="hidden" name="variant_id" value=row.variant_id.to_string()/>
                    <select name="change" aria-label=format!("Kind of stock change for {sku}")>
                        <option value="delivery">"Delivery of"</option>
                        <option value="count">"Counted"</option>
                    </select>
                    <input type="number" name="quantity" min="0" required aria-label=format!("Units of {sku}")/>
                    <input name="note" placeholder="Note" aria-label=format!("Note for {sku}")/>
                    <button type="submit" class="secondary">"Record"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
