//! The account endpoints under `/api/auth/`. Browsers get the session as HttpOnly cookies; API
//! clients get the same tokens in the JSON body and send the access token as
//! `Authorization: Bearer`, the refresh token in the body of `/api/auth/refresh`.

use app::backend::auth::accounts::{self, Session};
use app::backend::auth::session::{self, cleared_cookies, cookie, session_cookies, REFRESH_COOKIE};
use app::backend::auth::tokens::ACCESS_TTL;
use app::backend::auth::{CurrentUser, MaybeUser};
use app::backend::state::AppState;
use app::backend::{privacy, shopper};
use app::types::{Account, AuthError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::error::{json_body, ApiError};

/// The client's address as the throttles key it ("unknown" without one).
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = session::client_ip(parts, &state.auth);
        Ok(ClientAddress(ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())))
    }
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// A new session, for API clients (browsers use the cookies set with it).
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionBody {
    pub account: Account,
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds the access token is valid for.
    pub expires_in: u64,
}

fn session_response(state: &AppState, status: StatusCode, session: Session) -> Response {
    let cookies = session_cookies(&state.auth, &session);
    let body = SessionBody {
        account: session.account,
        access_token: session.access,
        refresh_token: session.refresh,
        token_type: "Bearer".to_owned(),
        expires_in: ACCESS_TTL.as_secs(),
    };
    let mut response = (status, Json(body)).into_response();
    for value in cookies {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

pub async fn register(
    State(state): State<AppState>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Credentials { email, password } = json_body(body)?;
    let session = accounts::register(&state.db, &state.auth, &email, password, &ip).await?;
    Ok(signed_in(&state, &headers, StatusCode::CREATED, session).await)
}

pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(ip): ClientAddress,
    headers: HeaderMap,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Credentials { email, password } = json_body(body)?;
    let session = accounts::sign_in(&state.db, &state.auth, &email, password, &ip).await?;
    Ok(signed_in(&state, &headers, StatusCode::OK, session).await)
}

/// The new session's response; a guest's cart joins the account first.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    session: Session,
) -> Response {
    let cleared_cart = shopper::adopt_guest_cart(state, headers, session.account.id).await;
    let mut response = session_response(state, status, session);
    if let Some(value) = cleared_cart {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

#[derive(Debug, Default, Deserialize)]
pub struct RefreshBody {
    pub refresh_token: Option<String>,
}

/// The refresh token of the request: the body's (API clients), else the cookie's (browsers).
fn refresh_token(headers: &HeaderMap, body: Option<Json<RefreshBody>>) -> Option<String> {
    body.and_then(|Json(body)| body.refresh_token).or_else(|| cookie(headers, REFRESH_COOKIE))
}

pub async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Option<Json<RefreshBody>>,
) -> Result<Response, Response> {
    let token = refresh_token(&headers, body)
        .ok_or_else(|| signed_out(&state, AuthError::Unauthenticated))?;
    match accounts::refresh(&state.db, &state.auth, &token).await {
        Ok(session) => Ok(session_response(&state, StatusCode::OK, session)),
        Err(error) => Err(signed_out(&state, error)),
    }
}

/// The error, with the browser's session cookies removed.
fn signed_out(state: &AppState, error: AuthError) -> Response {
    clearing_session(state, ApiError::from(error).into_response())
}

/// `response`, removing the browser's session cookies.
fn clearing_session(state: &AppState, mut response: Response) -> Response {
    for value in cleared_cookies(&state.auth) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

pub async fn sign_out(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Option<Json<RefreshBody>>,
) -> Result<Response, ApiError> {
    let refresh = refresh_token(&headers, body);
    accounts::sign_out(&state.db, &state.auth, refresh.as_deref(), user.as_ref()).await?;
    Ok(clearing_session(&state, StatusCode::NO_CONTENT.into_response()))
}

pub async fn me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(accounts::account(&state.db, &state.auth, user.id).await?))
}

/// `GET /api/auth/me/data`: everything the shop holds about the account, as a JSON download.
pub async fn my_data(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let data = privacy::export(&state.db, &user).await?;
    let headers = [
        (CONTENT_DISPOSITION, "attachment; filename=\"vitrine-data.json\""),
        // Personal data: never kept by a shared cache or the browser's.
        (CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, Json(data)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct AccountDeletion {
    pub password: String,
}

/// `DELETE /api/auth/me` with the password: the account is deleted (orders kept, anonymised)
/// and the browser's session cookies removed.
pub async fn delete_me(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Result<Json<AccountDeletion>, JsonRejection>,
) -> Result<Response, ApiError> {
    let deletion = json_body(body)?;
    privacy::delete_account(&state.db, &state.auth, &user, deletion.password).await?;
    Ok(clearing_session(&state, StatusCode::NO_CONTENT.into_response()))
}

#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<Response, ApiError> {
    let change = json_body(body)?;
    let session = accounts::change_password(
        &state.db,
        &state.auth,
        user.id,
        change.current_password,
        change.new_password,
    )
    .await?;
    Ok(session_response(&state, StatusCode::OK, session))
}

#[derive(Debug, Deserialize)]
pub struct ResetRequest {
    pub email: String,
}

/// Always `202`: whether the email has an account is not revealed.
pub async fn request_reset(
    State(state): State<AppState>,
    ClientAddress(ip): ClientAddress,
    body: Result<Json<ResetRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let ResetRequest { email } = json_body(body)?;
    // The email is in the outbox; the worker's relay sends it.
    accounts::request_reset(&state.db, &state.auth, &email, &ip).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize)]
pub struct ResetConfirm {
    pub token: String,
    pub new_password: String,
}

pub async fn confirm_reset(
    State(state): State<AppState>,
    body: Result<Json<ResetConfirm>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let ResetConfirm { token, new_password } = json_body(body)?;
    accounts::reset_password(&state.db, &state.auth, &token, new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
