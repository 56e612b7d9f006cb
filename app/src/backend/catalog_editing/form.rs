//! Reading the product form: every field checked at once, so the admin sees every mistake
//! next to its field in one go. What needs the database (the category, slugs and SKUs of other
//! products) is checked by the save, inside its transaction.

use std::collections::{BTreeMap, HashSet};

use uuid::Uuid;

use crate::types::{Currency, FieldError, Money, ProductForm, VariantOptions};

pub const MAX_NAME: usize = 200;
pub const MAX_SLUG: usize = 100;
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_VARIANTS: usize = 100;
/// The most units a new variant may open with (a typo guard, not a business rule).
pub const MAX_OPENING_STOCK: i32 = 1_000_000;

/// A form whose fields all read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProduct {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub category: String,
    pub attributes: BTreeMap<String, String>,
    pub variants: Vec<ValidVariant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidVariant {
    /// The row of the form it came from (for its errors' field names).
    pub row: usize,
    pub id: Option<Uuid>,
    pub sku: String,
    pub options: VariantOptions,
    pub price: Money,
    pub opening_stock: i32,
    pub remove: bool,
}

/// A blank variant row (the form's spare row for adding one) is skipped, not an error.
fn blank(variant: &crate::types::VariantForm) -> bool {
    variant.id.is_none()
        && variant.sku.trim().is_empty()
        && variant.options.trim().is_empty()
        && variant.price.trim().is_empty()
        && variant.opening_stock.trim().is_empty()
}

/// Reads `form`, or says what is wrong with each field.
pub fn read(form: &ProductForm) -> Result<ValidProduct, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: String, message: &str| {
        errors.push(FieldError { field, message: message.to_owned() });
    };
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        fail("name".into(), "Give the product a name.");
    } else if name.chars().count() > MAX_NAME {
        fail("name".into(), "Keep the name to 200 characters.");
    }
    let slug = match form.slug.trim() {
        "" => slugify(&name),
        typed => typed.to_owned(),
    };
    if slug.is_empty() && !name.is_empty() {
        fail(
            "slug".into(),
            "The name has no letters or digits to make a web address from; type one.",
        );
    } else if !slug.is_empty() && !valid_slug(&slug) {
        fail("slug".into(), "Use lowercase letters, digits and single hyphens (like blue-teapot).");
    }
    let description = form.description.trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION {
        fail("description".into(), "Keep the description to 10,000 characters.");
    }
    let category = form.category.trim().to_owned();
    if category.is_empty() {
        fail("category".into(), "Choose a category.");
    }
    let attributes = match pairs(form.attributes.lines()) {
        Ok(attributes) => attributes,
        Err(()) => {
            fail("attributes".into(), "Write one attribute per line, as name: value.");
            BTreeMap::new()
        }
    };

    let mut variants = Vec::new();
    let mut skus = HashSet::new();
    let mut option_sets = HashSet::new();
    for (row, variant) in form.variants.iter().enumerate() {
        if blank(variant) {
            continue;
        }
        let field = |name: &str| format!("variants.{row}.{name}");
        let sku = variant.sku.trim().to_uppercase();
        if !valid_sku(&sku) {
            fail(
                field("sku"),
                "Use capital letters, digits and single hyphens (like TEAPOT-BLUE).",
            );
        } else if !variant.remove && !skus.insert(sku.clone()) {
            fail(field("sku"), "Another variant of this form has this SKU.");
        }
        let options = match pairs(variant.options.split(',')) {
            Ok(options) => options,
            Err(()) => {
                fail(field("options"), "Write options as name: value, separated by commas.");
                VariantOptions::new()
            }
        };
        if !variant.remove && !option_sets.insert(options.clone()) {
            fail(field("options"), "Another variant has the same options; each needs its own.");
        }
        let currency = Currency::parse(variant.currency.trim());
        if currency.is_none() {
            fail(field("currency"), "Choose EUR, USD or GBP.");
        }
        let minor = Money::parse_minor(&variant.price);
        if minor.is_none() {
            fail(field("price"), "Write the price as 12 or 12.50.");
        }
        let opening_stock = match variant.opening_stock.trim() {
            "" => 0,
            typed => match typed.parse::<i32>() {
                Ok(units) if (0..=MAX_OPENING_STOCK).contains(&units) => units,
                _ => {
                    fail(field("opening_stock"), "Write a whole number of units, 0 or more.");
                    0
                }
            },
        };
        if variant.id.is_some() && opening_stock != 0 {
            fail(field("opening_stock"), "Stock of a saved variant moves on the inventory page.");
        }
        if let (Some(currency), Some(minor)) = (currency, minor) {
            variants.push(ValidVariant {
                row,
                id: variant.id,
                sku,
                options,
                price: Money { minor, currency },
                opening_stock,
                remove: variant.remove,
            });
        }
    }
    let kept = form.variants.iter().filter(|v| !blank(v) && !v.remove).count();
    if kept == 0 {
        fail("variants".into(), "A product needs at least one variant (its SKU and price).");
    } else if kept > MAX_VARIANTS {
        fail("variants".into(), "Keep a product to 100 variants.");
    }
    if errors.is_empty() {
        Ok(ValidProduct { name, slug, description, category, attributes, variants })
    } else {
        Err(errors)
    }
}

