//! The account settings from the command line: what builds [`Auth`].

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
use app::backend::auth::password::Passwords;
use app::backend::auth::throttle::ThrottleLimits;
use app::backend::auth::tokens::TokenKeys;
use app::backend::auth::{Auth, DEFAULT_STAFF_PERMISSIONS};
use app::types::Permission;

use crate::runtime::cli::{AuthArgs, StorageArgs};

/// Builds the account settings: the token key from `--token-secret` (or the development key in
/// the state directory, created on first use), and the rest from the arguments.
pub fn build(args: &AuthArgs, storage: &StorageArgs) -> anyhow::Result<Auth> {
    let keys = match &args.token_secret {
        Some(secret) => TokenKeys::from_secret(secret.as_bytes())?,
        None => {
            let path = storage.state_dir.join("token-secret");
            tracing::info!(path = %path.display(), "signing tokens with the development key (set VITRINE_TOKEN_SECRET in production)");
            TokenKeys::load_or_create(&path)?
        }
    };
    let staff: BTreeSet<Permission> = match &args.staff_permissions {
        Some(names) => names
            .iter()
            .map(|name| {
                Permission::parse(name).with_context(|| format!("unknown permission {name:?}"))
            })
            .collect::<anyhow::Result<_>>()?,
        None => DEFAULT_STAFF_PERMISSIONS.into_iter().collect(),
    };
    let public_url = public_url(args);
    Ok(Auth {
        keys,
        passwords: Passwords::new(args.password_hash_concurrency),
        limits: ThrottleLimits::default(),
        staff_permissions: Arc::new(staff),
        secure_cookies: args.secure_cookies || public_url.starts_with("https://"),
        trust_forwarded_for: args.trust_forwarded_for,
        public_url,
        sessions: Default::default(),
    })
}

/// The shop's address as shoppers reach it (links in emails).
pub fn public_url(args: &AuthArgs) -> String {
    args.public_url.clone().unwrap_or_else(|| "http://127.0.0.1:3000".to_owned())
}
