//! The audit log: every staff or admin write records who did it, from where, what changed and
//! the values before and after, in the same transaction as the change itself.

use serde_json::Value;
use sqlx::PgConnection;

use crate::types::Role;
use crate::types::{AuditEntry, AuthError, ListPage, Refusal};

/// Who made a change: a signed-in account, or a command run on the server.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Account { id: uuid::Uuid, role: Role, ip: Option<std::net::IpAddr> },
    Command,
}

impl Actor {
    /// The account behind the change, if it was not a command.
    pub fn user_id(&self) -> Option<uuid::Uuid> {
        match self {
            Actor::Account { id, .. } => Some(*id),
            Actor::Command => None,
        }
    }
}

/// One write, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// What was done, `area.entity.verb`: `users.role.update`.
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Records `entry` by `actor` (call it inside the change's transaction).
pub async fn record(
    conn: &mut PgConnection,
    actor: Actor,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    let (actor_id, role, ip) = match actor {
        Actor::Account { id, role, ip } => (Some(id), role.as_str(), ip.map(|ip| ip.to_string())),
        Actor::Command => (None, "command", None),
    };
    sqlx::query!(
        r#"
        INSERT INTO audit_log (actor_id, actor_role, ip, action, entity, entity_id, before, after)
        VALUES ($1, $2, $3::text::inet, $4, $5, $6, $7, $8)
        "#,
        actor_id,
        role,
        ip,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.before,
        entry.after,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Entries on the audit log's page.
pub const AUDIT_PER_PAGE: i64 = 100;

/// A page of the newest entries, for the admin area (with the actor's email): those whose
/// action, entity, entity id or actor's email contains `search` (empty: all).
pub async fn recent(
    pool: &sqlx::PgPool,
    search: &str,
    page: i64,
) -> Result<ListPage<AuditEntry>, AuthError> {
    let search = search.trim();
    let pattern = (!search.is_empty()).then(|| crate::backend::db::ilike_pattern(search));
    let page = page.max(1);
    let per_page = AUDIT_PER_PAGE;
    let items = entries(pool, None, pattern.as_deref(), per_page, (page - 1) * per_page).await?;
    let total = sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
        WHERE $1::text IS NULL OR a.action ILIKE $1 OR a.entity ILIKE $1 OR a.entity_id ILIKE $1
           OR u.email ILIKE $1
        "#,
        pattern,
    )
    .fetch_one(pool)
    .await
    .map_err(AuthError::unavailable)?;
    Ok(ListPage { items, total, page, per_page })
}

/// The entries a user made or that are about their account (their data export).
pub async fn of_user(
    pool: &sqlx::PgPool,
    user: uuid::Uuid,
    limit: i64,
) -> Result<Vec<AuditEntry>, AuthError> {
    entries(pool, Some(user), None, limit, 0).await
}

async fn entries(
    pool: &sqlx::PgPool,
    user: Option<uuid::Uuid>,
    pattern: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditEntry>, AuthError> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id, a.at, u.email AS "actor?", a.actor_role, host(a.ip) AS ip, a.action,
               a.entity, a.entity_id, a.before, a.after
        FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
        WHERE ($1::uuid IS NULL OR a.actor_id = $1 OR (a.entity = 'user' AND a.entity_id = $1::text))
          AND ($2::text IS NULL OR a.action ILIKE $2 OR a.entity ILIKE $2 OR a.entity_id ILIKE $2
               OR u.email ILIKE $2)
        ORDER BY a.id DESC LIMIT $3 OFFSET $4
        "#,
        user,
        pattern,
        limit,
        offset,
    )
    .fetch_all(pool)
    .await
    .map_err(AuthError::unavailable)?;
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
