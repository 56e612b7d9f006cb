//! The project-local cluster's life cycle, on a cluster of its own (own directory and port).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use sqlx::Connection;
use vitrine::runtime::local_pg::{ClusterStatus, LocalCluster};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn starts_twice_survives_a_crash_and_stops() {
    // Under /tmp with 0755, so the `postgres` account can reach it when tests run as root.
    let dir = ScratchDir(std::env::temp_dir().join(format!("vitrine-pg-{}", uuid::Uuid::new_v4())));
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cluster =
        LocalCluster::new(dir.0.join("pg"), "/usr/lib/postgresql/15/bin".into(), free_port());
    assert_eq!(cluster.status().unwrap(), ClusterStatus::NotCreated);

    let url = cluster.ensure_running().await.unwrap();
    assert!(matches!(cluster.status().unwrap(), ClusterStatus::Running { .. }));
    assert!(!url.redacted().contains(&password_of(url.expose())));
    let again = cluster.ensure_running().await.unwrap();
    assert_eq!(url.expose(), again.expose(), "a second start reuses the cluster and password");
    let mut conn = sqlx::PgConnection::connect(url.expose()).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.unwrap();
    assert_eq!(one, 1);
    drop(conn);

    // A crash: the postmaster dies and leaves its pid file behind.
    let pid_file = dir.0.join("pg/data/postmaster.pid");
    let pid: i32 =
        std::fs::read_to_string(&pid_file).unwrap().lines().next().unwrap().parse().unwrap();
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_until(|| !PathBuf::from(format!("/proc/{pid}")).exists());
    assert!(pid_file.exists(), "the crash left a stale pid file");
    assert_eq!(cluster.status().unwrap(), ClusterStatus::Stopped);

    let recovered = cluster.ensure_running().await.unwrap();
    let mut conn = sqlx::PgConnection::connect(recovered.expose()).await.unwrap();
    sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
    drop(conn);

    cluster.stop().unwrap();
    assert_eq!(cluster.status().unwrap(), ClusterStatus::Stopped);
    cluster.stop().unwrap();
}

fn password_of(url: &str) -> String {
    let after_scheme = &url["postgres://".len()..];
    let (credentials, _) = after_scheme.split_once('@').unwrap();
    credentials.split_once(':').unwrap().1.to_owned()
}

fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out");
}
