//! The project-local PostgreSQL cluster used when no `DATABASE_URL` is given.
//!
//! It lives under the state directory (`.vitrine/pg` by default, git-ignored): `data/` is the
//! cluster, `run/` holds its unix socket and server log, `password` the generated password of
//! the `vitrine` superuser. It listens on 127.0.0.1 only, on its own port, with SCRAM passwords,
//! so it never collides with a system cluster and needs no prompts.
//!
//! `initdb` and `postgres` refuse to run as root, and sessions on our machines are root: then the
//! cluster is owned by and run as the `postgres` system user (through `runuser`).

use std::fmt;

use percent_encoding::percent_decode_str;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The database the shop uses inside the local cluster.
pub const DATABASE: &str = "vitrine";
/// The cluster's superuser, created by `initdb`.
pub const USER: &str = "vitrine";
/// The system account that owns and runs the cluster when we are root.
const SYSTEM_USER_WHEN_ROOT: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum LocalPgError {
    #[error(
        "PostgreSQL server programs not found in {0} (install the postgresql-15 package or set VITRINE_PG_BIN)"
    )]
    MissingServer(PathBuf),
    #[error("{command} failed ({status}): {detail}")]
    CommandFailed { command: String, status: String, detail: String },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the local cluster started but refused the connection: {0}")]
    Connect(#[source] sqlx::Error),
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LocalPgError {
    let path = path.to_path_buf();
    move |source| LocalPgError::Io { action, path, source }
}

/// A connection URL that holds a password: printed redacted unless asked otherwise.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The same server and options, another database.
    pub fn with_database(&self, database: &str) -> DatabaseUrl {
        let (base, query) = match self.0.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (self.0.as_str(), None),
        };
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        match query {
            Some(query) => DatabaseUrl(format!("{server}/{database}?{query}")),
            None => DatabaseUrl(format!("{server}/{database}")),
        }
    }

    /// The URL without its password, and the password (percent-decoded): for handing a
    /// connection to a PostgreSQL program, the password in `PGPASSWORD` rather than in its
    /// arguments, which every user of the machine can read in the process list.
    pub fn without_password(&self) -> (String, Option<String>) {
        match url_password_span(&self.0) {
            Some((start, end)) => (
                format!("{}{}", &self.0[..start - 1], &self.0[end..]),
                Some(percent_decode_str(&self.0[start..end]).decode_utf8_lossy().into_owned()),
            ),
            None => (self.0.clone(), None),
        }
    }

    pub fn redacted(&self) -> String {
        match url_password_span(&self.0) {
            Some((start, end)) => format!("{}***{}", &self.0[..start], &self.0[end..]),
            None => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Byte range of the password in `scheme://user:password@host...`, if there is one.
fn url_password_span(url: &str) -> Option<(usize, usize)> {
    let authority_start = url.find("://")? + 3;
    let at = authority_start + url[authority_start..].find('@')?;
    let colon = authority_start + url[authority_start..at].find(':')?;
    Some((colon + 1, at))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterStatus {
    NotCreated,
    Stopped,
    Running { port: u16 },
}

impl fmt::Display for ClusterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterStatus::NotCreated => f.write_str("not created"),
            ClusterStatus::Stopped => f.write_str("stopped"),
            ClusterStatus::Running { port } => write!(f, "running on 127.0.0.1:{port}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LocalCluster {
    root: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl LocalCluster {
    pub fn new(root: PathBuf, bin: PathBuf, port: u16) -> Self {
        Self { root, bin, port }
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn run_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    fn password_file(&self) -> PathBuf {
        self.root.join("password")
    }

    fn is_initialised(&self) -> bool {
        self.data_dir().join("PG_VERSION").exists()
    }

    pub fn status(&self) -> Result<ClusterStatus, LocalPgError> {
        if !self.is_initialised() {
            return Ok(ClusterStatus::NotCreated);
        }
        Ok(match self.running_postmaster_pid() {
            Some(_) => ClusterStatus::Running { port: self.port },
            None => ClusterStatus::Stopped,
        })
    }

    /// Creates the cluster on first use, starts it if it is not running (clearing a stale lock
    /// file left by a crash), makes sure the shop's database exists, and returns its URL.
    /// Safe to call from several processes at once: they serialise on a lock file.
    pub async fn ensure_running(&self) -> Result<DatabaseUrl, LocalPgError> {
        let cluster = self.clone();
        let password = tokio::task::spawn_blocking(move || cluster.ensure_started_blocking())
            .await
            .expect("cluster start-up task panicked")?;
        self.ensure_database(&password).await?;
        Ok(self.url(&password, DATABASE))
    }

    /// The URL of `database` in this cluster (which must be running).
    pub fn url(&self, password: &str, database: &str) -> DatabaseUrl {
        DatabaseUrl(format!("postgres://{USER}:{password}@127.0.0.1:{}/{database}", self.port))
    }

    pub fn stop(&self) -> Result<(), LocalPgError> {
        if !self.is_initialised() || self.running_postmaster_pid().is_none() {
            return Ok(());
        }
        let data = self.data_dir();
        let mut cmd = self.server_command("pg_ctl")?;
        cmd.arg("-D").arg(&data).args(["-m", "fast", "-w", "stop"]);
        run(cmd, "pg_ctl stop")?;
        tracing::info!(data = %data.display(), "local PostgreSQL stopped");
        Ok(())
    }

    fn ensure_started_blocking(&self) -> Result<String, LocalPgError> {
        if !self.bin.join("initdb").exists() {
            return Err(LocalPgError::MissingServer(self.bin.clone()));
        }
        fs::create_dir_all(&self.root).map_err(io_err("creating", &self.root))?;
        let lock_path = self.root.join("lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err("opening", &lock_path))?;
        lock.lock().map_err(io_err("locking", &lock_path))?;

        let password = self.password_or_create()?;
        if !self.is_initialised() {
            self.initialise(&password)?;
        }
        if self.running_postmaster_pid().is_none() {
            self.remove_stale_pid_file()?;
            self.start()?;
        }
        Ok(password)
    }

    fn password_or_create(&self) -> Result<String, LocalPgError> {
        let path = self.password_file();
        if let Ok(password) = fs::read_to_string(&path) {
            return Ok(password.trim().to_owned());
        }
        let password: String = {
            use rand::Rng;
            let bytes: [u8; 24] = rand::rng().random();
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        };
        let mut file = fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(io_err("creating", &path))?;
        file.write_all(password.as_bytes()).map_err(io_err("writing", &path))?;
        Ok(password)
    }

    fn initialise(&self, password: &str) -> Result<(), LocalPgError> {
        let data = self.data_dir();
        let run_dir = self.run_dir();
        // A half-finished initdb leaves a data dir without PG_VERSION; start over.
        if data.exists() {
            fs::remove_dir_all(&data).map_err(io_err("removing", &data))?;
        }
        for dir in [&data, &run_dir] {
            fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
        }
        fs::set_permissions(&data, fs::Permissions::from_mode(0o700))
            .map_err(io_err("restricting", &data))?;

        // initdb reads the password from a file the cluster's owner can read.
        let pwfile = run_dir.join("initdb-password");
        fs::write(&pwfile, password).map_err(io_err("writing", &pwfile))?;
        fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o600))
            .map_err(io_err("restricting", &pwfile))?;
        self.hand_to_cluster_owner(&[&data, &run_dir, &pwfile])?;

        tracing::info!(data = %data.display(), "creating the local PostgreSQL cluster");
        let mut cmd = self.server_command("initdb")?;
        cmd.arg("-D")
            .arg(&data)
            .args(["-U", USER, "-E", "UTF8", "--locale=C.UTF-8"])
            .args(["--auth-local=scram-sha-256", "--auth-host=scram-sha-256"])
            .arg(format!("--pwfile={}", pwfile.display()));
        let result = run(cmd, "initdb");
        let _ = fs::remove_file(&pwfile);
        result?;

        // Settings that belong to this cluster's place on the machine, kept apart from the
        // stock postgresql.conf so they are easy to see.
        let socket_dir = fs::canonicalize(&run_dir).map_err(io_err("resolving", &run_dir))?;
        let settings = format!(
            "# Written by `vitrine db start`.\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = '{socket}'\n\
             max_connections = 200\n",
            port = self.port,
            socket = socket_dir.display(),
        );
        let conf = data.join("vitrine.conf");
        fs::write(&conf, settings).map_err(io_err("writing", &conf))?;
        let main_conf = data.join("postgresql.conf");
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(&main_conf)
            .map_err(io_err("opening", &main_conf))?;
        file.write_all(b"\ninclude 'vitrine.conf'\n").map_err(io_err("writing", &main_conf))?;
        self.hand_to_cluster_owner(&[&conf])?;
        Ok(())
    }

    fn start(&self) -> Result<(), LocalPgError> {
        let data = self.data_dir();
        let log = self.run_dir().join("server.log");
        let mut cmd = self.server_command("pg_ctl")?;
        cmd.arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            // The port can change between starts (VITRINE_PG_PORT); the setting on the command
            // line wins over vitrine.conf.
            .arg("-o")
            .arg(format!("-p {}", self.port))
            .args(["-w", "-t", "60", "start"]);
        tracing::info!(port = self.port, "starting the local PostgreSQL cluster");
        run(cmd, "pg_ctl start").map_err(|err| match err {
            LocalPgError::CommandFailed { command, status, detail } => {
                let tail = fs::read_to_string(&log)
                    .map(|text| text.lines().rev().take(5).collect::<Vec<_>>().join(" | "))
                    .unwrap_or_default();
                LocalPgError::CommandFailed { command, status, detail: format!("{detail} {tail}") }
            }
            other => other,
        })
    }

    async fn ensure_database(&self, password: &str) -> Result<(), LocalPgError> {
        let options = PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username(USER)
            .password(password)
            .database("postgres")
            .log_statements(tracing::log::LevelFilter::Debug);
        let mut conn =
            sqlx::PgConnection::connect_with(&options).await.map_err(LocalPgError::Connect)?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut conn)
                .await
                .map_err(LocalPgError::Connect)?;
        if !exists {
            // The name is our own constant, not input.
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {DATABASE}")))
                .execute(&mut conn)
                .await
                .map_err(LocalPgError::Connect)?;
        }
        conn.close().await.map_err(LocalPgError::Connect)
    }

    /// The postmaster's pid when one is running for this data directory. A pid file whose
    /// process is gone, or is no longer a postgres process (pids are reused after a crash or a
    /// container restart), does not count.
    fn running_postmaster_pid(&self) -> Option<u32> {
        let pid_file = fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        let pid: u32 = pid_file.lines().next()?.trim().parse().ok()?;
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        // A killed postmaster whose parent never reaps it stays a zombie: not running.
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
        (comm.trim() == "postgres" && state != 'Z').then_some(pid)
    }

    fn remove_stale_pid_file(&self) -> Result<(), LocalPgError> {
        let pid_file = self.data_dir().join("postmaster.pid");
        if pid_file.exists() {
            tracing::warn!(file = %pid_file.display(), "removing a stale postmaster.pid left by a crash");
            fs::remove_file(&pid_file).map_err(io_err("removing", &pid_file))?;
        }
        Ok(())
    }

    /// A command for one of the server programs, run as the cluster's owner.
    fn server_command(&self, program: &str) -> Result<Command, LocalPgError> {
        let path = self.bin.join(program);
        if !path.exists() {
            return Err(LocalPgError::MissingServer(self.bin.clone()));
        }
        Ok(if running_as_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", SYSTEM_USER_WHEN_ROOT, "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        })
    }

    fn hand_to_cluster_owner(&self, paths: &[&Path]) -> Result<(), LocalPgError> {
        if !running_as_root() {
            return Ok(());
        }
        let mut cmd = Command::new("chown");
        cmd.arg("-R").arg(format!("{SYSTEM_USER_WHEN_ROOT}:{SYSTEM_USER_WHEN_ROOT}")).args(paths);
        run(cmd, "chown")
    }
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn run(mut cmd: Command, what: &str) -> Result<(), LocalPgError> {
    let output = cmd.output().map_err(|source| LocalPgError::Io {
        action: "running",
        path: PathBuf::from(what),
        source,
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    Err(LocalPgError::CommandFailed {
        command: what.to_owned(),
        status: output.status.to_string(),
        detail: format!("{} {}", stderr.trim(), stdout.trim()).trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_taken_out_of_the_url_for_programs() {
        let url =
            DatabaseUrl::new("postgres://vitrine:p%40ss@127.0.0.1:54329/shop?sslmode=disable");
        let (bare, password) = url.without_password();
        assert_eq!(bare, "postgres://vitrine@127.0.0.1:54329/shop?sslmode=disable");
        assert_eq!(password.as_deref(), Some("p@ss"));
        assert_eq!(
            DatabaseUrl::new("postgres://h/db").without_password(),
            ("postgres://h/db".into(), None)
        );
    }

    #[test]
    fn urls_print_without_their_password() {
        let url = DatabaseUrl::new("postgres://vitrine:s3cret@127.0.0.1:54329/vitrine");
        assert_eq!(url.redacted(), "postgres://vitrine:***@127.0.0.1:54329/vitrine");
        assert_eq!(format!("{url:?}"), "postgres://vitrine:***@127.0.0.1:54329/vitrine");
        assert_eq!(url.expose(), "postgres://vitrine:s3cret@127.0.0.1:54329/vitrine");
    }

    #[test]
    fn urls_without_password_are_unchanged() {
        for url in ["postgres://localhost/shop", "postgres://user@host/db", "postgresql:///db"] {
            assert_eq!(DatabaseUrl::new(url).redacted(), url);
        }
    }
}
