//! The embed_image job end to end: seeded images are embedded by the real model through the queue.

use app::backend::vision::MODEL_VERSION;

use crate::helpers::TestDb;

#[tokio::test]
async fn queued_images_are_embedded_once_and_similar_images_are_near() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let worker = db.embedding_worker();
    let mut ran = 0;
    loop {
        match worker.run_once().await.unwrap() {
            0 => break,
            batch => ran += batch,
        }
    }
    assert_eq!(ran, 6);

    let (ready, versions): (i64, Vec<String>) = sqlx::query_as(
        "SELECT count(*), array_agg(DISTINCT model_version) FROM product_images
         WHERE status = 'ready' AND vector_dims(embedding) = 1280",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((ready, versions), (6, vec![MODEL_VERSION.to_owned()]));
    let succeeded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'embed_image' AND status = 'succeeded'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(succeeded, 6);

    // Seeding again changes no file: nothing is queued, nothing re-embedded.
    db.seed_fixture().await;
    assert_eq!(worker.run_once().await.unwrap(), 0);

    // Each image is its own nearest neighbour (cosine distance 0), through the HNSW index's operator.
    let self_distance: f64 = sqlx::query_scalar(
        "SELECT max(a.embedding <=> b.embedding) FROM product_images a JOIN product_images b ON a.id = b.id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(self_distance < 1e-5);
}

#[tokio::test]
async fn an_unreadable_image_fails_and_is_marked_failed_on_the_last_attempt() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    // One image's job, one attempt, and its file gone. (Jobs the triggers queue have random
    // ids: the first by id is not always an image's.)
    sqlx::query(
        "DELETE FROM jobs WHERE id <> (SELECT id FROM jobs WHERE kind = 'embed_image' ORDER BY id LIMIT 1)",
    )
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET max_attempts = 1").execute(&db.pool).await.unwrap();
    std::fs::remove_dir_all(db.media.store.root()).unwrap();

    let worker = db.embedding_worker();
    assert_eq!(worker.run_once().await.unwrap(), 1);

    let (status, error): (String, Option<String>) = sqlx::query_as(
        "SELECT i.status, i.error FROM product_images i JOIN jobs j ON (j.payload->>'image_id')::uuid = i.id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("reading"));
    let job_status: String =
        sqlx::query_scalar("SELECT status FROM jobs").fetch_one(&db.pool).await.unwrap();
    assert_eq!(job_status, "dead");
}
