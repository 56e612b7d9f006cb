//! Who may do what, shared by the server (which enforces it) and the pages (which show only what
//! the shopper or staff member may use): roles, the named permissions of each admin area, and
//! the signed-in account as the pages see it.

use serde::{Deserialize, Serialize};

/// Stored as its lowercase name (`users.role`, a text column with a CHECK); sqlx maps it, so a
/// value the code does not know is a decoding error rather than a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "lowercase"))]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Customer, Role::Staff, Role::Admin];

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }
}

/// One admin area: what a route or server function of that area needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Catalog,
    Inventory,
    Orders,
    Users,
    Jobs,
    Models,
    Analytics,
    Audit,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::Catalog,
        Permission::Inventory,
        Permission::Orders,
        Permission::Users,
        Permission::Jobs,
        Permission::Models,
        Permission::Analytics,
        Permission::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Catalog => "catalog",
            Permission::Inventory => "inventory",
            Permission::Orders => "orders",
            Permission::Users => "users",
            Permission::Jobs => "jobs",
            Permission::Models => "models",
            Permission::Analytics => "analytics",
            Permission::Audit => "audit",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|permission| permission.as_str() == text)
    }
}

/// The signed-in account, as `GET /api/auth/me` and the pages see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: uuid::Uuid,
    pub email: String,
    pub role: Role,
    /// What this account may do in the admin area (empty for customers).
    pub permissions: Vec<Permission>,
}
