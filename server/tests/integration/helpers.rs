//! Test scaffolding: a throwaway database per test and a running app around it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use app::backend::auth::password::Passwords;
use app::backend::auth::throttle::ThrottleLimits;
use app::backend::auth::tokens::TokenKeys;
use app::backend::auth::{Auth, DEFAULT_STAFF_PERMISSIONS};
use app::backend::catalog::{upsert_category, upsert_product, upsert_variant, CategoryUpsert};
use app::backend::catalog::{ProductUpsert, VariantUpsert};
use app::backend::inference::{InferenceConfig, InferencePool, ModelSlot};
use app::backend::inventory::{self, StockLine};
use app::backend::media::MediaStore;
use app::backend::payments::test_provider::TestProvider;
use app::backend::payments::PaymentAnswer;
use app::backend::payments::Payments;
use app::backend::rate_limit::RateLimiter;
use app::backend::recs::events::EventWriter;
use app::backend::state::AppState;
use app::backend::text_model::{TextEmbedder, TextModel};
use app::backend::vision::{ImageEmbedder, ImageModel};
use app::types::{Cart, Currency, Money, OrderDetail, VariantOptions};
use clap::Parser;
use leptos::config::LeptosOptions;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;
use uuid::Uuid;
use vitrine::commands::seed::{DemoCatalog, SeedSummary};
use vitrine::jobs::embed_image::EmbedImageHandler;
use vitrine::jobs::embed_text::EmbedTextHandler;
use vitrine::jobs::worker::Worker;
use vitrine::runtime::cli::{Cli, Command, ReindexArgs};
use vitrine::runtime::local_pg::DatabaseUrl;

/// The workspace root (tests run with the package directory as their working directory).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("server/ has a parent").to_owned()
}

/// The command line as `vitrine ARGS…` run from the workspace root would see it (defaults and
/// environment included), so tests use the binary's own settings rather than copies of them.
fn cli(args: &[&str]) -> Cli {
    let state_dir = workspace_root().join(".vitrine");
    let mut argv = vec!["vitrine", "--state-dir", state_dir.to_str().expect("a UTF-8 path")];
    argv.extend_from_slice(args);
    Cli::parse_from(argv)
}

/// A URL of the server the test databases are created on: `DATABASE_URL` when set (its role
/// needs CREATEDB), else the project-local cluster, started if needed.
async fn server_url() -> &'static str {
    static URL: OnceCell<String> = OnceCell::const_new();
    URL.get_or_init(|| async {
        let url = vitrine::runtime::database::resolve_url(&cli(&[]).storage).await;
        url.expect("the test database server").expose().to_owned()
    })
    .await
}

/// `vitrine reindex ARGS…` as the binary would parse it.
pub fn reindex_args(args: &[&str]) -> ReindexArgs {
    let mut argv = vec!["reindex"];
    argv.extend_from_slice(args);
    match cli(&argv).command {
        Some(Command::Reindex(mut args)) => {
            args.model.image_model = workspace_root().join(&args.model.image_model);
            args.model.text_model = workspace_root().join(&args.model.text_model);
            args
        }
        _ => unreachable!("parsed as reindex"),
    }
}

/// A file of the fixture catalog's images (`tests/fixtures/emoji-mini/img/google/64/`).
pub fn fixture_image(file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/emoji-mini/img/google/64")
        .join(file);
    std::fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

/// The unpacked demo data, where `vitrine seed` looks for it (scripts/test.sh installs it).
pub fn demo_data_dir() -> PathBuf {
    match cli(&["seed"]).command {
        Some(Command::Seed(args)) => workspace_root().join(args.demo_data),
        _ => unreachable!("parsed as seed"),
    }
}

/// The image model on its converted weights, loaded once for the whole test binary.
pub fn image_model() -> Arc<ImageModel> {
    static MODEL: OnceLock<Arc<ImageModel>> = OnceLock::new();
    let model = MODEL.get_or_init(|| {
        let weights = match cli(&["serve"]).command {
            Some(Command::Serve(args)) => workspace_root().join(args.model.image_model),
            _ => unreachable!("parsed as serve"),
        };
        Arc::new(
            ImageModel::load(&weights)
                .expect("the converted weights (scripts/test.sh prepares them)"),
        )
    });
    Arc::clone(model)
}

/// The inference pool as the server runs it (threads and concurrency bound), shared by the
/// tests' models.
pub fn inference_pool() -> InferencePool {
    static POOL: OnceLock<InferencePool> = OnceLock::new();
    POOL.get_or_init(|| {
        InferencePool::new(InferenceConfig { threads: 2, concurrency: 2 })
            .expect("the inference thread pool")
    })
    .clone()
}

/// The image model as the server runs it, shared by the tests.
pub fn image_embedder() -> ImageEmbedder {
    static EMBEDDER: OnceLock<ImageEmbedder> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| ImageEmbedder::new(ModelSlot::ready(image_model()), inference_pool()))
        .clone()
}

