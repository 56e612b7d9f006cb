//! The peer: the Python `implicit` library's ALS (scripts/bench/implicit_als.py), run on the
//! same training part; its lists come back to be measured by our code like every model's.

use std::io::Write;
use std::path::Path;

use anyhow::{ensure, Context};
use app::backend::recs::interactions::Interactions;
use serde::Serialize;

use crate::bench::python::{self, ScratchDir};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AlsParams {
    pub factors: usize,
    pub regularization: f64,
    pub alpha: f64,
    pub iterations: usize,
}

/// Who a list is asked for: a user of the training data, or a new user known by some items.
pub enum Query<'a> {
    Known(usize),
    New(&'a [u32]),
}

/// Fits ALS on `train` and returns each query's top `k` and the fit's seconds (as implicit
/// timed it, without Python's start-up).
pub fn recommend(
    venv: &Path,
    train: &Interactions,
    params: AlsParams,
    seed: u64,
    queries: &[Query<'_>],
    k: usize,
) -> anyhow::Result<(Vec<Vec<u32>>, f64)> {
    let scratch = ScratchDir::new()?;
    let (pairs, query_file, out) =
        (scratch.0.join("train.txt"), scratch.0.join("queries.txt"), scratch.0.join("lists.txt"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&pairs)?);
    for (user, history) in train.histories().iter().enumerate() {
        for item in history {
            writeln!(file, "{user} {item}")?;
        }
    }
    file.flush()?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&query_file)?);
    for query in queries {
        match query {
            Query::Known(user) => writeln!(file, "{user}")?,
            Query::New(items) => {
                let items: Vec<String> = items.iter().map(u32::to_string).collect();
                writeln!(file, "0: {}", items.join(" "))?;
            }
        }
    }
    file.flush()?;
    drop(file);

    let mut command = python::script(venv, "implicit_als.py")?;
    command
        .arg("--train")
        .arg(&pairs)
        .args(["--users", &train.users().to_string(), "--items", &train.items().to_string()])
        .arg("--queries")
        .arg(&query_file)
        .arg("--out")
        .arg(&out)
        .args(["--factors", &params.factors.to_string()])
        .args(["--regularization", &params.regularization.to_string()])
        .args(["--alpha", &params.alpha.to_string()])
        .args(["--iterations", &params.iterations.to_string()])
        .args(["--seed", &seed.to_string(), "--n", &k.to_string()])
        .stderr(std::process::Stdio::piped());
    let output = command.output().context("running scripts/bench/implicit_als.py")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(output.status.success(), "implicit_als.py failed ({}): {stderr}", output.status);
    let seconds = stderr
        .lines()
        .find_map(|line| line.strip_prefix("fit_seconds "))
        .and_then(|s| s.trim().parse().ok())
        .context("implicit_als.py did not say how long it fitted")?;
    let lists = std::fs::read_to_string(&out)?
        .lines()
        .map(|line| line.split_whitespace().map(str::parse).collect::<Result<Vec<u32>, _>>())
        .collect::<Result<Vec<_>, _>>()
        .context("reading ALS's lists")?;
    ensure!(lists.len() == queries.len(), "one ALS list per query");
    Ok((lists, seconds))
}
