//! The audit log: who changed what, when, from where, with the values before and after; found
//! by part of an action, an entity or an email, a page at a time.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{page_number, Pager, RequirePermission};
use crate::server_fns::admin::audit_log;
use crate::types::{AuditEntry, AuthError, ListPage, Permission};

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let query = use_query_map();
    let entries = Resource::new(
        move || {
            let query = query.read();
            let page = page_number(&query);
            (query.get("q").unwrap_or_default(), page)
        },
        |(search, page)| audit_log(search, page),
    );
    view! {
        <Title text="Audit log · Admin"/>
        <RequirePermission permission=Some(Permission::Audit)>
            <AuditTable entries/>
        </RequirePermission>
    }
}

#[component]
fn AuditTable(entries: Resource<Result<ListPage<AuditEntry>, AuthError>>) -> impl IntoView {
    let query = use_query_map();
    view! {
        <h1>"Audit log"</h1>
        <form method="get" class="inline-form list-filters" role="search">
            <input type="search" name="q" aria-label="Action, entity or email"
                placeholder="Action, entity or email"
                value=move || query.read().get("q").unwrap_or_default()/>
            <button type="submit" class="secondary">"Find"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) if list.items.is_empty() => view! { <p class="empty">"No entries match."</p> }.into_any(),
                    Ok(list) => {
                        let (page, pages) = (list.page, list.page_count());
                        view! {
                        <p class="list-count" data-testid="audit-count">{format!("{} entries", list.total)}</p>
                        <div class="table-scroll">
                        <table class="admin-table">
                            <thead><tr>
                                <th>"When"</th><th>"Who"</th><th>"From"</th><th>"What"</th><th>"Before"</th><th>"After"</th>
                            </tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|entry| view! {
                                    <tr>
                                        <td>{entry.at.get(..19).unwrap_or_default().replace('T', " ")}</td>
                                        <td>{entry.actor.unwrap_or_else(|| "(server command)".to_owned())}" · "{entry.actor_role}</td>
                                        <td>{entry.ip.unwrap_or_default()}</td>
                                        <td>{entry.action}" "<code>{entry.entity}":"{entry.entity_id}</code></td>
                                        <td><code>{entry.before.unwrap_or_default()}</code></td>
                                        <td><code>{entry.after.unwrap_or_default()}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                        <Pager page pages/>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
