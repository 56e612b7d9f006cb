//! Roles × admin server functions, enumerated from the one declaration
//! (`app::server_fns::admin::access_table`): anonymous → 401, customer → 403, staff without the permission
//! → 403, staff with it and admin → allowed. Every registered function under `/api/admin` must
//! be declared, so a new one cannot be left out.

use std::collections::BTreeSet;

use app::server_fns::admin::{access_table, Via, PREFIX};
use app::types::Permission;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{signed_in_admin, test_auth, TestApp, TestDb};

const PASSWORD: &str = "a long and unusual passphrase";

/// What the sample requests name: ids of rows that exist.
struct Samples {
    customer: String,
    product: String,
    order: String,
    variant: String,
    /// The active recommender version (activating it again changes nothing that matters).
    model_version: String,
    /// A queued training job.
    training: String,
    /// A category's slug, for new products.
    category: String,
    /// A queued catalog import.
    import: String,
    /// Dead jobs: one to retry, one to discard.
    dead_jobs: (String, String),
}

/// A valid request for each admin endpoint (a new endpoint needs one here).
fn request(app: &TestApp, path: &str, samples: &Samples) -> reqwest::RequestBuilder {
    let Samples { customer, product, order, variant, .. } = samples;
    let (customer, product, order, variant) =
        (customer.as_str(), product.as_str(), order.as_str(), variant.as_str());
    let post = app.client.post(app.url(path));
    match path {
        "/api/admin/catalog.csv" => app.client.get(app.url(path)),
        "/api/admin/imports" => {
            let csv = "product,sku,price\nmatrix,MATRIX,1\n";
            let form = reqwest::multipart::Form::new()
                .part("csv", reqwest::multipart::Part::text(csv).file_name("matrix.csv"));
            post.multipart(form)
        }
        "/api/admin/imports/list" => post.form(&[] as &[(&str, &str)]),
        "/api/admin/jobs" | "/api/admin/analytics" => app.client.get(app.url(path)),
        "/api/admin/analytics.csv" => {
            app.client.get(app.url("/api/admin/analytics.csv?table=funnel"))
        }
        "/api/admin/analytics/segments" => post.form(&[] as &[(&str, &str)]),
        "/api/admin/jobs/retry" => post.form(&[("job_id", samples.dead_jobs.0.as_str())]),
        "/api/admin/jobs/discard" => post.form(&[("job_id", samples.dead_jobs.1.as_str())]),
        "/api/admin/imports/progress" => post.form(&[("import_id", samples.import.as_str())]),
        "/api/admin/users" | "/api/admin/audit" => app.client.get(app.url(path)),
        "/api/admin/products" => post.form(&[("query", "")]),
        "/api/admin/products/publish" => {
            post.form(&[("product_id", product), ("published", "true")])
        }
        "/api/admin/products/edit" => post.form(&[("product_id", product)]),
        "/api/admin/categories" => post.form(&[] as &[(&str, &str)]),
        // Renaming a category to its own name, and deleting one that is not there: no-ops.
        "/api/admin/categories/save" => post.form(&[
            ("form[slug]", samples.category.as_str()),
            ("form[name]", samples.category.as_str()),
        ]),
        "/api/admin/categories/delete" => post.form(&[("slug", "no-such-category")]),
        // Restoring a product that is not archived: a no-op.
        "/api/admin/products/archive" => {
            post.form(&[("product_id", product), ("archived", "false")])
        }
        // A new product each call (its name and SKU made unique).
        "/api/admin/products/save" => {
            let unique = uuid::Uuid::new_v4().simple().to_string();
            let sku = format!("MATRIX-{}", unique.to_uppercase());
            post.form(&[
                ("form[name]", format!("Matrix {unique}").as_str()),
                ("form[category]", samples.category.as_str()),
                ("form[variants][0][sku]", sku.as_str()),
                ("form[variants][0][price]", "1"),
                ("form[variants][0][currency]", "EUR"),
            ])
        }
        "/api/admin/users/role" => post.form(&[("user_id", customer), ("role", "customer")]),
        // Enabling an enabled account: changes nothing the other calls depend on.
        "/api/admin/users/disabled" => post.form(&[("user_id", customer), ("disabled", "false")]),
        "/api/admin/orders" => app.client.get(app.url("/api/admin/orders?status=paid&sort=oldest")),
        "/api/admin/orders/detail" => {
            app.client.get(app.url(&format!("/api/admin/orders/detail?order_id={order}")))
        }
        "/api/admin/stock" => post.form(&[("query", "tea")]),
        "/api/admin/stock/adjust" => post.form(&[
            ("variant_id", variant),
            ("change", "delivery"),
            ("quantity", "1"),
            ("note", "matrix"),
        ]),
        "/api/admin/orders/status" => {
            post.form(&[("order_id", order), ("status", "fulfilled"), ("note", "")])
        }
        "/api/admin/orders/refund" => post.form(&[
            ("order_id", order),
            ("amount", "1.00"),
            ("reason", "matrix"),
            ("idempotency_key", "matrix"),
        ]),
        "/api/admin/models" | "/api/admin/models/train" | "/api/admin/models/click-through" => {
            post.form(&[] as &[(&str, &str)])
        }
        "/api/admin/models/activate" => post.form(&[("version", &samples.model_version)]),
        "/api/admin/models/training" => post.form(&[("job_id", &samples.training)]),
        "/api/admin/product-images" => {
            let image = crate::helpers::fixture_image("1f34e.png");
            let form = reqwest::multipart::Form::new()
                .text("product", product.to_owned())
                .part("display", reqwest::multipart::Part::bytes(image).file_name("apple.png"));
            post.multipart(form)
        }
        other => panic!("add a sample request for the admin endpoint {other}"),
    }
}

