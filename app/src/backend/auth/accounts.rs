//! Accounts: registering, signing in and out, rotating refresh tokens, changing and resetting
//! passwords. Every multi-step write is one transaction; the events it causes go to the outbox
//! in the same one.

use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::live_sessions::Change;
use super::password::{check_policy, Passwords};
use super::throttle::{self, Key};
use super::tokens::{TokenType, ACCESS_TTL, REFRESH_TTL};
use super::{Auth, CurrentUser};
use crate::backend::outbox::{self, AccountEvent, Email, ShopEvent, UserEvent};
use crate::types::{Account, AuthError, Refusal, Role};

/// A signed-in session: the two tokens, and whose they are.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub account: Account,
}

/// How long a password reset link works.
const RESET_TTL_MINUTES: i64 = 60;

/// The account's email as stored: trimmed and lowercased; refused unless it looks like one
/// address (`local@domain.tld`, at most 254 characters, no spaces).
pub fn normalize_email(raw: &str) -> Result<String, AuthError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|label| !label.is_empty())
        });
    if valid {
        Ok(email)
    } else {
        Err(AuthError::BadEmail)
    }
}

fn sha256(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

struct UserRow {
    id: Uuid,
    email: String,
    role: Role,
}

impl Auth {
    fn account(&self, user: UserRow) -> Account {
        let role = user.role;
        Account { id: user.id, email: user.email, role, permissions: self.permissions(role) }
    }

    /// Issues an access token and the first (or next) refresh token of `family`, storing the
    /// latter's hash.
    async fn issue_session(
        &self,
        conn: &mut PgConnection,
        account: Account,
        family: Uuid,
    ) -> Result<Session, sqlx::Error> {
        let (access, _) = self.keys.issue(account.id, TokenType::Access, family, ACCESS_TTL);
        let (refresh, claims) =
            self.keys.issue(account.id, TokenType::Refresh, family, REFRESH_TTL);
        sqlx::query!(
            r#"
            INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
            VALUES ($1, $2, $3, $4, to_timestamp($5))
            "#,
            claims.jti,
            family,
            account.id,
            sha256(&refresh),
            claims.exp as f64,
        )
        .execute(conn)
        .await?;
        Ok(Session { access, refresh, account })
    }
}

/// Starts a new session (a new family) for `user` in `tx`, then commits.
async fn commit_with_new_session(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    auth: &Auth,
    user: UserRow,
) -> Result<Session, AuthError> {
    let session = auth
        .issue_session(&mut tx, auth.account(user), Uuid::new_v4())
        .await
        .map_err(AuthError::unavailable)?;
    tx.commit().await.map_err(AuthError::unavailable)?;
    Ok(session)
}

/// Creates a customer account and signs it in.
pub async fn register(
    pool: &PgPool,
    auth: &Auth,
    email: &str,
    password: String,
    ip: &str,
) -> Result<Session, AuthError> {
    let email = normalize_email(email)?;
    check_policy(&password)?;
    throttle::hit(pool, Key::RegisterAddress(ip), auth.limits.registrations_per_ip_per_hour)
        .await?;
    let hash = auth.passwords.hash(password).await?;

    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let user = sqlx::query_as!(
        UserRow,
        r#"
        INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)
        ON CONFLICT (email) DO NOTHING
        RETURNING id, email, role AS "role: Role"
        "#,
        Uuid::now_v7(),
        email,
        hash,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?
    .ok_or(AuthError::EmailTaken)?;
    outbox::record(
        &mut tx,
        &ShopEvent::UserRegistered(AccountEvent { user_id: user.id, email: user.email.clone() }),
    )
    .await
    .map_err(AuthError::unavailable)?;
    commit_with_new_session(tx, auth, user).await
}

/// Signs in with email and password, unless the account or the address is throttled (then even
/// the right password is refused).
pub async fn sign_in(
    pool: &PgPool,
    auth: &Auth,
    email: &str,
    password: String,
    ip: &str,
) -> Result<Session, AuthError> {
    let email = normalize_email(email).map_err(|_| AuthError::InvalidCredentials)?;
    let limits = &auth.limits;
    let account_key = || Key::SignInAccount(&email);
    let address_key = || Key::SignInAddress(ip);
    throttle::check_sign_in(
        pool,
        account_key(),
        limits.sign_in_failures_per_account_per_hour,
        limits,
    )
    .await?;
    throttle::check_sign_in(pool, address_key(), limits.sign_in_failures_per_ip_per_hour, limits)
        .await?;

    let user = sqlx::query!(
        r#"
        SELECT id, email, role AS "role: Role", password_hash, disabled_at IS NOT NULL AS "disabled!"
        FROM users WHERE email = $1 AND deleted_at IS NULL
        "#,
        email
    )
    .fetch_optional(pool)
    .await
    .map_err(AuthError::unavailable)?;
    // Unknown emails cost the same work as wrong passwords (a decoy hash is verified).
    let hash = user.as_ref().map(|user| user.password_hash.clone());
    let verified = auth.passwords.verify(password, hash).await?;
    let Some(user) = user.filter(|_| verified) else {
        metrics::counter!("vitrine_sign_in_failures_total").increment(1);
        throttle::record_failure(pool, account_key()).await?;
        throttle::record_failure(pool, address_key()).await?;
        return Err(AuthError::InvalidCredentials);
    };
    throttle::record_success(pool, account_key()).await?;
    throttle::record_success(pool, address_key()).await?;
    // Said only to whoever knows the password.
    if user.disabled {
        return Err(AuthError::AccountDisabled);
    }

    let account = auth.account(UserRow { id: user.id, email: user.email, role: user.role });
    let mut conn = pool.acquire().await.map_err(AuthError::unavailable)?;
    auth.issue_session(&mut conn, account, Uuid::new_v4()).await.map_err(AuthError::unavailable)
}

/// Trades a refresh token for a new session in the same family. A token that was already
/// traded (or revoked) is a sign it was stolen: its whole family is revoked, and both the thief
/// and the owner must sign in again.
pub async fn refresh(pool: &PgPool, auth: &Auth, token: &str) -> Result<Session, AuthError> {
    let claims =
        auth.keys.verify(token, TokenType::Refresh).map_err(|_| AuthError::Unauthenticated)?;
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let stored = sqlx::query!(
        r#"
        SELECT family_id, user_id, token_hash,
               used_at IS NOT NULL OR revoked_at IS NOT NULL AS "spent!",
               expires_at <= now() AS "expired!"
        FROM refresh_tokens WHERE id = $1 FOR UPDATE
        "#,
        claims.jti
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?
    .filter(|row| row.token_hash == sha256(token) && row.family_id == claims.fam)
    .ok_or(AuthError::Unauthenticated)?;
    if stored.spent {
        revoke_family(&mut tx, stored.family_id).await.map_err(AuthError::unavailable)?;
        auth.sessions
            .commit_announcing(tx, &[Change::Session(stored.family_id)])
            .await
            .map_err(AuthError::unavailable)?;
        tracing::warn!(family = %stored.family_id, user = %stored.user_id, "refresh token reused: family revoked");
        return Err(AuthError::Unauthenticated);
    }
    if stored.expired {
        return Err(AuthError::Unauthenticated);
    }
    sqlx::query!("UPDATE refresh_tokens SET used_at = now() WHERE id = $1", claims.jti)
        .execute(&mut *tx)
        .await
        .map_err(AuthError::unavailable)?;
    let user = sqlx::query_as!(
        UserRow,
        r#"
        SELECT id, email, role AS "role: Role" FROM users
        WHERE id = $1 AND disabled_at IS NULL AND deleted_at IS NULL
        "#,
        stored.user_id
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?
    .ok_or(AuthError::Unauthenticated)?;
    let session = auth
        .issue_session(&mut tx, auth.account(user), stored.family_id)
        .await
        .map_err(AuthError::unavailable)?;
    tx.commit().await.map_err(AuthError::unavailable)?;
    Ok(session)
}

/// Ends a session, its access and refresh tokens alike: the one `refresh_token` belongs to, or
/// else the signed-in `user`'s (an API client may hold only the access token). An invalid token
/// and nobody signed in have nothing to end.
pub async fn sign_out(
    pool: &PgPool,
    auth: &Auth,
    refresh_token: Option<&str>,
    user: Option<&CurrentUser>,
) -> Result<(), AuthError> {
    let from_refresh = refresh_token
        .and_then(|token| auth.keys.verify(token, TokenType::Refresh).ok())
        .map(|claims| claims.fam);
    let Some(session) = from_refresh.or(user.map(|user| user.session)) else { return Ok(()) };
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    revoke_family(&mut tx, session).await.map_err(AuthError::unavailable)?;
    auth.sessions
        .commit_announcing(tx, &[Change::Session(session)])
        .await
        .map_err(AuthError::unavailable)
}

async fn revoke_family(conn: &mut PgConnection, family: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        family
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every session of a user (after a password change or reset, when the account is
/// disabled or deleted); commit with `Change::User`.
pub(crate) async fn revoke_all(conn: &mut PgConnection, user: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The account of a signed-in user, fresh from the database.
pub async fn account(pool: &PgPool, auth: &Auth, user: Uuid) -> Result<Account, AuthError> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, role AS "role: Role" FROM users WHERE id = $1"#,
        user
    )
    .fetch_optional(pool)
    .await
    .map_err(AuthError::unavailable)?
    .map(|row| auth.account(row))
    .ok_or(AuthError::Unauthenticated)
}

/// Changes the password after checking the current one. Every other session of the account
/// ends; this one continues with the new session returned.
pub async fn change_password(
    pool: &PgPool,
    auth: &Auth,
    user: Uuid,
    current: String,
    new: String,
) -> Result<Session, AuthError> {
    check_policy(&new)?;
    let stored = password_hash(pool, user).await?;
    if !auth.passwords.verify(current, Some(stored)).await? {
        return Err(AuthError::WrongPassword);
    }
    let hash = auth.passwords.hash(new).await?;
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let row = sqlx::query_as!(
        UserRow,
        r#"
        UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1
        RETURNING id, email, role AS "role: Role"
        "#,
        user,
        hash
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?;
    revoke_all(&mut tx, user).await.map_err(AuthError::unavailable)?;
    let event =
        ShopEvent::PasswordChanged(AccountEvent { user_id: user, email: row.email.clone() });
    outbox::record(&mut tx, &event).await.map_err(AuthError::unavailable)?;
    let session = auth
        .issue_session(&mut tx, auth.account(row), Uuid::new_v4())
        .await
        .map_err(AuthError::unavailable)?;
    auth.sessions
        .commit_announcing(tx, &[Change::User(user)])
        .await
        .map_err(AuthError::unavailable)?;
    Ok(session)
}

/// Starts a password reset: when the email has an account, a one-hour link goes to the outbox.
/// The answer is the same either way, so nobody learns which emails have accounts.
pub async fn request_reset(
    pool: &PgPool,
    auth: &Auth,
    email: &str,
    ip: &str,
) -> Result<Option<Email>, AuthError> {
    throttle::hit(pool, Key::ResetAddress(ip), auth.limits.resets_per_ip_per_hour).await?;
    let Ok(email) = normalize_email(email) else { return Ok(None) };
    throttle::hit(pool, Key::ResetAccount(&email), auth.limits.resets_per_account_per_hour).await?;
    let Some(user) = sqlx::query_scalar!(
        "SELECT id FROM users WHERE email = $1 AND disabled_at IS NULL AND deleted_at IS NULL",
        email
    )
    .fetch_optional(pool)
    .await
    .map_err(AuthError::unavailable)?
    else {
        return Ok(None);
    };
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let link = format!("{}/account/reset?token={token}", auth.public_url.trim_end_matches('/'));
    let mail = Email {
        to: email,
        subject: "Reset your Vitrine password".to_owned(),
        body: format!(
            "Someone asked to reset the password of your Vitrine account.\n\n\
             To choose a new password, open this link within an hour:\n{link}\n\n\
             If it was not you, ignore this email; your password stays as it is.\n"
        ),
    };
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    sqlx::query!(
        r#"
        INSERT INTO password_resets (token_hash, user_id, expires_at)
        VALUES ($1, $2, now() + make_interval(mins => $3))
        "#,
        sha256(&token),
        user,
        RESET_TTL_MINUTES as i32,
    )
    .execute(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?;
    outbox::record(&mut tx, &ShopEvent::PasswordResetEmail(mail.clone()))
        .await
        .map_err(AuthError::unavailable)?;
    tx.commit().await.map_err(AuthError::unavailable)?;
    Ok(Some(mail))
}

/// Sets a new password with a reset link's token (once; within the hour) and ends every session.
pub async fn reset_password(
    pool: &PgPool,
    auth: &Auth,
    token: &str,
    new: String,
) -> Result<(), AuthError> {
    check_policy(&new)?;
    let hash = auth.passwords.hash(new).await?;
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let user = sqlx::query_scalar!(
        r#"
        UPDATE password_resets SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id
        "#,
        sha256(token)
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?
    .ok_or(AuthError::InvalidResetToken)?;
    sqlx::query!(
        "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1",
        user,
        hash
    )
    .execute(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?;
    revoke_all(&mut tx, user).await.map_err(AuthError::unavailable)?;
    outbox::record(&mut tx, &ShopEvent::PasswordReset(UserEvent { user_id: user }))
        .await
        .map_err(AuthError::unavailable)?;
    auth.sessions.commit_announcing(tx, &[Change::User(user)]).await.map_err(AuthError::unavailable)
}

/// The account as its data export shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountRecord {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// RFC 3339.
    pub created_at: String,
    pub password_changed_at: String,
}

/// One sign-in as the data export shows it: when it began and was last refreshed, and whether
/// it has ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionRecord {
    pub started_at: String,
    pub last_refreshed_at: String,
    pub expires_at: String,
    pub ended: bool,
}

pub async fn record(pool: &PgPool, user: Uuid) -> Result<AccountRecord, AuthError> {
    let row = sqlx::query!(
        r#"
        SELECT id, email, role AS "role: Role", created_at, password_changed_at
        FROM users WHERE id = $1 AND deleted_at IS NULL
        "#,
        user
    )
    .fetch_optional(pool)
    .await
    .map_err(AuthError::unavailable)?
    .ok_or(AuthError::Unauthenticated)?;
    Ok(AccountRecord {
        id: row.id,
        email: row.email,
        role: row.role,
        created_at: row.created_at.to_rfc3339(),
        password_changed_at: row.password_changed_at.to_rfc3339(),
    })
}

/// Every sign-in of `user`, newest first.
pub async fn sessions(pool: &PgPool, user: Uuid) -> Result<Vec<SessionRecord>, AuthError> {
    let rows = sqlx::query!(
        r#"
        SELECT min(issued_at) AS "started!", max(issued_at) AS "refreshed!",
               max(expires_at) AS "expires!",
               bool_and(revoked_at IS NOT NULL) OR max(expires_at) <= now() AS "ended!"
        FROM refresh_tokens WHERE user_id = $1
        GROUP BY family_id ORDER BY 1 DESC
        "#,
        user
    )
    .fetch_all(pool)
    .await
    .map_err(AuthError::unavailable)?;
    Ok(rows
        .into_iter()
        .map(|row| SessionRecord {
            started_at: row.started.to_rfc3339(),
            last_refreshed_at: row.refreshed.to_rfc3339(),
            expires_at: row.expires.to_rfc3339(),
            ended: row.ended,
        })
        .collect())
}

/// The stored password hash of a live account (to confirm a sensitive action).
pub async fn password_hash(pool: &PgPool, user: Uuid) -> Result<String, AuthError> {
    sqlx::query_scalar!(
        "SELECT password_hash FROM users WHERE id = $1 AND deleted_at IS NULL",
        user
    )
    .fetch_optional(pool)
    .await
    .map_err(AuthError::unavailable)?
    .ok_or(AuthError::Unauthenticated)
}

/// Erases the person from `user`'s account row (in the deletion's transaction): the email
/// becomes [`erased_email`](crate::backend::privacy::erased_email), the password unusable, every
/// session and reset link ends, the shopper events recorded for them go. Answers the email the account had. Commit with
/// `Change::User`.
pub async fn anonymise(tx: &mut PgConnection, user: Uuid) -> Result<String, AuthError> {
    super::roles::lock_for_deletion(tx, user).await?;
    let email = sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", user)
        .fetch_one(&mut *tx)
        .await
        .map_err(AuthError::unavailable)?;
    sqlx::query!(
        r#"
        UPDATE users
        SET email = $2, password_hash = '!', role = 'customer', deleted_at = now()
        WHERE id = $1
        "#,
        user,
        crate::backend::privacy::erased_email(user)
    )
    .execute(&mut *tx)
    .await
    .map_err(AuthError::unavailable)?;
    sqlx::query!("DELETE FROM password_resets WHERE user_id = $1", user)
        .execute(&mut *tx)
        .await
        .map_err(AuthError::unavailable)?;
    crate::backend::recs::events::erase_account(&mut *tx, user)
        .await
        .map_err(AuthError::unavailable)?;
    revoke_all(tx, user).await.map_err(AuthError::unavailable)?;
    Ok(email)
}

/// `vitrine user create-admin`: makes `email` an admin, creating the account with `password`
/// when it does not exist (an existing account keeps its password). Audited as a command.
pub async fn create_admin(
    pool: &PgPool,
    passwords: &Passwords,
    email: &str,
    password: String,
) -> Result<Uuid, AuthError> {
    let email = normalize_email(email)?;
    let mut tx = pool.begin().await.map_err(AuthError::unavailable)?;
    let existing = sqlx::query!("SELECT id, role FROM users WHERE email = $1 FOR UPDATE", email)
        .fetch_optional(&mut *tx)
        .await
        .map_err(AuthError::unavailable)?;
    let (id, before) = match existing {
        Some(user) => {
            sqlx::query!("UPDATE users SET role = 'admin' WHERE id = $1", user.id)
                .execute(&mut *tx)
                .await
                .map_err(AuthError::unavailable)?;
            (user.id, Some(json!({ "role": user.role })))
        }
        None => {
            check_policy(&password)?;
            let hash = passwords.hash(password).await?;
            let id = Uuid::now_v7();
            sqlx::query!(
                "INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, $3, 'admin')",
                id,
                email,
                hash
            )
            .execute(&mut *tx)
            .await
            .map_err(AuthError::unavailable)?;
            (id, None)
        }
    };
    let entry = crate::backend::audit::Entry {
        action: "users.role.update",
        entity: "user",
        entity_id: id.to_string(),
        before,
        after: Some(json!({ "role": Role::Admin.as_str(), "email": email })),
    };
    crate::backend::audit::record(&mut tx, crate::backend::audit::Actor::Command, entry)
        .await
        .map_err(AuthError::unavailable)?;
    tx.commit().await.map_err(AuthError::unavailable)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM "), Ok("ada@example.com".into()));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.d",
            "ada@example..com",
        ] {
            assert_eq!(normalize_email(bad), Err(AuthError::BadEmail), "{bad:?}");
        }
    }
}
