//! `/orders` (the shopper's order history) and `/orders/{id}` (one order: lines, totals,
//! delivery, payments and every status it has had).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use crate::pages::not_found::NotFound;
use crate::server_fns::shop::{my_orders, order};
use crate::types::{options_label, CommerceError, OrderDetail, OrderStatus, PaymentStatus};

#[component]
pub fn OrdersPage() -> impl IntoView {
    let orders = Resource::new(|| (), |_| my_orders());
    view! {
        <Title text="Your orders"/>
        <h1>"Your orders"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match orders.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No orders yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="admin-table orders-table">
                            <thead><tr><th>"Order"</th><th>"Placed"</th><th>"Status"</th><th>"Items"</th><th>"Total"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|summary| view! {
                                    <tr data-order=summary.number.to_string()>
                                        <td><a href=format!("/orders/{}", summary.id)>{format!("#{}", summary.number)}</a></td>
                                        <td>{summary.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                        <td>{summary.status_label()}</td>
                                        <td>{summary.item_count}</td>
                                        <td>{summary.total.to_string()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let placed = move || query.read().get("placed").is_some();
    let id = move || params.read().get("id").and_then(|id| Uuid::parse_str(&id).ok());
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => order(id).await,
            None => Err(CommerceError::OrderNotFound),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <OrderView detail placed=placed()/> }.into_any(),
                    Err(CommerceError::OrderNotFound) => view! { <NotFound/> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OrderView(detail: OrderDetail, placed: bool) -> impl IntoView {
    let summary = detail.summary.clone();
    view! {
        <Title text=format!("Order {}", summary.number)/>
        {(placed && summary.status == OrderStatus::Paid).then(|| view! {
            <p class="notice" role="status" data-testid="order-confirmation">
                {format!("Thank you! Order #{} is paid; a confirmation is on its way to {}.", summary.number, summary.email)}
            </p>
        })}
        <h1>{format!("Order #{}", summary.number)}</h1>
        <p>"Status: " <strong data-testid="order-status">{summary.status_label()}</strong></p>
        <OrderRecord detail/>
        <p><a href="/orders">"All your orders"</a></p>
    }
}

/// What an order holds, as the shopper's and the staff's pages both show it: its lines and
/// totals, where it goes, its payments and every status it has had.
#[component]
pub fn OrderRecord(detail: OrderDetail) -> impl IntoView {
    let OrderDetail {
        summary,
        lines,
        subtotal,
        shipping,
        shipping_method,
        shipping_address,
        paid,
        history,
        payments,
        ..
    } = detail;
    let address = [
        shipping_address.name,
        shipping_address.line1,
        shipping_address.line2,
        format!("{} {}", shipping_address.postal_code, shipping_address.city),
        shipping_address.country,
    ];
    view! {
        <table class="admin-table">
            <thead><tr><th>"Item"</th><th>"Price"</th><th>"Quantity"</th><th>"Total"</th></tr></thead>
            <tbody>
                {lines.into_iter().map(|line| {
                    let options = options_label(&line.options);
                    view! {
                        <tr>
                            <td><a href=format!("/products/{}", line.product_slug)>{line.product_name}</a>
                                {(!options.is_empty()).then(|| view! { <span class="line-options">{options}</span> })}</td>
                            <td>{line.unit_price.to_string()}</td>
                            <td>{line.quantity}</td>
                            <td>{line.line_total.to_string()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr><th colspan="3">"Subtotal"</th><td>{subtotal.to_string()}</td></tr>
                <tr><th colspan="3">{shipping_method.label()}</th><td>{shipping.to_string()}</td></tr>
                <tr><th colspan="3">"Total"</th><td data-testid="order-total">{summary.total.to_string()}</td></tr>
                {(summary.refunded.minor > 0).then(|| view! {
                    <tr><th colspan="3">"Refunded"</th><td>{summary.refunded.to_string()}</td></tr>
                })}
            </tfoot>
        </table>
        <section class="account-section">
            <h2>"Delivery to"</h2>
            <address>{address.into_iter().filter(|part| !part.trim().is_empty()).map(|part| view! { {part}<br/> }).collect_view()}</address>
        </section>
        <section class="account-section">
            <h2>"Payments"</h2>
            <ul>
                {payments.into_iter().map(|payment| {
                    let outcome = match payment.status {
                        PaymentStatus::Succeeded => "paid".to_owned(),
                        PaymentStatus::Declined => format!("declined ({})", payment.decline_code.unwrap_or_default()),
                        PaymentStatus::RequiresAction => "waiting for your bank".to_owned(),
                        PaymentStatus::Processing => "processing".to_owned(),
                        PaymentStatus::Failed => "not completed".to_owned(),
                    };
                    view! { <li>{format!("{} {} •••• {}: {}", payment.amount, payment.card_brand, payment.card_last4, outcome)}</li> }
                }).collect_view()}
            </ul>
            <p>{format!("Paid in all: {paid}")}</p>
        </section>
        <section class="account-section">
            <h2>"History"</h2>
            <ol class="order-history">
                {history.into_iter().map(|change| view! {
                    <li>{format!("{} — {}", change.at.format("%Y-%m-%d %H:%M UTC"), change.to.label())}
                        {(!change.note.is_empty()).then(|| format!(" ({})", change.note))}</li>
                }).collect_view()}
            </ol>
        </section>
    }
}
