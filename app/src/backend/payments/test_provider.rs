//! The built-in test provider: a sandbox that behaves like a real one. It takes time to answer
//! (configurable latency with jitter), honours idempotency keys, keeps its own record of what it
//! captured and refunded (in PostgreSQL, `sandbox_charges` and `sandbox_refunds`, so every
//! replica of the shop talks to the same sandbox), and reacts to well-known test card numbers:
//!
//! | card                | outcome                                              |
//! |---------------------|------------------------------------------------------|
//! | 4242 4242 4242 4242 | succeeds                                             |
//! | 5555 5555 5555 4444 | succeeds (Mastercard)                                |
//! | 4000 0000 0000 0002 | declined: `card_declined`                            |
//! | 4000 0000 0000 9995 | declined: `insufficient_funds`                       |
//! | 4000 0027 6000 3184 | asks the cardholder to confirm (3-D Secure)          |
//! | 4000 0000 0000 0119 | the provider fails (`processing_error`): try again   |
//! | any other number    | declined: `test_card_unknown` (no real cards here)   |

use std::time::Duration;

use rand::Rng;
use sqlx::PgPool;
use uuid::Uuid;

use super::provider::{
    ChargeOutcome, ChargeRequest, PaymentProvider, ProviderError, ProviderFuture, RefundRequest,
};
use crate::types::{Currency, Money};

pub const SUCCESS_CARD: &str = "4242424242424242";
pub const DECLINED_CARD: &str = "4000000000000002";
pub const INSUFFICIENT_FUNDS_CARD: &str = "4000000000009995";
pub const CONFIRM_CARD: &str = "4000002760003184";
pub const ERROR_CARD: &str = "4000000000000119";

/// A charge as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCharge {
    pub reference: String,
    pub amount: Money,
    pub outcome: ChargeOutcome,
    /// Money actually taken (succeeded, or confirmed after the second step).
    pub captured: bool,
    pub refunded_minor: i64,
}

struct ChargeRow {
    reference: String,
    amount_minor: i64,
    currency: String,
    outcome: String,
    decline_code: Option<String>,
    captured: bool,
    refunded_minor: i64,
}

impl ChargeRow {
    fn outcome(&self) -> ChargeOutcome {
        let reference = self.reference.clone();
        match self.outcome.as_str() {
            "succeeded" => ChargeOutcome::Succeeded { reference },
            "requires_action" => ChargeOutcome::RequiresAction { reference },
            _ => ChargeOutcome::Declined {
                reference,
                code: self.decline_code.clone().unwrap_or_default(),
            },
        }
    }

    fn into_charge(self) -> SandboxCharge {
        SandboxCharge {
            outcome: self.outcome(),
            amount: Money {
                minor: self.amount_minor,
                currency: Currency::parse(&self.currency).unwrap_or(Currency::Eur),
            },
            reference: self.reference,
            captured: self.captured,
            refunded_minor: self.refunded_minor,
        }
    }
}

/// How an outcome is stored: its name and decline code.
fn stored(outcome: &ChargeOutcome) -> (&'static str, Option<&str>) {
    match outcome {
        ChargeOutcome::Succeeded { .. } => ("succeeded", None),
        ChargeOutcome::RequiresAction { .. } => ("requires_action", None),
        ChargeOutcome::Declined { code, .. } => ("declined", Some(code.as_str())),
    }
}

/// The sandbox's database trouble, as a provider that could not be reached.
fn unreachable(err: sqlx::Error) -> ProviderError {
    ProviderError(format!("the sandbox's records: {err}"))
}

pub struct TestProvider {
    db: PgPool,
    latency: Duration,
}

impl TestProvider {
    /// Each call waits between half and one and a half times `latency`, like a network call.
    pub fn new(db: PgPool, latency: Duration) -> Self {
        Self { db, latency }
    }

    /// Every charge the sandbox has seen (for tests and the `bench` report).
    pub async fn charges(&self) -> Result<Vec<SandboxCharge>, sqlx::Error> {
        let rows = sqlx::query_as!(
            ChargeRow,
            r#"SELECT reference, amount_minor, currency, outcome, decline_code, captured, refunded_minor
               FROM sandbox_charges ORDER BY created_at, reference"#
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows.into_iter().map(ChargeRow::into_charge).collect())
    }

    async fn wait(&self) {
        if self.latency.is_zero() {
            return;
        }
        let factor = rand::rng().random_range(0.5..1.5);
        tokio::time::sleep(self.latency.mul_f64(factor)).await;
    }

