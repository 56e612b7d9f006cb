//! The text-to-image head: trained by its job with real embeddings (the fixture catalog's and a
//! few Fashion-MNIST images), versioned in the registry, switched only once the catalog is mapped,
//! kept up to date by `align_images`, and searched by the pictures arm.

use std::sync::Arc;

use app::backend::audit::Actor;
use app::backend::jobs;
use app::backend::model_registry;
use app::backend::text_search::{self, Arms};
use app::backend::text_to_image::metrics::HeadMetrics;
use app::backend::text_to_image::train::TrainParams;
use app::backend::text_to_image::{self, store, HeadShape, TrainTextToImage, ALIGN_JOB, KIND};
use uuid::Uuid;
use vitrine::datasets::fashion_mnist;
use vitrine::jobs::align_images::AlignImagesHandler;
use vitrine::jobs::progress::Reporter;
use vitrine::jobs::train_text_to_image::{self, TrainTextToImageHandler};
use vitrine::jobs::worker::Worker;

use crate::helpers::{image_embedder, text_embedder, TestDb};

const PICTURES: Arms = Arms { pictures: true, ..Arms::NONE };

/// A small, quick training: the fixture's six products and 20 Fashion-MNIST images.
fn request(seed: u64) -> TrainTextToImage {
    TrainTextToImage {
        params: Some(TrainParams {
            shape: HeadShape { hidden: 32 },
            epochs: 30,
            seed,
            ..TrainParams::default()
        }),
        fashion_images: Some(20),
        force_activate: false,
    }
}

fn trainer(db: &TestDb) -> Worker {
    let handler = TrainTextToImageHandler {
        pool: db.pool.clone(),
        images: image_embedder(),
        texts: text_embedder(),
        fashion_dir: fashion_mnist::default_dir(),
    };
    Worker::new(db.pool.clone())
        .with_lease(train_text_to_image::LEASE)
        .with_handler(Arc::new(handler))
}

/// Queues a training and runs it to the end; returns the job's id.
async fn train(db: &TestDb, request: &TrainTextToImage) -> Uuid {
    let id = train_text_to_image::enqueue(&db.pool, request).await.unwrap();
    assert_eq!(trainer(db).run_once().await.unwrap(), 1);
    let state = jobs::state(&db.pool, id).await.unwrap().unwrap();
    assert_eq!(state.status, "succeeded", "last error: {:?}", state.last_error);
    id
}

async fn rows_of(db: &TestDb, version: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM product_image_texts WHERE model_version_id = $1")
        .bind(version)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// The product's mapped picture (a head is active and has mapped it).
async fn mapping_of(db: &TestDb, product: Uuid) -> Vec<f32> {
    sqlx::query_scalar("SELECT embedding::real[] FROM product_image_texts WHERE product_id = $1")
        .bind(product)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn align(db: &TestDb) -> usize {
    let worker = Worker::new(db.pool.clone())
        .with_handler(Arc::new(AlignImagesHandler::new(db.pool.clone())));
    let mut ran = 0;
    while let n @ 1.. = worker.run_once().await.unwrap() {
        ran += n;
    }
    ran
}

#[tokio::test]
async fn the_job_trains_a_version_maps_the_catalog_and_activates_it() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    db.embed_texts().await;
    assert!(model_registry::active(&db.pool, KIND).await.unwrap().is_none());
    let query = text_embedder().embed_one("a banana").await.unwrap();
    assert!(
        store::nearest_products(&db.pool, &query, 2.0, 10).await.unwrap().is_empty(),
        "no head, no pictures arm"
    );

    let job = train(&db, &request(7)).await;
    let progress = jobs::state(&db.pool, job).await.unwrap().unwrap().progress.unwrap();
    assert_eq!(progress.stage, "mapping the catalog's images", "the last stage reported");
    assert_eq!((progress.done, progress.total), (6, 6));

    let active =
        model_registry::active(&db.pool, KIND).await.unwrap().expect("the first is active");
    let metrics: HeadMetrics = serde_json::from_value(active.metrics.clone()).unwrap();
    assert_eq!(metrics.catalog_queries, 1, "a tenth of six products, rounded up, held out");
    assert!(metrics.fashion_zero_shot_accuracy.is_some());
    assert_eq!(active.data["catalog_pairs"], 5);
    assert_eq!(active.data["fashion_mnist_pairs"], 20);
    assert_eq!(active.params["seed"], 7);
    assert_eq!(rows_of(&db, active.id).await, 6, "every product's main image mapped");

    // Every product can be found through its picture; a hidden one cannot.
    let nearest = store::nearest_products(&db.pool, &query, 2.0, 10).await.unwrap();
    assert_eq!(nearest.len(), 6);
    let hidden = nearest[0].0;
    sqlx::query("UPDATE products SET published = false WHERE id = $1")
        .bind(hidden)
        .execute(&db.pool)
        .await
        .unwrap();
    let nearest = store::nearest_products(&db.pool, &query, 2.0, 10).await.unwrap();
    assert!(!nearest.iter().any(|(id, _)| *id == hidden));
    assert_eq!(nearest.len(), 5);
}

#[tokio::test]
async fn a_version_that_scores_lower_is_kept_but_not_activated_and_activation_is_audited() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    train(&db, &request(7)).await;
    let first = model_registry::active(&db.pool, KIND).await.unwrap().unwrap();
    // Make the active version unbeatable: the next one scores lower and must wait.
    sqlx::query(
        "UPDATE model_versions SET metrics = jsonb_set(metrics, '{catalog_recall_at_10}', '2.0')
         WHERE id = $1",
    )
    .bind(first.id)
    .execute(&db.pool)
    .await
    .unwrap();

    train(&db, &request(8)).await;
    let versions = model_registry::list(&db.pool, KIND).await.unwrap();
    assert_eq!(versions.len(), 2);
    let second = versions.iter().find(|v| v.id != first.id).unwrap();
    assert!(!second.active, "scored lower: stored, not activated");
    assert_eq!(second.params["seed"], 8);
    assert_eq!(model_registry::active(&db.pool, KIND).await.unwrap().unwrap().id, first.id);
    assert_eq!(rows_of(&db, second.id).await, 0, "search never saw it");

    // Activating it by hand maps the catalog first, then switches, audited; the old rows go.
    let head = Arc::new(text_to_image::load_head(&db.pool, second).await.unwrap());
    train_text_to_image::map_and_activate(
        &db.pool,
        second.id,
        &second.version,
        head,
        Actor::Command,
        &Reporter::Quiet,
    )
    .await
    .unwrap();
    assert_eq!(model_registry::active(&db.pool, KIND).await.unwrap().unwrap().id, second.id);
    assert_eq!((rows_of(&db, second.id).await, rows_of(&db, first.id).await), (6, 0));
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, entity_id FROM audit_log WHERE entity = 'model_version' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("models.version.activate".to_owned(), first.version.clone()),
            ("models.version.activate".to_owned(), second.version.clone()),
        ]
    );

    // An unknown version is refused.
    let mut tx = db.pool.begin().await.unwrap();
    assert!(matches!(
        model_registry::activate(&mut tx, "no-such-version", Actor::Command).await,
        Err(model_registry::RegistryError::UnknownVersion(_))
    ));
}

