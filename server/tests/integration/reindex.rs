//! `vitrine reindex`: queues what the active model has not embedded and works through it.

use app::backend::text_model::TEXT_MODEL_VERSION;
use app::backend::vision::MODEL_VERSION;
use vitrine::commands::reindex;

use crate::helpers::{reindex_args, TestDb};

#[tokio::test]
async fn reindex_embeds_what_is_missing_and_with_all_everything() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    // One image embedded by an older model version: it must be redone too.
    sqlx::query(
        "UPDATE product_images SET status = 'ready', model_version = 'older-model',
                embedding = array_fill(0.1, ARRAY[1280])::vector
         WHERE id = (SELECT id FROM product_images ORDER BY id LIMIT 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    let first =
        reindex::run(&db.pool, db.media.store.clone(), &reindex_args(&["--images"])).await.unwrap();
    assert!(first.texts.is_none(), "--images leaves the texts alone");
    let first = first.images.unwrap();
    assert_eq!(first.embedded, 6, "five new images and the stale one");
    assert_eq!((first.counts.ready, first.counts.waiting, first.counts.failed), (6, 0, 0));
    let versions: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT model_version FROM product_images")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(versions, vec![MODEL_VERSION.to_owned()]);

    let again = reindex::run(&db.pool, db.media.store.clone(), &reindex_args(&["--images"]))
        .await
        .unwrap()
        .images
        .unwrap();
    assert_eq!((again.queued, again.embedded), (0, 0), "nothing left to do");

    let all = reindex::run(&db.pool, db.media.store.clone(), &reindex_args(&["--all", "--images"]))
        .await
        .unwrap()
        .images
        .unwrap();
    assert_eq!((all.queued, all.embedded, all.counts.ready), (6, 6, 6));
}

#[tokio::test]
async fn reindex_embeds_the_texts_the_seed_queued_and_with_all_every_text_again() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let first =
        reindex::run(&db.pool, db.media.store.clone(), &reindex_args(&["--texts"])).await.unwrap();
    assert!(first.images.is_none(), "--texts leaves the images alone");
    let first = first.texts.unwrap();
    assert_eq!(first.queued, 0, "the seed's inserts queued every text already");
    assert_eq!(first.embedded, 6);
    assert_eq!((first.counts.ready, first.counts.waiting), (6, 0));
    let versions: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT text_embedding_model FROM products")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(versions, vec![TEXT_MODEL_VERSION.to_owned()]);

    let again = reindex::run(&db.pool, db.media.store.clone(), &reindex_args(&["--texts"]))
        .await
        .unwrap()
        .texts
        .unwrap();
    assert_eq!((again.queued, again.embedded), (0, 0), "nothing left to do");

    let all = reindex::run(&db.pool, db.media.store.clone(), &reindex_args(&["--all", "--texts"]))
        .await
        .unwrap()
        .texts
        .unwrap();
    assert_eq!((all.queued, all.embedded, all.counts.ready), (6, 6, 6));
}

#[tokio::test]
async fn enqueue_only_leaves_the_work_to_the_workers() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let summary =
        reindex::run(&db.pool, db.media.store.clone(), &reindex_args(&["--enqueue-only"]))
            .await
            .unwrap();
    let (images, texts) = (summary.images.unwrap(), summary.texts.unwrap());
    assert_eq!((images.embedded, texts.embedded), (0, 0));
    assert_eq!((images.counts.waiting, texts.counts.waiting), (6, 6));
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'embed_image' AND status = 'queued'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(live, 6, "one job per image, never two");
}
