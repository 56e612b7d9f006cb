use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn the_home_page_is_server_rendered_from_the_database() {
    let db = TestDb::migrated().await;
    vitrine::seed::demo_catalog(&db.pool).await.unwrap();
    sqlx::query("UPDATE products SET name = 'Renamed In The Database' WHERE slug = 'teapot'")
        .execute(&db.pool)
        .await
        .unwrap();
    let app = TestApp::spawn(db).await;

    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Renamed In The Database"),
        "the page reads the database"
    );
    assert!(html.contains("€54.00"));
    assert!(html.contains("Sold out"), "the hiking boot has no stock");
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
    sqlx::query("DROP TABLE products")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let response = app.get("/").await;
    let html = response.text().await.unwrap();
    assert!(html.contains("temporarily unavailable"), "{html}");
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_gzip() {
    let db = TestDb::migrated().await;
    vitrine::seed::demo_catalog(&db.pool).await.unwrap();
    let app = TestApp::spawn(db).await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}
