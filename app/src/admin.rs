//! The admin area's server functions, and [`access_table`]: the one place that says which
//! permission each of them needs. Every admin server function starts with
//! `authorize::<Self>()`, which reads the table (and refuses a function missing from it); the
//! tests enumerate the table to try every function as every kind of user, and check that every
//! registered function under `/api/admin` is in it.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Permission, Role};
use crate::error::AuthError;

/// Where the admin server functions live.
pub const PREFIX: &str = "/api/admin";

/// Every admin server function's path and the permission it needs.
pub fn access_table() -> Vec<(&'static str, Permission)> {
    vec![
        (ListUsers::PATH, Permission::Users),
        (SetUserRole::PATH, Permission::Users),
        (AuditLog::PATH, Permission::Audit),
    ]
}

/// The signed-in user, if they hold the permission `F` is declared with in [`access_table`].
#[cfg(feature = "ssr")]
pub async fn authorize<F: ServerFn>() -> Result<crate::backend::auth::CurrentUser, AuthError> {
    let user = crate::backend::auth::request::current_user().await?;
    let declared = access_table().into_iter().find(|(path, _)| *path == F::PATH);
    let Some((_, permission)) = declared else {
        tracing::error!(path = F::PATH, "an admin server function is not in the access table");
        return Err(AuthError::Forbidden);
    };
    user.require(permission)?;
    Ok(user)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// The account that made the change (`None`: a command on the server).
    pub actor: Option<String>,
    pub actor_role: String,
    pub ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON of the values before and after.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// How many rows an admin list shows.
pub const LIST_LIMIT: i64 = 200;

#[server(prefix = "/api/admin", endpoint = "users")]
pub async fn list_users() -> Result<Vec<AdminUser>, AuthError> {
    authorize::<ListUsers>().await?;
    let state = expect_context::<crate::backend::state::AppState>();
    crate::backend::admin::list_users(&state.db, LIST_LIMIT).await
}

#[server(prefix = "/api/admin", endpoint = "users/role")]
pub async fn set_user_role(user_id: Uuid, role: Role) -> Result<AdminUser, AuthError> {
    let actor = authorize::<SetUserRole>().await?;
    let state = expect_context::<crate::backend::state::AppState>();
    crate::backend::admin::set_role(&state.db, &actor, user_id, role).await
}

#[server(prefix = "/api/admin", endpoint = "audit")]
pub async fn audit_log() -> Result<Vec<AuditEntry>, AuthError> {
    authorize::<AuditLog>().await?;
    let state = expect_context::<crate::backend::state::AppState>();
    crate::backend::admin::audit_log(&state.db, LIST_LIMIT).await
}
