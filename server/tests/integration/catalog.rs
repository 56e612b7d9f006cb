use app::backend::catalog::newest_products;

use crate::helpers::{demo_data_dir, fixture_catalog, TestDb};

#[test]
fn the_fixture_keeps_things_and_skips_flags_faces_and_skin_tones() {
    let catalog = fixture_catalog();
    let mut names: Vec<&str> = catalog.products.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["Bicycle", "Guitar", "Red Apple", "T-Shirt", "Teapot", "Umbrella with Rain Drops"]
    );
    let subcategory = |slug: &str| catalog.categories.iter().find(|c| c.slug == slug).cloned();
    let fruit = subcategory("food-fruit").expect("a fruit category");
    assert_eq!(fruit.name, "Fruit");
    assert_eq!(fruit.parent_slug.as_deref(), Some("food-drink"));
    assert!(subcategory("flags").is_none() && subcategory("smileys-emotion").is_none());
}

/// The real package, as the setup step installs it: the catalog the shop is demonstrated with.
#[test]
fn the_full_demo_catalog_has_at_least_800_products_with_images() {
    let dir = demo_data_dir();
    let catalog = vitrine::commands::seed::DemoCatalog::load(&dir)
        .expect("the demo data (scripts/test.sh installs it)");
    assert!(catalog.products.len() >= 800, "only {} products", catalog.products.len());
    let mut slugs: Vec<&str> = catalog.products.iter().map(|p| p.slug.as_str()).collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), catalog.products.len(), "product slugs are unique");
    for product in &catalog.products {
        assert!(product.image.exists(), "{} has no image", product.name);
    }
}

#[tokio::test]
async fn seeded_products_are_listed_with_prices_categories_stock_and_images() {
    let db = TestDb::migrated().await;
    let summary = db.seed_fixture().await;
    assert_eq!((summary.products, summary.images), (6, 6));

    let products = newest_products(&db.pool, 50).await.unwrap();
    assert_eq!(products.len(), 6);
    let teapot = products.iter().find(|p| p.slug == "teapot").expect("the teapot");
    assert_eq!(teapot.name, "Teapot");
    assert_eq!(teapot.category, "Drink");
    let expected = fixture_catalog().products.into_iter().find(|p| p.slug == "teapot").unwrap();
    assert_eq!(teapot.price, expected.variants[0].price);
    assert!(!teapot.price_varies, "the teapot has one variant");
    assert_eq!(teapot.in_stock, expected.variants[0].stock > 0);
    let shirt = products.iter().find(|p| p.slug == "shirt").expect("the shirt");
    let sizes =
        fixture_catalog().products.into_iter().find(|p| p.slug == "shirt").unwrap().variants;
    assert_eq!(sizes.len(), 4, "S, M, L and XL");
    assert_eq!(shirt.in_stock, sizes.iter().any(|v| v.stock > 0));

    let url = teapot.image_url.as_deref().expect("an image");
    let key = url.strip_prefix("/media/").expect("served under /media");
    let stored = std::fs::read(db.media.store.root().join(key)).expect("the stored file");
    assert_eq!(stored, std::fs::read(&expected.image).unwrap());
    assert_eq!(teapot.image_alt, "Teapot");
}

#[tokio::test]
async fn listing_respects_the_limit() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    assert_eq!(newest_products(&db.pool, 3).await.unwrap().len(), 3);
}

#[tokio::test]
async fn seeding_twice_updates_in_place_and_keeps_unchanged_embeddings() {
    let db = TestDb::migrated().await;
    let first = db.seed_fixture().await;
    sqlx::query("UPDATE product_variants SET price_minor = 1 WHERE sku = 'TEAPOT'")
        .execute(&db.pool)
        .await
        .unwrap();
    // Stock sold meanwhile stays sold: a re-seed never resets inventory.
    sqlx::query(
        "UPDATE product_variants SET on_hand = on_hand - 1 WHERE sku = 'SHIRT-M' AND on_hand > 0",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let shirt_stock: i32 =
        sqlx::query_scalar("SELECT on_hand FROM product_variants WHERE sku = 'SHIRT-M'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    // As if the embedding job had run for the teapot's image.
    pretend_embedded(&db, "WHERE product_id = (SELECT id FROM products WHERE slug = 'teapot')")
        .await;

    let second = db.seed_fixture().await;
    assert_eq!(first, second);

    let (products, categories, images): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM categories),
                (SELECT count(*) FROM product_images)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (products as usize, categories as usize, images as usize),
        (second.products, second.categories, second.images)
    );
    let (price, status): (i64, String) = sqlx::query_as(
        "SELECT v.price_minor, i.status FROM products p JOIN product_images i ON i.product_id = p.id
         JOIN product_variants v ON v.product_id = p.id
         WHERE p.slug = 'teapot'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_ne!(price, 1, "the seed restores the demo price");
    let shirt_after: i32 =
        sqlx::query_scalar("SELECT on_hand FROM product_variants WHERE sku = 'SHIRT-M'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(shirt_after, shirt_stock, "the seed leaves stock alone");
    let variants: i64 = sqlx::query_scalar("SELECT count(*) FROM product_variants")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(variants, 10, "four shirt sizes, two apple packs, four single variants");
    assert_eq!(status, "ready", "the same image keeps its embedding");
}

#[tokio::test]
async fn a_changed_image_goes_back_to_pending() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    pretend_embedded(&db, "").await;
    sqlx::query("UPDATE product_images SET sha256 = repeat('0', 64)")
        .execute(&db.pool)
        .await
        .unwrap();
    db.seed_fixture().await;
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM product_images WHERE status = 'pending' AND embedding IS NULL",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(pending, 6);
}

/// Stores a made-up embedding for the images `filter` selects, as if the job had run.
async fn pretend_embedded(db: &TestDb, filter: &str) {
    let sql = format!(
        "UPDATE product_images SET embedding = array_fill(0.5, ARRAY[1280])::vector,
                model_version = 'test', status = 'ready' {filter}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&db.pool).await.unwrap();
}

async fn queued_embed_jobs(db: &TestDb) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs j JOIN product_images i ON i.id = (j.payload->>'image_id')::uuid
         WHERE j.kind = 'embed_image' AND j.status = 'queued'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_new_image_queues_one_embedding_job_in_the_same_transaction() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    assert_eq!(queued_embed_jobs(&db).await, 6);
    db.seed_fixture().await;
    assert_eq!(queued_embed_jobs(&db).await, 6, "re-seeding queues nothing new");

    // The embedding job ran for every image...
    sqlx::query("UPDATE jobs SET status = 'succeeded', finished_at = now()")
        .execute(&db.pool)
        .await
        .unwrap();
    pretend_embedded(&db, "").await;
    db.seed_fixture().await;
    assert_eq!(queued_embed_jobs(&db).await, 0, "unchanged images are not embedded again");

    // ...then one image's file changes.
    sqlx::query(
        "UPDATE product_images SET sha256 = repeat('0', 64)
         WHERE product_id = (SELECT id FROM products WHERE slug = 'teapot')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    db.seed_fixture().await;
    assert_eq!(queued_embed_jobs(&db).await, 1);
}
