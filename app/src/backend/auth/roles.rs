//! Staff and their roles: the admin area's list of accounts and role changes (audited).

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::CurrentUser;
use crate::backend::audit::{self, Entry};
use crate::types::{AdminUser, AuthError, Refusal, Role};

struct UserRow {
    id: Uuid,
    email: String,
    role: Role,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserRow> for AdminUser {
    fn from(row: UserRow) -> Self {
        AdminUser {
            id: row.id,
            email: row.email,
            role: row.role,
            created_at: row.created_at.to_rfc3339(),
        }
    }
}

pub async fn list_users(pool: &PgPool, limit: i64) -> Result<Vec<AdminUser>, AuthError> {
    let rows = sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, role AS "role: Role", created_at FROM users ORDER BY created_at DESC, id LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(AuthError::unavailable)?;
    Ok(rows.into_iter().map(AdminUser::from).collect())
}

/// Gives `user` the `role`; the last admin cannot be demoted (the shop would have none).
pub async fn set_role(
    pool: &PgPool,
    actor: &CurrentUser,
    user: Uuid,
    role: Role,
) -> Result<AdminUser, AuthError> {
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    // Locks every admin row, so two demotions at once cannot both pass the last-admin check.
    let admins = sqlx::query_scalar!("SELECT id FROM users WHERE role = 'admin' FOR UPDATE")
        .fetch_all(&mut *tx)
        .await
        .map_err(AuthError::unavailable)?;
    let before = sqlx::query_scalar!(
        r#"SELECT role AS "role: Role" FROM users WHERE id = $1 FOR UPDATE"#,
        user
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?
    .ok_or(AuthError::UnknownUser)?;
    if before == Role::Admin && role != Role::Admin && admins.len() <= 1 {
        return Err(AuthError::LastAdmin);
    }
    let row = sqlx::query_as!(
        UserRow,
        r#"UPDATE users SET role = $2 WHERE id = $1 RETURNING id, email, role AS "role: Role", created_at"#,
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
    tx.commit().await.map_err(AuthError::unavailable)?;
    Ok(row.into())
}
