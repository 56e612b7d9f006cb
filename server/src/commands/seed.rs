//! `vitrine seed`: the demo catalog, built from the Noto emoji images of the npm package
//! `emoji-datasource-google@16.0.0` (images Apache-2.0, data MIT), which the setup step fetches
//! with `npm pack`. Every emoji that depicts a thing one could sell becomes a product with a real
//! name, a category from the emoji's category and subcategory, its image, and one or more
//! variants with a price and opening stock: garments come in sizes, shoes in shoe sizes, fruit and
//! vegetables singly or by the box.
//!
//! Idempotent: categories and products are matched by slug and updated in place, variants by SKU
//! (stock is received once, when a variant is created: a re-seed never resets inventory), images
//! by product and position; all of it in one transaction, so a failed seed leaves nothing half
//! written. Image files are content-addressed, so writing them again changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use app::backend::catalog::{
    remove_other_variants, upsert_category, upsert_product, upsert_product_image, upsert_variant,
    CategoryUpsert, ProductUpsert, VariantUpsert,
};
use app::backend::inventory::{self, StockLine};
use app::backend::media::{MediaError, MediaStore};
use app::types::{Currency, Money, VariantOptions};
use serde::Deserialize;
use sqlx::PgPool;

/// Emoji categories whose emoji are things: objects, food, sports and games, plants and animals
/// (as figurines and plush), vehicles and places (as models and prints). Flags, symbols, faces,
/// people and skin-tone components are not products.
const PRODUCT_CATEGORIES: &[&str] =
    &["Objects", "Food & Drink", "Activities", "Animals & Nature", "Travel & Places"];

/// Subcategory names that read badly when derived mechanically from the emoji data's slugs.
const SUBCATEGORY_NAMES: &[(&str, &str)] = &[
    ("food-asian", "Asian food"),
    ("food-fruit", "Fruit"),
    ("food-prepared", "Prepared food"),
    ("food-sweet", "Sweets"),
    ("food-vegetable", "Vegetables"),
    ("animal-amphibian", "Amphibians"),
    ("animal-bird", "Birds"),
    ("animal-bug", "Bugs"),
    ("animal-mammal", "Mammals"),
    ("animal-marine", "Marine life"),
    ("animal-reptile", "Reptiles"),
    ("plant-flower", "Flowers"),
    ("plant-other", "Plants"),
    ("transport-air", "Air transport"),
    ("transport-ground", "Ground transport"),
    ("transport-water", "Water transport"),
    ("place-building", "Buildings"),
    ("place-geographic", "Landscapes"),
    ("place-map", "Maps"),
    ("place-other", "Places"),
    ("place-religious", "Religious places"),
    ("other-object", "Other objects"),
    ("book-paper", "Books & paper"),
    ("award-medal", "Awards & medals"),
];

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "demo data not found at {0} (the setup step fetches it: `npm pack emoji-datasource-google@16.0.0`; or set VITRINE_DEMO_DATA)"
    )]
    MissingData(PathBuf),
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    pub categories: usize,
    pub products: usize,
    pub images: usize,
}

/// One entry of emoji.json (only the fields we use).
#[derive(Debug, Deserialize)]
struct Emoji {
    name: Option<String>,
    short_name: String,
    image: String,
    category: String,
    subcategory: String,
    sort_order: i64,
    #[serde(default)]
    has_img_google: bool,
}

