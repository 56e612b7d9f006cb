//! `/cart`: the cart's lines with their quantities, priced by the server, and the way to checkout.

use leptos::prelude::*;
use leptos_meta::Title;

use super::RefusalNotice;
use crate::components::cart_count::count_from;
use crate::components::recommendation_row::RecommendationRowView;
use crate::server_fns::shop::{current_cart, SetCartQuantity};
use crate::types::{options_label, Cart, CartLine, RowKind, MAX_LINE_QUANTITY};

#[component]
pub fn CartPage() -> impl IntoView {
    let set = ServerAction::<SetCartQuantity>::new();
    count_from(move || set.value().get());
    let cart = Resource::new(move || set.version().get(), |_| current_cart());
    let error = Signal::derive(move || set.value().get().and_then(Result::err));
    view! {
        <Title text="Your cart"/>
        <h1>"Your cart"</h1>
        <RefusalNotice error/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match cart.await {
                    Ok(cart) if cart.is_empty() => view! {
                        <p class="empty" data-testid="empty-cart">"Your cart is empty. " <a href="/">"Keep shopping"</a></p>
                    }.into_any(),
                    Ok(cart) => view! {
                        <CartTable cart set/>
                        <RecommendationRowView row=RowKind::CompleteYourOrder/>
                    }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CartTable(cart: Cart, set: ServerAction<SetCartQuantity>) -> impl IntoView {
    let short = cart.short_lines().count();
    let subtotal = cart.subtotal.map(|money| money.to_string()).unwrap_or_default();
    view! {
        <table class="cart-table">
            <thead><tr><th>"Item"</th><th>"Price"</th><th>"Quantity"</th><th>"Total"</th></tr></thead>
            <tbody>
                {cart.lines.into_iter().map(|line| view! { <CartRow line set/> }).collect_view()}
            </tbody>
            <tfoot>
                <tr><th colspan="3">"Subtotal"</th><td data-testid="cart-subtotal">{subtotal}</td></tr>
            </tfoot>
        </table>
        {(short > 0).then(|| view! {
            <p class="error" role="alert">"Some items are no longer available in the quantity you chose; lower them to check out."</p>
        })}
        <p class="cart-actions">
            <a href="/">"Keep shopping"</a>
            {(short == 0).then(|| view! { <a class="button primary" href="/checkout">"Checkout"</a> })}
        </p>
    }
}

#[component]
fn CartRow(line: CartLine, set: ServerAction<SetCartQuantity>) -> impl IntoView {
    let options = options_label(&line.options);
    let (variant, variant_to_remove) = (line.variant_id.to_string(), line.variant_id.to_string());
    let name = line.product_name.clone();
    view! {
        <tr data-sku=line.sku.clone()>
            <td>
                <a href=format!("/products/{}", line.product_slug)>{line.product_name.clone()}</a>
                {(!options.is_empty()).then(|| view! { <span class="line-options">{options}</span> })}
                {(line.quantity > line.available).then(|| view! {
                    <span class="sold-out">{format!("Only {} available", line.available.max(0))}</span>
                })}
            </td>
            <td>{line.unit_price.to_string()}</td>
            <td>
                <ActionForm action=set attr:class="inline-form">
                    <input type="hidden" name="variant_id" value=variant/>
                    <input type="number" name="quantity" min="0" max=MAX_LINE_QUANTITY.to_string()
                        value=line.quantity.to_string() aria-label=format!("Quantity of {name}")/>
                    <button type="submit" class="secondary">"Update"</button>
                </ActionForm>
                <ActionForm action=set attr:class="inline-form">
                    <input type="hidden" name="variant_id" value=variant_to_remove/>
                    <input type="hidden" name="quantity" value="0"/>
                    <button type="submit" class="secondary">"Remove"</button>
                </ActionForm>
            </td>
            <td>{line.line_total.to_string()}</td>
        </tr>
    }
}
