//! What the admin pages and the backend exchange: accounts, the audit log, products and stock
//! as the admin area lists them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Role, VariantOptions};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// RFC 3339.
    pub created_at: String,
    /// Disabled by an admin: cannot sign in.
    pub disabled: bool,
}

/// A page of an admin list, with the count of everything that matches its search and filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    /// What matches, on all pages.
    pub total: i64,
    /// From 1.
    pub page: i64,
    pub per_page: i64,
}

impl<T> ListPage<T> {
    pub fn page_count(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// What the users list asks for: part of an email, and one role (`None`: every role).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserListQuery {
    pub search: String,
    pub role: Option<Role>,
    /// From 1.
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// The account that made the change (`None`: a command on the server).
    pub actor: Option<String>,
    pub actor_role: String,
    pub ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON of the values before and after.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A product as the catalog admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProduct {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// Whether the shop shows it (listings, its page, search, carts).
    pub published: bool,
    /// Archived: hidden, and out of the default list.
    pub archived: bool,
    /// Its images' URLs, in order.
    pub images: Vec<String>,
}

/// A stored product image, as the upload answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminImage {
    pub id: Uuid,
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

/// A variant's stock, as the inventory page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRow {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub options: VariantOptions,
    pub on_hand: i32,
    pub reserved: i32,
}

/// What a stock change is: a count (on-hand becomes the number) or a delivery (adds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockChange {
    Count,
    Delivery,
}
