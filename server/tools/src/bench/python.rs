//! The Python side of the benchmarks that compare burn with onnxruntime: its venv and the raw
//! f32 files the two sides exchange.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// A command that runs `scripts/bench/{script}` in the venv (its stderr goes to ours); add
/// the arguments and hand it to [`stdout_of`].
pub fn script(venv: &Path, script: &str) -> anyhow::Result<Command> {
    let mut command = Command::new(interpreter(venv)?);
    command.arg(Path::new("scripts/bench").join(script)).stderr(std::process::Stdio::inherit());
    Ok(command)
}

/// Runs a [`script`] command; its stdout, or an error when it failed.
pub fn stdout_of(mut command: Command) -> anyhow::Result<Vec<u8>> {
    let name = command.get_args().next().unwrap_or_default().to_string_lossy().into_owned();
    let output = command.output().with_context(|| format!("running {name}"))?;
    if !output.status.success() {
        bail!("{name} failed ({})", output.status);
    }
    Ok(output.stdout)
}

/// The venv's interpreter, after creating the venv on first use
/// (scripts/bench/setup-python.sh; a no-op when it is up to date).
fn interpreter(venv: &Path) -> anyhow::Result<PathBuf> {
    let python = venv.join("bin/python");
    if !python.exists() {
        eprintln!("setting up the onnxruntime venv (scripts/bench/setup-python.sh)…");
        let status = Command::new("bash")
            .arg("scripts/bench/setup-python.sh")
            .env("VITRINE_VENV", venv)
            .status()
            .context("running scripts/bench/setup-python.sh")?;
        if !status.success() {
            bail!("scripts/bench/setup-python.sh failed; run it to see why, or pass --no-peer");
        }
    }
    Ok(python)
}

/// A scratch directory for one run's exchange files, removed when dropped.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("vitrine-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads rows of `width` little-endian f32 values.
pub fn read_rows(path: &Path, width: usize) -> anyhow::Result<Vec<Vec<f32>>> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let values: Vec<f32> =
        raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    Ok(values.chunks(width).map(<[f32]>::to_vec).collect())
}
