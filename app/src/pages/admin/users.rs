//! Users and roles: the accounts (found by part of their email, narrowed to one role, a page at
//! a time), a role picker per account, and disabling an account (all audited).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{page_number, Pager, RequirePermission};
use crate::pages::account::{action_error, FormError};
use crate::server_fns::admin::{list_users, SetUserDisabled, SetUserRole};
use crate::types::{AdminUser, AuthError, ListPage, Permission, Role};

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let set_role = ServerAction::<SetUserRole>::new();
    let set_disabled = ServerAction::<SetUserDisabled>::new();
    let query = use_query_map();
    let users = Resource::new(
        move || {
            let query = query.read();
            let field = |name: &str| query.get(name).unwrap_or_default();
            let page = page_number(&query);
            (
                field("q"),
                field("role"),
                page,
                set_role.version().get(),
                set_disabled.version().get(),
            )
        },
        |(search, role, page, ..)| list_users(search, role, page),
    );
    view! {
        <Title text="Users · Admin"/>
        <RequirePermission permission=Some(Permission::Users)>
            <UsersTable set_role set_disabled users/>
        </RequirePermission>
    }
}

#[component]
fn UsersTable(
    set_role: ServerAction<SetUserRole>,
    set_disabled: ServerAction<SetUserDisabled>,
    users: Resource<Result<ListPage<AdminUser>, AuthError>>,
) -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &'static str| move || query.read().get(name).unwrap_or_default();
    let chosen_role = field("role");
    view! {
        <h1>"Users and roles"</h1>
        <form method="get" class="inline-form list-filters" role="search">
            <input type="search" name="q" aria-label="Email" placeholder="Email" value=field("q")/>
            <select name="role" aria-label="Role filter">
                <option value="">"Any role"</option>
                {Role::ALL.map(|role| view! {
                    <option value=role.as_str() selected=move || chosen_role() == role.as_str()>{role.as_str()}</option>
                })}
            </select>
            <button type="submit" class="secondary">"Find"</button>
        </form>
        <FormError error=action_error(set_role)/>
        <FormError error=action_error(set_disabled)/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) if list.items.is_empty() => view! { <p class="empty">"No accounts match."</p> }.into_any(),
                    Ok(list) => {
                        let (page, pages) = (list.page, list.page_count());
                        view! {
                        <p class="list-count" data-testid="user-count">{format!("{} accounts", list.total)}</p>
                        <div class="table-scroll">
                        <table class="admin-table">
                            <thead><tr><th>"Email"</th><th>"Since"</th><th>"Role"</th><th>"Access"</th></tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|user| {
                                    let label = format!("Role of {}", user.email);
                                    let (toggle, toggle_label) = if user.disabled {
                                        ("false", format!("Enable {}", user.email))
                                    } else {
                                        ("true", format!("Disable {}", user.email))
                                    };
                                    view! {
                                    <tr data-user=user.email.clone() data-disabled=user.disabled.to_string()>
                                        <td>{user.email.clone()}</td>
                                        <td>{user.created_at.get(..10).unwrap_or_default().to_owned()}</td>
                                        <td>
                                            <ActionForm action=set_role attr:class="inline-form">
                                                <input type="hidden" name="user_id" value=user.id.to_string()/>
                                                <select name="role" aria-label=label>
                                                                    {Role::ALL.map(|role| view! {
                                                        <option value=role.as_str() selected=role == user.role>{role.as_str()}</option>
                                                    })}
                                                </select>
                                                <button type="submit" class="secondary">"Save"</button>
                                            </ActionForm>
                                        </td>
                                        <td>
                                            <ActionForm action=set_disabled attr:class="inline-form">
                                                <input type="hidden" name="user_id" value=user.id.to_string()/>
                                                <input type="hidden" name="disabled" value=toggle/>
                                                {user.disabled.then(|| view! { <span class="badge">"Disabled"</span> })}
                                                <button type="submit" class="secondary" aria-label=toggle_label>
                                                    {if user.disabled { "Enable" } else { "Disable" }}
                                                </button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }}).collect_view()}
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