/// The text model (scripts/test.sh fetches it), loaded once for the tests.
pub fn text_model() -> Arc<TextModel> {
    static MODEL: OnceLock<Arc<TextModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = match cli(&["serve"]).command {
                Some(Command::Serve(args)) => workspace_root().join(args.model.text_model),
                _ => unreachable!("parsed as serve"),
            };
            Arc::new(TextModel::load(&dir).expect("the text model (scripts/test.sh fetches it)"))
        })
        .clone()
}

/// The text model as the server runs it, shared by the tests.
pub fn text_embedder() -> TextEmbedder {
    static EMBEDDER: OnceLock<TextEmbedder> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| TextEmbedder::new(ModelSlot::ready(text_model()), inference_pool()))
        .clone()
}

fn with_database(url: &str, database: &str) -> String {
    DatabaseUrl::new(url).with_database(database).expose().to_owned()
}

/// The small slice of the emoji catalog committed under `tests/fixtures/emoji-mini`.
pub fn fixture_catalog() -> DemoCatalog {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/emoji-mini");
    DemoCatalog::load(&dir).expect("loading the fixture catalog")
}

/// A media directory that exists for one test.
pub struct TestMedia {
    pub store: MediaStore,
}

impl TestMedia {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("vitrine-media-{}", uuid::Uuid::new_v4()));
        Self { store: MediaStore::new(dir) }
    }
}

impl Drop for TestMedia {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.store.root());
    }
}

/// A database that exists for one test: created empty, dropped when the value is dropped (also
/// when the test panics). It comes with a media directory of its own.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    pub media: TestMedia,
    server: String,
}

impl TestDb {
    /// A new, empty database (no migrations applied).
    pub async fn empty() -> Self {
        let server = server_url().await.to_owned();
        let name = format!("vitrine_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server).await.expect("connecting as admin");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("creating the test database");
        admin.close().await.ok();
        let pool = vitrine::runtime::database::pool(&with_database(&server, &name), 5)
            .await
            .expect("connecting to the test database");
        Self { pool, name, media: TestMedia::new(), server }
    }

    /// A new database with every migration applied.
    pub async fn migrated() -> Self {
        let db = Self::empty().await;
        vitrine::runtime::database::migrate(&db.pool).await.expect("migrating the test database");
        db
    }

    /// The URL of this database.
    pub fn url(&self) -> String {
        with_database(&self.server, &self.name)
    }

    /// The storage settings of a `vitrine` command run against this database and its media.
    pub fn storage(&self) -> vitrine::runtime::cli::StorageArgs {
        let mut storage = cli(&[]).storage;
        storage.database_url = Some(self.url());
        storage.media_dir = Some(self.media.store.root().to_owned());
        storage
    }

    /// A new pool on this database: its sessions see settings changed since the first one.
    pub async fn new_pool(&self) -> PgPool {
        vitrine::runtime::database::pool(&with_database(&self.server, &self.name), 2)
            .await
            .expect("connecting to the test database")
    }

    /// Seeds the fixture catalog (six products with images) into this database.
    pub async fn seed_fixture(&self) -> SeedSummary {
        fixture_catalog().seed(&self.pool, &self.media.store).await.expect("seeding the fixture")
    }

    /// A worker that runs this database's `embed_image` jobs with the real model.
    pub fn embedding_worker(&self) -> Worker {
        let handler = EmbedImageHandler {
            pool: self.pool.clone(),
            media: self.media.store.clone(),
            images: image_embedder(),
        };
        Worker::new(self.pool.clone()).with_handler(Arc::new(handler))
    }

    /// Runs every due `embed_text` job with the real model, as a worker would.
    pub async fn embed_texts(&self) -> usize {
        let handler = EmbedTextHandler { pool: self.pool.clone(), texts: text_embedder() };
        let worker = Worker::new(self.pool.clone()).with_handler(Arc::new(handler));
        let mut ran = 0;
        loop {
            match worker.run_once().await.expect("running text embedding jobs") {
                0 => return ran,
                n => ran += n,
            }
        }
    }

    /// Seeds the fixture catalog and embeds its images through the queue, as a worker would.
    pub async fn seed_fixture_embedded(&self) {
        self.seed_fixture().await;
        let worker = self.embedding_worker();
        while worker.run_once().await.expect("running embedding jobs") > 0 {}
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Drop cannot await, and the test's runtime is blocked inside it: a short-lived runtime
        // on its own thread does the cleanup. The pool's connections belong to the blocked
        // runtime, so they are not closed politely; `WITH (FORCE)` ends them server-side.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async move {
                let mut admin = PgConnection::connect(&server).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        });
        if let Ok(Err(err)) = cleanup.join() {
            eprintln!("could not drop test database {}: {err}", self.name);
        }
    }
}