#[tokio::test]
async fn an_image_embedded_anew_is_mapped_again_by_the_align_job() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    // Without a head, embedding images queues nothing to align.
    assert_eq!(jobs::live_count(&db.pool, ALIGN_JOB).await.unwrap(), 0);
    train(&db, &request(7)).await;
    let active = model_registry::active(&db.pool, KIND).await.unwrap().unwrap();
    assert_eq!(align(&db).await, 0, "the training mapped everything");

    let (product, image): (Uuid, Uuid) = sqlx::query_as(
        "SELECT product_id, image_id FROM product_main_images ORDER BY product_id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let before = mapping_of(&db, product).await;
    // The image's embedding changes (a new model version would do this to every image).
    sqlx::query(
        "UPDATE product_images SET embedding = array_fill(0.03, ARRAY[1280])::vector,
                updated_at = now() WHERE id = $1",
    )
    .bind(image)
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(jobs::live_count(&db.pool, ALIGN_JOB).await.unwrap(), 1, "the trigger queued it");
    assert_eq!(store::mapped_counts(&db.pool, active.id).await.unwrap(), (5, 1));
    assert_eq!(align(&db).await, 1);
    assert_eq!(store::mapped_counts(&db.pool, active.id).await.unwrap(), (6, 0));
    let after = mapping_of(&db, product).await;
    assert_ne!(before, after, "mapped from the new embedding");

    // A product whose images are all gone loses its mapping.
    sqlx::query("DELETE FROM product_images WHERE product_id = $1")
        .bind(product)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(align(&db).await, 1);
    assert_eq!(rows_of(&db, active.id).await, 5);
}

#[tokio::test]
async fn the_pictures_arm_finds_a_product_by_its_trained_name_and_skips_gibberish() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    db.embed_texts().await;
    train(&db, &request(7)).await;
    let names: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, name FROM products ORDER BY name")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let texts = text_embedder();
    // The pictures arm alone: a product's name reaches its own picture.
    let mut found = 0;
    for (id, name) in &names {
        let ranked = text_search::ranked_ids(&db.pool, &texts, name, PICTURES).await.unwrap();
        if ranked.first() == Some(id) {
            found += 1;
        }
    }
    assert!(
        found * 2 >= names.len(),
        "only {found} of {} names find their picture first",
        names.len()
    );
    let ranked = text_search::ranked_ids(&db.pool, &texts, "zzqx qwerty", PICTURES).await.unwrap();
    assert!(ranked.is_empty(), "gibberish is near no picture: {ranked:?}");
}
