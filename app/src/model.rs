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

impl Money {
    /// Parses an amount as shoppers type it ("12", "12.5", "12.50") into minor units, without
    /// floats; `None` for anything else.
    pub fn parse_minor(text: &str) -> Option<i64> {
        let text = text.trim();
        let (units, cents) = text.split_once('.').unwrap_or((text, ""));
        if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 {
            return None;
        }
        if !cents.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let cents = format!("{cents:0<2}").parse::<i64>().ok()?;
        units.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
    }

    /// "12.50": the amount without its symbol, for form fields.
    pub fn plain(minor: i64) -> String {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

/// What a product list shows of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub category: String,
    /// The lowest price of its variants.
    pub price: Money,
    /// Whether other variants cost more ("from €12.00").
    pub price_varies: bool,
    /// Whether any variant can be bought now.
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
    /// Material, origin … as name → value.
    pub attributes: std::collections::BTreeMap<String, String>,
    /// At least one; the product page picks among them.
    pub variants: Vec<crate::commerce::Variant>,
}

/// A product found by visual search, with how alike it looks: the cosine similarity of the two
/// images' embeddings (1 is the same picture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredProduct {
    pub product: ProductCard,
    pub score: f32,
}

/// How a category page orders its products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingSort {
    #[default]
    Name,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl ListingSort {
    pub const ALL: [ListingSort; 4] = [Self::Name, Self::PriceAsc, Self::PriceDesc, Self::Newest];

    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
            Self::Newest => "newest",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sort| sort.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::PriceAsc => "Price, low to high",
            Self::PriceDesc => "Price, high to low",
            Self::Newest => "Newest",
        }
    }
}

/// The most products one category page shows.
pub const MAX_PAGE_SIZE: i64 = 100;
pub const DEFAULT_PAGE_SIZE: i64 = 24;

/// What a category page asks for: its filters apply to one variant together ("size M, in
/// stock, under €20" needs a variant that is all three).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListingQuery {
    pub category: String,
    /// From 1.
    pub page: i64,
    pub per_page: i64,
    pub min_price_minor: Option<i64>,
    pub max_price_minor: Option<i64>,
    pub in_stock: bool,
    /// Option name → the value a variant must have.
    pub options: std::collections::BTreeMap<String, String>,
    pub sort: ListingSort,
}

/// One option's values among a category's products, for the filter controls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionFacet {
    pub name: String,
    pub values: Vec<String>,
}

/// A page of a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryListing {
    pub category: Category,
    /// The category above it, for the breadcrumbs.
    pub parent: Option<Category>,
    pub subcategories: Vec<Category>,
    pub products: Vec<ProductCard>,
    /// Products matching the filters, on all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub facets: Vec<OptionFacet>,
}

impl CategoryListing {
    pub fn page_count(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
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
    fn typed_amounts_parse_to_minor_units() {
        assert_eq!(Money::parse_minor("12"), Some(1200));
        assert_eq!(Money::parse_minor(" 12.5 "), Some(1250));
        assert_eq!(Money::parse_minor("0.05"), Some(5));
        for bad in ["", "-1", "1.234", "1,50", "abc", ".5", "1e3"] {
            assert_eq!(Money::parse_minor(bad), None, "{bad}");
        }
        assert_eq!(Money::plain(1250), "12.50");
    }

    #[test]
    fn currency_codes_round_trip() {
        for currency in [Currency::Eur, Currency::Usd, Currency::Gbp] {
            assert_eq!(Currency::parse(currency.code()), Some(currency));
        }
        assert_eq!(Currency::parse("XYZ"), None);
    }
}
