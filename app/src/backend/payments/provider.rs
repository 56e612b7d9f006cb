//! The seam to a payment service. The shop talks to every provider through this trait; each
//! call carries an idempotency key the provider must honour (a retried call with the same key
//! returns the first call's outcome and moves no money twice).

use std::future::Future;
use std::pin::Pin;

use crate::types::{CardDetails, Money};

pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    pub idempotency_key: &'a str,
    pub amount: Money,
    pub card: &'a CardDetails,
    /// Shown on the statement, e.g. "Vitrine order 1042".
    pub description: &'a str,
}

/// What a charge came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// The money is captured; `reference` names the charge at the provider.
    Succeeded {
        reference: String,
    },
    /// The bank wants the cardholder to confirm (3-D Secure); nothing is captured yet.
    RequiresAction {
        reference: String,
    },
    Declined {
        reference: String,
        code: String,
    },
}

#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    pub idempotency_key: &'a str,
    /// The charge being refunded.
    pub charge_reference: &'a str,
    pub amount: Money,
}

/// The provider could not be reached, timed out or failed internally: whether money moved is
/// unknown, so the same idempotency key must be used to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment provider error: {0}")]
pub struct ProviderError(pub String);

pub trait PaymentProvider: Send + Sync + 'static {
    /// The name stored with each payment.
    fn name(&self) -> &'static str;

    fn charge<'a>(&'a self, request: ChargeRequest<'a>) -> ProviderFuture<'a, ChargeOutcome>;

    /// The cardholder's answer to [`ChargeOutcome::RequiresAction`].
    fn confirm<'a>(
        &'a self,
        reference: &'a str,
        approved: bool,
    ) -> ProviderFuture<'a, ChargeOutcome>;

    /// Refunds part or all of a captured charge; returns the refund's reference.
    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> ProviderFuture<'a, String>;
}
