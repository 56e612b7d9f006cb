//! The audit log: who changed what, when, from where, with the values before and after.

use leptos::prelude::*;
use leptos_meta::Title;

use super::RequirePermission;
use crate::server_fns::admin::audit_log;
use crate::types::{AuditEntry, AuthError, Permission};

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let entries = Resource::new(|| (), |_| audit_log());
    view! {
        <Title text="Audit log · Admin"/>
        <RequirePermission permission=Some(Permission::Audit)>
            <AuditTable entries/>
        </RequirePermission>
    }
}

#[component]
fn AuditTable(entries: Resource<Result<Vec<AuditEntry>, AuthError>>) -> impl IntoView {
    view! {
        <h1>"Audit log"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(entries) => view! {
                        <table class="admin-table">
                            <thead><tr>
                                <th>"When"</th><th>"Who"</th><th>"From"</th><th>"What"</th><th>"Before"</th><th>"After"</th>
                            </tr></thead>
                            <tbody>
                                {entries.into_iter().map(|entry| view! {
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
                    }
                    .into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
