use clap::Parser;

use vitrine::commands::{backup, catalog_file, model, reindex, seed, simulate};
use vitrine::runtime::cli::{
    Cli, Command, DbCommand, ModelCommand, RecsCommand, SimulateCommand, UserCommand,
};
use vitrine::runtime::{database, serve, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);

    match cli.command.clone().unwrap_or_default() {
        Command::Serve(args) => serve::run(&cli.storage, args).await,
        Command::Migrate => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            Ok(())
        }
        Command::Seed(args) => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            let catalog = seed::DemoCatalog::load(&args.demo_data)?;
            let summary = catalog.seed(&pool, &cli.storage.media_store()).await?;
            tracing::info!(
                categories = summary.categories,
                products = summary.products,
                images = summary.images,
                "demo catalog seeded"
            );
            Ok(())
        }
        Command::Reindex(args) => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            let summary = reindex::run(&pool, cli.storage.media_store(), &args).await?;
            if let Some(pass) = summary.images {
                let counts = pass.counts;
                println!(
                    "embedded {} images in {:.1} s ({:.1}/s); catalog: {} ready, {} waiting, {} failed",
                    pass.embedded,
                    pass.seconds,
                    pass.embedded as f64 / pass.seconds.max(1e-9),
                    counts.ready,
                    counts.waiting,
                    counts.failed
                );
            }
            if let Some(pass) = summary.texts {
                println!(
                    "embedded {} product texts in {:.1} s ({:.1}/s); catalog: {} ready, {} waiting",
                    pass.embedded,
                    pass.seconds,
                    pass.embedded as f64 / pass.seconds.max(1e-9),
                    pass.counts.ready,
                    pass.counts.waiting
                );
            }
            Ok(())
        }
        Command::Model(ModelCommand::Convert { checkpoint, out }) => {
            model::convert(&checkpoint, &out)
        }
        Command::Model(ModelCommand::Classify { photos, weights }) => {
            model::classify(&weights, &photos)
        }
        Command::Model(ModelCommand::Train(args)) => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            model::train(&pool, &args).await
        }
        Command::Import(args) => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            let report = catalog_file::import(&pool, cli.storage.media_store(), &args).await?;
            if let Some(report) = report {
                catalog_file::print_report(&report);
                if report.summary.rows_failed > 0 || report.summary.failure.is_some() {
                    // Some rows were left out: a script must notice.
                    std::process::exit(2);
                }
            }
            Ok(())
        }
        Command::Export { out } => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            catalog_file::export(&pool, out.as_deref()).await
        }
        Command::Recs(RecsCommand::Train(args)) => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            model::train(&pool, &args.into()).await
        }
        Command::Model(ModelCommand::Versions { model: trained }) => {
            let pool = database::connect(&cli.storage).await?;
            model::print_versions(&pool, trained).await
        }
        Command::Model(ModelCommand::Activate { version }) => {
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            model::activate(&pool, &version).await
        }
        Command::User(UserCommand::CreateAdmin { email }) => {
            let password = match std::env::var("VITRINE_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let pool = database::connect(&cli.storage).await?;
            database::migrate(&pool).await?;
            let passwords = app::backend::auth::password::Passwords::new(1);
            let id =
                app::backend::auth::accounts::create_admin(&pool, &passwords, &email, password)
                    .await?;
            println!("{email} is an admin (user {id})");
            Ok(())
        }
        Command::Backup { out } => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            let out = out.unwrap_or_else(|| cli.storage.state_dir.join("backups").join(stamp));
            let manifest = backup::backup(&cli.storage, &out).await?;
            println!(
                "backed up the database and {} media files to {}",
                manifest.media_files,
                out.display()
            );
            Ok(())
        }
        Command::Restore { from, replace } => {
            anyhow::ensure!(
                replace,
                "restoring replaces the shop's data; pass --replace to confirm"
            );
            let manifest = backup::restore(&cli.storage, &from).await?;
            println!(
                "restored the backup of {} ({} media files)",
                manifest.created_at.to_rfc3339(),
                manifest.media_files
            );
            Ok(())
        }
        Command::Simulate(SimulateCommand::Shoppers(args)) => {
            let summary = simulate::run(&args).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Db(db) => {
            let cluster = cli.storage.local_cluster();
            match db {
                DbCommand::Start => {
                    let url = cluster.ensure_running().await?;
                    println!("{}", url.redacted());
                }
                DbCommand::Stop => cluster.stop()?,
                DbCommand::Status => println!("{}", cluster.status()?),
                DbCommand::Url => println!("{}", cluster.ensure_running().await?.expose()),
            }
            Ok(())
        }
    }
}
