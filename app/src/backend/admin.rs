//! The admin area's queries and writes; every write is audited in its own transaction.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::audit::{self, Entry};
use super::auth::{unavailable, CurrentUser};
use crate::admin::{AdminUser, AuditEntry};
use crate::auth::Role;
use crate::error::AuthError;

struct UserRow {
    id: Uuid,
    email: String,
    role: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserRow> for AdminUser {
    fn from(row: UserRow) -> Self {
        AdminUser {
            id: row.id,
            email: row.email,
            role: Role::parse(&row.role).unwrap_or(Role::Customer),
            created_at: row.created_at.to_rfc3339(),
        }
    }
}

pub async fn list_users(pool: &PgPool, limit: i64) -> Result<Vec<AdminUser>, AuthError> {
    let rows = sqlx::query_as!(
        UserRow,
        "SELECT id, email, role, created_at FROM users ORDER BY created_at DESC, id LIMIT $1",
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    Ok(rows.into_iter().map(AdminUser::from).collect())
}

/// Gives `user` the `role`; the last admin cannot be demoted (the shop would have none).
pub async fn set_role(
    pool: &PgPool,
    actor: &CurrentUser,
    user: Uuid,
    role: Role,
) -> Result<AdminUser, AuthError> {
    let mut tx = pool.begin().await.map_err(unavailable)?;
    // Locks every admin row, so two demotions at once cannot both pass the last-admin check.
    let admins = sqlx::query_scalar!("SELECT id FROM users WHERE role = 'admin' FOR UPDATE")
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
    let before = sqlx::query_scalar!("SELECT role FROM users WHERE id = $1 FOR UPDATE", user)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?
        .ok_or(AuthError::UnknownUser)?;
    if before == Role::Admin.as_str() && role != Role::Admin && admins.len() <= 1 {
        return Err(AuthError::LastAdmin);
    }
    let row = sqlx::query_as!(
        UserRow,
        "UPDATE users SET role = $2 WHERE id = $1 RETURNING id, email, role, created_at",
        user,
        role.as_str()
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(unavailable)?;
    let entry = Entry {
        action: "users.role.update",
        entity: "user",
        entity_id: user.to_string(),
        before: Some(json!({ "role": before })),
        after: Some(json!({ "role": role.as_str() })),
    };
    audit::record(&mut tx, actor.actor(), entry).await.map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(row.into())
}

pub async fn audit_log(pool: &PgPool, limit: i64) -> Result<Vec<AuditEntry>, AuthError> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id, a.at, u.email AS "actor?", a.actor_role, host(a.ip) AS ip, a.action,
               a.entity, a.entity_id, a.before, a.after
        FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
        ORDER BY a.id DESC LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    Ok(rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: row.at.to_rfc3339(),
            actor: row.actor,
            actor_role: row.actor_role,
            ip: row.ip,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: row.before.map(|v| v.to_string()),
            after: row.after.map(|v| v.to_string()),
        })
        .collect())
}