/// The whole HTTP app (router, pages, server functions) served on a random local port.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// Shared with the app's replicas ([`TestApp::replica`]); dropped with the last of them.
    pub db: Arc<TestDb>,
    /// The payment sandbox behind the app, to see what it charged.
    pub payments: Arc<TestProvider>,
    /// The app's event writer, to wait until what it was sent is written.
    pub events: EventWriter,
}

/// How long test checkouts hold stock unless a test says otherwise.
pub const TEST_HOLD: Duration = Duration::from_secs(15 * 60);

/// Account settings for tests: a fixed key, no mail folder, the default throttle limits.
pub fn test_auth() -> Auth {
    Auth {
        keys: TokenKeys::from_secret(TEST_TOKEN_SECRET).expect("a long enough secret"),
        passwords: Passwords::new(2),
        limits: ThrottleLimits::default(),
        staff_permissions: Arc::new(DEFAULT_STAFF_PERMISSIONS.into_iter().collect()),
        secure_cookies: false,
        trust_forwarded_for: false,
        public_url: "http://127.0.0.1".to_owned(),
        sessions: Default::default(),
    }
}

/// The key [`test_auth`] signs with (tests forge tokens with it and with others).
pub const TEST_TOKEN_SECRET: &[u8] = b"test secret: 32 bytes or more, never used in production";

impl TestApp {
    /// The app over `db` with the test settings ([`test_auth`], holds of [`TEST_HOLD`]).
    pub async fn spawn(db: TestDb) -> Self {
        Self::builder(db).spawn().await
    }

    /// The app over `db` with settings of the test's own.
    pub fn builder(db: TestDb) -> TestAppBuilder {
        TestAppBuilder {
            media: db.media.store.clone(),
            db: Arc::new(db),
            auth: test_auth(),
            hold: TEST_HOLD,
            photo_search_limit: RateLimiter::unlimited(),
            text_search_limit: RateLimiter::unlimited(),
            images: image_embedder(),
            texts: text_embedder(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Another web process over the same database, with caches of its own, as a second
    /// replica behind a load balancer would be.
    pub async fn replica(&self) -> TestApp {
        TestAppBuilder {
            media: self.db.media.store.clone(),
            db: self.db.clone(),
            auth: test_auth(),
            hold: TEST_HOLD,
            photo_search_limit: RateLimiter::unlimited(),
            text_search_limit: RateLimiter::unlimited(),
            images: image_embedder(),
            texts: text_embedder(),
        }
        .spawn()
        .await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("sending the request")
    }
}

/// A [`TestApp`] being configured: `TestApp::builder(db).auth(…).hold(…).spawn()`.
pub struct TestAppBuilder {
    db: Arc<TestDb>,
    auth: Auth,
    hold: Duration,
    media: MediaStore,
    photo_search_limit: RateLimiter,
    text_search_limit: RateLimiter,
    images: ImageEmbedder,
    texts: TextEmbedder,
}

impl TestAppBuilder {
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// How long checkouts hold stock.
    pub fn hold(mut self, hold: Duration) -> Self {
        self.hold = hold;
        self
    }

    /// At most `per_minute` searches by photo a minute per client address.
    pub fn photo_searches_per_minute(mut self, per_minute: u32) -> Self {
        self.photo_search_limit = RateLimiter::per_minute(per_minute);
        self
    }

    /// At most `per_minute` text searches and suggestions a minute per client address.
    pub fn text_searches_per_minute(mut self, per_minute: u32) -> Self {
        self.text_search_limit = RateLimiter::per_minute(per_minute);
        self
    }

    /// The image model service (the loaded test model unless set: a test can start the app
    /// without one).
    pub fn images(mut self, images: ImageEmbedder) -> Self {
        self.images = images;
        self
    }

    /// The text model service (the loaded test model unless set).
    pub fn texts(mut self, texts: TextEmbedder) -> Self {
        self.texts = texts;
        self
    }

    /// Where the app stores media (the test database's own directory unless set).
    pub fn media(mut self, media: MediaStore) -> Self {
        self.media = media;
        self
    }

    /// Serves the app on a random local port; its payment sandbox answers in about 20 ms, like
    /// a fast real one.
    pub async fn spawn(self) -> TestApp {
        let Self { db, auth, hold, media, photo_search_limit, text_search_limit, images, texts } =
            self;
        let sandbox = Arc::new(TestProvider::new(db.pool.clone(), Duration::from_millis(20)));
        let payments = Payments { provider: sandbox.clone(), hold };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding a port");
        let addr = listener.local_addr().expect("local address");
        let leptos_options = LeptosOptions::builder()
            .output_name("vitrine")
            .site_root(workspace_root().join("target/site").display().to_string())
            .site_addr(addr)
            .build();
        // As in `vitrine serve`: this app hears the session changes other apps make. The app
        // is returned once it listens, so a test never races the listener's start.
        tokio::spawn(app::backend::auth::live_sessions::listen(
            db.pool.clone(),
            auth.sessions.clone(),
        ));
        let started = std::time::Instant::now();
        while !auth.sessions.is_listening() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the session listener never started"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let events = EventWriter::spawn(db.pool.clone());
        let state = AppState {
            events: events.clone(),
            leptos_options,
            db: db.pool.clone(),
            media,
            images,
            texts,
            auth,
            payments,
            photo_search_limit,
            text_search_limit,
        };
        let router = vitrine::http::router::build(state);
        tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, service).await.expect("serving the test app");
        });
        TestApp { addr, client: reqwest::Client::new(), db, payments: sandbox, events }
    }
}

