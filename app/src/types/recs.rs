//! A recommendation row as the pages and the JSON API show it.

use serde::{Deserialize, Serialize};

use super::ProductCard;

/// The rows the shop serves, by their names in links, events and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// The home page's: what the taste model picks from what the shopper met (trending for a
    /// shopper it knows nothing about).
    PickedForYou,
    /// The product page's: bought together with this product (lift), then what shoppers who
    /// met it meet.
    AlsoBought,
    /// The cart's: goes with what is in it.
    CompleteYourOrder,
    /// Time-decayed popularity (per category with a filter).
    Trending,
    /// The few picks in an order's confirmation email (what goes with what was bought).
    OrderEmail,
}

impl RowKind {
    pub const ALL: [RowKind; 5] = [
        Self::PickedForYou,
        Self::AlsoBought,
        Self::CompleteYourOrder,
        Self::Trending,
        Self::OrderEmail,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::PickedForYou => "picked_for_you",
            Self::AlsoBought => "also_bought",
            Self::CompleteYourOrder => "complete_your_order",
            Self::Trending => "trending",
            Self::OrderEmail => "order_email",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|row| row.name() == name)
    }
}

/// One row's products, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendationRow {
    pub row: RowKind,
    /// What the row says above its products ("Picked for you", "Trending now" …).
    pub title: String,
    /// The taste model's version that filled it, `None` when no model did (trending, lift).
    pub model_version: Option<String>,
    pub products: Vec<ProductCard>,
}

/// Why a recommendation row was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RecsError {
    #[error("There is no recommendation row {0:?} (rows: picked_for_you, also_bought, complete_your_order, trending, order_email).")]
    UnknownRow(String),
    #[error("There is no category {0:?}.")]
    UnknownCategory(String),
    #[error("The also_bought row is about a product: give its id as `product`.")]
    ProductRequired,
    #[error("Recommendations are temporarily unavailable, please try again.")]
    Unavailable,
    /// Transport and encoding failures of the server-function call itself.
    #[error("request failed: {0}")]
    Request(String),
}

impl super::Refusal for RecsError {
    const UNAVAILABLE: Self = Self::Unavailable;

    fn code(&self) -> &'static str {
        match self {
            Self::UnknownRow(_) => "unknown_row",
            Self::UnknownCategory(_) => "unknown_category",
            Self::ProductRequired => "product_required",
            Self::Unavailable => "unavailable",
            Self::Request(_) => "bad_request",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Self::UnknownRow(_) | Self::UnknownCategory(_) => 404,
            Self::ProductRequired | Self::Request(_) => 400,
            Self::Unavailable => 503,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for RecsError {
    type Encoder = super::RefusalEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        Self::Request(value.to_string())
    }
}
