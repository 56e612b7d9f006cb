//! Users and roles: every account, and a role picker per account (audited).

use leptos::prelude::*;
use leptos_meta::Title;

use super::RequirePermission;
use crate::pages::account::{action_error, FormError};
use crate::server_fns::admin::{list_users, SetUserRole};
use crate::types::{AdminUser, AuthError, Permission, Role};

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    // Created outside the permission check's Suspense (see products.rs).
    let set_role = ServerAction::<SetUserRole>::new();
    let users = Resource::new(move || set_role.version().get(), |_| list_users());
    view! {
        <Title text="Users · Admin"/>
        <RequirePermission permission=Some(Permission::Users)>
            <UsersTable set_role users/>
        </RequirePermission>
    }
}

#[component]
fn UsersTable(
    set_role: ServerAction<SetUserRole>,
    users: Resource<Result<Vec<AdminUser>, AuthError>>,
) -> impl IntoView {
    view! {
        <h1>"Users and roles"</h1>
        <FormError error=action_error(set_role)/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(users) => view! {
                        <table class="admin-table">
                            <thead><tr><th>"Email"</th><th>"Since"</th><th>"Role"</th></tr></thead>
                            <tbody>
                                {users.into_iter().map(|user| {
                                    let label = format!("Role of {}", user.email);
                                    view! {
                                    <tr data-user=user.email.clone()>
                                        <td>{user.email.clone()}</td>
                                        <td>{user.created_at.get(..10).unwrap_or_default().to_owned()}</td>
                                        <td>
                                            <ActionForm action=set_role attr:class="inline-form">
                                                <input type="hidden" name="user_id" value=user.id.to_string()/>
                                                <select name="role" aria-label=label>
                                                    {[Role::Customer, Role::Staff, Role::Admin].map(|role| view! {
                                                        <option value=role.as_str() selected=role == user.role>{role.as_str()}</option>
                                                    })}
                                                </select>
                                                <button type="submit" class="secondary">"Save"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }}).collect_view()}
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
