//! Accounts on the server side: the settings that build [`Auth`], the silent session refresh in
//! front of every page, and `vitrine user create-admin`.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
use app::auth::{Permission, Role};
use app::backend::audit::{self, Actor, Entry};
use app::backend::auth::accounts::{self, normalize_email};
use app::backend::auth::password::{check_policy, Passwords};
use app::backend::auth::session::{cookie, session_cookies, ACCESS_COOKIE, REFRESH_COOKIE};
use app::backend::auth::throttle::ThrottleLimits;
use app::backend::auth::tokens::{TokenKeys, TokenType};
use app::backend::auth::{Auth, DEFAULT_STAFF_PERMISSIONS};
use app::backend::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, COOKIE, SET_COOKIE};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::cli::{AuthArgs, StorageArgs};

/// Builds the account settings: the token key from `--token-secret` (or the development key in
/// the state directory, created on first use), and the rest from the arguments.
pub fn build(args: &AuthArgs, storage: &StorageArgs) -> anyhow::Result<Auth> {
    let keys = match &args.token_secret {
        Some(secret) => TokenKeys::from_secret(secret.as_bytes())?,
        None => {
            let path = storage.state_dir.join("token-secret");
            tracing::info!(path = %path.display(), "signing tokens with the development key (set VITRINE_TOKEN_SECRET in production)");
            TokenKeys::load_or_create(&path)?
        }
    };
    let staff: BTreeSet<Permission> = match &args.staff_permissions {
        Some(names) => names
            .iter()
            .map(|name| {
                Permission::parse(name).with_context(|| format!("unknown permission {name:?}"))
            })
            .collect::<anyhow::Result<_>>()?,
        None => DEFAULT_STAFF_PERMISSIONS.into_iter().collect(),
    };
    let public_url = public_url(args);
    Ok(Auth {
        keys,
        passwords: Passwords::new(args.password_hash_concurrency),
        limits: ThrottleLimits::default(),
        staff_permissions: Arc::new(staff),
        secure_cookies: args.secure_cookies || public_url.starts_with("https://"),
        trust_forwarded_for: args.trust_forwarded_for,
        public_url,
    })
}

/// The shop's address as shoppers reach it (links in emails).
pub fn public_url(args: &AuthArgs) -> String {
    args.public_url.clone().unwrap_or_else(|| "http://127.0.0.1:3000".to_owned())
}

/// In front of every request: a browser whose access token is missing or expired but whose
/// refresh token is still good gets a new session on its next page load, so a sign-in lasts as
/// long as the refresh token (7 days of inactivity) without the page doing anything.
///
/// Only page loads (`GET` of HTML) refresh: a browser makes one at a time, so two requests never
/// race to rotate the same token (which would look like theft and end the session).
pub async fn refresh_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let is_page_load = request.method() == Method::GET
        && request
            .headers()
            .get(ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let headers = request.headers();
    let access_ok = cookie(headers, ACCESS_COOKIE)
        .is_some_and(|token| state.auth.keys.verify(&token, TokenType::Access).is_ok());
    let refresh = cookie(headers, REFRESH_COOKIE).filter(|token| !token.is_empty());
    let (true, false, Some(refresh)) = (is_page_load, access_ok, refresh) else {
        return next.run(request).await;
    };
    let Ok(session) = accounts::refresh(&state.db, &state.auth, &refresh).await else {
        // Reused, revoked or expired: the page renders signed out.
        return next.run(request).await;
    };
    // The page (and its server functions) see the new session in this very request.
    let cookie_header =
        format!("{ACCESS_COOKIE}={}; {REFRESH_COOKIE}={}", session.access, session.refresh);
    request.headers_mut().remove(COOKIE);
    request
        .headers_mut()
        .insert(COOKIE, HeaderValue::from_str(&cookie_header).expect("tokens are header-safe"));
    let mut response = next.run(request).await;
    for value in session_cookies(&state.auth, &session) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// `vitrine user create-admin`: makes `email` an admin, creating the account with `password`
/// when it does not exist (an existing account keeps its password). Audited as a command.
pub async fn create_admin(
    pool: &PgPool,
    passwords: &Passwords,
    email: &str,
    password: String,
) -> anyhow::Result<Uuid> {
    let email = normalize_email(email).map_err(|err| anyhow::anyhow!("{err}"))?;
    let mut tx = pool.begin().await?;
    let existing = sqlx::query!("SELECT id, role FROM users WHERE email = $1 FOR UPDATE", email)
        .fetch_optional(&mut *tx)
        .await?;
    let (id, before) = match existing {
        Some(user) => {
            sqlx::query!("UPDATE users SET role = 'admin' WHERE id = $1", user.id)
                .execute(&mut *tx)
                .await?;
            (user.id, Some(json!({ "role": user.role })))
        }
        None => {
            check_policy(&password).map_err(|err| anyhow::anyhow!("{err}"))?;
            let hash = passwords.hash(password).await.map_err(|err| anyhow::anyhow!("{err}"))?;
            let id = Uuid::now_v7();
            sqlx::query!(
                "INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, $3, 'admin')",
                id,
                email,
                hash
            )
            .execute(&mut *tx)
            .await?;
            (id, None)
        }
    };
    let entry = Entry {
        action: "users.role.update",
        entity: "user",
        entity_id: id.to_string(),
        before,
        after: Some(json!({ "role": Role::Admin.as_str(), "email": email })),
    };
    audit::record(&mut tx, Actor::Command, entry).await?;
    tx.commit().await?;
    Ok(id)
}
