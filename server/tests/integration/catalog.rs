use app::backend::catalog::newest_products;
use app::model::{Currency, Money};

use crate::helpers::TestDb;

#[tokio::test]
async fn the_demo_catalog_is_listed_with_prices_categories_and_stock() {
    let db = TestDb::migrated().await;
    let summary = vitrine::seed::demo_catalog(&db.pool).await.unwrap();

    let products = newest_products(&db.pool, 50).await.unwrap();
    assert_eq!(products.len(), summary.products);

    let teapot = products
        .iter()
        .find(|p| p.slug == "teapot")
        .expect("the teapot");
    assert_eq!(teapot.name, "Cast Iron Teapot");
    assert_eq!(teapot.category, "Kitchen");
    assert_eq!(
        teapot.price,
        Money {
            minor: 54_00,
            currency: Currency::Eur
        }
    );
    assert!(teapot.in_stock);

    let boot = products
        .iter()
        .find(|p| p.slug == "hiking-boot")
        .expect("the boot");
    assert!(!boot.in_stock, "stock 0 shows as sold out");
}

#[tokio::test]
async fn listing_respects_the_limit() {
    let db = TestDb::migrated().await;
    vitrine::seed::demo_catalog(&db.pool).await.unwrap();
    assert_eq!(newest_products(&db.pool, 3).await.unwrap().len(), 3);
}

#[tokio::test]
async fn seeding_twice_updates_in_place() {
    let db = TestDb::migrated().await;
    let first = vitrine::seed::demo_catalog(&db.pool).await.unwrap();
    sqlx::query("UPDATE products SET price_minor = 1 WHERE slug = 'teapot'")
        .execute(&db.pool)
        .await
        .unwrap();
    let second = vitrine::seed::demo_catalog(&db.pool).await.unwrap();
    assert_eq!(first, second);

    let (products, categories): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM categories)")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        (products as usize, categories as usize),
        (second.products, second.categories)
    );
    let price: i64 = sqlx::query_scalar("SELECT price_minor FROM products WHERE slug = 'teapot'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(price, 54_00, "the seed restores the demo price");
}
