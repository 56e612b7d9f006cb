//! `vitrine bench embed`: the image model's latency and throughput in burn, side by side with
//! onnxruntime running the same network on the same weights (scripts/bench/onnx_embed.py), in
//! the same run and on the same preprocessed inputs. The embeddings of the two engines are
//! compared too, which checks the Rust network against an independent implementation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use app::backend::inference::{InferenceConfig, InferencePool, ModelSlot};
use app::backend::vision::{ImageEmbedder, ImageModel};
use app::preprocess::{model_input_from_file, Limits};
use serde::Deserialize;

use super::python;
use super::stats::{cosine, Samples};
use crate::cli::BenchEmbedArgs;

/// The photos every run embeds (committed test fixtures, so runs are comparable).
const PHOTOS: &str = "server/tests/fixtures/photos";

/// The bench's embedders are built from a loaded network.
const LOADED: &str = "the bench loaded the model";

/// The model on a pool of `threads`, one inference at a time.
fn embedder_on(model: &Arc<ImageModel>, threads: usize) -> anyhow::Result<ImageEmbedder> {
    let pool = InferencePool::new(InferenceConfig { threads, concurrency: 1 })?;
    Ok(ImageEmbedder::new(ModelSlot::ready(Arc::clone(model)), pool))
}

pub fn run(args: &BenchEmbedArgs) -> anyhow::Result<()> {
    let inputs = load_inputs(Path::new(PHOTOS))?;
    let model = Arc::new(ImageModel::load(&args.model.image_model)?);

    let mut rows = Vec::new();
    let mut burn_embeddings = Vec::new();
    for &threads in &args.peer.threads {
        let embedder = embedder_on(&model, threads)?;
        let samples = time_single(&inputs, args.peer.warmup, args.peer.runs, |input| {
            embedder.embed_blocking(std::slice::from_ref(input)).expect(LOADED);
        });
        rows.push(Row::measured("burn (flex)", threads, &samples));
        if burn_embeddings.is_empty() {
            burn_embeddings = embedder.embed_blocking(&inputs)?;
        }
    }
    let max_threads = args.peer.threads.iter().copied().max().unwrap_or(1);
    let embedder = embedder_on(&model, max_threads)?;
    let batch: Vec<Vec<f32>> = inputs.iter().cycle().take(args.batch).cloned().collect();
    let batches = [batch];
    let throughput = |samples: Samples| args.batch as f64 / (samples.median() / 1000.0);
    let one_pass = throughput(time_single(&batches, 1, args.batch_runs, |batch| {
        embedder.embed_one_pass_blocking(batch).expect(LOADED);
    }));
    let per_image = throughput(time_single(&batches, 1, args.batch_runs, |batch| {
        embedder.embed_blocking(batch).expect(LOADED);
    }));

    let peer = if args.peer.no_peer { None } else { Some(run_onnxruntime(args, &inputs)?) };

    println!(
        "EfficientNet-Lite0, 224×224, batch 1, {} runs after {} warm-up (ms)",
        args.peer.runs, args.peer.warmup
    );
    println!("{:<24} {:>7} {:>9} {:>9}", "engine", "threads", "median", "p95");
    if let Some(peer) = &peer {
        for (threads, latency) in &peer.report.latency_ms {
            rows.push(Row {
                engine: format!("onnxruntime {}", peer.report.version),
                threads: threads.parse().unwrap_or(0),
                median: latency.median,
                p95: latency.p95,
            });
        }
    }
    rows.sort_by(|a, b| (a.threads, &a.engine).cmp(&(b.threads, &b.engine)));
    for row in &rows {
        println!("{:<24} {:>7} {:>9.2} {:>9.2}", row.engine, row.threads, row.median, row.p95);
    }
    println!();
    println!("{} images at {max_threads} threads, images/s:", args.batch);
    println!("  burn, one batched pass                    {one_pass:>7.1}");
    println!(
        "  burn, one pass per image side by side     {per_image:>7.1}   (what ingestion does)"
    );
    if let Some(peer) = &peer {
        println!(
            "  onnxruntime, one batched pass ({} at {})  {:>7.1}",
            peer.report.batch.size, peer.report.batch.threads, peer.report.batch.images_per_s
        );
        println!();
        for &threads in &args.peer.threads {
            let burn = rows.iter().find(|r| r.threads == threads && r.engine.starts_with("burn"));
            let ort = rows.iter().find(|r| r.threads == threads && !r.engine.starts_with("burn"));
            if let (Some(burn), Some(ort)) = (burn, ort) {
                println!(
                    "burn / onnxruntime, median at {threads} thread(s): {:.2}×",
                    burn.median / ort.median
                );
            }
        }
        let agreement = burn_embeddings
            .iter()
            .zip(&peer.embeddings)
            .map(|(a, b)| cosine(a, b))
            .fold(f32::INFINITY, f32::min);
        println!("embeddings agree: lowest cosine over {} photos {agreement:.6}", inputs.len());
        if agreement < 0.999 {
            bail!("burn and onnxruntime disagree (cosine {agreement:.6} < 0.999)");
        }
    }
    Ok(())
}

