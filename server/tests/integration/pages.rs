use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn the_home_page_is_server_rendered_from_the_database() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    sqlx::raw_sql(
        "UPDATE products SET name = 'Renamed In The Database' WHERE slug = 'teapot';
         UPDATE product_variants SET price_minor = 5400, on_hand = 0 WHERE sku = 'TEAPOT';",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let app = TestApp::spawn(db).await;

    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Renamed In The Database"), "the page reads the database");
    assert!(html.contains("€54.00"));
    assert!(html.contains("Sold out"));
    assert!(html.contains(r#"<img src="/media/products/"#), "product images are shown");
    // The hydration bundle is referenced, so the browser can take over.
    assert!(html.contains("/pkg/vitrine.js") && html.contains("/pkg/vitrine.wasm"));
}

#[tokio::test]
async fn an_empty_shop_says_so() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("No products yet"));
}

#[tokio::test]
async fn unknown_pages_are_404_with_a_way_back() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn a_failing_database_shows_an_error_not_a_crash() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    sqlx::query("DROP TABLE products CASCADE").execute(&app.db.pool).await.unwrap();
    let response = app.get("/").await;
    let html = response.text().await.unwrap();
    assert!(html.contains("temporarily unavailable"), "{html}");
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_gzip() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::spawn(db).await;
    let response =
        app.client.get(app.url("/")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn product_images_are_served_from_the_media_route_and_cached_forever() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let products = app::backend::catalog::newest_products(&db.pool, 10).await.unwrap();
    let app = TestApp::spawn(db).await;
    let url = products[0].image_url.clone().unwrap();

    let response = app.get(&url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    assert_eq!(app.get("/media/products/00/missing.png").await.status(), 404);
    assert_eq!(app.get("/media/../Cargo.toml").await.status(), 404);
}
