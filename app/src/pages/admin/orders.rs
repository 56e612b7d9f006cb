//! Orders: every order with its status, the next statuses staff may set (packed, shipped,
//! delivered; cancelled while unpaid), and refunds (full or partial, optionally restocking).
//! Both are audited and refused with a reason when the state machine or the amounts forbid them.

use leptos::prelude::*;
use leptos_meta::Title;

use super::RequirePermission;
use crate::pages::shop::RefusalNotice;
use crate::server_fns::admin::{list_orders, RefundOrder, SetOrderStatus};
use crate::types::{CommerceError, Money, OrderStatus, OrderSummary, Permission};

#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let set_status = ServerAction::<SetOrderStatus>::new();
    let refund = ServerAction::<RefundOrder>::new();
    let orders = Resource::new(
        move || (set_status.version().get(), refund.version().get()),
        |_| list_orders(String::new()),
    );
    view! {
        <Title text="Orders · Admin"/>
        <RequirePermission permission=Some(Permission::Orders)>
            <OrdersTable set_status refund orders/>
        </RequirePermission>
    }
}

#[component]
fn OrdersTable(
    set_status: ServerAction<SetOrderStatus>,
    refund: ServerAction<RefundOrder>,
    orders: Resource<Result<Vec<OrderSummary>, CommerceError>>,
) -> impl IntoView {
    let error = Signal::derive(move || {
        set_status
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| refund.value().get().and_then(Result::err))
    });
    view! {
        <h1>"Orders"</h1>
        <RefusalNotice error/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match orders.await {
                    Ok(orders) if orders.is_empty() => view! { <p class="empty">"No orders yet."</p> }.into_any(),
                    Ok(orders) => view! {
                        <table class="admin-table">
                            <thead><tr><th>"Order"</th><th>"Customer"</th><th>"Status"</th><th>"Total"</th><th>"Move"</th><th>"Refund"</th></tr></thead>
                            <tbody>
                                {orders.into_iter().map(|order| view! { <OrderRow order set_status refund/> }).collect_view()}
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
fn OrderRow(
    order: OrderSummary,
    set_status: ServerAction<SetOrderStatus>,
    refund: ServerAction<RefundOrder>,
) -> impl IntoView {
    let id = order.id.to_string();
    let moves: Vec<OrderStatus> =
        order.status.next().iter().copied().filter(|status| status.is_manual()).collect();
    let paid = !matches!(
        order.status,
        OrderStatus::PendingPayment | OrderStatus::Cancelled | OrderStatus::Refunded
    );
    let refundable = Money { minor: order.total.minor - order.refunded.minor, ..order.total };
    // The same form submitted twice is the same refund; after it, the key changes.
    let key = format!("admin-{}-{}", order.id, order.refunded.minor);
    let (id_for_refund, number) = (id.clone(), order.number);
    view! {
        <tr data-order=order.number.to_string()>
            <td><a href=format!("/orders/{id}")>{format!("#{}", order.number)}</a></td>
            <td>{order.email.clone()}</td>
            <td>{order.status_label()}</td>
            <td>{order.total.to_string()}</td>
            <td>
                {(!moves.is_empty()).then(|| view! {
                    <ActionForm action=set_status attr:class="inline-form">
                        <input type="hidden" name="order_id" value=id/>
                        <select name="status" aria-label=format!("New status of order {number}")>
                            {moves.into_iter().map(|status| view! { <option value=status.code()>{status.label()}</option> }).collect_view()}
                        </select>
                        <input name="note" placeholder="Note (tracking number …)" aria-label=format!("Note for order {number}")/>
                        <button type="submit" class="secondary">"Move"</button>
                    </ActionForm>
                })}
            </td>
            <td>
                {paid.then(|| view! {
                    <ActionForm action=refund attr:class="inline-form">
                        <input type="hidden" name="order_id" value=id_for_refund/>
                        <input type="hidden" name="idempotency_key" value=key/>
                        <input name="amount" size="7" value=Money::plain(refundable.minor)
                            aria-label=format!("Amount to refund of order {number}")/>
                        <input name="reason" placeholder="Reason" aria-label=format!("Reason for refunding order {number}")/>
                        <label class="checkbox"><input type="checkbox" name="restock" value="1"/>" Restock"</label>
                        <button type="submit" class="secondary">"Refund"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
