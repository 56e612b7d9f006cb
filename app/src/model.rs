//! Typed models shared by the browser and the server: plain serde structs, one of each.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An amount of money in integer minor units (cents, pence) of an ISO 4217 currency. Floats never
/// hold money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

/// The currencies the shop prices in, each with its number of minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    Eur,
    Usd,
    Gbp,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
            Currency::Gbp => "GBP",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Eur => "€",
            Currency::Usd => "$",
            Currency::Gbp => "£",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "EUR" => Some(Currency::Eur),
            "USD" => Some(Currency::Usd),
            "GBP" => Some(Currency::Gbp),
            _ => None,
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}{}.{:02}", self.currency.symbol(), abs / 100, abs % 100)
    }
}

/// What a product list shows of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub category: String,
    pub price: Money,
    pub in_stock: bool,
    /// The main image's URL, when the product has one.
    pub image_url: Option<String>,
    pub image_alt: String,
}

/// A category, for menus and filters; top-level ones have no parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub parent_slug: Option<String>,
}

/// A product's page: the product and the items that look like it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductPageData {
    pub product: ProductDetail,
    pub similar: Vec<ScoredProduct>,
}

/// What a product's page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub card: ProductCard,
    pub description: String,
    pub category_slug: String,
    pub stock: i32,
}

/// A product found by visual search, with how alike it looks: the cosine similarity of the two
/// images' embeddings (1 is the same picture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredProduct {
    pub product: ProductCard,
    pub score: f32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Minor units written as `units_cents` read as the price they are.
    #[allow(clippy::inconsistent_digit_grouping)]
    fn money_formats_minor_units_without_floats() {
        let price = Money { minor: 129_99, currency: Currency::Eur };
        assert_eq!(price.to_string(), "€129.99");
        let refund = Money { minor: -5, currency: Currency::Usd };
        assert_eq!(refund.to_string(), "-$0.05");
    }

    #[test]
    fn currency_codes_round_trip() {
        for currency in [Currency::Eur, Currency::Usd, Currency::Gbp] {
            assert_eq!(Currency::parse(currency.code()), Some(currency));
        }
        assert_eq!(Currency::parse("XYZ"), None);
    }
}
