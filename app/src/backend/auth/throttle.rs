//! Throttling the account endpoints, in PostgreSQL so every web replica sees the same counts.
//!
//! - Sign-in failures are counted per account and per client address: past a number of
//!   consecutive failures each further attempt must wait twice as long as the last (1 s, 2 s,
//!   4 s … up to 15 min), and past a cap within one hour the key is locked until the hour ends.
//!   A locked account refuses even the right password, and a success resets only the run of
//!   consecutive failures, not the hour's count.
//! - Registrations and reset requests are plain attempts per hour.
//!
//! A refusal says how long to wait (`Retry-After`).

use std::time::Duration;

use sqlx::PgPool;

use crate::types::{AuthError, Refusal};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleLimits {
    pub sign_in_failures_per_account_per_hour: i32,
    pub sign_in_failures_per_ip_per_hour: i32,
    /// Consecutive failures allowed before the growing delay starts.
    pub free_failures: i32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub registrations_per_ip_per_hour: i32,
    pub resets_per_ip_per_hour: i32,
    pub resets_per_account_per_hour: i32,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            sign_in_failures_per_account_per_hour: 100,
            sign_in_failures_per_ip_per_hour: 1000,
            free_failures: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            registrations_per_ip_per_hour: 20,
            resets_per_ip_per_hour: 20,
            resets_per_account_per_hour: 5,
        }
    }
}

/// What a counter counts, and for whom.
#[derive(Debug, Clone)]
pub enum Key<'a> {
    SignInAccount(&'a str),
    SignInAddress(&'a str),
    RegisterAddress(&'a str),
    ResetAddress(&'a str),
    ResetAccount(&'a str),
}

impl Key<'_> {
    /// What is throttled, as the `vitrine_throttled_total` metric labels it.
    fn limit(&self) -> &'static str {
        match self {
            Key::SignInAccount(_) | Key::SignInAddress(_) => "sign_in",
            Key::RegisterAddress(_) => "register",
            Key::ResetAddress(_) | Key::ResetAccount(_) => "password_reset",
        }
    }

    fn text(&self) -> String {
        match self {
            Key::SignInAccount(email) => format!("sign-in:account:{email}"),
            Key::SignInAddress(ip) => format!("sign-in:ip:{ip}"),
            Key::RegisterAddress(ip) => format!("register:ip:{ip}"),
            Key::ResetAddress(ip) => format!("reset:ip:{ip}"),
            Key::ResetAccount(email) => format!("reset:account:{email}"),
        }
    }
}

fn too_many(key: &Key<'_>, wait_secs: f64) -> AuthError {
    metrics::counter!("vitrine_throttled_total", "limit" => key.limit()).increment(1);
    AuthError::TooManyAttempts { retry_after_secs: wait_secs.ceil().max(1.0) as u64 }
}

/// Refuses a sign-in while `key` is locked (over `per_hour` failures this hour) or still
/// waiting out its growing delay.
pub async fn check_sign_in(
    pool: &PgPool,
    key: Key<'_>,
    per_hour: i32,
    limits: &ThrottleLimits,
) -> Result<(), AuthError> {
    let wait = sqlx::query_scalar!(
        r#"
        SELECT GREATEST(
            CASE WHEN window_start > now() - interval '1 hour' AND attempts >= $2
                 THEN extract(epoch FROM window_start + interval '1 hour' - now())::float8 END,
            CASE WHEN consecutive_failures >= $3
                 THEN extract(epoch FROM last_failure_at
                      + make_interval(secs => least($5, $4 * power(2, consecutive_failures - $3)))
                      - now())::float8 END
        ) AS "wait"
        FROM auth_throttle WHERE key = $1
        "#,
        key.text(),
        per_hour,
        limits.free_failures,
        limits.base_delay.as_secs_f64(),
        limits.max_delay.as_secs_f64(),
    )
    .fetch_optional(pool)
    .await
    .map_err(AuthError::unavailable)?
    .flatten();
    match wait {
        Some(wait) if wait > 0.0 => Err(too_many(&key, wait)),
        _ => Ok(()),
    }
}

/// Counts a failed sign-in against `key`.
pub async fn record_failure(pool: &PgPool, key: Key<'_>) -> Result<(), AuthError> {
    sqlx::query!(
        r#"
        INSERT INTO auth_throttle (key, window_start, attempts, consecutive_failures, last_failure_at)
        VALUES ($1, now(), 1, 1, now())
        ON CONFLICT (key) DO UPDATE SET
            attempts = CASE WHEN auth_throttle.window_start <= now() - interval '1 hour'
                            THEN 1 ELSE auth_throttle.attempts + 1 END,
            window_start = CASE WHEN auth_throttle.window_start <= now() - interval '1 hour'
                                THEN now() ELSE auth_throttle.window_start END,
            consecutive_failures = auth_throttle.consecutive_failures + 1,
            last_failure_at = now()
        "#,
        key.text(),
    )
    .execute(pool)
    .await
    .map_err(AuthError::unavailable)?;
    Ok(())
}

/// Ends the run of consecutive failures of `key` (the hour's count stays).
pub async fn record_success(pool: &PgPool, key: Key<'_>) -> Result<(), AuthError> {
    sqlx::query!("UPDATE auth_throttle SET consecutive_failures = 0 WHERE key = $1", key.text())
        .execute(pool)
        .await
        .map_err(AuthError::unavailable)?;
    Ok(())
}

/// Counts one attempt against `key` and refuses it past `per_hour` attempts this hour.
pub async fn hit(pool: &PgPool, key: Key<'_>, per_hour: i32) -> Result<(), AuthError> {
    let row = sqlx::query!(
        r#"
        INSERT INTO auth_throttle (key, window_start, attempts) VALUES ($1, now(), 1)
        ON CONFLICT (key) DO UPDATE SET
            attempts = CASE WHEN auth_throttle.window_start <= now() - interval '1 hour'
                            THEN 1 ELSE auth_throttle.attempts + 1 END,
            window_start = CASE WHEN auth_throttle.window_start <= now() - interval '1 hour'
                                THEN now() ELSE auth_throttle.window_start END
        RETURNING attempts,
                  extract(epoch FROM window_start + interval '1 hour' - now())::float8 AS "wait!"
        "#,
        key.text(),
    )
    .fetch_one(pool)
    .await
    .map_err(AuthError::unavailable)?;
    if row.attempts > per_hour {
        return Err(too_many(&key, row.wait));
    }
    Ok(())
}
