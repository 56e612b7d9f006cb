//! Visual search over HTTP: `POST /api/search/by-image`, `GET /api/products/{id}/similar`, and
//! the search page's two ways in: `POST /search/photo`, its plain form, which works without
//! JavaScript, and `POST /api/search/queries`, which its WASM calls with a prepared photo.

use app::backend::inference::InferenceError;
use app::backend::search::{self, StoredQuery};
use app::backend::state::AppState;
use app::backend::vision::EmbedError;
use app::preprocess::{Limits, Region};
use app::types::{PhotoSearchError, Refusal, ScoredProduct, MAX_PHOTO_RESULTS, SIMILAR_ITEMS};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ApiError;
use super::photo_upload::{self, PhotoUpload, UploadedImage};

/// The answer of both JSON search endpoints.
#[derive(Debug, Serialize, Deserialize)]
pub struct SearchResults {
    /// The model whose embeddings were compared.
    pub model_version: String,
    pub results: Vec<ScoredProduct>,
}

pub async fn by_image(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<SearchResults>, ApiError> {
    let PhotoUpload { image, category, limit, region } =
        photo_upload::read(multipart, &Limits::default()).await?;
    let filter = search::category_filter(&state.db, category.as_deref()).await?;
    let embedding = embed(&state, image, region).await?;
    let version = state.images.model_version();
    let results =
        search::search_by_embedding(&state.db, &embedding, version, &filter, limit).await?;
    Ok(Json(SearchResults { model_version: version.to_owned(), results }))
}

#[derive(Debug, Deserialize)]
pub struct SimilarParams {
    limit: Option<i64>,
}

pub async fn similar(
    State(state): State<AppState>,
    product_id: Result<Path<Uuid>, PathRejection>,
    params: Result<Query<SimilarParams>, QueryRejection>,
) -> Result<Json<SearchResults>, ApiError> {
    let Ok(Path(product_id)) = product_id else {
        return Err(ApiError::bad_request("bad_product_id", "a product id is a UUID"));
    };
    let Ok(Query(params)) = params else {
        return Err(PhotoSearchError::BadLimit { max: MAX_PHOTO_RESULTS }.into());
    };
    let limit = params.limit.unwrap_or(SIMILAR_ITEMS);
    if !(1..=MAX_PHOTO_RESULTS).contains(&limit) {
        return Err(PhotoSearchError::BadLimit { max: MAX_PHOTO_RESULTS }.into());
    }
    let version = state.images.model_version();
    let results = search::similar_products(&state.db, product_id, version, limit)
        .await
        .map_err(PhotoSearchError::unavailable)?
        .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(Json(SearchResults { model_version: version.to_owned(), results }))
}

/// A stored search: where its results page is.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreatedQuery {
    pub id: Uuid,
    /// The storefront page that shows the results, for a day.
    pub results_url: String,
}

/// Stores a search for the page's WASM, which then navigates to `results_url` without a reload:
/// `201 Created` with `Location`, or the JSON error.
pub async fn create_query(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, category) = store_search(&state, multipart).await?;
    let results_url = results_url(id, category.as_deref());
    let location = [(header::LOCATION, results_url.clone())];
    Ok((StatusCode::CREATED, location, Json(CreatedQuery { id, results_url })))
}

/// The search page's form: stores the search and redirects to its result page (303, so a
/// reload does not post the photo again); a refused photo goes back with the error's code.
pub async fn photo_form(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Redirect {
    match store_search(&state, multipart).await {
        Ok((id, category)) => Redirect::to(&results_url(id, category.as_deref())),
        Err(error) => Redirect::to(&format!("/search/photo?error={}", error.code())),
    }
}

/// The results page of a stored search. A known category slug is lowercase words and hyphens
/// (the table's CHECK), so it goes into the query string as it is.
fn results_url(id: Uuid, category: Option<&str>) -> String {
    match category {
        Some(slug) => format!("/search/photo?q={id}&category={slug}"),
        None => format!("/search/photo?q={id}"),
    }
}

async fn store_search(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(Uuid, Option<String>), PhotoSearchError> {
    let PhotoUpload { image, category, region, .. } =
        photo_upload::read(multipart, &Limits::default()).await?;
    // Refuse an unknown category now rather than on the result page.
    search::category_filter(&state.db, category.as_deref()).await?;
    let embedding = embed(state, image, region).await?;
    let query = StoredQuery {
        embedding,
        model_version: state.images.model_version().to_owned(),
        category_slug: category.clone(),
    };
    let id = search::save_query(&state.db, &query).await.map_err(PhotoSearchError::unavailable)?;
    Ok((id, category))
}

/// Embeds the uploaded photo (or the region of it).
async fn embed(
    state: &AppState,
    image: UploadedImage,
    region: Option<Region>,
) -> Result<Vec<f32>, PhotoSearchError> {
    let embedded = match image {
        UploadedImage::Photo(bytes) => {
            state.images.embed_file(bytes, region, Limits::default()).await
        }
        UploadedImage::Prepared(png) => state.images.embed_prepared(png).await,
    };
    embedded.map_err(|error| match error {
        EmbedError::Image(refused) => refused.into(),
        EmbedError::Inference(InferenceError::Task(detail)) => {
            tracing::error!(%detail, "inference failed");
            PhotoSearchError::Unavailable
        }
        // `/readyz` says why; the shop's other pages go on serving.
        EmbedError::Inference(InferenceError::ModelUnavailable(_)) => PhotoSearchError::Unavailable,
    })
}
