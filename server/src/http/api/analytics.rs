//! `GET /api/admin/analytics.csv?table=…&from=…&to=…`: one table of the analytics dashboard
//! as CSV (permission `analytics`); the tables are `app::types::ANALYTICS_TABLES`.

use app::backend::analytics::export;
use app::backend::auth::CurrentUser;
use app::backend::state::AppState;
use app::server_fns::admin::{check, ANALYTICS_EXPORT};
use app::types::{day_text, AnalyticsError, DateRange, Refusal};
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    table: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    check(ANALYTICS_EXPORT, &user)?;
    let Ok(Query(params)) = params else { return Err(AnalyticsError::BadRequest.into()) };
    let range = DateRange::read(&params.from, &params.to, chrono::Utc::now().date_naive())
        .map_err(AnalyticsError::BadRange)?;
    let csv = export::table(&state.db, range, &params.table)
        .await
        .map_err(AnalyticsError::unavailable)?
        .ok_or(AnalyticsError::UnknownTable)?;
    let file_name = format!("{}-{}-{}.csv", params.table, day_text(range.from), day_text(range.to));
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        csv,
    )
        .into_response())
}
