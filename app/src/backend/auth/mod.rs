//! Accounts and access (OWASP ASVS level 1 for authentication and tokens): argon2id passwords,
//! HS256 access and refresh tokens with rotation and reuse detection, roles with named
//! permissions, and throttled sign-in, registration and reset.

pub mod accounts;
pub mod live_sessions;
pub mod password;
pub mod request;
pub mod roles;
pub mod session;
pub mod throttle;
pub mod tokens;

use std::collections::BTreeSet;
use std::sync::Arc;

pub use session::{CurrentUser, MaybeUser};

use crate::types::{Permission, Role};
use live_sessions::LiveSessions;
use password::Passwords;
use throttle::ThrottleLimits;
use tokens::TokenKeys;

/// Everything the account code needs, built once at start from the configuration.
#[derive(Clone)]
pub struct Auth {
    pub keys: TokenKeys,
    pub passwords: Passwords,
    pub limits: ThrottleLimits,
    /// What staff may do; admins may do everything, customers nothing in the admin area.
    pub staff_permissions: Arc<BTreeSet<Permission>>,
    /// Cookies are marked `Secure` (the shop is served over HTTPS).
    pub secure_cookies: bool,
    /// Take the client's address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// The shop's address as shoppers reach it, for links in emails.
    pub public_url: String,
    /// Which sessions may still act (revocation takes effect on the next request).
    pub sessions: LiveSessions,
}

/// The staff permissions when none are configured: the day-to-day running of the shop.
pub const DEFAULT_STAFF_PERMISSIONS: [Permission; 3] =
    [Permission::Catalog, Permission::Inventory, Permission::Orders];

impl Auth {
    pub fn permissions(&self, role: Role) -> Vec<Permission> {
        match role {
            Role::Customer => Vec::new(),
            Role::Staff => self.staff_permissions.iter().copied().collect(),
            Role::Admin => Permission::ALL.to_vec(),
        }
    }
}
