//! The admin's product form: what it sends (text as typed, so a bad value is a message next to
//! its field rather than a request that fails to decode) and what it is filled from. Why a
//! save was refused is `CatalogEditError`, with the other refusals.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Currency, Money, VariantOptions};

/// A product as the admin's form has it. The page fills it from [`ProductForm::of`] and posts
/// it back whole; without JavaScript the browser posts the same fields
/// (`form[name]`, `form[variants][0][sku]`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductForm {
    /// The revision the form was opened at; absent for a new product. A save against an older
    /// revision than the stored one is refused (someone else saved in between).
    #[serde(default)]
    pub revision: Option<i32>,
    #[serde(default)]
    pub name: String,
    /// Blank: made from the name.
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub description: String,
    /// The category's slug.
    #[serde(default)]
    pub category: String,
    /// One `name: value` per line ("Material: stoneware").
    #[serde(default)]
    pub attributes: String,
    #[serde(default)]
    pub variants: Vec<VariantForm>,
}

/// One variant's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantForm {
    /// The stored variant this row edits; absent for a new one.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub sku: String,
    /// `name: value` pairs separated by commas ("size: M, colour: red"); blank for none.
    #[serde(default)]
    pub options: String,
    /// As typed: "12", "12.5", "12.50".
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub currency: String,
    /// A new variant's opening stock (received through the ledger); blank for none. Stock of
    /// a stored variant moves only on the inventory page.
    #[serde(default)]
    pub opening_stock: String,
    /// Remove this variant (a checkbox). One that was ordered stays, for its orders' sake.
    #[serde(default, deserialize_with = "checkbox")]
    pub remove: bool,
}

/// A checkbox posts its value ("true", "on") when ticked and nothing when not.
fn checkbox<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let value = String::deserialize(deserializer)?;
    Ok(matches!(value.as_str(), "true" | "on" | "1"))
}

/// A product as stored, for the edit form and the answer to a save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditableProduct {
    pub id: Uuid,
    pub revision: i32,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub attributes: Vec<(String, String)>,
    pub published: bool,
    pub archived: bool,
    pub variants: Vec<EditableVariant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditableVariant {
    pub id: Uuid,
    pub sku: String,
    pub options: VariantOptions,
    pub price: Money,
    pub on_hand: i32,
}

impl ProductForm {
    /// The form for a stored product, at its current revision.
    pub fn of(product: &EditableProduct) -> Self {
        let attributes: Vec<String> =
            product.attributes.iter().map(|(name, value)| format!("{name}: {value}")).collect();
        Self {
            revision: Some(product.revision),
            name: product.name.clone(),
            slug: product.slug.clone(),
            description: product.description.clone(),
            category: product.category.clone(),
            attributes: attributes.join("\n"),
            variants: product
                .variants
                .iter()
                .map(|variant| VariantForm {
                    id: Some(variant.id),
                    sku: variant.sku.clone(),
                    options: options_text(&variant.options),
                    price: Money::plain(variant.price.minor),
                    currency: variant.price.currency.code().to_owned(),
                    opening_stock: String::new(),
                    remove: false,
                })
                .collect(),
        }
    }
}

/// "size: M, colour: red".
pub fn options_text(options: &VariantOptions) -> String {
    let pairs: Vec<String> =
        options.iter().map(|(name, value)| format!("{name}: {value}")).collect();
    pairs.join(", ")
}

/// The currencies a price may be in, for the form's choice.
pub const CURRENCIES: [Currency; 3] = [Currency::Eur, Currency::Usd, Currency::Gbp];

/// A category as the admin's tree shows it, depth first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminCategory {
    pub slug: String,
    pub name: String,
    pub parent_slug: Option<String>,
    /// 0 for a top-level category.
    pub depth: i32,
    /// Products in this category itself (not its subcategories).
    pub products: i64,
    pub subcategories: i64,
}

/// The category form: a new one (blank `slug`) or the one at `slug` renamed or moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryForm {
    /// The category edited; blank for a new one.
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    /// A new category's web address; blank: made from the name.
    #[serde(default)]
    pub new_slug: String,
    /// The parent's slug; blank for a top-level category.
    #[serde(default)]
    pub parent: String,
}
