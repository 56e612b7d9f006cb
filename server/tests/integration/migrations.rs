use app::backend::db::{migration_state, MigrationState, MIGRATOR};

use crate::helpers::TestDb;

#[tokio::test]
async fn a_fresh_database_has_every_migration_pending() {
    let db = TestDb::empty().await;
    let all: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(migration_state(&db.pool).await.unwrap(), MigrationState::Pending(all));
}

#[tokio::test]
async fn migrating_brings_the_schema_up_to_date_and_is_idempotent() {
    let db = TestDb::migrated().await;
    assert_eq!(migration_state(&db.pool).await.unwrap(), MigrationState::UpToDate);
    vitrine::runtime::database::migrate(&db.pool).await.expect("a second run is a no-op");
    assert_eq!(migration_state(&db.pool).await.unwrap(), MigrationState::UpToDate);
}

#[tokio::test]
async fn pgvector_is_at_least_0_8_for_iterative_index_scans() {
    let db = TestDb::migrated().await;
    let version: String =
        sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(parts[0] > 0 || parts[1] >= 8, "pgvector {version} is older than 0.8");

    let trigram: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(trigram, "pg_trgm is not enabled");
}

#[tokio::test]
async fn product_embeddings_have_a_cosine_hnsw_index() {
    let db = TestDb::migrated().await;
    let definition: String = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'products' AND indexdef ILIKE '%USING hnsw%'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("an HNSW index on products");
    assert!(definition.contains("vector_cosine_ops"), "{definition}");

    // And the planner uses it for a nearest-neighbour query.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await.unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT id FROM products ORDER BY text_embedding <=> array_fill(0.1, ARRAY[384])::vector LIMIT 5",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert!(plan.iter().any(|line| line.contains("products_text_embedding_hnsw_idx")), "{plan:#?}");
}

#[tokio::test]
async fn the_schema_refuses_negative_prices_and_oversold_stock() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    for update in [
        "UPDATE product_variants SET price_minor = -1 WHERE sku = 'TEAPOT'",
        "UPDATE product_variants SET on_hand = -1 WHERE sku = 'TEAPOT'",
        "UPDATE product_variants SET reserved = on_hand + 1 WHERE sku = 'TEAPOT'",
        "UPDATE product_variants SET currency = 'XXX' WHERE sku = 'TEAPOT'",
        "UPDATE product_variants SET sku = 'lower-case' WHERE sku = 'TEAPOT'",
        "UPDATE product_images SET status = 'ready'",
        "UPDATE product_images SET sha256 = 'not-a-checksum'",
    ] {
        let err = sqlx::query(update).execute(&db.pool).await.expect_err(update);
        let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("23514"), "{update}: {err}"); // check_violation
    }
}