async fn token(app: &TestApp, email: &str) -> String {
    let response = app
        .client
        .post(app.url("/api/auth/sign-in"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().expect("signed in").to_owned()
}

#[tokio::test]
async fn every_admin_server_function_refuses_whoever_lacks_its_permission() {
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|path| path.starts_with(PREFIX))
        .collect();
    let declared: BTreeSet<&str> = access_table()
        .into_iter()
        .filter(|(_, _, via)| *via == Via::ServerFn)
        .map(|(path, ..)| path)
        .collect();
    assert_eq!(registered, declared, "every admin server function is in the access table");

    // Staff may manage users here, but not read the audit log.
    let staff_may: BTreeSet<Permission> = [Permission::Catalog, Permission::Users].into();
    let auth =
        app::backend::auth::Auth { staff_permissions: staff_may.clone().into(), ..test_auth() };
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::builder(db).auth(auth).spawn().await;
    let product: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products ORDER BY slug LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    for (email, role) in [("customer@example.com", "customer"), ("staff@example.com", "staff")] {
        let response = app
            .client
            .post(app.url("/api/auth/register"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        sqlx::query("UPDATE users SET role = $2 WHERE email = $1")
            .bind(email)
            .bind(role)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    let customer_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'customer@example.com'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let customer = token(&app, "customer@example.com").await;
    let staff = token(&app, "staff@example.com").await;
    let admin = signed_in_admin(&app).await;

    let order = crate::helpers::paid_guest_order(&app, "TEAPOT", "guest@example.com").await;
    let variant: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM product_variants WHERE sku = 'TEAPOT'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    // A recommender version to activate, and a training to follow.
    let kinds = crate::recommendations::two_kinds(&app.db).await;
    crate::recommendations::shoppers_with_tastes(&app.db, &kinds, 10).await;
    let model = crate::recommendations::train(&app.db, &crate::recommendations::small()).await;
    let training =
        app::backend::recs::versions::enqueue_training(&app.db.pool, &Default::default())
            .await
            .unwrap()
            .expect("a queued training");
    let upload = app::backend::catalog_import::Upload {
        file_name: "sample.csv".into(),
        csv: b"product,sku,price\nsample,SAMPLE,1\n".to_vec(),
        images: None,
    };
    let import = app::backend::catalog_import::create(
        &app.db.pool,
        app::backend::audit::Actor::Command,
        upload,
    )
    .await
    .unwrap();
    let dead_jobs = (
        crate::job_admin::job(&app.db, "matrix:retry", Some("failed")).await.to_string(),
        crate::job_admin::job(&app.db, "matrix:discard", Some("failed")).await.to_string(),
    );
    let samples = Samples {
        dead_jobs,
        import: import.import_id.to_string(),
        customer: customer_id.to_string(),
        product: product.to_string(),
        order: order.to_string(),
        variant: variant.to_string(),
        model_version: model.version,
        training: training.to_string(),
        category: sqlx::query_scalar("SELECT slug FROM categories ORDER BY slug LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap(),
    };
    for (path, permission, _) in access_table() {
        let call = |bearer: Option<&str>| {
            let mut request = request(&app, path, &samples);
            if let Some(token) = bearer {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            request.send()
        };
        assert_eq!(
            call(None).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "anonymous → {path}"
        );
        assert_eq!(
            call(Some(&customer)).await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "customer → {path}"
        );
        let as_staff = call(Some(&staff)).await.unwrap().status();
        if staff_may.contains(&permission) {
            assert!(as_staff.is_success(), "staff with {permission:?} → {path}: {as_staff}");
        } else {
            assert_eq!(as_staff, StatusCode::FORBIDDEN, "staff without {permission:?} → {path}");
        }
        let as_admin = call(Some(&admin)).await.unwrap().status();
        assert!(as_admin.is_success(), "admin → {path}: {as_admin}");
    }
}

#[tokio::test]
async fn role_changes_are_audited_and_the_last_admin_stays() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let admin_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@example.com'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let set_role = |user: uuid::Uuid, role: &'static str| {
        app.client
            .post(app.url("/api/admin/users/role"))
            .header(AUTHORIZATION, format!("Bearer {admin}"))
            .header("x-forwarded-for", "203.0.113.9") // not trusted: the peer's address is recorded
            .form(&[("user_id", user.to_string()), ("role", role.to_owned())])
            .send()
    };
    let response = set_role(admin_id, "staff").await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT, "the only admin cannot step down");

    let response = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({ "email": "new@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let new_id: uuid::Uuid =
        response.json::<Value>().await.unwrap()["account"]["id"].as_str().unwrap().parse().unwrap();
    let response = set_role(new_id, "staff").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let row: (Option<uuid::Uuid>, String, Option<String>, String, Value, Value) = sqlx::query_as(
        "SELECT actor_id, actor_role, host(ip), action, before, after FROM audit_log WHERE entity_id = $1",
    )
    .bind(new_id.to_string())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(row.0, Some(admin_id));
    assert_eq!(row.1, "admin");
    assert_eq!(row.2.as_deref(), Some("127.0.0.1"));
    assert_eq!(row.3, "users.role.update");
    assert_eq!((row.4, row.5), (json!({"role": "customer"}), json!({"role": "staff"})));
}