/// One line of the latency table.
struct Row {
    engine: String,
    threads: usize,
    median: f64,
    p95: f64,
}

impl Row {
    fn measured(engine: &str, threads: usize, samples: &Samples) -> Self {
        Row {
            engine: engine.to_owned(),
            threads,
            median: samples.median(),
            p95: samples.percentile(95.0),
        }
    }
}

/// Times `work` on each input in turn: `warmup` untimed runs, then `runs` timed ones.
pub(super) fn time_single<T>(
    inputs: &[T],
    warmup: usize,
    runs: usize,
    mut work: impl FnMut(&T),
) -> Samples {
    for input in inputs.iter().cycle().take(warmup) {
        work(input);
    }
    let mut samples = Samples::default();
    for input in inputs.iter().cycle().take(runs) {
        let started = Instant::now();
        work(input);
        samples.push(started.elapsed());
    }
    samples
}

fn load_inputs(dir: &Path) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {} (run from the repository root)", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "png" || ext == "jpg"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path)?;
            model_input_from_file(&bytes, None, &Limits::default())
                .with_context(|| format!("preprocessing {}", path.display()))
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct PeerReport {
    version: String,
    latency_ms: std::collections::BTreeMap<String, PeerLatency>,
    batch: PeerBatch,
}

#[derive(Debug, Deserialize)]
struct PeerLatency {
    median: f64,
    p95: f64,
}

#[derive(Debug, Deserialize)]
struct PeerBatch {
    size: usize,
    threads: usize,
    images_per_s: f64,
}

struct Peer {
    report: PeerReport,
    embeddings: Vec<Vec<f32>>,
}

/// Runs the onnxruntime script in its venv (created on first use) on the same inputs.
fn run_onnxruntime(args: &BenchEmbedArgs, inputs: &[Vec<f32>]) -> anyhow::Result<Peer> {
    let dir = python::ScratchDir::new()?;
    let inputs_path = dir.0.join("inputs.f32");
    let embeddings_path = dir.0.join("embeddings.f32");
    let bytes: Vec<u8> = inputs.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&inputs_path, bytes)?;
    let threads: Vec<String> = args.peer.threads.iter().map(usize::to_string).collect();
    let mut command = python::script(&args.peer.venv, "onnx_embed.py")?;
    command
        .arg("--weights")
        .arg(&args.model.image_model)
        .arg("--inputs")
        .arg(&inputs_path)
        .args(["--count", &inputs.len().to_string()])
        .arg("--embeddings-out")
        .arg(&embeddings_path)
        .args(["--runs", &args.peer.runs.to_string(), "--warmup", &args.peer.warmup.to_string()])
        .args(["--batch", &args.batch.to_string(), "--batch-runs", &args.batch_runs.to_string()])
        .args(["--threads", &threads.join(",")]);
    let stdout = python::stdout_of(command)?;
    let report: PeerReport =
        serde_json::from_slice(&stdout).context("reading onnx_embed.py's report")?;
    let embeddings = python::read_rows(&embeddings_path, app::backend::vision::EMBEDDING_DIM)?;
    Ok(Peer { report, embeddings })
}
