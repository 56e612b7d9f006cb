//! Wiring of the selling side from the command line: the payment provider and hold time, and
//! the outbox relay with its mail transport.

use std::sync::Arc;
use std::time::Duration;

use app::backend::payments::test_provider::TestProvider;
use app::backend::payments::Payments;
use sqlx::PgPool;

use crate::jobs::notify::mailer::Mailer;
use crate::jobs::notify::Relay;
use crate::runtime::cli::{AuthArgs, ShopArgs, StorageArgs};

/// The built-in test provider is the only one so far; a real one implements the same trait. It
/// keeps its records in the shop's database (`db`), shared by every replica.
pub fn payments(args: &ShopArgs, db: PgPool) -> Payments {
    let latency = Duration::from_millis(args.payments_latency_ms);
    Payments {
        provider: Arc::new(TestProvider::new(db, latency)),
        hold: Duration::from_secs(args.reservation_minutes.max(1) * 60),
    }
}

/// The test provider answering in `latency`, with the default 15-minute hold (benchmarks).
pub fn test_payments(db: PgPool, latency: Duration) -> Payments {
    let provider = Arc::new(TestProvider::new(db, latency));
    Payments { provider, hold: Duration::from_secs(15 * 60) }
}

pub fn mailer(args: &ShopArgs, storage: &StorageArgs) -> anyhow::Result<Mailer> {
    match &args.smtp_url {
        Some(url) => Mailer::smtp(url, &args.mail_from),
        None if args.no_mail_folder => Ok(Mailer::LogOnly),
        None => Mailer::folder(storage.state_dir.join("mail"), &args.mail_from),
    }
}

pub fn relay(
    pool: PgPool,
    shop: &ShopArgs,
    auth: &AuthArgs,
    storage: &StorageArgs,
    lease: Duration,
) -> anyhow::Result<Relay> {
    Ok(Relay {
        pool,
        mailer: mailer(shop, storage)?,
        public_url: crate::runtime::auth::public_url(auth),
        idle_poll: Duration::from_millis(500),
        lease,
    })
}
