//! Bulk imports: a CSV with good and bad rows and a ZIP of images uploaded as the admin page
//! does, run by the job; bad rows reported on their lines with nothing of their product
//! written, good ones in (with audit, events, opening stock and images); the same files again
//! changing nothing; unsafe ZIPs (a path out of the folder, a decompression bomb) refused with
//! nothing written; the export importing back as a no-op; and 10,000 products at a measured
//! rate.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use app::backend::audit::Actor;
use app::backend::catalog_import::{self, Queued, Upload};
use app::types::{ImportReport, ImportStatus};
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;
use vitrine::jobs::import_catalog::ImportCatalogHandler;
use vitrine::jobs::worker::Worker;

use crate::helpers::{
    call_server_fn, fixture_image, signed_in_admin, stocked_variant, TestApp, TestDb,
};

/// Four products: a new mug with two variants and an image (good), a vase whose second row has
/// a bad price (so neither of its rows goes in), a bowl in a category that does not exist, and
/// a new price for the stored teapot (found by its SKU).
const FILE: &str = "\
product,name,description,category,attributes,sku,options,price,currency,opening_stock,images
blue-mug,Blue mug,Stoneware.,mugs,material: stoneware; origin: PT,MUG-S,size: S,12.50,EUR,5,mug.png
blue-mug,,,,,MUG-L,size: L,14,EUR,2,
vase,Vase,,mugs,,VASE-1,colour: red,20,EUR,,
vase,,,,,VASE-2,colour: blue,twenty,EUR,,
bowl,Bowl,,no-such-category,,BOWL,,9,EUR,,
teapot,TEAPOT,,mugs,,TEAPOT,,30,EUR,,
";

fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Uploads `csv` (and `images`) as the admin page's form does.
async fn upload(
    app: &TestApp,
    token: &str,
    csv: &str,
    images: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new().part(
        "csv",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("products.csv"),
    );
    if let Some(images) = images {
        form = form.part("images", reqwest::multipart::Part::bytes(images).file_name("images.zip"));
    }
    let response = app
        .client
        .post(app.url("/api/admin/imports"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Runs the queued imports as a server's worker does.
async fn run_imports(db: &TestDb) {
    let handler = ImportCatalogHandler { pool: db.pool.clone(), media: db.media.store.clone() };
    let worker = Worker::new(db.pool.clone()).with_handler(Arc::new(handler));
    while worker.run_once().await.unwrap() > 0 {}
}

async fn progress(app: &TestApp, token: &str, import_id: &str) -> ImportReport {
    call_server_fn(app, token, "/api/admin/imports/progress", &[("import_id", import_id)])
        .await
        .unwrap()
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&db.pool).await.unwrap()
}

#[tokio::test]
async fn an_import_takes_the_good_products_reports_the_bad_rows_and_changes_nothing_twice() {
    let db = TestDb::migrated().await;
    stocked_variant(&db, "TEAPOT", 3).await;
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;
    let images = || Some(zip(&[("photos/mug.png", &fixture_image("1f34e.png"))]));

    let (status, body) = upload(&app, &admin, FILE, images()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let import_id = body["import_id"].as_str().unwrap().to_owned();
    let queued = progress(&app, &admin, &import_id).await;
    assert_eq!(queued.summary.status, ImportStatus::Queued);
    assert_eq!(queued.summary.rows_total, 6);
    run_imports(&app.db).await;

    let report = progress(&app, &admin, &import_id).await;
    let summary = &report.summary;
    assert_eq!(summary.status, ImportStatus::Done);
    assert_eq!((summary.rows_done, summary.rows_failed), (3, 3));
    assert_eq!(
        (summary.products_created, summary.products_updated, summary.products_unchanged),
        (1, 1, 0)
    );
    let errors: Vec<(u32, &str, &str)> =
        report.errors.iter().map(|e| (e.line, e.sku.as_str(), e.field.as_str())).collect();
    assert_eq!(errors, [(5, "VASE-2", "price"), (6, "BOWL", "category")], "{:?}", report.errors);

    // The mug, whole: variants, opening stock through the ledger, attributes, its image.
    let db = &app.db;
    let mug: (Uuid, Value, i32) =
        sqlx::query_as("SELECT id, attributes, revision FROM products WHERE slug = 'blue-mug'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(mug.1, serde_json::json!({ "material": "stoneware", "origin": "PT" }));
    let stock: Vec<(String, i32, i64)> = sqlx::query_as(
        r#"
        SELECT v.sku, v.on_hand, (SELECT sum(on_hand_delta) FROM stock_movements m WHERE m.variant_id = v.id)
        FROM product_variants v WHERE v.product_id = $1 ORDER BY v.position
        "#,
    )
    .bind(mug.0)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(stock, [("MUG-S".to_owned(), 5, 5), ("MUG-L".to_owned(), 2, 2)]);
    let image: (String, Option<String>) =
        sqlx::query_as("SELECT status, source_sha256 FROM product_images WHERE product_id = $1")
            .bind(mug.0)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(image.0, "pending", "its embedding is queued");
    assert!(image.1.is_some());
    // Nothing of the vase or the bowl, not even their good rows.
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM product_variants WHERE sku IN ('VASE-1', 'VASE-2', 'BOWL')"
        )
        .await,
        0
    );
    assert_eq!(count(db, "SELECT count(*) FROM products WHERE slug IN ('vase', 'bowl')").await, 0);
    let price: i64 =
        count(db, "SELECT price_minor FROM product_variants WHERE sku = 'TEAPOT'").await;
    assert_eq!(price, 3000);
    // Audited as the admin who uploaded it, each product with its event.
    let audited: Vec<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT action, actor_id FROM audit_log WHERE action LIKE 'catalog.%' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audited.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "catalog.import.create",
            "catalog.product.create",
            "catalog.product.images",
            "catalog.product.update"
        ]
    );
    assert!(audited.iter().all(|(_, actor)| actor.is_some()));
    let events =
        "SELECT count(*) FROM outbox WHERE topic IN ('product.created', 'product.updated')";
    assert_eq!(count(db, events).await, 2);

    // The same files again: nothing changes (no revision, audit entry, event or image).
    let (status, body) = upload(&app, &admin, FILE, images()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    run_imports(&app.db).await;
    let again = progress(&app, &admin, body["import_id"].as_str().unwrap()).await;
    assert_eq!(
        (
            again.summary.products_created,
            again.summary.products_updated,
            again.summary.products_unchanged
        ),
        (0, 0, 2)
    );
    assert_eq!(again.summary.rows_failed, 3);
    assert_eq!(count(db, events).await, 2);
    let revision: i64 =
        count(db, "SELECT revision::bigint FROM products WHERE slug = 'blue-mug'").await;
    assert_eq!(revision, i64::from(mug.2));
    let audited_again =
        count(db, "SELECT count(*) FROM audit_log WHERE action LIKE 'catalog.product.%'").await;
    assert_eq!(audited_again, 3);
    assert_eq!(count(db, "SELECT count(*) FROM product_images").await, 1);
    // The ZIPs are dropped once their imports have ended.
    assert_eq!(count(db, "SELECT count(*) FROM catalog_imports WHERE images IS NOT NULL").await, 0);
}

#[tokio::test]
async fn unsafe_archives_and_unreadable_files_are_refused_with_nothing_written() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let good = "product,sku,price\nmug,MUG,1\n";
    let image = fixture_image("1f34e.png");
    let zeros = vec![0u8; 16 * 1024 * 1024];
    for (what, csv, images, code) in [
        (
            "a path out of the folder",
            good,
            Some(zip(&[("../../etc/mug.png", &image)])),
            "bad_archive",
        ),
        ("an absolute path", good, Some(zip(&[("/tmp/mug.png", &image)])), "bad_archive"),
        ("a decompression bomb", good, Some(zip(&[("mug.png", &zeros)])), "bad_archive"),
        ("not a ZIP", good, Some(b"PK but not really".to_vec()), "bad_archive"),
        ("an unknown column", "product,sku,prize\nmug,MUG,1\n", None, "bad_csv"),
        ("no rows", "product,sku,price\n", None, "bad_csv"),
    ] {
        let (status, body) = upload(&app, &admin, csv, images).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
    }
    let response = app
        .client
        .post(app.url("/api/admin/imports"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .multipart(reqwest::multipart::Form::new().text("note", "no file"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(count(&app.db, "SELECT count(*) FROM catalog_imports").await, 0);
    assert_eq!(count(&app.db, "SELECT count(*) FROM jobs WHERE kind = 'import_catalog'").await, 0);
}

#[tokio::test]
async fn the_export_imports_back_as_a_no_op() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;
    let response = app
        .client
        .get(app.url("/api/admin/catalog.csv"))
        .header(AUTHORIZATION, format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = response.text().await.unwrap();
    let variants = count(&app.db, "SELECT count(*) FROM product_variants").await;
    assert_eq!(csv.lines().count() as i64, variants + 1, "a row per variant under the header");

    // Without a ZIP: the images it names are the products' own files.
    let file = std::env::temp_dir().join(format!("vitrine-export-{}.csv", Uuid::new_v4()));
    std::fs::write(&file, &csv).unwrap();
    let args =
        vitrine::runtime::cli::ImportArgs { file: file.clone(), images: None, enqueue_only: false };
    let report =
        vitrine::commands::catalog_file::import(&app.db.pool, app.db.media.store.clone(), &args)
            .await
            .unwrap()
            .expect("run here");
    std::fs::remove_file(&file).ok();
    let products = count(&app.db, "SELECT count(*) FROM products").await;
    assert_eq!(report.errors, []);
    assert_eq!(i64::from(report.summary.products_unchanged), products);
    assert_eq!(report.summary.products_updated + report.summary.products_created, 0);
}

#[tokio::test]
async fn ten_thousand_products_import_and_report_their_rate() {
    const PRODUCTS: usize = 10_000;
    let db = TestDb::migrated().await;
    stocked_variant(&db, "SEED", 1).await; // the `mugs` category
    let mut csv = String::from("product,name,category,sku,options,price,opening_stock\n");
    for n in 0..PRODUCTS {
        csv.push_str(&format!("item-{n},Item {n},mugs,ITEM-{n},size: M,{}.50,3\n", 1 + n % 90));
    }
    let upload = Upload { file_name: "many.csv".into(), csv: csv.into_bytes(), images: None };
    let Queued { import_id, job_id } =
        catalog_import::create(&db.pool, Actor::Command, upload).await.unwrap();
    let started = Instant::now();
    let summary =
        catalog_import::run(&db.pool, &db.media.store, import_id, job_id).await.unwrap().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "imported {PRODUCTS} products in {seconds:.1} s: {:.0} products/s",
        PRODUCTS as f64 / seconds
    );
    assert_eq!(summary.products_created as usize, PRODUCTS);
    assert_eq!(summary.rows_failed, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM products").await as usize, PRODUCTS + 1);
}
