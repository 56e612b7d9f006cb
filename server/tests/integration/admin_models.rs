//! The admin's models section over HTTP, as the page calls it: two trained recommender versions
//! listed newest first with their figures beside the baselines, rolling back to the older one
//! (audited as the admin, and what the registry then calls active), a text-to-image version
//! refused with the command to use, a training queued and followed, and the rows'
//! click-through per model version. A customer gets none of it.

use app::backend::model_registry::{self, NewVersion};
use app::backend::recs::train::TrainParams;
use app::backend::recs::{TrainRecs, KIND};
use app::types::{
    ClickThroughRow, JobStatus, ModelFigures, ModelKind, ModelVersionRow, TrainingJob,
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{call_server_fn, signed_in_admin, TestApp, TestDb};
use crate::recommendations::{shoppers_with_tastes, small, train, two_kinds};

/// A server function's answer: its value, or the refusal's status and code.
async fn call<T: DeserializeOwned>(
    app: &TestApp,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Result<T, (StatusCode, String)> {
    call_server_fn(app, token, path, form)
        .await
        .map_err(|(status, body)| (status, body["code"].as_str().unwrap_or_default().to_owned()))
}

async fn customer(app: &TestApp) -> String {
    let response = app
        .client
        .post(app.url("/api/auth/register"))
        .json(
            &json!({ "email": "shopper@example.com", "password": "a long and unusual passphrase" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().expect("signed in").to_owned()
}

/// A recommendation event of `kind` on `row`, `days_ago`.
async fn rec_event(
    db: &TestDb,
    kind: &str,
    row: &str,
    version: Option<&str>,
    product: Uuid,
    days_ago: i32,
) {
    sqlx::query(
        "INSERT INTO shopper_events (visitor, kind, product_id, row_name, model_version, position, occurred_at)
         VALUES ($1, $2, $3, $4, $5, 0, now() - make_interval(days => $6))",
    )
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(product)
    .bind(row)
    .bind(version)
    .bind(days_ago)
    .execute(&db.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_admin_lists_versions_rolls_back_trains_and_reads_click_through() {
    let db = TestDb::migrated().await;
    let kinds = two_kinds(&db).await;
    shoppers_with_tastes(&db, &kinds, 40).await;
    let older = train(&db, &small()).await;
    let params = TrainParams { seed: 5, ..small().params.unwrap() };
    let newer = train(&db, &TrainRecs { params: Some(params), force_activate: true }).await;
    assert!(newer.activated);
    let app = TestApp::spawn(db).await;
    let admin = signed_in_admin(&app).await;

    // Both listed, newest first, the newer one serving, with the baselines' figures.
    let rows: Vec<ModelVersionRow> = call(&app, &admin, "/api/admin/models", &[]).await.unwrap();
    let names: Vec<(&str, bool)> = rows
        .iter()
        .filter(|row| row.kind == ModelKind::Recommender)
        .map(|row| (row.version.as_str(), row.active))
        .collect();
    assert_eq!(names, vec![(newer.version.as_str(), true), (older.version.as_str(), false)]);
    let ModelFigures::Recommender { taste, popularity, shoppers_measured, .. } = rows[1].figures
    else {
        panic!("{:?}", rows[1].figures)
    };
    assert!((taste.ndcg_at_10 - older.metrics.taste.ndcg).abs() < 1e-9, "{taste:?}");
    assert!((popularity.recall_at_10 - older.metrics.popularity.recall).abs() < 1e-9);
    assert_eq!(shoppers_measured, older.metrics.taste.users);
    assert!(rows[1].data_window.contains("40 shoppers"), "{}", rows[1].data_window);

    // A customer may not roll back.
    let shopper = customer(&app).await;
    let form = [("version", older.version.as_str())];
    let refused = call::<Value>(&app, &shopper, "/api/admin/models/activate", &form).await;
    assert_eq!(refused.unwrap_err().0, StatusCode::FORBIDDEN);

    // The admin does: the older version serves, and the audit log says who.
    let activated: ModelVersionRow =
        call(&app, &admin, "/api/admin/models/activate", &form).await.unwrap();
    assert!(activated.active);
    let active = model_registry::active(&app.db.pool, KIND).await.unwrap().unwrap();
    assert_eq!(active.version, older.version);
    let admin_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@example.com'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let (actor, role, before, after): (Option<Uuid>, String, Value, Value) = sqlx::query_as(
        "SELECT actor_id, actor_role, before, after FROM audit_log
         WHERE action = 'models.version.activate' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((actor, role.as_str()), (Some(admin_id), "admin"));
    assert_eq!(before["active"], newer.version.as_str());
    assert_eq!(after["active"], older.version.as_str());

    // Unknown versions and text-to-image versions are refused, each with its reason.
    let unknown = [("version", "recommender-19700101-1")];
    let refused = call::<Value>(&app, &admin, "/api/admin/models/activate", &unknown).await;
    assert_eq!(refused.unwrap_err(), (StatusCode::NOT_FOUND, "unknown_version".to_owned()));
    let head = NewVersion {
        kind: app::backend::text_to_image::KIND,
        version: "text-to-image-19700101-1".to_owned(),
        params: json!({}),
        data: json!({ "catalog_pairs": 10 }),
        metrics: json!({ "catalog_recall_at_10": 0.5, "catalog_queries": 2 }),
        weights: Vec::new(),
        training_seconds: 1.0,
    };
    model_registry::insert(&app.db.pool, &head).await.unwrap();
    let form = [("version", "text-to-image-19700101-1")];
    let refused = call::<Value>(&app, &admin, "/api/admin/models/activate", &form).await;
    assert_eq!(refused.unwrap_err(), (StatusCode::CONFLICT, "activated_on_server".to_owned()));
    let rows: Vec<ModelVersionRow> = call(&app, &admin, "/api/admin/models", &[]).await.unwrap();
    assert!(rows.iter().any(|row| row.kind == ModelKind::TextToImage && !row.active));

    // A training is queued (once, however often asked) and followed.
    let job: Uuid = call(&app, &admin, "/api/admin/models/train", &[]).await.unwrap();
    let again: Uuid = call(&app, &admin, "/api/admin/models/train", &[]).await.unwrap();
    assert_eq!(job, again, "one training at a time");
    let id = job.to_string();
    let state: TrainingJob =
        call(&app, &admin, "/api/admin/models/training", &[("job_id", &id)]).await.unwrap();
    assert_eq!((state.job_id, state.status), (job, JobStatus::Queued));
    let stranger = Uuid::new_v4().to_string();
    let refused =
        call::<Value>(&app, &admin, "/api/admin/models/training", &[("job_id", &stranger)]).await;
    assert_eq!(refused.unwrap_err(), (StatusCode::NOT_FOUND, "unknown_job".to_owned()));

    // Click-through per row and version, over the last 30 days only.
    let product = kinds[0][0];
    for _ in 0..4 {
        rec_event(&app.db, "rec_impression", "picked_for_you", Some(&older.version), product, 1)
            .await;
    }
    rec_event(&app.db, "rec_click", "picked_for_you", Some(&older.version), product, 1).await;
    rec_event(&app.db, "rec_impression", "picked_for_you", Some(&older.version), product, 40).await;
    rec_event(&app.db, "rec_impression", "trending", None, product, 2).await;
    let rows: Vec<ClickThroughRow> =
        call(&app, &admin, "/api/admin/models/click-through", &[]).await.unwrap();
    assert_eq!(
        rows,
        vec![
            ClickThroughRow::new("picked_for_you".into(), Some(older.version.clone()), 4, 1),
            ClickThroughRow::new("trending".into(), None, 1, 0),
        ]
    );
    assert_eq!(rows[0].ctr, Some(0.25));
    let refused = call::<Value>(&app, &shopper, "/api/admin/models/click-through", &[]).await;
    assert_eq!(refused.unwrap_err().0, StatusCode::FORBIDDEN);
}
