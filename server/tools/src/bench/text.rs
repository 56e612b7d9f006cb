//! `vitrine bench text`: the text model (all-MiniLM-L6-v2) in burn next to onnxruntime running
//! the same network on the same weights (scripts/bench/onnx_text.py), in the same run. It is
//! also the model's golden test: onnxruntime's side is tokenised by Hugging Face's tokenizer
//! with sentence-transformers' settings and builds the graph itself, so every sentence's
//! vectors must agree (cosine ≥ 0.9999), one by one and as one mixed-length batch.

use std::path::PathBuf;

use anyhow::{bail, Context};
use app::backend::text_model::{TextModel, TEXT_EMBEDDING_DIM};
use serde::Deserialize;

use super::embed::time_single;
use super::python;
use super::stats::cosine;
use crate::cli::BenchTextArgs;

/// One way of running the model: the fast path or the reference.
type Embed =
    fn(&TextModel, &[&str]) -> Result<Vec<Vec<f32>>, app::backend::text_model::TextModelError>;

/// The agreement the golden test asks for.
const PARITY: f32 = 0.9999;
/// The query whose latency is measured: what a shopper types.
const QUERY: &str = "warm winter boots for hiking";

/// The sentences both engines embed: short queries, accents and other scripts, the empty
/// string, and texts past 128 and past 256 tokens (where truncation must agree).
fn sentences() -> Vec<String> {
    let paragraph = "A sturdy wooden banjo with five strings, a maple neck and a bright, \
                     ringing tone that suits bluegrass, folk and old-time music. ";
    vec![
        QUERY.to_owned(),
        "banjo".to_owned(),
        String::new(),
        "something for a birthday".to_owned(),
        "Crème brûlée au café, naïve résumé of a Ångström-thin crêpe".to_owned(),
        "Übergrößen Schuhe für Damen, rote Farbe — ¿dónde están?".to_owned(),
        "寿司とラーメン 🍣🍜 for dinner".to_owned(),
        paragraph.repeat(5),  // ≈ 150 tokens
        paragraph.repeat(12), // ≈ 360 tokens: cut at 256
        "  spaces   and\ttabs\nand new lines  ".to_owned(),
    ]
}

