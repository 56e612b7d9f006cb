//! `vitrine backup` and `vitrine restore`: a round trip into an empty database and media folder
//! gives back the same shop, and a damaged backup is refused before anything is touched.

use std::collections::BTreeMap;
use std::path::Path;

use vitrine::commands::backup;

use crate::helpers::TestDb;

/// Every file under `root`, by its path below it, with its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                found.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

async fn counts(db: &TestDb) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM product_images),
                (SELECT count(*) FROM product_variants), (SELECT count(*) FROM _sqlx_migrations)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_backup_restores_the_same_shop_into_an_empty_database() {
    let shop = TestDb::migrated().await;
    shop.seed_fixture().await;
    let out = std::env::temp_dir().join(format!("vitrine-backup-{}", uuid::Uuid::new_v4()));

    let manifest = backup::backup(&shop.storage(), &out).await.unwrap();
    let media = files(shop.media.store.root());
    assert!(!media.is_empty(), "the fixture catalog has images");
    assert_eq!(manifest.media_files, media.len());
    let again = backup::backup(&shop.storage(), &out).await;
    assert!(again.is_err(), "a backup never writes over another");

    let replacement = TestDb::empty().await;
    let restored = backup::restore(&replacement.storage(), &out).await.unwrap();
    assert_eq!(restored, manifest);
    assert_eq!(counts(&replacement).await, counts(&shop).await);
    assert_eq!(files(replacement.media.store.root()), media, "the same files, byte for byte");
    // The restored shop is usable: its migrations are recorded, so the server starts on it.
    vitrine::runtime::database::migrate(&replacement.pool).await.unwrap();

    // A damaged dump is refused before the database is touched.
    let dump = out.join("database.dump");
    let mut bytes = std::fs::read(&dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&dump, bytes).unwrap();
    let damaged = TestDb::empty().await;
    let refused = backup::restore(&damaged.storage(), &out).await.unwrap_err();
    assert!(refused.to_string().contains("damaged"), "{refused:#}");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&damaged.pool)
    .await
    .unwrap();
    assert_eq!(tables, 0, "nothing was restored from a damaged backup");
    std::fs::remove_dir_all(&out).ok();
}
