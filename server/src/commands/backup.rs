//! `vitrine backup` / `vitrine restore`: the database (`pg_dump`, custom format) and the media
//! files, together in one folder with a manifest.
//!
//! **Consistent with each other:** media files are named by their content and never changed or
//! removed once written, and the database only refers to files that already exist. So the dump
//! is taken first and the media folder copied after it: every file the dump refers to is in the
//! copy (the copy may hold a few newer files nothing refers to yet, which is harmless).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::runtime::cli::StorageArgs;
use crate::runtime::database;

const DUMP: &str = "database.dump";
const MEDIA: &str = "media";
const MANIFEST: &str = "backup.json";

/// What a backup folder holds, written last: a folder without it is not a finished backup.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub vitrine_version: String,
    /// sha256 of `database.dump`, checked before a restore.
    pub dump_sha256: String,
    pub media_files: usize,
}

/// Writes a backup of the shop into `out` (which must not exist yet).
pub async fn backup(storage: &StorageArgs, out: &Path) -> anyhow::Result<Manifest> {
    ensure!(!out.exists(), "{} exists already; choose a new folder", out.display());
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let url = database::resolve_url(storage).await?;
    let dump = out.join(DUMP);
    let mut pg_dump = pg_program(storage, "pg_dump", &url);
    pg_dump.args(["--format=custom", "--no-owner", "--no-privileges", "--file"]).arg(&dump);
    run(pg_dump, "pg_dump")?;
    let media_files = copy_tree(storage.media_store().root(), &out.join(MEDIA))?;
    let manifest = Manifest {
        created_at: chrono::Utc::now(),
        vitrine_version: env!("CARGO_PKG_VERSION").to_owned(),
        dump_sha256: sha256_file(&dump)?,
        media_files,
    };
    std::fs::write(out.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Restores the backup in `from` into the shop's database (emptied of the shop's tables first)
/// and media folder (files it already has are kept: same name, same bytes).
pub async fn restore(storage: &StorageArgs, from: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(from.join(MANIFEST)).with_context(|| {
            format!("{} is not a finished backup (no {MANIFEST})", from.display())
        })?)?;
    let dump = from.join(DUMP);
    ensure!(
        sha256_file(&dump)? == manifest.dump_sha256,
        "{} does not match its manifest; the backup is damaged",
        dump.display()
    );
    let url = database::resolve_url(storage).await?;
    let mut pg_restore = pg_program(storage, "pg_restore", &url);
    pg_restore
        .args(["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"])
        .arg(&dump);
    run(pg_restore, "pg_restore")?;
    copy_tree(&from.join(MEDIA), storage.media_store().root())?;
    Ok(manifest)
}

/// A PostgreSQL client program of the configured version, connected to `url` (the password
/// in its environment, never in its arguments).
fn pg_program(
    storage: &StorageArgs,
    name: &str,
    url: &crate::runtime::local_pg::DatabaseUrl,
) -> Command {
    let installed = storage.pg_bin.join(name);
    let mut command =
        Command::new(if installed.exists() { installed } else { PathBuf::from(name) });
    let (bare, password) = url.without_password();
    command.arg("--dbname").arg(bare);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}

fn run(mut command: Command, name: &str) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("running {name}"))?;
    if !output.status.success() {
        bail!(
            "{name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Copies every file under `from` to the same place under `to`, keeping files `to` already has;
/// answers how many files `from` holds. A missing `from` is an empty one.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<usize> {
    if !from.exists() {
        return Ok(0);
    }
    let mut files = 0;
    let mut pending = vec![from.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
                continue;
            }
            let target = to.join(path.strip_prefix(from).expect("under the root"));
            files += 1;
            if target.exists() {
                continue;
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(&path, &target)
                .with_context(|| format!("copying {} to {}", path.display(), target.display()))?;
        }
    }
    Ok(files)
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect())
}
