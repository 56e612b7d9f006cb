//! `/admin/analytics` (permission `analytics`): how the shop is doing over a date range, read at
//! a glance: revenue, orders and the average order, charts of revenue, orders and photo
//! searches per day, the funnel from product views to paid orders, top products and categories,
//! top and zero-result searches, each recommendation row's click-through, the variants running
//! out, and the customer segments. Charts are SVG drawn with the page and the range is a plain
//! `GET` form, so all of it works without JavaScript; each table exports as CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::charts::{DailyBars, Formatter, FunnelBars};
use super::RequirePermission;
use crate::server_fns::admin::{analytics_dashboard, RecomputeSegments, ANALYTICS_EXPORT};
use crate::types::{day_text, Currency, Dashboard, Money, Permission, QueryFigures, TopItem};

#[component]
pub fn AdminAnalyticsPage() -> impl IntoView {
    let query = use_query_map();
    let range = move || {
        let query = query.read();
        (query.get("from").unwrap_or_default(), query.get("to").unwrap_or_default())
    };
    // Created outside the permission check's Suspense (see AdminProductsPage).
    let recompute = ServerAction::<RecomputeSegments>::new();
    let dashboard = Resource::new(range, |(from, to)| analytics_dashboard(from, to));
    view! {
        <Title text="Analytics · Admin"/>
        <RequirePermission permission=Some(Permission::Analytics)>
            <h1>"Analytics"</h1>
            <form method="get" action="/admin/analytics" class="inline-form analytics-range">
                <label>"From" <input type="date" name="from" value=move || range().0/></label>
                <label>"To" <input type="date" name="to" value=move || range().1/></label>
                <button type="submit">"Show"</button>
                <span class="hint">"UTC days; blank: the last 30 days"</span>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match dashboard.await {
                        Ok(dashboard) => view! { <Figures dashboard recompute/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </RequirePermission>
    }
}

#[component]
fn Figures(dashboard: Dashboard, recompute: ServerAction<RecomputeSegments>) -> impl IntoView {
    let currency = Currency::parse(&dashboard.currency).unwrap_or(Currency::Eur);
    let money: Formatter = std::sync::Arc::new(move |minor| Money { minor, currency }.to_string());
    let count: Formatter = std::sync::Arc::new(|n| n.to_string());
    let from = day_text(dashboard.range.from);
    let to = day_text(dashboard.range.to);
    let csv = move |table: &str| format!("{ANALYTICS_EXPORT}?table={table}&from={from}&to={to}");
    let totals = dashboard.totals;
    let per_day = |pick: fn(&crate::types::DayFigures) -> i64| {
        dashboard.days.iter().map(|d| (d.day, pick(d))).collect::<Vec<_>>()
    };
    let (revenue, orders, photos) =
        (per_day(|d| d.revenue_minor), per_day(|d| d.orders), per_day(|d| d.photo_searches));
    let funnel: Vec<(String, i64)> =
        dashboard.funnel.iter().map(|s| (s.step.clone(), s.count)).collect();
    let m = money.clone();
    view! {
        <p class="hint" data-testid="analytics-range">
            {format!("{} to {}, in {}", day_text(dashboard.range.from), day_text(dashboard.range.to), dashboard.currency)}
        </p>
        <div class="analytics-totals">
            <div data-testid="total-revenue"><span>"Revenue"</span><strong>{m(totals.revenue_minor)}</strong></div>
            <div data-testid="total-orders"><span>"Paid orders"</span><strong>{totals.orders}</strong></div>
            <div data-testid="average-order"><span>"Average order"</span>
                <strong>{totals.average_order_minor.map(|minor| money(minor)).unwrap_or_else(|| "—".to_owned())}</strong></div>
            <div><span>"Refunded"</span><strong>{money(totals.refunded_minor)}</strong></div>
        </div>
        <section class="analytics-charts">
            <h2>"Revenue per day" <a class="csv" href=csv("sales")>"CSV"</a></h2>
            <DailyBars title="Revenue".to_owned() values=revenue format=money.clone()/>
            <h2>"Paid orders per day"</h2>
            <DailyBars title="Paid orders".to_owned() values=orders format=count.clone()/>
            <h2>"Searches by photo per day"</h2>
            <DailyBars title="Searches by photo".to_owned() values=photos format=count class="chart-bar alt"/>
            <h2>"From product views to paid orders" <a class="csv" href=csv("funnel")>"CSV"</a></h2>
            <FunnelBars steps=funnel/>
        </section>
        <section class="analytics-tables">
            <Top title="Top products" items=dashboard.top_products money=money.clone() csv=csv("products") base="/products/"/>
            <Top title="Top categories" items=dashboard.top_categories money=money.clone() csv=csv("categories") base="/categories/"/>
            <Queries title="Top searches" queries=dashboard.top_queries csv=csv("queries")/>
            <Queries title="Searches that found nothing" queries=dashboard.zero_result_queries csv=csv("zero_result_queries")/>
            <div>
                <h2>"Recommendation rows" <a class="csv" href=csv("recommendations")>"CSV"</a></h2>
                <table class="admin-table" data-testid="analytics-rows">
                    <thead><tr><th>"Row"</th><th>"Impressions"</th><th>"Clicks"</th><th>"Click-through"</th></tr></thead>
                    <tbody>
                        {dashboard.rows.into_iter().map(|row| view! {
                            <tr><td>{row.row_name}</td><td>{row.impressions}</td><td>{row.clicks}</td>
                                <td>{row.ctr.map(|ctr| format!("{:.1} %", ctr * 100.0)).unwrap_or_else(|| "—".to_owned())}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div>
                <h2>"Running out" <a class="csv" href=csv("stock_alerts")>"CSV"</a></h2>
                <table class="admin-table" data-testid="stock-alerts">
                    <thead><tr><th>"SKU"</th><th>"Product"</th><th>"Left to sell"</th><th>"Product sold"</th></tr></thead>
                    <tbody>
                        {dashboard.stock_alerts.into_iter().map(|alert| view! {
                            <tr><td><code>{alert.sku}</code></td>
                                <td><a href=format!("/products/{}", alert.product_slug)>{alert.product_name}</a></td>
                                <td>{alert.available}</td><td>{alert.units_sold}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div>
                <h2>"Customer segments" <a class="csv" href=csv("segments")>"CSV"</a></h2>
                <p class="hint">
                    {dashboard.segments.first().map(|s| format!("By recency, frequency and spend (k-means), computed {}. ", s.computed_at.format("%Y-%m-%d %H:%M UTC")))}
                </p>
                <ActionForm action=recompute attr:class="inline-form">
                    <button type="submit" class="secondary">"Recompute segments"</button>
                    {move || recompute.value().get().map(|answer| match answer {
                        Ok(()) => "Queued: a worker recomputes them in a moment.".to_owned(),
                        Err(error) => error.to_string(),
                    })}
                </ActionForm>
                <table class="admin-table" data-testid="segments">
                    <thead><tr><th>"Segment"</th><th>"Customers"</th><th>"Days since last order"</th><th>"Orders"</th><th>"Spend"</th></tr></thead>
                    <tbody>
                        {dashboard.segments.into_iter().map(|segment| {
                            let spend = Money { minor: segment.avg_spend_minor.round() as i64,
                                currency: Currency::parse(&segment.currency).unwrap_or(Currency::Eur) };
                            view! {
                                <tr><td>{segment.label}</td><td>{segment.customers}</td>
                                    <td>{format!("{:.0}", segment.avg_recency_days)}</td>
                                    <td>{format!("{:.1}", segment.avg_orders)}</td><td>{spend.to_string()}</td></tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn Top(
    title: &'static str,
    items: Vec<TopItem>,
    money: Formatter,
    csv: String,
    base: &'static str,
) -> impl IntoView {
    view! {
        <div>
            <h2>{title} " " <a class="csv" href=csv>"CSV"</a></h2>
            <table class="admin-table" data-testid="top-table">
                <thead><tr><th>"Name"</th><th>"Units"</th><th>"Revenue"</th><th>"Views"</th></tr></thead>
                <tbody>
                    {items.into_iter().map(|item| view! {
                        <tr><td><a href=format!("{base}{}", item.slug)>{item.name}</a></td><td>{item.units}</td>
                            <td>{money(item.revenue_minor)}</td><td>{item.views}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Queries(title: &'static str, queries: Vec<QueryFigures>, csv: String) -> impl IntoView {
    view! {
        <div>
            <h2>{title} " " <a class="csv" href=csv>"CSV"</a></h2>
            <table class="admin-table" data-testid="query-table">
                <thead><tr><th>"Search"</th><th>"Times"</th><th>"Found nothing"</th><th>"Clicks"</th></tr></thead>
                <tbody>
                    {queries.into_iter().map(|query| view! {
                        <tr><td>{query.query}</td><td>{query.searches}</td><td>{query.empty}</td><td>{query.clicks}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