pub fn run(args: &BenchTextArgs) -> anyhow::Result<()> {
    let model = TextModel::load(&args.model.text_model).with_context(|| {
        format!("loading the text model from {}", args.model.text_model.display())
    })?;
    let sentences = sentences();
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();

    let mut rows = Vec::new();
    for &threads in &args.peer.threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
        let engines: [(&str, Embed); 2] = [
            ("burn + packed dense", TextModel::embed),
            ("burn, Linear (ref.)", TextModel::embed_reference),
        ];
        for (engine, embed) in engines {
            let samples = pool.install(|| {
                time_single(&[QUERY], args.peer.warmup, args.peer.runs, |query| {
                    embed(&model, &[query]).expect("the bench loaded the model");
                })
            });
            rows.push((engine.to_owned(), threads, samples.median(), samples.percentile(95.0)));
        }
    }
    let batched = model.embed(&texts)?;
    let reference = model.embed_reference(&texts)?;
    let packed_vs_reference = batched.iter().zip(&reference).map(|(a, b)| cosine(a, b));
    let packed_vs_reference = packed_vs_reference.fold(f32::INFINITY, f32::min);
    let singles = texts.iter().map(|text| model.embed(&[text]).map(|mut v| v.remove(0)));
    let singles = singles.collect::<Result<Vec<_>, _>>()?;
    let tokens = model.token_counts(&texts)?;

    let peer = if args.peer.no_peer { None } else { Some(run_onnxruntime(args, &sentences)?) };
    println!(
        "all-MiniLM-L6-v2, one query ({:?}, {} tokens), {} runs after {} warm-up (ms)",
        QUERY, tokens[0], args.peer.runs, args.peer.warmup
    );
    println!("{:<24} {:>7} {:>9} {:>9}", "engine", "threads", "median", "p95");
    if let Some(peer) = &peer {
        for (threads, latency) in &peer.report.latency_ms {
            let engine = format!("onnxruntime {}", peer.report.version);
            rows.push((engine, threads.parse().unwrap_or(0), latency.median, latency.p95));
        }
    }
    rows.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    for (engine, threads, median, p95) in &rows {
        println!("{engine:<24} {threads:>7} {median:>9.2} {p95:>9.2}");
    }

    let batch_vs_single = batched.iter().zip(&singles).map(|(a, b)| cosine(a, b));
    let batch_vs_single = batch_vs_single.fold(f32::INFINITY, f32::min);
    println!();
    println!(
        "burn, a batch of {} mixed lengths vs one by one: lowest cosine {batch_vs_single:.6}",
        texts.len()
    );
    println!("burn, packed dense vs burn's Linear: lowest cosine {packed_vs_reference:.6}");
    let Some(peer) = peer else { return Ok(()) };
    for &threads in &args.peer.threads {
        let at = |burn: bool| {
            rows.iter().filter(move |r| r.1 == threads && r.0.starts_with("burn") == burn)
        };
        let Some(ort) = at(false).next().map(|r| r.2) else { continue };
        for (engine, _, median, _) in at(true) {
            println!("{engine} / onnxruntime, median at {threads} thread(s): {:.2}×", median / ort);
        }
    }
    if peer.report.tokens != tokens {
        bail!(
            "the tokenisers disagree on token counts: burn side {tokens:?}, reference {:?}",
            peer.report.tokens
        );
    }
    println!("sentence                                   tokens   cosine (batch)   cosine (alone)");
    let mut lowest = f32::INFINITY;
    for (i, text) in texts.iter().enumerate() {
        let (in_batch, alone) =
            (cosine(&batched[i], &peer.embeddings[i]), cosine(&singles[i], &peer.embeddings[i]));
        lowest = lowest.min(in_batch).min(alone);
        let shown: String = text.chars().take(40).collect::<String>().replace(['\n', '\t'], " ");
        println!("{shown:<42} {:>6}   {in_batch:>14.6}   {alone:>14.6}", tokens[i]);
    }
    println!("parity with the reference: lowest cosine {lowest:.6} (needs ≥ {PARITY})");
    if lowest < PARITY || batch_vs_single < PARITY || packed_vs_reference < PARITY {
        bail!(
            "burn and the reference disagree (lowest cosine {lowest:.6}, batch vs single \
             {batch_vs_single:.6}, packed vs Linear {packed_vs_reference:.6})"
        );
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct PeerReport {
    version: String,
    latency_ms: std::collections::BTreeMap<String, PeerLatency>,
    tokens: Vec<usize>,
}

#[derive(Debug, Deserialize)]
struct PeerLatency {
    median: f64,
    p95: f64,
}

struct Peer {
    report: PeerReport,
    embeddings: Vec<Vec<f32>>,
}

fn run_onnxruntime(args: &BenchTextArgs, sentences: &[String]) -> anyhow::Result<Peer> {
    let dir = python::ScratchDir::new()?;
    let sentences_path: PathBuf = dir.0.join("sentences.json");
    let embeddings_path = dir.0.join("embeddings.f32");
    std::fs::write(&sentences_path, serde_json::to_vec(sentences)?)?;
    let threads: Vec<String> = args.peer.threads.iter().map(usize::to_string).collect();
    let mut command = python::script(&args.peer.venv, "onnx_text.py")?;
    command
        .arg("--model-dir")
        .arg(&args.model.text_model)
        .arg("--sentences")
        .arg(&sentences_path)
        .arg("--embeddings-out")
        .arg(&embeddings_path)
        .args(["--query", QUERY])
        .args(["--runs", &args.peer.runs.to_string(), "--warmup", &args.peer.warmup.to_string()])
        .args(["--threads", &threads.join(",")]);
    let stdout = python::stdout_of(command)?;
    let report: PeerReport =
        serde_json::from_slice(&stdout).context("reading onnx_text.py's report")?;
    let embeddings = python::read_rows(&embeddings_path, TEXT_EMBEDDING_DIM)?;
    if embeddings.len() != sentences.len() {
        bail!("onnx_text.py wrote {} vectors for {} sentences", embeddings.len(), sentences.len());
    }
    Ok(Peer { report, embeddings })
}
