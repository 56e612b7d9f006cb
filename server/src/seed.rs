//! `vitrine seed`: the demo catalog. Idempotent: products and categories are matched by slug
//! and updated in place, all in one transaction, so a failed seed leaves nothing half written.

use app::backend::catalog::{upsert_category, upsert_product, CategoryUpsert, ProductUpsert};
use app::model::{Currency, Money};
use sqlx::PgPool;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    pub categories: usize,
    pub products: usize,
}

struct DemoCategory {
    slug: &'static str,
    name: &'static str,
    parent: Option<&'static str>,
}

struct DemoProduct {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    category: &'static str,
    price_cents: i64,
    stock: i32,
}

const CATEGORIES: &[DemoCategory] = &[
    DemoCategory {
        slug: "clothing",
        name: "Clothing",
        parent: None,
    },
    DemoCategory {
        slug: "tops",
        name: "Tops",
        parent: Some("clothing"),
    },
    DemoCategory {
        slug: "footwear",
        name: "Footwear",
        parent: Some("clothing"),
    },
    DemoCategory {
        slug: "home",
        name: "Home",
        parent: None,
    },
    DemoCategory {
        slug: "kitchen",
        name: "Kitchen",
        parent: Some("home"),
    },
];

const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        slug: "linen-shirt",
        name: "Linen Shirt",
        description: "A loose-fit shirt in washed linen that keeps cool on hot days.",
        category: "tops",
        price_cents: 49_00,
        stock: 25,
    },
    DemoProduct {
        slug: "merino-t-shirt",
        name: "Merino T-Shirt",
        description: "Fine merino wool, soft on the skin and warm without bulk.",
        category: "tops",
        price_cents: 39_50,
        stock: 40,
    },
    DemoProduct {
        slug: "running-shoe",
        name: "Running Shoe",
        description: "A light trainer with a cushioned sole for road and track.",
        category: "footwear",
        price_cents: 89_99,
        stock: 12,
    },
    DemoProduct {
        slug: "hiking-boot",
        name: "Hiking Boot",
        description: "Waterproof leather boot with a grippy sole for rough trails.",
        category: "footwear",
        price_cents: 129_00,
        stock: 0,
    },
    DemoProduct {
        slug: "espresso-cup",
        name: "Espresso Cup",
        description: "A thick-walled porcelain cup that keeps a double shot hot.",
        category: "kitchen",
        price_cents: 8_50,
        stock: 120,
    },
    DemoProduct {
        slug: "teapot",
        name: "Cast Iron Teapot",
        description: "Enamelled cast iron with a steel infuser, for six cups.",
        category: "kitchen",
        price_cents: 54_00,
        stock: 7,
    },
    DemoProduct {
        slug: "chef-knife",
        name: "Chef's Knife",
        description: "A 20 cm stainless steel blade, balanced for everyday cooking.",
        category: "kitchen",
        price_cents: 74_90,
        stock: 18,
    },
    DemoProduct {
        slug: "wool-blanket",
        name: "Wool Blanket",
        description: "A heavy throw woven from undyed wool.",
        category: "home",
        price_cents: 95_00,
        stock: 9,
    },
];

pub async fn demo_catalog(pool: &PgPool) -> Result<SeedSummary, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut category_ids = std::collections::HashMap::new();
    // Parents come before their children in CATEGORIES.
    for category in CATEGORIES {
        let id = upsert_category(
            &mut tx,
            &CategoryUpsert {
                slug: category.slug,
                name: category.name,
                parent_slug: category.parent,
            },
        )
        .await?;
        category_ids.insert(category.slug, id);
    }
    for product in PRODUCTS {
        let category_id = category_ids[product.category];
        upsert_product(
            &mut tx,
            &ProductUpsert {
                slug: product.slug,
                name: product.name,
                description: product.description,
                category_id,
                price: Money {
                    minor: product.price_cents,
                    currency: Currency::Eur,
                },
                stock: product.stock,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(SeedSummary {
        categories: CATEGORIES.len(),
        products: PRODUCTS.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_product_names_a_known_category_and_parents_come_first() {
        let mut seen = Vec::new();
        for category in CATEGORIES {
            if let Some(parent) = category.parent {
                assert!(
                    seen.contains(&parent),
                    "{} listed before its parent",
                    category.slug
                );
            }
            seen.push(category.slug);
        }
        for product in PRODUCTS {
            assert!(
                seen.contains(&product.category),
                "{} has no category",
                product.slug
            );
        }
    }
}
