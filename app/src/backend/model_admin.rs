//! What the admin's models section does: the registry's versions with the figures each was
//! judged by, activating a recommender version (or rolling back to one) as the signed-in
//! admin, asking for and following a training, and the rows' click-through. The registry, the
//! recommender, the job queue and the events own their tables; this only reads them into the
//! page's types and maps their errors to refusals.

use sqlx::PgPool;
use uuid::Uuid;

use crate::backend::audit::Actor;
use crate::backend::jobs;
use crate::backend::model_registry::{self, RegistryError, VersionInfo};
use crate::backend::recs::holdout::RecsMetrics;
use crate::backend::recs::shop_data::DataWindow;
use crate::backend::recs::versions::{self, ActivateError};
use crate::backend::recs::{self, TrainRecs};
use crate::backend::text_to_image::{self, metrics::HeadMetrics};
use crate::types::{
    ClickThroughRow, JobStatus, ModelFigures, ModelKind, ModelVersionRow, ModelsError,
    RankingFigures, Refusal, TrainingJob, CLICK_THROUGH_DAYS,
};

/// The registry's name of `kind`.
fn registry_kind(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Recommender => recs::KIND,
        ModelKind::TextToImage => text_to_image::KIND,
    }
}

/// Every stored version, kind by kind, newest first.
pub async fn versions(pool: &PgPool) -> Result<Vec<ModelVersionRow>, ModelsError> {
    let mut rows = Vec::new();
    for kind in ModelKind::ALL {
        let stored = model_registry::list(pool, registry_kind(kind))
            .await
            .map_err(ModelsError::unavailable)?;
        rows.extend(stored.iter().map(|info| version_row(kind, info)));
    }
    Ok(rows)
}

/// Makes recommender version `version` the one that serves, audited as `actor` (rolling back
/// is activating an older one). A text-to-image version is refused: activating it maps every
/// product image with the image model, which only the server process holds.
pub async fn activate(
    pool: &PgPool,
    version: &str,
    actor: Actor,
) -> Result<ModelVersionRow, ModelsError> {
    match versions::activate(pool, version, actor).await {
        Ok(info) => Ok(version_row(ModelKind::Recommender, &info)),
        Err(ActivateError::UnknownVersion(version))
        | Err(ActivateError::Registry(RegistryError::UnknownVersion(version))) => {
            Err(ModelsError::UnknownVersion(version))
        }
        Err(ActivateError::OtherKind(version)) => Err(ModelsError::ActivatedOnServer(version)),
        Err(error) => Err(ModelsError::unavailable(error)),
    }
}

/// Queues a training of the recommender (a running `vitrine serve` worker takes it); the job
/// already live when there is one. Returns the job's id.
pub async fn train_recommender(pool: &PgPool) -> Result<Uuid, ModelsError> {
    // `None` means the live job ended between the insert and the look-up: asking again
    // queues a new one.
    for _ in 0..2 {
        let queued = versions::enqueue_training(pool, &TrainRecs::default())
            .await
            .map_err(ModelsError::unavailable)?;
        if let Some(id) = queued {
            return Ok(id);
        }
    }
    Err(ModelsError::unavailable("the live training job kept ending while it was looked up"))
}

/// Where training job `id` is.
pub async fn training_status(pool: &PgPool, id: Uuid) -> Result<TrainingJob, ModelsError> {
    let state = jobs::state(pool, id)
        .await
        .map_err(ModelsError::unavailable)?
        .ok_or(ModelsError::UnknownJob)?;
    let status = JobStatus::parse(&state.status)
        .ok_or_else(|| ModelsError::unavailable(format!("job status {:?}", state.status)))?;
    let progress = state.progress.unwrap_or_default();
    Ok(TrainingJob {
        job_id: id,
        status,
        stage: Some(progress.stage).filter(|stage| !stage.is_empty()),
        done: progress.done,
        total: progress.total,
        detail: progress.detail,
        last_error: state.last_error,
    })
}

/// Each recommendation row's click-through over the last [`CLICK_THROUGH_DAYS`] days.
pub async fn click_through(pool: &PgPool) -> Result<Vec<ClickThroughRow>, ModelsError> {
    recs::click_through::recent(pool, CLICK_THROUGH_DAYS).await.map_err(ModelsError::unavailable)
}

/// A stored version as the page lists it. Figures or a data window the page cannot read
/// (written by another release) are shown as such rather than failing the whole list.
pub fn version_row(kind: ModelKind, info: &VersionInfo) -> ModelVersionRow {
    let (figures, data_window) = match kind {
        ModelKind::Recommender => (recommender_figures(info), recommender_window(info)),
        ModelKind::TextToImage => (text_to_image_figures(info), text_to_image_data(info)),
    };
    ModelVersionRow {
        kind,
        version: info.version.clone(),
        active: info.active,
        trained_at: info.trained_at.to_rfc3339(),
        training_seconds: info.training_seconds,
        data_window: data_window.unwrap_or_else(|| "—".to_owned()),
        figures,
    }
}

fn ranking(accuracy: recs::metrics::Accuracy) -> RankingFigures {
    RankingFigures { ndcg_at_10: accuracy.ndcg, recall_at_10: accuracy.recall }
}