    fn decide(card_digits: &str, reference: String) -> Result<ChargeOutcome, ProviderError> {
        let declined = |code: &str| ChargeOutcome::Declined {
            reference: reference.clone(),
            code: code.into(),
        };
        Ok(match card_digits {
            SUCCESS_CARD | "5555555555554444" => ChargeOutcome::Succeeded { reference },
            DECLINED_CARD => declined("card_declined"),
            INSUFFICIENT_FUNDS_CARD => declined("insufficient_funds"),
            CONFIRM_CARD => ChargeOutcome::RequiresAction { reference },
            ERROR_CARD => return Err(ProviderError("processing_error".into())),
            _ => declined("test_card_unknown"),
        })
    }

    /// The charge made with idempotency key `key`, or named `reference` (give one).
    async fn find_charge(
        &self,
        key: Option<&str>,
        reference: Option<&str>,
    ) -> Result<Option<ChargeRow>, ProviderError> {
        sqlx::query_as!(
            ChargeRow,
            r#"SELECT reference, amount_minor, currency, outcome, decline_code, captured, refunded_minor
               FROM sandbox_charges WHERE idempotency_key = $1 OR reference = $2"#,
            key,
            reference
        )
        .fetch_optional(&self.db)
        .await
        .map_err(unreachable)
    }
}

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }

    fn charge<'a>(&'a self, request: ChargeRequest<'a>) -> ProviderFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            self.wait().await;
            if let Some(charge) = self.find_charge(Some(request.idempotency_key), None).await? {
                return Ok(charge.outcome());
            }
            let reference = format!("ch_test_{}", Uuid::new_v4().simple());
            let outcome = Self::decide(&request.card.digits(), reference.clone())?;
            let (name, code) = stored(&outcome);
            // Two calls with one key at once: the first insert wins, the second answers with it.
            let inserted = sqlx::query!(
                r#"
                INSERT INTO sandbox_charges
                    (idempotency_key, reference, amount_minor, currency, outcome, decline_code, captured)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (idempotency_key) DO NOTHING
                "#,
                request.idempotency_key,
                reference,
                request.amount.minor,
                request.amount.currency.code(),
                name,
                code,
                name == "succeeded",
            )
            .execute(&self.db)
            .await
            .map_err(unreachable)?;
            if inserted.rows_affected() == 0 {
                let first = self.find_charge(Some(request.idempotency_key), None).await?;
                return first
                    .map(|charge| charge.outcome())
                    .ok_or_else(|| ProviderError("the charge vanished".into()));
            }
            Ok(outcome)
        })
    }

    fn confirm<'a>(
        &'a self,
        reference: &'a str,
        approved: bool,
    ) -> ProviderFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            self.wait().await;
            // Only a charge still waiting moves; confirming twice returns the first answer.
            sqlx::query!(
                r#"
                UPDATE sandbox_charges
                SET outcome = CASE WHEN $2 THEN 'succeeded' ELSE 'declined' END,
                    decline_code = CASE WHEN $2 THEN NULL ELSE 'authentication_failed' END,
                    captured = $2
                WHERE reference = $1 AND outcome = 'requires_action'
                "#,
                reference,
                approved
            )
            .execute(&self.db)
            .await
            .map_err(unreachable)?;
            let charge = self
                .find_charge(None, Some(reference))
                .await?
                .ok_or_else(|| ProviderError(format!("no charge {reference}")))?;
            Ok(charge.outcome())
        })
    }

    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> ProviderFuture<'a, String> {
        Box::pin(async move {
            self.wait().await;
            let mut tx = self.db.begin().await.map_err(unreachable)?;
            let earlier = sqlx::query_scalar!(
                "SELECT reference FROM sandbox_refunds WHERE idempotency_key = $1",
                request.idempotency_key
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(unreachable)?;
            if let Some(reference) = earlier {
                return Ok(reference);
            }
            // Locked: two refunds of one charge at once cannot both pass the check.
            let charge = sqlx::query!(
                "SELECT captured, amount_minor, refunded_minor FROM sandbox_charges WHERE reference = $1 FOR UPDATE",
                request.charge_reference
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(unreachable)?
            .ok_or_else(|| ProviderError(format!("no charge {}", request.charge_reference)))?;
            if !charge.captured
                || charge.refunded_minor + request.amount.minor > charge.amount_minor
            {
                return Err(ProviderError("refund exceeds the captured amount".into()));
            }
            let reference = format!("re_test_{}", Uuid::new_v4().simple());
            sqlx::query!(
                "UPDATE sandbox_charges SET refunded_minor = refunded_minor + $2 WHERE reference = $1",
                request.charge_reference,
                request.amount.minor
            )
            .execute(&mut *tx)
            .await
            .map_err(unreachable)?;
            sqlx::query!(
                "INSERT INTO sandbox_refunds (idempotency_key, charge_reference, reference, amount_minor) VALUES ($1, $2, $3, $4)",
                request.idempotency_key,
                request.charge_reference,
                reference,
                request.amount.minor
            )
            .execute(&mut *tx)
            .await
            .map_err(unreachable)?;
            tx.commit().await.map_err(unreachable)?;
            Ok(reference)
        })
    }
}
