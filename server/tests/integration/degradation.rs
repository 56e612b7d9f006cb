//! Without its image model (the weights file missing or corrupt) the shop keeps serving: pages,
//! similar items (stored embeddings) and the cart work, `/readyz` says `degraded` and why,
//! search by photo answers "temporarily unavailable" (never a 500), and embedding jobs wait in
//! the queue until the model is back. The real server starts that way too.

use std::time::{Duration, Instant};

use app::backend::inference::{InferenceConfig, InferencePool, ModelSlot};
use app::backend::text_model::TextEmbedder;
use app::backend::vision::ImageEmbedder;
use reqwest::multipart::{Form, Part};
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::helpers::{fixture_image, image_model, TestApp, TestDb};

const APPLE: &str = "1f34e.png";

/// A model slot as the server has it when the model's files are missing.
fn missing<M>() -> ModelSlot<M> {
    ModelSlot::missing("the weights file is missing".into())
}

fn pool() -> InferencePool {
    InferencePool::new(InferenceConfig { threads: 1, concurrency: 1 }).unwrap()
}

fn without_model() -> ImageEmbedder {
    ImageEmbedder::new(missing(), pool())
}

fn photo(bytes: Vec<u8>) -> Form {
    Form::new().part("image", Part::bytes(bytes).file_name("photo.png"))
}

#[tokio::test]
async fn without_its_model_the_shop_serves_everything_but_search_by_photo() {
    let db = TestDb::migrated().await;
    db.seed_fixture_embedded().await;
    let app = TestApp::builder(db).images(without_model()).spawn().await;

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "still in the load balancer");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["image_model"]["ok"], false);
    let detail = body["checks"]["image_model"]["detail"].as_str().unwrap();
    assert!(detail.contains("the weights file is missing"), "{detail}");

    assert_eq!(app.get("/").await.status(), 200);
    let product = app.get("/products/apple").await;
    assert_eq!(product.status(), 200);
    assert!(product.text().await.unwrap().contains("Similar items"), "stored embeddings serve");

    let search =
        app.client.post(app.url("/api/search/by-image")).multipart(photo(fixture_image(APPLE)));
    let refused = search.send().await.unwrap();
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");

    // The page's plain form comes back with the message, not an error page.
    let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let form = client.post(app.url("/search/photo")).multipart(photo(fixture_image(APPLE)));
    let response = form.send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/search/photo?error=unavailable");
    let page = app.get(&location).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("temporarily unavailable"));
}

#[tokio::test]
async fn embedding_jobs_wait_for_the_model_and_run_once_it_is_back() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let slot = missing();
    let images = ImageEmbedder::new(slot.clone(), pool());
    let handler = vitrine::jobs::embed_image::EmbedImageHandler {
        pool: db.pool.clone(),
        media: db.media.store.clone(),
        images: images.clone(),
    };
    let worker = vitrine::jobs::worker::Worker::new(db.pool.clone())
        .with_handler(std::sync::Arc::new(handler));
    let queued = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM jobs WHERE kind = 'embed_image' AND status = 'queued' AND attempts = 0",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    let waiting = queued().await;
    assert!(waiting > 0);
    assert_eq!(worker.run_once().await.unwrap(), 0, "nothing is taken without the model");
    assert_eq!(queued().await, waiting, "nor failed");

    slot.install(image_model());
    while worker.run_once().await.unwrap() > 0 {}
    let ready: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_images WHERE status = 'ready'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(ready, waiting);
}

#[tokio::test]
async fn the_server_starts_degraded_with_a_corrupt_model_file() {
    let db = TestDb::migrated().await;
    let dir = std::env::temp_dir().join(format!("vitrine-corrupt-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let weights = dir.join("efficientnet-lite0.safetensors");
    std::fs::write(&weights, b"not a safetensors file").unwrap();
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(["serve", "--role", "web", "--addr", &addr.to_string()])
        .env("DATABASE_URL", db.url())
        .env("VITRINE_STATE_DIR", &dir)
        .env("VITRINE_IMAGE_MODEL", &weights)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let body = loop {
        if let Ok(response) = reqwest::get(format!("http://{addr}/readyz")).await {
            break response.json::<Value>().await.unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the server never answered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let home = reqwest::get(format!("http://{addr}/")).await.unwrap().status();
    server.kill().unwrap();
    server.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(body["checks"]["image_model"]["ok"], false, "{body}");
    assert_ne!(body["status"], "ready");
    assert_eq!(home, 200);
}

#[tokio::test]
async fn without_its_text_model_text_search_answers_from_the_words_alone() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    db.embed_texts().await;
    let texts = TextEmbedder::new(missing(), pool());
    let app = TestApp::builder(db).texts(texts).spawn().await;

    let body: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["text_model"]["ok"], false);
    assert_eq!(body["checks"]["image_model"]["ok"], true);

    // Words and typos still find the product; a description that needs the model finds
    // nothing rather than failing.
    for (query, first) in [
        ("teapot", Some("Teapot")),
        ("gutiar", Some("Guitar")),
        ("something to play music on", None),
    ] {
        let response = app.get(&format!("/api/search?q={}", query.replace(' ', "+"))).await;
        assert_eq!(response.status(), 200, "{query}");
        let results: Value = response.json().await.unwrap();
        let name = results["hits"][0]["product"]["name"].as_str();
        assert_eq!(name, first, "{query}: {results}");
    }
    let suggest = app.get("/api/search/suggest?q=music+instrument").await;
    assert_eq!(suggest.status(), 200);
}