/// A product with one variant of `stock` units at €12.50, its stock received through the ledger.
pub async fn stocked_variant(db: &TestDb, sku: &str, stock: i32) -> Uuid {
    let mut tx = db.pool.begin().await.unwrap();
    let category = CategoryUpsert { slug: "mugs", name: "Mugs", parent_slug: None };
    let category_id = upsert_category(&mut tx, &category).await.unwrap();
    let slug = sku.to_lowercase();
    let product = ProductUpsert { slug: &slug, name: sku, description: "", category_id };
    let product_id = upsert_product(&mut tx, &product).await.unwrap();
    let options = VariantOptions::new();
    let variant = VariantUpsert {
        product_id,
        sku,
        options: &options,
        position: 0,
        price: Money { minor: 1250, currency: Currency::Eur },
    };
    let (variant_id, _) = upsert_variant(&mut tx, &variant).await.unwrap();
    let line = StockLine { variant_id, quantity: stock };
    inventory::receive(&mut tx, line, None, "test stock").await.unwrap();
    tx.commit().await.unwrap();
    variant_id
}

/// What the JSON API answered: its status, and the body typed as `T` when it succeeded or as
/// the API's refusal (`{"error": {"code", "message"}}`) when it did not.
#[derive(Debug)]
pub struct Answer<T> {
    pub status: u16,
    pub body: Result<T, ApiRefusal>,
}

/// The API's error body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiRefusal {
    pub code: String,
    pub message: String,
}

impl<T: std::fmt::Debug> Answer<T> {
    /// The body of a success; panics with the refusal otherwise.
    pub fn ok(self) -> T {
        match self.body {
            Ok(body) => body,
            Err(refusal) => panic!("refused with {}: {refusal:?}", self.status),
        }
    }

    /// The status and code of a refusal; panics on a success.
    pub fn refusal(&self) -> (u16, &str) {
        match &self.body {
            Ok(body) => panic!("expected a refusal, got {}: {body:?}", self.status),
            Err(refusal) => (self.status, refusal.code.as_str()),
        }
    }
}

/// Reads an answer of the JSON API.
pub async fn answer<T: DeserializeOwned>(response: reqwest::Response) -> Answer<T> {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: ApiRefusal,
    }
    let status = response.status().as_u16();
    let text = response.text().await.expect("reading the body");
    let body = if status < 400 {
        Ok(serde_json::from_str(&text).unwrap_or_else(|err| panic!("{status} {text}: {err}")))
    } else {
        let refusal: ErrorBody =
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{status} {text}: {err}"));
        Err(refusal.error)
    };
    Answer { status, body }
}

/// A shopper's browser: its own cookie jar against the app, speaking the shop's JSON API with
/// the shop's own types.
pub struct TestShopper {
    pub client: reqwest::Client,
    base: String,
}

