//! Faults with real processes: a worker killed with SIGKILL in the middle of embedding leaves its
//! jobs to another worker once their lease runs out, and each then runs once more and succeeds;
//! one killed in the middle of sending an email leaves it to another relay after the lease, and
//! the email then goes out exactly once;
//! a PostgreSQL restart under traffic is survived by the server on its own, `/readyz` shows the
//! outage while it lasts, and no request waits past its bound.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vitrine::jobs::notify::mailer::Mailer;
use vitrine::jobs::notify::Relay;
use vitrine::runtime::local_pg::LocalCluster;

use crate::helpers::{paid_guest_order, workspace_root, TestApp, TestDb};
use crate::smtp_sink::SmtpSink;

struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Under /tmp with 0755, so the `postgres` account can reach it when tests run as root.
    fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("vitrine-{what}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `vitrine` process, killed (SIGKILL) when dropped.
struct Process(Child);

impl Process {
    fn vitrine(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vitrine"));
        command
            .args(args)
            .env(
                "VITRINE_IMAGE_MODEL",
                workspace_root().join("model-weights/efficientnet-lite0.safetensors"),
            )
            .env("VITRINE_NO_MAIL_FOLDER", "true")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        Self(command.spawn().expect("starting vitrine"))
    }

    fn kill(&mut self) {
        let _ = self.0.kill(); // SIGKILL: no shutdown, no cleanup
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_for<T>(what: &str, limit: Duration, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_embedding_leaves_its_jobs_to_another_after_the_lease() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let state = ScratchDir::new("worker");
    let url = db.url();
    let media = db.media.store.root().to_owned();
    let mut worker = Process::vitrine(
        &["serve", "--role", "worker", "--no-migrate", "--job-lease-secs", "3"],
        &[
            ("DATABASE_URL", url.as_ref()),
            ("VITRINE_STATE_DIR", state.0.as_os_str()),
            ("VITRINE_MEDIA_DIR", media.as_os_str()),
        ],
    );
    let held_query = "SELECT count(*) FROM jobs WHERE kind = 'embed_image' AND status = 'running'";
    let held: i64 =
        wait_for("the worker takes the embedding jobs", Duration::from_secs(60), async || {
            let held: i64 = sqlx::query_scalar(held_query).fetch_one(&db.pool).await.unwrap();
            (held > 0).then_some(held)
        })
        .await;
    worker.kill();
    let killed_at = Instant::now();

    // Another worker: the held jobs stay the dead worker's until the lease runs out.
    let other = db.embedding_worker();
    let still_held: i64 = sqlx::query_scalar(held_query).fetch_one(&db.pool).await.unwrap();
    assert!(still_held > 0, "the kill left jobs mid-attempt ({held} were held)");
    let mut taken_before_lease = 0;
    while killed_at.elapsed() < Duration::from_secs(2) {
        taken_before_lease += other.run_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held_after: i64 = sqlx::query_scalar(held_query).fetch_one(&db.pool).await.unwrap();
    assert_eq!(
        held_after, still_held,
        "nobody takes a job inside its lease ({taken_before_lease} others ran)"
    );

    wait_for("the other worker finishes the jobs", Duration::from_secs(60), async || {
        other.run_once().await.unwrap();
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'embed_image' AND status <> 'succeeded'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        (left == 0).then_some(())
    })
    .await;
    let attempts: Vec<i32> = sqlx::query_scalar(
        "SELECT attempts FROM jobs WHERE kind = 'embed_image' AND attempts > 1 ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(attempts.len() as i64, still_held, "each interrupted job ran once more");
    assert!(attempts.iter().all(|&attempts| attempts == 2), "{attempts:?}");
    let not_ready: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_images WHERE status <> 'ready'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(not_ready, 0, "no image was lost");
}

#[tokio::test]
async fn a_worker_killed_mid_email_leaves_it_to_another_relay_and_it_goes_out_once() {
    let db = TestDb::migrated().await;
    db.seed_fixture().await;
    let app = TestApp::spawn(db).await;
    paid_guest_order(&app, "TEAPOT", "buyer@example.com").await;
    let confirmation: i64 = sqlx::query_scalar("SELECT id FROM outbox WHERE topic = 'order.paid'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();

    // The worker's relay sends the confirmation; the mail server takes the whole message but
    // is killed with the worker before it answers, so the message was never accepted.
    let sink = SmtpSink::start().await;
    sink.hold_next();
    let state = ScratchDir::new("relay");
    let url = app.db.url();
    let mut worker = Process::vitrine(
        &["serve", "--role", "worker", "--no-migrate", "--job-lease-secs", "3"],
        &[
            ("DATABASE_URL", url.as_ref()),
            ("VITRINE_STATE_DIR", state.0.as_os_str()),
            ("VITRINE_SMTP_URL", sink.url.as_ref()),
        ],
    );
    tokio::time::timeout(Duration::from_secs(60), sink.held())
        .await
        .expect("the worker starts sending the confirmation");
    worker.kill();
    let killed_at = Instant::now();

    let relay = Relay {
        pool: app.db.pool.clone(),
        mailer: Mailer::smtp(&sink.url, "Shop <shop@vitrine.test>").unwrap(),
        public_url: "http://shop.test".into(),
        idle_poll: Duration::from_millis(10),
        lease: Duration::from_secs(3),
    };
    while killed_at.elapsed() < Duration::from_secs(2) {
        relay.run_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sink.accepted().is_empty(), "nobody sends it again inside the dead worker's lease");

    wait_for("another relay sends it after the lease", Duration::from_secs(30), async || {
        relay.run_once().await.unwrap();
        (!sink.accepted().is_empty()).then_some(())
    })
    .await;
    // Whatever is still due, delivered; and the same events once more change nothing.
    while relay.run_once().await.unwrap() > 0 {}
    sqlx::query("UPDATE outbox SET delivered_at = NULL, next_attempt_at = now()")
        .execute(&app.db.pool)
        .await
        .unwrap();
    while relay.run_once().await.unwrap() > 0 {}

    let accepted = sink.accepted();
    assert_eq!(accepted.len(), 1, "the confirmation went out exactly once: {accepted:#?}");
    assert!(accepted[0].contains("Subject: Order 1001 confirmed"), "{}", accepted[0]);
    assert!(
        accepted[0].contains(&format!("Message-ID: <event-{confirmation}@")),
        "{}",
        accepted[0]
    );
    let (attempts, recorded): (i32, i64) = sqlx::query_as(
        "SELECT attempts, (SELECT count(*) FROM sent_emails WHERE outbox_id = $1) FROM outbox WHERE id = $1",
    )
    .bind(confirmation)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(recorded, 1, "recorded as sent once");
    assert_eq!(attempts, 3, "the killed attempt, the one after the lease, the replay");
}

#[tokio::test]
async fn the_server_survives_a_postgresql_restart_under_traffic() {
    let dir = ScratchDir::new("pg-restart");
    let cluster =
        LocalCluster::new(dir.0.join("pg"), "/usr/lib/postgresql/15/bin".into(), free_port());
    let url = cluster.ensure_running().await.unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = Process::vitrine(
        &["serve", "--role", "web", "--addr", &addr],
        &[("DATABASE_URL", url.expose().as_ref()), ("VITRINE_STATE_DIR", dir.0.as_os_str())],
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(40)).build().unwrap();
    let readiness = |client: reqwest::Client, addr: String| async move {
        let response = client.get(format!("http://{addr}/readyz")).send().await.ok()?;
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.ok()?;
        Some((status, body["status"].as_str().unwrap_or_default().to_owned()))
    };
    wait_for("the server is ready", Duration::from_secs(60), async || {
        readiness(client.clone(), addr.clone()).await.filter(|(status, _)| *status == 200)
    })
    .await;

    // Shoppers keep loading the home page throughout; every answer and its time is kept.
    let answers = Arc::new(Mutex::new(Vec::new()));
    let traffic = {
        let (client, addr, answers) = (client.clone(), addr.clone(), Arc::clone(&answers));
        tokio::spawn(async move {
            loop {
                let started = Instant::now();
                // A page whose catalog could not be read says so (and is not a 500).
                let answer = match client.get(format!("http://{addr}/")).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let html = response.text().await.unwrap_or_default();
                        if html.contains("temporarily unavailable") {
                            503
                        } else {
                            status
                        }
                    }
                    Err(error) => {
                        eprintln!("no answer after {:?}: {error:?}", started.elapsed());
                        0
                    }
                };
                answers.lock().unwrap().push((answer, started.elapsed()));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;

    cluster.stop().unwrap();
    let (status, said) =
        wait_for("/readyz reports the outage", Duration::from_secs(30), async || {
            readiness(client.clone(), addr.clone()).await.filter(|(status, _)| *status == 503)
        })
        .await;
    assert_eq!((status, said.as_str()), (503, "not ready"));
    tokio::time::sleep(Duration::from_secs(2)).await;

    cluster.ensure_running().await.unwrap();
    wait_for("the server recovers by itself", Duration::from_secs(60), async || {
        readiness(client.clone(), addr.clone()).await.filter(|(status, _)| *status == 200)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    traffic.abort();
    cluster.stop().unwrap();

    let answers = answers.lock().unwrap().clone();
    let slowest = answers.iter().map(|(_, took)| *took).max().unwrap();
    let failed = answers.iter().filter(|(status, _)| *status != 200).count();
    assert!(failed > 0, "the outage was felt ({} requests)", answers.len());
    assert!(answers.iter().all(|(status, _)| *status < 500 || *status == 503), "{answers:?}");
    assert!(answers.iter().all(|(status, _)| *status != 0), "every request was answered");
    // The pool gives up on a connection after 5 s; nothing waits for the 30 s request timeout.
    assert!(slowest < Duration::from_secs(10), "the slowest request took {slowest:?}");
    let last = answers.iter().rev().take(5).collect::<Vec<_>>();
    assert!(last.iter().all(|(status, _)| *status == 200), "after the restart: {last:?}");
}
