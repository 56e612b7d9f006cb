//! Visual search over HTTP: `POST /api/search/by-image`, `GET /api/products/{id}/similar`, and
//! `POST /search/photo`, the search page's form, which works without JavaScript.

use app::api::{MAX_PHOTO_RESULTS, SIMILAR_ITEMS};
use app::backend::search::{self, StoredQuery};
use app::backend::state::AppState;
use app::backend::vision::EmbedError;
use app::error::PhotoSearchError;
use app::model::ScoredProduct;
use app::preprocess::Limits;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use axum::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ApiError;
use super::photo_upload::{self, PhotoUpload};

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
    let mut upload = photo_upload::read(multipart, &Limits::default()).await?;
    let filter = search::category_filter(&state.db, upload.category.as_deref()).await?;
    let embedding = embed(&state, &mut upload).await?;
    let version = state.images.model_version();
    let results =
        search::search_by_embedding(&state.db, &embedding, version, &filter, upload.limit).await?;
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
        .map_err(|err| ApiError::internal("similar products failed", &err))?
        .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(Json(SearchResults { model_version: version.to_owned(), results }))
}

/// The search page's form: stores the search and redirects to its result page (303, so a
/// reload does not post the photo again); a refused photo goes back with the error's code.
pub async fn photo_form(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Redirect {
    match store_form_search(&state, multipart).await {
        Ok((id, category)) => {
            let category = category.map(|slug| format!("&category={slug}")).unwrap_or_default();
            Redirect::to(&format!("/search/photo?q={id}{category}"))
        }
        Err(error) => Redirect::to(&format!("/search/photo?error={}", error.code())),
    }
}

async fn store_form_search(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(Uuid, Option<String>), PhotoSearchError> {
    let mut upload = photo_upload::read(multipart, &Limits::default()).await?;
    // Refuse an unknown category now rather than on the result page. A known slug satisfies
    // the table's CHECK (lowercase words and hyphens), so it goes into the redirect as is.
    search::category_filter(&state.db, upload.category.as_deref()).await?;
    let embedding = embed(state, &mut upload).await?;
    let query = StoredQuery {
        embedding,
        model_version: state.images.model_version().to_owned(),
        category_slug: upload.category.clone(),
    };
    let id = search::save_query(&state.db, &query).await.map_err(search::unavailable)?;
    Ok((id, upload.category))
}

/// Embeds the uploaded photo (taking its bytes, which are not needed afterwards).
async fn embed(state: &AppState, upload: &mut PhotoUpload) -> Result<Vec<f32>, PhotoSearchError> {
    let image = std::mem::take(&mut upload.image);
    state.images.embed_file(image, upload.region, Limits::default()).await.map_err(|error| {
        match error {
            EmbedError::Image(refused) => refused.into(),
            EmbedError::Task(detail) => {
                tracing::error!(%detail, "inference failed");
                PhotoSearchError::Unavailable
            }
        }
    })
}
