//! The admin area. The whole area needs an account with at least one permission, and each
//! section its own permission; anyone else sees "not allowed" (with a 403), never the page. The
//! server functions behind the sections check the same permissions on every call
//! ([`crate::server_fns::admin::access_table`]).

pub mod analytics;
pub mod audit;
pub mod categories;
pub mod charts;
pub mod imports;
pub mod inventory;
pub mod jobs;
pub mod models;
pub mod orders;
pub mod product_form;
pub mod products;
pub mod users;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_query_map;

use crate::components::session::use_session;
use crate::pages::account::SignInFirst;
use crate::types::{Account, Permission};

/// The sections of the admin area and what each needs.
pub const SECTIONS: [(&str, &str, Permission); 10] = [
    ("/admin/products", "Products and images", Permission::Catalog),
    ("/admin/categories", "Categories", Permission::Catalog),
    ("/admin/imports", "Import and export", Permission::Catalog),
    ("/admin/inventory", "Inventory", Permission::Inventory),
    ("/admin/orders", "Orders and refunds", Permission::Orders),
    ("/admin/users", "Users and roles", Permission::Users),
    ("/admin/jobs", "Background jobs", Permission::Jobs),
    ("/admin/models", "Models", Permission::Models),
    ("/admin/analytics", "Analytics", Permission::Analytics),
    ("/admin/audit", "Audit log", Permission::Audit),
];

/// Shows `children` to accounts holding `permission` (any admin permission when `None`).
#[component]
pub fn RequirePermission(permission: Option<Permission>, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.account.await {
                    None => view! { <SignInFirst/> }.into_any(),
                    Some(account) if allowed(&account, permission) => children.read_value()().into_any(),
                    Some(_) => view! { <NotAllowed/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn allowed(account: &Account, permission: Option<Permission>) -> bool {
    match permission {
        Some(permission) => account.permissions.contains(&permission),
        None => !account.permissions.is_empty(),
    }
}

#[component]
fn NotAllowed() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    view! {
        <Title text="Not allowed"/>
        <h1>"Not allowed"</h1>
        <p data-testid="not-allowed">"Your account is not allowed to open this page."</p>
        <p><a href="/">"Back to the shop"</a></p>
    }
}

/// `/admin/*`: the area's navigation around the section.
#[component]
pub fn AdminArea() -> impl IntoView {
    let session = use_session();
    view! {
        <RequirePermission permission=None>
            <div class="admin-area">
                <nav class="admin-nav" aria-label="Admin">
                    <a href="/admin">"Overview"</a>
                    {move || Suspend::new(async move {
                        let account = session.account.await;
                        SECTIONS
                            .iter()
                            .filter(|(_, _, permission)| account.as_ref().is_some_and(|a| a.permissions.contains(permission)))
                            .map(|(href, label, _)| view! { <a href=*href>{*label}</a> })
                            .collect_view()
                    })}
                </nav>
                <div class="admin-section"><Outlet/></div>
            </div>
        </RequirePermission>
    }
}

#[component]
pub fn AdminHome() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Admin"/>
        <h1>"Admin"</h1>
        {move || Suspend::new(async move {
            let permissions = session.account.await.map(|a| a.permissions).unwrap_or_default();
            let names: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
            view! { <p>"Your account may manage: " {names.join(", ")} "."</p> }
        })}
    }
}

/// The page of a list the query string asks for (`?page=`, from 1; the first when missing).
pub fn page_number(query: &leptos_router::params::ParamsMap) -> i64 {
    query.get("page").and_then(|page| page.parse().ok()).unwrap_or(1)
}

/// Previous and next links that keep the rest of the query string.
#[component]
pub fn Pager(page: i64, pages: i64) -> impl IntoView {
    let query = use_query_map();
    let link = move |to: i64| {
        let mut params = query.get_untracked();
        params.replace("page", to.to_string());
        params.to_query_string()
    };
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(page > 1).then(|| view! { <a href=link(page - 1) rel="prev">"← Previous"</a> })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <a href=link(page + 1) rel="next">"Next →"</a> })}
            </nav>
        }
    })
}