impl TestShopper {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        Self { client, base: app.url("") }
    }

    /// The same browser (its cookies) talking to another replica of the app.
    pub fn at(&self, app: &TestApp) -> Self {
        Self { client: self.client.clone(), base: app.url("") }
    }

    /// Any JSON request, for bodies the typed calls below cannot send.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: Value) -> Answer<T> {
        answer(self.client.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap())
            .await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Answer<T> {
        answer(self.client.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }

    pub async fn add(&self, variant_id: Uuid, quantity: i32) -> Answer<Cart> {
        self.post("/api/cart/items", json!({ "variant_id": variant_id, "quantity": quantity }))
            .await
    }

    pub async fn cart(&self) -> Cart {
        self.get("/api/cart").await.ok()
    }

    pub async fn place_order(&self) -> Answer<OrderDetail> {
        self.place_order_for("shopper@example.com").await
    }

    /// Places the cart's order with a standard delivery to London, the receipt to `email`.
    pub async fn place_order_for(&self, email: &str) -> Answer<OrderDetail> {
        let checkout = json!({
            "email": email,
            "shipping_address": {
                "name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
                "postal_code": "SW1Y 4JH", "country": "GB"
            },
            "shipping_method": "standard",
        });
        self.post("/api/orders", checkout).await
    }

    pub async fn order(&self, order_id: Uuid) -> Answer<OrderDetail> {
        self.get(&format!("/api/orders/{order_id}")).await
    }

    pub async fn pay(&self, order_id: Uuid, key: &str, card: &str) -> Answer<PaymentAnswer> {
        let response = self
            .client
            .post(format!("{}/api/orders/{order_id}/payments", self.base))
            .header("Idempotency-Key", key)
            .json(&json!({ "card": { "number": card, "expiry": "12/30", "cvc": "123" } }))
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// The shopper's answer to the bank's question.
    pub async fn confirm(&self, order_id: Uuid, payment_id: Uuid) -> Answer<PaymentAnswer> {
        let path = format!("/api/orders/{order_id}/payments/{payment_id}/confirm");
        self.post(&path, json!({ "approved": true })).await
    }

    pub async fn cancel(&self, order_id: Uuid) -> Answer<OrderDetail> {
        self.post(&format!("/api/orders/{order_id}/cancel"), json!({})).await
    }
}

/// Creates the admin `admin@example.com` (as `vitrine user create-admin` does) and signs in
/// through the JSON API; returns the access token.
pub async fn signed_in_admin(app: &TestApp) -> String {
    const PASSWORD: &str = "the test admin's long passphrase";
    let passwords = app::backend::auth::password::Passwords::new(1);
    app::backend::auth::accounts::create_admin(
        &app.db.pool,
        &passwords,
        "admin@example.com",
        PASSWORD.into(),
    )
    .await
    .expect("creating the admin");
    let body: Value = app
        .client
        .post(app.url("/api/auth/sign-in"))
        .json(&json!({ "email": "admin@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().expect("an access token").to_owned()
}

/// `POST /api/admin/product-images` with `form`, as the holder of `token`: the status and body.
pub async fn upload_product_image(
    app: &TestApp,
    token: &str,
    form: reqwest::multipart::Form,
) -> (reqwest::StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/api/admin/product-images"))
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// An order for one unit of `sku`, placed and paid by a guest through the shop's JSON API
/// with the sandbox's success card; returns its id.
pub async fn paid_guest_order(app: &TestApp, sku: &str, email: &str) -> Uuid {
    let guest = TestShopper::new(app);
    let variant: Uuid = sqlx::query_scalar("SELECT id FROM product_variants WHERE sku = $1")
        .bind(sku)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    guest.add(variant, 1).await.ok();
    let order = guest.place_order_for(email).await.ok();
    guest.pay(order.summary.id, "paid-guest-order", "4242 4242 4242 4242").await.ok();
    order.summary.id
}

/// A server function called as a page's form calls it (`form`-encoded), as the holder of
/// `token`: its value, or the refusal's status and JSON body.
pub async fn call_server_fn<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    token: &str,
    path: &str,
    form: &(impl serde::Serialize + ?Sized),
) -> Result<T, (reqwest::StatusCode, Value)> {
    let response = app
        .client
        .post(app.url(path))
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
        .form(form)
        .send()
        .await
        .expect("sending");
    value_or_refusal(response).await
}

/// A `GET` of a server function or JSON endpoint as the holder of `token`: its value, or the
/// refusal's status and JSON body.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    token: &str,
    path: &str,
) -> Result<T, (reqwest::StatusCode, Value)> {
    let response = app
        .client
        .get(app.url(path))
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("sending");
    value_or_refusal(response).await
}

/// A successful answer's value, or a refusal's status and JSON body.
async fn value_or_refusal<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, (reqwest::StatusCode, Value)> {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    if status.is_success() {
        Ok(serde_json::from_value(body).expect("the answer"))
    } else {
        Err((status, body))
    }
}
