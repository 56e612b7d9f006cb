//! The admin's jobs page, through its server functions: the overview's figures on a known
//! queue (as JSON, by `GET`, as a script reads it), a dead job retried with fresh attempts and
//! discarded, each audited; a retry refused when the same work is queued already or the job is
//! not dead.

use app::backend::jobs::{self, NewJob};
use app::types::JobsOverview;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{call_server_fn, signed_in_admin, TestApp, TestDb};

const KIND: &str = "test_job";

/// A job of `KIND` with `key`, then made dead (its attempts used up) with `error` when `dead`.
pub async fn job(db: &TestDb, key: &str, dead: Option<&str>) -> Uuid {
    let mut conn = db.pool.acquire().await.unwrap();
    let id = jobs::enqueue(&mut conn, &NewJob::new(KIND, json!({ "key": key })).dedupe(key))
        .await
        .unwrap()
        .expect("a new key");
    if let Some(error) = dead {
        sqlx::query(
            "UPDATE jobs SET status = 'dead', attempts = max_attempts, last_error = $2, finished_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    id
}

async fn overview(app: &TestApp, token: &str) -> JobsOverview {
    let response = app
        .client
        .get(app.url("/api/admin/jobs"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn mend(app: &TestApp, token: &str, what: &str, id: Uuid) -> Result<(), (StatusCode, Value)> {
    let path = format!("/api/admin/jobs/{what}");
    call_server_fn::<()>(app, token, &path, &[("job_id", id.to_string())]).await
}

#[tokio::test]
async fn the_overview_counts_the_queue_and_dead_jobs_are_retried_or_discarded_with_audit() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let db = &app.db;
    let waiting = job(db, "waiting", None).await;
    // A job that failed once and waits for its next attempt.
    let retrying = job(db, "retrying", None).await;
    sqlx::query("UPDATE jobs SET attempts = 1, last_error = 'timed out', run_at = now() + interval '1 hour' WHERE id = $1")
        .bind(retrying)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET run_at = now() - interval '90 seconds' WHERE id = $1")
        .bind(waiting)
        .execute(&db.pool)
        .await
        .unwrap();
    let dead = job(db, "dead", Some("the model file is missing")).await;
    let doomed = job(db, "doomed", Some("bad payload")).await;

    let seen = overview(&app, &admin).await;
    let queue = seen.queues.iter().find(|queue| queue.kind == KIND).expect("its queue");
    assert_eq!((queue.queued, queue.running, queue.dead), (2, 0, 2));
    assert!((90.0..120.0).contains(&queue.oldest_due_secs), "{}", queue.oldest_due_secs);
    assert_eq!(seen.retrying.iter().map(|job| job.id).collect::<Vec<_>>(), [retrying]);
    assert_eq!(seen.retrying[0].last_error.as_deref(), Some("timed out"));
    let dead_ids: Vec<Uuid> = seen.dead.iter().map(|job| job.id).collect();
    assert_eq!(dead_ids.len(), 2);
    assert!(dead_ids.contains(&dead) && dead_ids.contains(&doomed));
    assert_eq!((seen.backlog.images_waiting, seen.backlog.texts_waiting), (0, 0));

    // Retried: queued again with fresh attempts, audited; a second retry finds it alive.
    mend(&app, &admin, "retry", dead).await.unwrap();
    let state: (String, i32) = sqlx::query_as("SELECT status, attempts FROM jobs WHERE id = $1")
        .bind(dead)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(state, ("queued".to_owned(), 0));
    let (status, body) = mend(&app, &admin, "retry", dead).await.unwrap_err();
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("not_dead")));

    // Discarded: gone, its error kept in the audit entry.
    mend(&app, &admin, "discard", doomed).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE id = $1")
        .bind(doomed)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let audited: Vec<(String, String, Option<Value>)> = sqlx::query_as(
        "SELECT action, entity_id, before->'last_error' FROM audit_log WHERE entity = 'job' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            (
                "jobs.job.retry".to_owned(),
                dead.to_string(),
                Some(json!("the model file is missing"))
            ),
            ("jobs.job.discard".to_owned(), doomed.to_string(), Some(json!("bad payload"))),
        ]
    );
    let (status, body) = mend(&app, &admin, "discard", Uuid::now_v7()).await.unwrap_err();
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_job")));
}

#[tokio::test]
async fn a_dead_job_is_not_retried_while_the_same_work_is_queued() {
    let app = TestApp::spawn(TestDb::migrated().await).await;
    let admin = signed_in_admin(&app).await;
    let dead = job(&app.db, "image:7", Some("failed")).await;
    // The same work queued anew since (its dedupe key is free once the first died).
    job(&app.db, "image:7", None).await;
    let (status, body) = mend(&app, &admin, "retry", dead).await.unwrap_err();
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_queued")));
    let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(dead)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "dead", "nothing changed");
}
