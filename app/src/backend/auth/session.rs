//! The current user of a request, for axum handlers and server functions alike: an access token
//! from `Authorization: Bearer` (API clients) or the HttpOnly session cookie (browsers). Also the
//! session cookies themselves and the client's address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use uuid::Uuid;

use super::accounts::Session;
use super::live_sessions::Standing;
use super::tokens::{TokenType, ACCESS_TTL, REFRESH_TTL};
use super::Auth;
use crate::backend::api_error::ApiError;
use crate::backend::state::AppState;
use crate::types::{AuthError, Permission, Refusal, Role};

pub const ACCESS_COOKIE: &str = "vitrine_access";
pub const REFRESH_COOKIE: &str = "vitrine_refresh";

/// A signed-in user, from a valid access token. Extracting it from a request without one is
/// `401`; [`CurrentUser::require`] turns a missing permission into `403`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: Uuid,
    pub role: Role,
    /// The sign-in this request belongs to (its refresh-token family).
    pub session: Uuid,
    pub permissions: Vec<Permission>,
    /// Where the request came from (for the audit log and throttling).
    pub ip: Option<IpAddr>,
}

impl CurrentUser {
    pub fn require(&self, permission: Permission) -> Result<(), AuthError> {
        if self.permissions.contains(&permission) {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }

    /// This user as the author of an audited change.
    pub fn actor(&self) -> crate::backend::audit::Actor {
        crate::backend::audit::Actor::Account { id: self.id, role: self.role, ip: self.ip }
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    /// A validly signed access token of a session that is still live, with the account's role
    /// as it is now (not as it was when the token was issued).
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let auth = &state.auth;
        let token = bearer_token(&parts.headers)
            .or_else(|| cookie(&parts.headers, ACCESS_COOKIE))
            .ok_or(AuthError::Unauthenticated)?;
        let claims =
            auth.keys.verify(&token, TokenType::Access).map_err(|_| AuthError::Unauthenticated)?;
        let session = claims.fam;
        let standing = auth
            .sessions
            .standing(&state.db, claims.sub, session)
            .await
            .map_err(AuthError::unavailable)?;
        let Standing::Live(role) = standing else { return Err(AuthError::Unauthenticated.into()) };
        Ok(CurrentUser {
            id: claims.sub,
            role,
            session,
            permissions: auth.permissions(role),
            ip: client_ip(parts, auth),
        })
    }
}

/// The signed-in user if there is one (pages that show more when signed in).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl<S> FromRequestParts<S> for MaybeUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(CurrentUser::from_request_parts(parts, state).await.ok()))
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The client's address: the connection's peer, or with `trust_forwarded_for` (behind a proxy
/// that sets it) the last address in `X-Forwarded-For`.
pub fn client_ip(parts: &Parts, auth: &Auth) -> Option<IpAddr> {
    if auth.trust_forwarded_for {
        let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        if let Some(ip) =
            forwarded.and_then(|v| v.rsplit(',').next()).and_then(|v| v.trim().parse().ok())
        {
            return Some(ip);
        }
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// A `Set-Cookie` value for an HttpOnly, `SameSite=Lax` cookie of the whole site.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("tokens are header-safe")
}

/// `Set-Cookie` values that store a session in the browser.
pub fn session_cookies(auth: &Auth, session: &Session) -> [HeaderValue; 2] {
    [
        set_cookie(ACCESS_COOKIE, &session.access, ACCESS_TTL.as_secs(), auth.secure_cookies),
        set_cookie(REFRESH_COOKIE, &session.refresh, REFRESH_TTL.as_secs(), auth.secure_cookies),
    ]
}

/// `Set-Cookie` values that remove the session from the browser.
pub fn cleared_cookies(auth: &Auth) -> [HeaderValue; 2] {
    [
        set_cookie(ACCESS_COOKIE, "", 0, auth.secure_cookies),
        set_cookie(REFRESH_COOKIE, "", 0, auth.secure_cookies),
    ]
}
