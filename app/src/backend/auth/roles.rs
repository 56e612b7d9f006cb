//! Staff and their roles: the admin area's list of accounts, role changes, and disabling an
//! account (all audited, all felt by the account's sessions from their next request).

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::accounts;
use super::live_sessions::{Change, LiveSessions};
use super::CurrentUser;
use crate::backend::audit::{self, Entry};
use crate::types::{AdminUser, AuthError, ListPage, Refusal, Role, UserListQuery};

struct UserRow {
    id: Uuid,
    email: String,
    role: Role,
    created_at: chrono::DateTime<chrono::Utc>,
    disabled: bool,
}

impl From<UserRow> for AdminUser {
    fn from(row: UserRow) -> Self {
        AdminUser {
            id: row.id,
            email: row.email,
            role: row.role,
            created_at: row.created_at.to_rfc3339(),
            disabled: row.disabled,
        }
    }
}

/// Accounts on the users list per page.
pub const USERS_PER_PAGE: i64 = 50;

/// A page of accounts, newest first: those whose email contains `search`, of one role if asked.
pub async fn list_users(
    pool: &PgPool,
    query: &UserListQuery,
) -> Result<ListPage<AdminUser>, AuthError> {
    let search = query.search.trim();
    let pattern = (!search.is_empty()).then(|| crate::backend::db::ilike_pattern(search));
    let role = query.role.map(Role::as_str);
    let page = query.page.max(1);
    let per_page = USERS_PER_PAGE;
    let rows = sqlx::query_as!(
        UserRow,
        r#"
        SELECT id, email, role AS "role: Role", created_at, disabled_at IS NOT NULL AS "disabled!"
        FROM users
        WHERE deleted_at IS NULL AND ($1::text IS NULL OR email ILIKE $1) AND ($2::text IS NULL OR role = $2)
        ORDER BY created_at DESC, id LIMIT $3 OFFSET $4
        "#,
        pattern,
        role,
        per_page,
        (page - 1) * per_page,
    )
    .fetch_all(pool)
    .await
    .map_err(AuthError::unavailable)?;
    let total = sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM users
        WHERE deleted_at IS NULL AND ($1::text IS NULL OR email ILIKE $1) AND ($2::text IS NULL OR role = $2)
        "#,
        pattern,
        role,
    )
    .fetch_one(pool)
    .await
    .map_err(AuthError::unavailable)?;
    Ok(ListPage { items: rows.into_iter().map(AdminUser::from).collect(), total, page, per_page })
}

/// Gives `user` the `role`; the last active admin cannot be demoted (the shop would have none).
pub async fn set_role(
    pool: &PgPool,
    sessions: &LiveSessions,
    actor: &CurrentUser,
    user: Uuid,
    role: Role,
) -> Result<AdminUser, AuthError> {
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let (active_admins, target) = lock_for_change(&mut tx, user).await?;
    let before = target.role;
    if role != Role::Admin && target.is_last_admin(active_admins) {
        return Err(AuthError::LastAdmin);
    }
    let row = sqlx::query_as!(
        UserRow,
        r#"
        UPDATE users SET role = $2 WHERE id = $1
        RETURNING id, email, role AS "role: Role", created_at, disabled_at IS NOT NULL AS "disabled!"
        "#,
        user,
        role.as_str()
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?;
    let entry = Entry {
        action: "users.role.update",
        entity: "user",
        entity_id: user.to_string(),
        before: Some(json!({ "role": before.as_str() })),
        after: Some(json!({ "role": role.as_str() })),
    };
    audit::record(&mut tx, actor.actor(), entry).await.map_err(AuthError::unavailable)?;
    sessions.commit_announcing(tx, &[Change::User(user)]).await.map_err(AuthError::unavailable)?;
    Ok(row.into())
}

/// Disables `user` (no sign-in; every session ends at once) or enables it again. Nobody
/// disables their own account, and the last admin cannot be disabled.
pub async fn set_disabled(
    pool: &PgPool,
    sessions: &LiveSessions,
    actor: &CurrentUser,
    user: Uuid,
    disabled: bool,
) -> Result<AdminUser, AuthError> {
    if disabled && user == actor.id {
        return Err(AuthError::OwnAccount);
    }
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let (active_admins, target) = lock_for_change(&mut tx, user).await?;
    if disabled && target.is_last_admin(active_admins) {
        return Err(AuthError::LastAdmin);
    }
    let row = sqlx::query_as!(
        UserRow,
        r#"
        UPDATE users
        SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
        WHERE id = $1
        RETURNING id, email, role AS "role: Role", created_at, disabled_at IS NOT NULL AS "disabled!"
        "#,
        user,
        disabled
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?;
    if disabled {
        accounts::revoke_all(&mut tx, user).await.map_err(AuthError::unavailable)?;
    }
    let entry = Entry {
        action: if disabled { "users.disable" } else { "users.enable" },
        entity: "user",
        entity_id: user.to_string(),
        before: None,
        after: Some(json!({ "disabled": disabled })),
    };
    audit::record(&mut tx, actor.actor(), entry).await.map_err(AuthError::unavailable)?;
    sessions.commit_announcing(tx, &[Change::User(user)]).await.map_err(AuthError::unavailable)?;
    Ok(row.into())
}

/// The account an admin changes, locked.
struct Target {
    role: Role,
    disabled: bool,
}

impl Target {
    /// Whether the shop would have no active admin without this account.
    fn is_last_admin(&self, active_admins: i64) -> bool {
        self.role == Role::Admin && !self.disabled && active_admins <= 1
    }
}

/// Locks `user` (as [`lock_for_change`]) before their account is deleted, refusing the last
/// active admin.
pub(crate) async fn lock_for_deletion(tx: &mut PgConnection, user: Uuid) -> Result<(), AuthError> {
    let (active_admins, target) = lock_for_change(tx, user).await?;
    if target.is_last_admin(active_admins) {
        return Err(AuthError::LastAdmin);
    }
    Ok(())
}

/// Locks the rows of the active admins and then `user`'s (always in this order, so concurrent
/// changes cannot deadlock), and answers how many active admins there are and who `user` is
/// (`UnknownUser` for none, or one deleted).
async fn lock_for_change(tx: &mut PgConnection, user: Uuid) -> Result<(i64, Target), AuthError> {
    let active_admins = sqlx::query_scalar!(
        r#"
        SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL AND deleted_at IS NULL
        FOR UPDATE
        "#
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?
    .len() as i64;
    let target = sqlx::query_as!(
        Target,
        r#"
        SELECT role AS "role: Role", disabled_at IS NOT NULL AS "disabled!"
        FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
        "#,
        user
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?
    .ok_or(AuthError::UnknownUser)?;
    Ok((active_admins, target))
}