/// A product of the demo catalog, derived from one emoji.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoProduct {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub category_slug: String,
    pub variants: Vec<DemoVariant>,
    pub image: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoVariant {
    pub sku: String,
    pub options: VariantOptions,
    pub price: Money,
    pub stock: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCategory {
    pub slug: String,
    pub name: String,
    pub parent_slug: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DemoCatalog {
    /// Parents before children.
    pub categories: Vec<DemoCategory>,
    /// In the emoji data's order.
    pub products: Vec<DemoProduct>,
}

impl DemoCatalog {
    /// Reads `emoji.json` in the unpacked package directory and selects the products.
    pub fn load(package_dir: &Path) -> Result<Self, SeedError> {
        let json_path = package_dir.join("emoji.json");
        if !json_path.exists() {
            return Err(SeedError::MissingData(package_dir.to_path_buf()));
        }
        let text = std::fs::read_to_string(&json_path)
            .map_err(|source| SeedError::Read { path: json_path.clone(), source })?;
        let mut emoji: Vec<Emoji> = serde_json::from_str(&text)
            .map_err(|source| SeedError::Parse { path: json_path.clone(), source })?;
        emoji.sort_by_key(|e| e.sort_order);

        let image_dir = package_dir.join("img/google/64");
        let mut categories: BTreeMap<String, DemoCategory> = BTreeMap::new();
        let mut products = Vec::new();
        for entry in emoji {
            let Some(name) = entry.name.as_deref() else {
                continue;
            };
            if !PRODUCT_CATEGORIES.contains(&entry.category.as_str()) || !entry.has_img_google {
                continue;
            }
            let top_slug = slugify(&entry.category);
            let sub_slug = slugify(&entry.subcategory);
            let sub_name = subcategory_name(&entry.subcategory);
            categories.entry(top_slug.clone()).or_insert_with(|| DemoCategory {
                slug: top_slug.clone(),
                name: entry.category.clone(),
                parent_slug: None,
            });
            categories.entry(sub_slug.clone()).or_insert_with(|| DemoCategory {
                slug: sub_slug.clone(),
                name: sub_name.clone(),
                parent_slug: Some(top_slug),
            });

            let name = title_case(name);
            let slug = slugify(&entry.short_name);
            let variants = demo_variants(&slug, &entry.subcategory);
            products.push(DemoProduct {
                slug,
                description: format!(
                    "{name}, from our {} range in {}.",
                    sub_name.to_lowercase(),
                    entry.category
                ),
                name,
                category_slug: sub_slug,
                variants,
                image: image_dir.join(&entry.image),
            });
        }

        let mut categories: Vec<DemoCategory> = categories.into_values().collect();
        categories.sort_by_key(|c| c.parent_slug.is_some());
        Ok(Self { categories, products })
    }

    /// Writes the catalog: image files into the media store, rows in one transaction.
    pub async fn seed(&self, pool: &PgPool, media: &MediaStore) -> Result<SeedSummary, SeedError> {
        let mut tx = pool.begin().await?;
        let mut category_ids = BTreeMap::new();
        for category in &self.categories {
            let id = upsert_category(
                &mut tx,
                &CategoryUpsert {
                    slug: &category.slug,
                    name: &category.name,
                    parent_slug: category.parent_slug.as_deref(),
                },
            )
            .await?;
            category_ids.insert(category.slug.as_str(), id);
        }

        let mut images = 0;
        for product in &self.products {
            let product_id = upsert_product(
                &mut tx,
                &ProductUpsert {
                    slug: &product.slug,
                    name: &product.name,
                    description: &product.description,
                    category_id: category_ids[product.category_slug.as_str()],
                },
            )
            .await?;
            for (position, variant) in product.variants.iter().enumerate() {
                let (variant_id, created) = upsert_variant(
                    &mut tx,
                    &VariantUpsert {
                        product_id,
                        sku: &variant.sku,
                        options: &variant.options,
                        position: position as i32,
                        price: variant.price,
                    },
                )
                .await?;
                if created {
                    let line = StockLine { variant_id, quantity: variant.stock };
                    inventory::receive(&mut tx, line, None, "opening stock").await?;
                }
            }
            let skus: Vec<&str> = product.variants.iter().map(|v| v.sku.as_str()).collect();
            remove_other_variants(&mut tx, product_id, &skus).await?;
            let bytes = std::fs::read(&product.image)
                .map_err(|source| SeedError::Read { path: product.image.clone(), source })?;
            let stored = media.put_product_image(&bytes)?;
            upsert_product_image(&mut tx, product_id, 0, &stored, &product.name, None).await?;
            images += 1;
        }
        tx.commit().await?;
        Ok(SeedSummary { categories: self.categories.len(), products: self.products.len(), images })
    }
}

fn subcategory_name(subcategory: &str) -> String {
    if let Some((_, name)) = SUBCATEGORY_NAMES.iter().find(|(slug, _)| *slug == subcategory) {
        return (*name).to_owned();
    }
    capitalise(&subcategory.replace('-', " "))
}

/// "light & video" → "Light & video".
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "UMBRELLA WITH RAIN DROPS" → "Umbrella with Rain Drops"; "T-SHIRT" → "T-Shirt".
fn title_case(name: &str) -> String {
    const SMALL_WORDS: &[&str] =
        &["a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to", "with"];
    name.split(' ')
        .enumerate()
        .map(|(index, word)| {
            let lower = word.to_lowercase();
            if index > 0 && SMALL_WORDS.contains(&lower.as_str()) {
                return lower;
            }
            lower.split('-').map(capitalise).collect::<Vec<String>>().join("-")
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// Lower-case ASCII words joined by single hyphens, as the schema's slug check wants.
fn slugify(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Shoes by EU size, garments by letter size, fruit and vegetables singly or by the box; the
/// rest has a single variant whose SKU is the upper-cased slug.
const SHOES: &[&str] = &["shoe", "boot", "sandal", "heel", "ballet"];
const GARMENTS: &[&str] = &[
    "shirt", "jeans", "dress", "kimono", "bikini", "clothes", "sari", "coat", "vest", "socks",
    "swimsuit", "briefs", "shorts", "scarf",
];

fn demo_variants(slug: &str, subcategory: &str) -> Vec<DemoVariant> {
    let base = fnv1a(slug);
    let price = demo_price(base);
    let sku_base = slug.to_ascii_uppercase();
    let sized = |name: &str, values: &[&str]| -> Vec<DemoVariant> {
        values
            .iter()
            .map(|value| {
                let sku = format!("{sku_base}-{value}");
                DemoVariant {
                    stock: demo_stock(fnv1a(&sku)),
                    options: VariantOptions::from([(name.to_owned(), (*value).to_owned())]),
                    price,
                    sku,
                }
            })
            .collect()
    };
    let is = |words: &[&str]| subcategory == "clothing" && words.iter().any(|w| slug.contains(w));
    if is(SHOES) {
        sized("size", &["38", "40", "42", "44"])
    } else if is(GARMENTS) {
        sized("size", &["S", "M", "L", "XL"])
    } else if subcategory == "food-fruit" || subcategory == "food-vegetable" {
        let mut packs = sized("pack", &["1", "6"]);
        // A box of six costs five.
        packs[1].price.minor = price.minor * 5;
        packs
    } else {
        vec![DemoVariant {
            sku: sku_base,
            options: VariantOptions::new(),
            price,
            stock: demo_stock(base),
        }]
    }
}

/// A stable hash, so every seed gives each product the same price and stock.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Between €3 and €120, ending in .00, .50, .90 or .99 like shop prices do.
fn demo_price(hash: u64) -> Money {
    const ENDINGS: [i64; 4] = [0, 50, 90, 99];
    let euros = 3 + (hash % 118) as i64;
    let cents = ENDINGS[((hash >> 8) % 4) as usize];
    Money { minor: euros * 100 + cents, currency: Currency::Eur }
}

/// Mostly in stock; about one product in thirteen sold out.
fn demo_stock(hash: u64) -> i32 {
    if (hash >> 16).is_multiple_of(13) {
        0
    } else {
        1 + ((hash >> 24) % 60) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_title_cased_like_a_shop_writes_them() {
        assert_eq!(title_case("UMBRELLA WITH RAIN DROPS"), "Umbrella with Rain Drops");
        assert_eq!(title_case("T-SHIRT"), "T-Shirt");
        assert_eq!(title_case("HIGH-HEELED SHOE"), "High-Heeled Shoe");
        assert_eq!(title_case("OF MICE AND MEN"), "Of Mice and Men");
    }

    #[test]
    fn slugs_satisfy_the_schema() {
        assert_eq!(slugify("Food & Drink"), "food-drink");
        assert_eq!(slugify("light & video"), "light-video");
        assert_eq!(slugify("+1"), "1");
        assert_eq!(slugify("womans_flat_shoe"), "womans-flat-shoe");
    }

    #[test]
    fn subcategories_get_readable_names() {
        assert_eq!(subcategory_name("animal-mammal"), "Mammals");
        assert_eq!(subcategory_name("musical-instrument"), "Musical instrument");
        assert_eq!(subcategory_name("sky & weather"), "Sky & weather");
    }

    #[test]
    // Minor units written as `units_cents` read as the price they are.
    #[allow(clippy::inconsistent_digit_grouping)]
    fn prices_and_stock_are_stable_and_plausible() {
        for name in ["teapot", "apple", "bike", "guitar", "shirt"] {
            let hash = fnv1a(name);
            assert_eq!(demo_price(hash), demo_price(fnv1a(name)));
            let price = demo_price(hash);
            assert!((3_00..=120_99).contains(&price.minor), "{name}: {price}");
            assert!([0, 50, 90, 99].contains(&(price.minor % 100)));
            assert!((0..=60).contains(&demo_stock(hash)));
        }
    }

    #[test]
    fn garments_shoes_and_fruit_come_in_variants_with_valid_skus() {
        let shirt = demo_variants("shirt", "clothing");
        let sizes: Vec<&str> = shirt.iter().map(|v| v.options["size"].as_str()).collect();
        assert_eq!(sizes, ["S", "M", "L", "XL"]);
        assert_eq!(shirt[3].sku, "SHIRT-XL");
        assert_eq!(demo_variants("athletic-shoe", "clothing").len(), 4);
        let apple = demo_variants("apple", "food-fruit");
        assert_eq!(apple[1].price.minor, apple[0].price.minor * 5);
        let teapot = demo_variants("teapot", "drink");
        assert_eq!(teapot.len(), 1);
        assert_eq!(teapot[0].sku, "TEAPOT");
        assert!(teapot[0].options.is_empty());
        assert_eq!(demo_variants("crown", "clothing").len(), 1, "a crown has no size");
    }
}