fn recommender_figures(info: &VersionInfo) -> ModelFigures {
    match serde_json::from_value::<RecsMetrics>(info.metrics.clone()) {
        Ok(metrics) => ModelFigures::Recommender {
            taste: ranking(metrics.taste),
            popularity: ranking(metrics.popularity),
            item_knn: ranking(metrics.item_knn),
            coverage: metrics.coverage,
            shoppers_measured: metrics.taste.users,
        },
        Err(_) => ModelFigures::Unreadable,
    }
}

fn recommender_window(info: &VersionInfo) -> Option<String> {
    let window: DataWindow = serde_json::from_value(info.data.get("window")?.clone()).ok()?;
    Some(format!(
        "{} to {}: {} products, {} shoppers, {} interactions",
        window.from.format("%Y-%m-%d"),
        window.to.format("%Y-%m-%d"),
        window.products,
        window.shoppers,
        window.interactions,
    ))
}

fn text_to_image_figures(info: &VersionInfo) -> ModelFigures {
    match serde_json::from_value::<HeadMetrics>(info.metrics.clone()) {
        Ok(metrics) => ModelFigures::TextToImage {
            catalog_recall_at_10: metrics.catalog_recall_at_10,
            catalog_queries: metrics.catalog_queries,
            fashion_zero_shot_accuracy: metrics.fashion_zero_shot_accuracy,
            fashion_precision_at_10: metrics.fashion_precision_at_10,
        },
        Err(_) => ModelFigures::Unreadable,
    }
}

/// The text-to-image head learns from pairs, not from a time window: how many of each.
fn text_to_image_data(info: &VersionInfo) -> Option<String> {
    let catalog = info.data.get("catalog_pairs")?.as_u64()?;
    let fashion = info.data.get("fashion_mnist_pairs").and_then(|n| n.as_u64()).unwrap_or(0);
    let held_out = info.data.get("holdout").and_then(|share| share.as_f64());
    let held_out = held_out.map(|share| format!(" ({:.0} % held out)", share * 100.0));
    Some(format!(
        "{catalog} catalog pairs, {fashion} Fashion-MNIST pairs{}",
        held_out.unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(kind: &str, data: serde_json::Value, metrics: serde_json::Value) -> VersionInfo {
        VersionInfo {
            id: Uuid::nil(),
            kind: kind.to_owned(),
            version: "v".to_owned(),
            params: json!({}),
            data,
            metrics,
            training_seconds: 1.5,
            trained_at: chrono::Utc::now(),
            active: true,
            activated_at: None,
        }
    }

    #[test]
    fn the_page_kinds_are_the_registry_kinds() {
        for kind in ModelKind::ALL {
            assert_eq!(kind.as_str(), registry_kind(kind));
        }
    }

    #[test]
    fn a_recommender_version_shows_its_figures_beside_the_baselines_and_its_window() {
        let accuracy = |ndcg: f64| json!({ "recall": ndcg * 2.0, "ndcg": ndcg, "users": 40 });
        let metrics = json!({
            "taste": accuracy(0.3), "popularity": accuracy(0.1), "item_knn": accuracy(0.2),
            "coverage": 0.5,
        });
        let data = json!({ "window": {
            "from": "2026-06-10T00:00:00Z", "to": "2026-12-07T10:00:00Z",
            "products": 24, "shoppers": 40, "interactions": 160,
        }});
        let row = version_row(ModelKind::Recommender, &info(recs::KIND, data, metrics));
        assert_eq!(
            row.data_window,
            "2026-06-10 to 2026-12-07: 24 products, 40 shoppers, 160 interactions"
        );
        let ModelFigures::Recommender { taste, popularity, coverage, shoppers_measured, .. } =
            row.figures
        else {
            panic!("{:?}", row.figures)
        };
        assert_eq!(taste, RankingFigures { ndcg_at_10: 0.3, recall_at_10: 0.6 });
        assert_eq!(popularity.ndcg_at_10, 0.1);
        assert_eq!((coverage, shoppers_measured), (0.5, 40));
    }

    #[test]
    fn figures_of_another_shape_are_unreadable_not_an_error() {
        let row =
            version_row(ModelKind::Recommender, &info(recs::KIND, json!({}), json!({"x": 1})));
        assert_eq!(row.figures, ModelFigures::Unreadable);
        assert_eq!(row.data_window, "—");
    }

    #[test]
    fn a_text_to_image_version_shows_its_pairs() {
        let data = json!({ "catalog_pairs": 90, "fashion_mnist_pairs": 1000, "holdout": 0.1 });
        let metrics = json!({ "catalog_recall_at_10": 0.8, "catalog_queries": 9,
            "fashion_zero_shot_accuracy": null, "fashion_precision_at_10": 0.7 });
        let row = version_row(ModelKind::TextToImage, &info(text_to_image::KIND, data, metrics));
        assert_eq!(row.data_window, "90 catalog pairs, 1000 Fashion-MNIST pairs (10 % held out)");
        assert!(matches!(
            row.figures,
            ModelFigures::TextToImage { catalog_queries: 9, fashion_zero_shot_accuracy: None, .. }
        ));
    }
}