/// `name: value` items (blank ones skipped) as a map; `Err` when one is not.
fn pairs<'a>(items: impl Iterator<Item = &'a str>) -> Result<BTreeMap<String, String>, ()> {
    let mut map = BTreeMap::new();
    for item in items.map(str::trim).filter(|item| !item.is_empty()) {
        let (name, value) = item.split_once(':').ok_or(())?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() || name.len() > 100 || value.len() > 500 {
            return Err(());
        }
        map.insert(name.to_lowercase(), value.to_owned());
    }
    Ok(map)
}

/// The web address made from a name: lowercase ASCII letters and digits, everything else a
/// single hyphen ("Blue Teapot, 1 l" → "blue-teapot-1-l"); common accents lose their marks.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = unaccent(c);
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= MAX_SLUG {
            break;
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn unaccent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// As the database's CHECK on `products.slug`.
pub fn valid_slug(slug: &str) -> bool {
    slug.len() <= MAX_SLUG
        && !slug.is_empty()
        && slug.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// As the database's CHECK on `product_variants.sku`.
fn valid_sku(sku: &str) -> bool {
    sku.len() <= 64
        && !sku.is_empty()
        && sku.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::VariantForm;

    fn form() -> ProductForm {
        ProductForm {
            name: "Blue Teapot, 1 l".into(),
            category: "kitchen".into(),
            attributes: "Material: stoneware\n\n".into(),
            variants: vec![VariantForm {
                sku: "teapot-blue".into(),
                options: "size: 1 l".into(),
                price: "24.5".into(),
                currency: "EUR".into(),
                opening_stock: "7".into(),
                ..VariantForm::default()
            }],
            ..ProductForm::default()
        }
    }

    #[test]
    fn a_good_form_reads_with_its_slug_made_from_the_name() {
        let product = read(&form()).unwrap();
        assert_eq!(product.slug, "blue-teapot-1-l");
        assert_eq!(product.attributes["material"], "stoneware");
        let variant = &product.variants[0];
        assert_eq!(variant.sku, "TEAPOT-BLUE");
        assert_eq!(variant.options["size"], "1 l");
        assert_eq!(variant.price, Money { minor: 2450, currency: Currency::Eur });
        assert_eq!(variant.opening_stock, 7);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let mut bad = form();
        bad.name = " ".into();
        bad.slug = "Not A Slug".into();
        bad.attributes = "no colon here".into();
        bad.variants[0].price = "12,50".into();
        bad.variants[0].currency = "JPY".into();
        bad.variants.push(VariantForm {
            sku: "TEAPOT-BLUE".into(),
            options: "size: 1 l".into(),
            price: "1".into(),
            currency: "EUR".into(),
            opening_stock: "-3".into(),
            ..VariantForm::default()
        });
        let errors = read(&bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "slug",
                "attributes",
                "variants.0.currency",
                "variants.0.price",
                "variants.1.sku",
                "variants.1.options",
                "variants.1.opening_stock"
            ]
        );
    }

    #[test]
    fn a_blank_row_is_skipped_but_a_product_needs_one_variant() {
        let mut spare = form();
        spare.variants.push(VariantForm { currency: "EUR".into(), ..VariantForm::default() });
        assert_eq!(read(&spare).unwrap().variants.len(), 1);
        let mut none = form();
        none.variants[0].remove = true;
        let errors = read(&none).unwrap_err();
        assert_eq!(errors[0].field, "variants");
    }

    #[test]
    fn slugs_drop_accents_and_punctuation() {
        assert_eq!(slugify("Crème brûlée — 2 × 100 g"), "creme-brulee-2-100-g");
        assert_eq!(slugify("!!!"), "");
        assert!(valid_slug("a-1") && !valid_slug("a--1") && !valid_slug("-a") && !valid_slug("A"));
    }
}
