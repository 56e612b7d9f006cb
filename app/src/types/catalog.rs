//! The catalog as the shop shows it: products, categories, variants, listings and visual
//! search results. Plain serde structs shared by the pages, the JSON API and the backend.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Money;

/// Option name → value ("size" → "M"); empty for a product without options.
pub type VariantOptions = BTreeMap<String, String>;

/// One purchasable version of a product, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub id: Uuid,
    pub sku: String,
    pub options: VariantOptions,
    pub price: Money,
    /// Units a shopper can buy now: on hand minus those held by checkouts.
    pub available: i32,
}

impl Variant {
    /// "Size M · Colour Red", or "" for a product without options.
    pub fn label(&self) -> String {
        options_label(&self.options)
    }
}

pub fn options_label(options: &VariantOptions) -> String {
    options
        .iter()
        .map(|(name, value)| format!("{} {value}", option_name(name)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// An option's name as labels show it: "size" → "Size".
pub fn option_name(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Results of a photo search, unless the request asks for another number up to the maximum.
pub const DEFAULT_PHOTO_RESULTS: i64 = 24;
pub const MAX_PHOTO_RESULTS: i64 = 100;
/// Items in a product page's "similar items" row.
pub const SIMILAR_ITEMS: i64 = 8;

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
    pub variants: Vec<Variant>,
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
    fn option_labels_read_naturally() {
        let options = VariantOptions::from([("size".into(), "M".into())]);
        assert_eq!(options_label(&options), "Size M");
        assert_eq!(options_label(&VariantOptions::new()), "");
    }
}
