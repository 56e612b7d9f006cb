//! The built-in test provider: a sandbox that behaves like a real one. It takes time to answer
//! (configurable latency with jitter), honours idempotency keys, keeps its own record of what it
//! captured and refunded, and reacts to well-known test card numbers:
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

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;

use super::provider::{
    ChargeOutcome, ChargeRequest, PaymentProvider, ProviderError, ProviderFuture, RefundRequest,
};
use crate::types::Money;

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

#[derive(Default)]
struct Ledger {
    /// By idempotency key: a repeated key returns the stored charge.
    charges: HashMap<String, SandboxCharge>,
    /// By refund idempotency key → (charge reference, refund reference).
    refunds: HashMap<String, (String, String)>,
    next: u64,
}

pub struct TestProvider {
    latency: Duration,
    ledger: Mutex<Ledger>,
}

impl TestProvider {
    /// Each call waits between half and one and a half times `latency`, like a network call.
    pub fn new(latency: Duration) -> Self {
        Self { latency, ledger: Mutex::new(Ledger::default()) }
    }

    /// Every charge the sandbox has seen (for tests and the `bench` report).
    pub fn charges(&self) -> Vec<SandboxCharge> {
        self.ledger().charges.values().cloned().collect()
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
}

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }

    fn charge<'a>(&'a self, request: ChargeRequest<'a>) -> ProviderFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            self.wait().await;
            let mut ledger = self.ledger();
            if let Some(charge) = ledger.charges.get(request.idempotency_key) {
                return Ok(charge.outcome.clone());
            }
            ledger.next += 1;
            let reference = format!("ch_test_{:06}", ledger.next);
            let outcome = Self::decide(&request.card.digits(), reference.clone())?;
            let captured = matches!(outcome, ChargeOutcome::Succeeded { .. });
            ledger.charges.insert(
                request.idempotency_key.to_owned(),
                SandboxCharge {
                    reference,
                    amount: request.amount,
                    outcome: outcome.clone(),
                    captured,
                    refunded_minor: 0,
                },
            );
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
            let mut ledger = self.ledger();
            let charge = ledger
                .charges
                .values_mut()
                .find(|charge| charge.reference == reference)
                .ok_or_else(|| ProviderError(format!("no charge {reference}")))?;
            // Confirming twice returns the first answer.
            if matches!(charge.outcome, ChargeOutcome::RequiresAction { .. }) {
                charge.outcome = if approved {
                    charge.captured = true;
                    ChargeOutcome::Succeeded { reference: reference.to_owned() }
                } else {
                    ChargeOutcome::Declined {
                        reference: reference.to_owned(),
                        code: "authentication_failed".into(),
                    }
                };
            }
            Ok(charge.outcome.clone())
        })
    }

    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> ProviderFuture<'a, String> {
        Box::pin(async move {
            self.wait().await;
            let mut ledger = self.ledger();
            if let Some((_, refund)) = ledger.refunds.get(request.idempotency_key) {
                return Ok(refund.clone());
            }
            let charge = ledger
                .charges
                .values_mut()
                .find(|charge| charge.reference == request.charge_reference)
                .ok_or_else(|| ProviderError(format!("no charge {}", request.charge_reference)))?;
            if !charge.captured
                || charge.refunded_minor + request.amount.minor > charge.amount.minor
            {
                return Err(ProviderError("refund exceeds the captured amount".into()));
            }
            charge.refunded_minor += request.amount.minor;
            ledger.next += 1;
            let reference = format!("re_test_{:06}", ledger.next);
            ledger.refunds.insert(
                request.idempotency_key.to_owned(),
                (request.charge_reference.to_owned(), reference.clone()),
            );
            Ok(reference)
        })
    }
}
