//! Visual search over HTTP on the fixture catalog, embedded by the real model: the JSON API,
//! the search form's post/redirect/get, the product page's similar items, and every kind of
//! bad upload.

use app::backend::search::{products_like, SearchFilter};
use app::backend::vision::MODEL_VERSION;
use reqwest::multipart::{Form, Part};
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::helpers::{fixture_image, TestApp, TestDb};

const APPLE: &str = "1f34e.png";
const GUITAR: &str = "1f3b8.png";

async fn embedded_app() -> TestApp {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    TestApp::spawn(db).await
}

fn photo_form(bytes: Vec<u8>) -> Form {
    Form::new().part("image", Part::bytes(bytes).file_name("photo.png"))
}

async fn search(app: &TestApp, form: Form) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/search/by-image"))
        .multipart(form)
        .send()
        .await
        .expect("sending the search");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn slugs(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .expect("a results list")
        .iter()
        .map(|item| item["product"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_catalog_photo_finds_its_own_product_first() {
    let app = embedded_app().await;
    let (status, body) = search(&app, photo_form(fixture_image(APPLE))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model_version"], MODEL_VERSION);
    assert_eq!(slugs(&body)[0], "apple");
    let scores: Vec<f64> =
        body["results"].as_array().unwrap().iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores[0] > 0.99, "the same picture scores about 1: {scores:?}");
    assert!(scores.windows(2).all(|pair| pair[0] >= pair[1]), "best first: {scores:?}");
    assert_eq!(scores.len(), 6, "every product once");

    // A region of the photo and a smaller limit.
    let form =
        photo_form(fixture_image(APPLE)).text("region", "0.1,0.1,0.8,0.8").text("limit", "2");
    let (status, body) = search(&app, form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(slugs(&body).len(), 2);
    assert_eq!(slugs(&body)[0], "apple");
}

#[tokio::test]
async fn a_category_narrows_the_search_to_its_subtree() {
    let app = embedded_app().await;
    // The guitar, searched within Food & Drink (a top-level category): only food and drink.
    let form = photo_form(fixture_image(GUITAR)).text("category", "food-drink");
    let (status, body) = search(&app, form).await;
    assert_eq!(status, 200, "{body}");
    let mut found = slugs(&body);
    found.sort();
    assert_eq!(found, ["apple", "teapot"]);

    let form = photo_form(fixture_image(GUITAR)).text("category", "objects");
    let (_, body) = search(&app, form).await;
    assert_eq!(slugs(&body)[0], "guitar");
}

/// With a filter matching 1 % of the rows, a plain HNSW scan would see only `ef_search`
/// candidates and return one or none; the iterative scan keeps going until the limit is met.
#[tokio::test]
async fn a_narrow_filter_still_fills_the_limit() {
    let db = TestDb::migrated().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        r#"
        INSERT INTO categories (id, slug, name) VALUES
            ('00000000-0000-0000-0000-00000000000a', 'common', 'Common'),
            ('00000000-0000-0000-0000-00000000000b', 'rare', 'Rare');
        INSERT INTO products (id, category_id, slug, name)
        SELECT gen_random_uuid(),
               CASE WHEN g % 100 = 0 THEN '00000000-0000-0000-0000-00000000000b'::uuid
                    ELSE '00000000-0000-0000-0000-00000000000a'::uuid END,
               'product-' || g, 'Product ' || g
        FROM generate_series(1, 2000) g;
        INSERT INTO product_variants (id, product_id, sku, price_minor, currency)
        SELECT gen_random_uuid(), id, upper(slug), 100, 'EUR' FROM products;
        INSERT INTO product_images (id, product_id, storage_key, content_type, sha256, width,
                                    height, byte_size, embedding, model_version, status)
        SELECT gen_random_uuid(), p.id, 'synthetic', 'image/png', repeat('0', 64), 1, 1, 1,
               random_vector.v::vector, '{MODEL_VERSION}', 'ready'
        FROM products p,
             -- LATERAL and the reference to p make it one random vector per row, not one in all.
             LATERAL (SELECT array_agg(random() - 0.5) AS v
                      FROM generate_series(1, 1280) WHERE p.id IS NOT NULL) random_vector;
        ANALYZE product_images;
        -- With so few rows the planner would rank the filtered rows exactly (scan and sort);
        -- forbid sorting so that it walks the HNSW index, whose filtered results are tested.
        ALTER DATABASE {name} SET enable_sort = off;
        "#,
        name = db.name
    )))
    .execute(&db.pool)
    .await
    .unwrap();
    let pool = db.new_pool().await;
    let rare: Vec<uuid::Uuid> = vec!["00000000-0000-0000-0000-00000000000b".parse().unwrap()];
    let query: Vec<f32> = (0..1280).map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5).collect();
    let filter = SearchFilter { category_ids: Some(rare), exclude_product: None };
    let found = products_like(&pool, &query, MODEL_VERSION, &filter, 10).await.unwrap();
    assert_eq!(found.len(), 10, "ten of the twenty rare products");
    assert!(found.iter().all(|item| item.product.category == "Rare"));
}

