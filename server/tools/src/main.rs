//! `vitrine-tools`: the measurement commands, kept out of the shop's binary. `bench …` prints
//! performance tables (docs/benchmarks.md), `eval …` quality tables; the test suite runs each
//! at a tiny size (`scripts/test.sh`, "Smoke runs").

mod bench;
mod cli;
mod eval;

use clap::Parser;

use cli::{BenchCommand, Cli, Command, EvalCommand};
use vitrine::runtime::{database, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match cli.command {
        Command::Eval(EvalCommand::Visual(args)) => eval::visual::run(&args),
        Command::Eval(EvalCommand::Parity(args)) => eval::parity::run(&args),
        Command::Eval(EvalCommand::Robustness(args)) => {
            let pool = database::connect(&cli.storage).await?;
            eval::robustness::run(&pool, &cli.storage.media_store(), &args).await
        }
        Command::Eval(EvalCommand::TextSearch(args)) => {
            let pool = database::connect(&cli.storage).await?;
            eval::text_search::run(&pool, &args).await
        }
        Command::Eval(EvalCommand::TextToImage(args)) => {
            let pool = database::connect(&cli.storage).await?;
            eval::text_to_image::run(&pool, &args).await
        }
        Command::Eval(EvalCommand::Recs(args)) => eval::recs::run(&args).await,
        Command::Bench(BenchCommand::Embed(args)) => bench::embed::run(&args),
        Command::Bench(BenchCommand::Text(args)) => bench::text::run(&args),
        Command::Bench(BenchCommand::Search(args)) => bench::search::run(&cli.storage, &args).await,
        Command::Bench(BenchCommand::TextSearch(args)) => {
            bench::text_search::run(&cli.storage, &args).await
        }
        Command::Bench(BenchCommand::Preprocess(args)) => bench::preprocess::run(&args),
        Command::Bench(BenchCommand::Shop(args)) => bench::shop::run(&cli.storage, &args).await,
        Command::Bench(BenchCommand::Admin(args)) => bench::admin::run(&cli.storage, &args).await,
    }
}
