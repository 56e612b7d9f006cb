//! The PostgreSQL job queue and its worker.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::backend::jobs::{self, FailureOutcome, NewJob};
use serde_json::json;
use vitrine::jobs::worker::{HandlerFuture, JobHandler, Worker};

use crate::helpers::TestDb;

const KIND: &str = "test_job";

fn kinds() -> Vec<String> {
    vec![KIND.to_owned()]
}

async fn enqueue(db: &TestDb, job: NewJob<'_>) -> Option<uuid::Uuid> {
    let mut conn = db.pool.acquire().await.unwrap();
    jobs::enqueue(&mut conn, &job).await.unwrap()
}

async fn status_of(db: &TestDb, id: uuid::Uuid) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT status, attempts, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Makes every queued job due now, instead of waiting out its backoff.
async fn skip_backoff(db: &TestDb) {
    sqlx::query("UPDATE jobs SET run_at = now() WHERE status = 'queued'")
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_job_exists_only_if_its_transaction_commits() {
    let db = TestDb::migrated().await;
    let mut tx = db.pool.begin().await.unwrap();
    jobs::enqueue(&mut tx, &NewJob::new(KIND, json!({"n": 1}))).await.unwrap();
    tx.rollback().await.unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    let kept = jobs::enqueue(&mut tx, &NewJob::new(KIND, json!({"n": 2}))).await.unwrap();
    tx.commit().await.unwrap();

    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM jobs").fetch_all(&db.pool).await.unwrap();
    assert_eq!(ids, vec![kept.unwrap()]);
}

#[tokio::test]
async fn the_same_work_is_queued_once_while_it_is_live() {
    let db = TestDb::migrated().await;
    let first = enqueue(&db, NewJob::new(KIND, json!({})).dedupe("image:1")).await;
    let again = enqueue(&db, NewJob::new(KIND, json!({})).dedupe("image:1")).await;
    assert!(first.is_some());
    assert_eq!(again, None, "a live job with the key exists");

    let job = jobs::claim(&db.pool, "w", &kinds(), Duration::from_secs(60), 1).await.unwrap();
    assert!(jobs::complete(&db.pool, &job[0], "w").await.unwrap());
    let after = enqueue(&db, NewJob::new(KIND, json!({})).dedupe("image:1")).await;
    assert!(after.is_some(), "finished work can be queued again");
}

#[tokio::test]
async fn concurrent_workers_never_get_the_same_job() {
    let db = TestDb::migrated().await;
    for n in 0..40 {
        enqueue(&db, NewJob::new(KIND, json!({ "n": n }))).await;
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let pool = db.pool.clone();
        workers.push(tokio::spawn(async move {
            let name = format!("worker-{w}");
            let mut mine = Vec::new();
            loop {
                let batch =
                    jobs::claim(&pool, &name, &kinds(), Duration::from_secs(60), 3).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|job| job.id));
            }
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40);
    assert_eq!(unique.len(), 40, "no job was handed out twice");
}

#[tokio::test]
async fn failures_are_retried_with_backoff_then_the_job_is_dead() {
    let db = TestDb::migrated().await;
    let id = enqueue(&db, NewJob::new(KIND, json!({})).max_attempts(2)).await.unwrap();

    let job =
        jobs::claim(&db.pool, "w", &kinds(), Duration::from_secs(60), 1).await.unwrap().remove(0);
    assert_eq!(job.attempt, 1);
    let outcome = jobs::fail(&db.pool, &job, "w", "disk on fire").await.unwrap();
    assert_eq!(outcome, FailureOutcome::RetryIn(Duration::from_secs(2)));
    assert_eq!(status_of(&db, id).await, ("queued".into(), 1, Some("disk on fire".into())));
    let too_early = jobs::claim(&db.pool, "w", &kinds(), Duration::from_secs(60), 1).await.unwrap();
    assert!(too_early.is_empty(), "the retry waits for its backoff");

    skip_backoff(&db).await;
    let job =
        jobs::claim(&db.pool, "w", &kinds(), Duration::from_secs(60), 1).await.unwrap().remove(0);
    assert_eq!(job.attempt, 2);
    assert_eq!(
        jobs::fail(&db.pool, &job, "w", "still on fire").await.unwrap(),
        FailureOutcome::Dead
    );
    assert_eq!(status_of(&db, id).await, ("dead".into(), 2, Some("still on fire".into())));
    skip_backoff(&db).await;
    assert!(jobs::claim(&db.pool, "w", &kinds(), Duration::from_secs(60), 1)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_job_whose_worker_died_is_picked_up_again() {
    let db = TestDb::migrated().await;
    let id = enqueue(&db, NewJob::new(KIND, json!({}))).await.unwrap();
    let lease = Duration::from_millis(200);

    // Worker A claims the job and dies without a word.
    let lost = jobs::claim(&db.pool, "a", &kinds(), lease, 1).await.unwrap().remove(0);
    assert!(jobs::claim(&db.pool, "b", &kinds(), lease, 1).await.unwrap().is_empty(), "leased");

    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let recovered = jobs::claim(&db.pool, "b", &kinds(), lease * 50, 1).await.unwrap().remove(0);
    assert_eq!((recovered.id, recovered.attempt), (id, 2));

    // A late word from the dead worker changes nothing.
    assert!(!jobs::complete(&db.pool, &lost, "a").await.unwrap());
    assert_eq!(jobs::fail(&db.pool, &lost, "a", "late").await.unwrap(), FailureOutcome::LostLease);
    assert!(jobs::complete(&db.pool, &recovered, "b").await.unwrap());
    assert_eq!(status_of(&db, id).await.0, "succeeded");
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_ends_dead() {
    let db = TestDb::migrated().await;
    let id = enqueue(&db, NewJob::new(KIND, json!({})).max_attempts(1)).await.unwrap();
    let lease = Duration::from_millis(100);
    jobs::claim(&db.pool, "a", &kinds(), lease, 1).await.unwrap();
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    assert!(jobs::claim(&db.pool, "b", &kinds(), lease, 1).await.unwrap().is_empty());
    let (status, attempts, error) = status_of(&db, id).await;
    assert_eq!((status.as_str(), attempts), ("dead", 1));
    assert!(error.unwrap().contains("lease expired"));
}

/// Fails on its first attempt at each job, panics on the job marked `panic`, else succeeds.
struct FlakyHandler {
    runs: AtomicUsize,
}

impl JobHandler for FlakyHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, jobs: &'a [app::backend::jobs::ClaimedJob]) -> HandlerFuture<'a> {
        Box::pin(async move {
            jobs.iter()
                .map(|job| {
                    self.runs.fetch_add(1, Ordering::SeqCst);
                    if job.payload["panic"] == true {
                        panic!("handler bug");
                    }
                    if job.attempt == 1 {
                        return Err("transient".to_owned());
                    }
                    Ok(())
                })
                .collect()
        })
    }
}

#[tokio::test]
async fn the_worker_runs_handlers_retries_failures_and_survives_panics() {
    let db = TestDb::migrated().await;
    let flaky = enqueue(&db, NewJob::new(KIND, json!({}))).await.unwrap();
    let panicky =
        enqueue(&db, NewJob::new(KIND, json!({"panic": true})).max_attempts(1)).await.unwrap();
    let other_kind = enqueue(&db, NewJob::new("not_mine", json!({}))).await.unwrap();

    let handler = Arc::new(FlakyHandler { runs: AtomicUsize::new(0) });
    let worker = Worker::new(db.pool.clone()).with_handler(handler.clone());
    while worker.run_once().await.unwrap() > 0 {}
    skip_backoff(&db).await;
    while worker.run_once().await.unwrap() > 0 {}

    assert_eq!(status_of(&db, flaky).await.0, "succeeded");
    let (status, _, error) = status_of(&db, panicky).await;
    assert_eq!((status.as_str(), error.as_deref()), ("dead", Some("the handler panicked")));
    assert_eq!(status_of(&db, other_kind).await.0, "queued", "kinds without a handler wait");
    assert_eq!(handler.runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_worker_loop_stops_on_shutdown() {
    let db = TestDb::migrated().await;
    let handler = Arc::new(FlakyHandler { runs: AtomicUsize::new(0) });
    let worker = Worker::new(db.pool.clone())
        .with_handler(handler)
        .with_idle_poll(Duration::from_millis(20));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running).await.expect("the loop stops").unwrap();
}