/// A PNG whose header claims 14000×14000 pixels (588 MB decoded), with a few hundred KB of
/// real compressed rows behind it.
fn decompression_bomb() -> Vec<u8> {
    use flate2::write::ZlibEncoder;
    use std::io::Write;
    let (width, height) = (14_000u32, 14_000u32);
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut rows = ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 + width as usize * 3];
    for _ in 0..2000 {
        rows.write_all(&row).unwrap();
    }
    let idat = rows.finish().unwrap();

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &idat), (b"IEND", &[])] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    png
}

/// Resident memory of this process (the test server runs in it), in bytes.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn bad_uploads_get_a_clear_json_error_with_the_right_status() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let apple = fixture_image(APPLE);
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04".to_vec();
    let cases: Vec<(&str, Form, u16, &str)> = vec![
        ("text file", photo_form(b"just some text".to_vec()), 415, "unsupported_type"),
        ("GIF", photo_form(gif), 415, "unsupported_type"),
        ("truncated PNG", photo_form(apple[..apple.len() / 2].to_vec()), 422, "corrupt_image"),
        ("zero bytes", photo_form(Vec::new()), 422, "empty_image"),
        ("no image field", Form::new().text("limit", "5"), 400, "missing_image"),
        ("over the byte limit", photo_form(vec![0u8; 20 * 1024 * 1024 + 1]), 413, "too_many_bytes"),
        ("over the pixel limit", photo_form(decompression_bomb()), 422, "too_many_pixels"),
        ("limit 0", photo_form(apple.clone()).text("limit", "0"), 400, "bad_limit"),
        ("limit not a number", photo_form(apple.clone()).text("limit", "ten"), 400, "bad_limit"),
        (
            "region outside",
            photo_form(apple.clone()).text("region", "0.5,0,0.9,1"),
            400,
            "bad_region",
        ),
        (
            "unknown category",
            photo_form(apple.clone()).text("category", "nope"),
            404,
            "unknown_category",
        ),
    ];
    for (what, form, status, code) in cases {
        let (got, body) = search(&app, form).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{what}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
    }

    let response = app
        .client
        .post(app.url("/api/search/by-image"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_multipart");
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_before_decoding() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let bomb = decompression_bomb();
    assert!(bomb.len() < 1024 * 1024, "a small file: {} bytes", bomb.len());
    let before = resident_bytes();
    for _ in 0..5 {
        let (status, body) = search(&app, photo_form(bomb.clone())).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("too_many_pixels")));
    }
    let growth = resident_bytes().saturating_sub(before);
    assert!(growth < 64 * 1024 * 1024, "memory grew by {} MiB", growth / (1024 * 1024));
}

#[tokio::test]
async fn similar_items_leave_the_product_out_and_unknown_ids_are_404() {
    let app = embedded_app().await;
    let apple: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'apple'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let response = app.get(&format!("/api/products/{apple}/similar?limit=3")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let found = slugs(&body);
    assert_eq!(found.len(), 3);
    assert!(!found.contains(&"apple".to_owned()));

    let response = app.get(&format!("/api/products/{}/similar", uuid::Uuid::nil())).await;
    assert_eq!(response.status(), 404);
    let response = app.get("/api/products/not-a-uuid/similar").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_product_id");
}

#[tokio::test]
async fn the_search_form_works_without_javascript() {
    let app = embedded_app().await;
    let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let post = |form: Form| client.post(app.url("/search/photo")).multipart(form).send();

    let response = post(photo_form(fixture_image(APPLE))).await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/search/photo?q="), "{location}");
    let html = app.get(&location).await.text().await.unwrap();
    let results = html.split("Closest matches").nth(1).expect("a results section");
    let first = results.split("data-product-slug=\"").nth(1).unwrap();
    assert!(first.starts_with("apple\""), "the apple first");
    assert!(results.contains("% match"));

    let response = post(photo_form(b"not a photo".to_vec())).await.unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/search/photo?error=unsupported_type");
    let html = app.get(&location).await.text().await.unwrap();
    assert!(html.contains("not a photo we can read"));

    let html = app.get("/search/photo?q=00000000-0000-0000-0000-000000000000").await.text().await;
    assert!(html.unwrap().contains("That search has expired"));
}

#[tokio::test]
async fn a_product_page_shows_similar_items() {
    let app = embedded_app().await;
    let response = app.get("/products/guitar").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Guitar</h1>"), "{html}");
    let similar = html.split("Similar items").nth(1).expect("a similar items row");
    assert_eq!(similar.matches("data-product-slug=").count(), 5, "the five other products");
    assert!(!similar.contains("data-product-slug=\"guitar\""));

    assert_eq!(app.get("/products/no-such-thing").await.status(), 404);
}
