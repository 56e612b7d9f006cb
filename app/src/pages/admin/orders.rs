//! Orders: the list (found by number or email, narrowed by status, sorted, a page at a time; the
//! query string holds all of it, so the form works without JavaScript and a view can be shared
//! as a link), and `/admin/orders/{id}`: one order's lines, payments and history, with the next
//! statuses staff may set (packed, shipped, delivered; cancelled while unpaid) and refunds (full
//! or partial, optionally restocking). Both actions are audited and refused with a reason when
//! the state machine or the amounts forbid them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use super::{page_number, Pager, RequirePermission};
use crate::pages::shop::orders::OrderRecord;
use crate::pages::shop::RefusalNotice;
use crate::server_fns::admin::{admin_order, list_orders, RefundOrder, SetOrderStatus};
use crate::types::{
    CommerceError, Money, OrderDetail, OrderList, OrderSort, OrderStatus, Permission,
};

#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let query = use_query_map();
    let orders = Resource::new(
        move || {
            let query = query.read();
            let field = |name: &str| query.get(name).unwrap_or_default();
            let page = page_number(&query);
            (field("q"), field("status"), field("sort"), page)
        },
        |(search, status, sort, page)| list_orders(search, status, sort, page),
    );
    view! {
        <Title text="Orders · Admin"/>
        <RequirePermission permission=Some(Permission::Orders)>
            <h1>"Orders"</h1>
            <OrderFilters/>
            <OrdersTable orders/>
        </RequirePermission>
    }
}

/// The list's search, status filter and sort: a GET form, so its values are the query string.
#[component]
fn OrderFilters() -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &'static str| move || query.read().get(name).unwrap_or_default();
    let chosen_status = field("status");
    let chosen_sort = field("sort");
    view! {
        <form method="get" class="inline-form list-filters" role="search">
            <input type="search" name="q" aria-label="Order number or email"
                placeholder="Order number or email" value=field("q")/>
            <select name="status" aria-label="Status">
                <option value="">"Any status"</option>
                {OrderStatus::ALL.map(|status| view! {
                    <option value=status.code() selected=move || chosen_status() == status.code()>{status.label()}</option>
                })}
            </select>
            <select name="sort" aria-label="Sort">
                {OrderSort::ALL.map(|sort| view! {
                    <option value=sort.code() selected=move || OrderSort::parse(&chosen_sort()) == sort>{sort.label()}</option>
                })}
            </select>
            <button type="submit" class="secondary">"Find"</button>
        </form>
    }
}

#[component]
fn OrdersTable(orders: Resource<Result<OrderList, CommerceError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match orders.await {
                    Ok(list) if list.items.is_empty() => view! { <p class="empty">"No orders match."</p> }.into_any(),
                    Ok(list) => view! {
                        <p class="list-count" data-testid="order-count">{format!("{} orders", list.total)}</p>
                        <div class="table-scroll">
                            <table class="admin-table">
                                <thead><tr><th>"Order"</th><th>"Placed"</th><th>"Customer"</th><th>"Items"</th><th>"Status"</th><th class="number">"Total"</th></tr></thead>
                                <tbody>
                                    {list.items.iter().map(|order| view! {
                                        <tr data-order=order.number.to_string()>
                                            <td><a href=format!("/admin/orders/{}", order.id)>{format!("#{}", order.number)}</a></td>
                                            <td>{order.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                            <td class="wrap">{order.email.clone()}</td>
                                            <td>{order.item_count}</td>
                                            <td>{order.status_label()}</td>
                                            <td class="number">{order.total.to_string()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <Pager page=list.page pages=list.page_count()/>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let params = use_params_map();
    let set_status = ServerAction::<SetOrderStatus>::new();
    let refund = ServerAction::<RefundOrder>::new();
    let id = move || params.read().get("id").and_then(|id| Uuid::parse_str(&id).ok());
    let detail = Resource::new(
        move || (id(), set_status.version().get(), refund.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => admin_order(id).await,
                None => Err(CommerceError::OrderNotFound),
            }
        },
    );
    let error = Signal::derive(move || {
        set_status
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| refund.value().get().and_then(Result::err))
    });
    view! {
        <Title text="Order · Admin"/>
        <RequirePermission permission=Some(Permission::Orders)>
            <p><a href="/admin/orders">"← All orders"</a></p>
            <RefusalNotice error/>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <OrderAdmin detail set_status refund/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </RequirePermission>
    }
}

/// One order for staff: who and what, then the moves and the refund it allows.
#[component]
fn OrderAdmin(
    detail: OrderDetail,
    set_status: ServerAction<SetOrderStatus>,
    refund: ServerAction<RefundOrder>,
) -> impl IntoView {
    let order = detail.summary.clone();
    let (id, id_for_refund) = (order.id.to_string(), order.id.to_string());
    let moves: Vec<OrderStatus> =
        order.status.next().iter().copied().filter(|status| status.is_manual()).collect();
    let paid = !matches!(
        order.status,
        OrderStatus::PendingPayment | OrderStatus::Cancelled | OrderStatus::Refunded
    );
    let refundable = Money { minor: order.total.minor - order.refunded.minor, ..order.total };
    // The same form submitted twice is the same refund; after it, the key changes.
    let key = format!("admin-{}-{}", order.id, order.refunded.minor);
    view! {
        <h1 data-order=order.number.to_string()>{format!("Order #{}", order.number)}</h1>
        <p>
            {format!("Placed {} by ", order.created_at.format("%Y-%m-%d %H:%M UTC"))}
            <a href=format!("mailto:{}", order.email)>{order.email.clone()}</a>
            " · status: " <strong data-testid="order-status">{order.status_label()}</strong>
        </p>
        <div class="order-actions">
            {(!moves.is_empty()).then(|| view! {
                <ActionForm action=set_status attr:class="stacked-form">
                    <h2>"Move"</h2>
                    <input type="hidden" name="order_id" value=id/>
                    <label>"New status"
                        <select name="status">
                            {moves.into_iter().map(|status| view! { <option value=status.code()>{status.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Note" <input name="note" placeholder="Tracking number …"/></label>
                    <button type="submit" class="secondary">"Move"</button>
                </ActionForm>
            })}
            {paid.then(|| view! {
                <ActionForm action=refund attr:class="stacked-form">
                    <h2>"Refund"</h2>
                    <input type="hidden" name="order_id" value=id_for_refund/>
                    <input type="hidden" name="idempotency_key" value=key/>
                    <label>{format!("Amount ({} refundable)", refundable)}
                        <input name="amount" size="8" value=Money::plain(refundable.minor)/>
                    </label>
                    <label>"Reason" <input name="reason"/></label>
                    <label class="checkbox"><input type="checkbox" name="restock" value="1"/>" Put the items back in stock"</label>
                    <button type="submit" class="secondary">"Refund"</button>
                </ActionForm>
            })}
        </div>
        <OrderRecord detail/>
    }
}
