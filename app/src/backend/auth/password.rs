//! Passwords: the policy (8–128 characters, not a common password) and argon2id hashing with
//! OWASP's parameters (19 MiB, 2 passes, 1 lane). Each hash costs tens of milliseconds and 19 MiB,
//! so it runs off the async runtime and a semaphore caps how many run at once: a burst of sign-ins
//! queues instead of starving the server of cores and memory.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::types::AuthError;

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

/// The 11,611 most common passwords of 8 characters or more (see COMMON-PASSWORDS.md).
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Whether `password` may be used: its length in characters, and not a common one (compared
/// case-insensitively, so "Password1" is as common as "password1").
pub fn check_policy(password: &str) -> Result<(), AuthError> {
    let length = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(AuthError::PasswordLength);
    }
    if COMMON.contains(password.to_lowercase().as_str()) {
        return Err(AuthError::CommonPassword);
    }
    Ok(())
}

/// Hashes and verifies passwords, at most `concurrency` at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

/// OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of nothing anyone knows, verified against when an email has no account, so that a
/// wrong email takes as long to refuse as a wrong password.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| hash_blocking("not a password, a decoy"));

fn hash_blocking(password: &str) -> String {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes encode");
    argon2().hash_password(password.as_bytes(), &salt).expect("hashing cannot fail").to_string()
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

impl Passwords {
    pub fn new(concurrency: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrency.max(1))) }
    }

    pub async fn hash(&self, password: String) -> Result<String, AuthError> {
        self.run(move || hash_blocking(&password)).await
    }

    /// Whether `password` matches `hash`; with no hash (an unknown email), the same work is done
    /// against a decoy and the answer is no.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AuthError> {
        self.run(move || match hash {
            Some(hash) => verify_blocking(&password, &hash),
            None => {
                verify_blocking(&password, &DECOY_HASH);
                false
            }
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = self.permits.acquire().await.map_err(|_| AuthError::Unavailable)?;
        tokio::task::spawn_blocking(work).await.map_err(|_| AuthError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_counts_characters_and_refuses_common_passwords() {
        assert_eq!(check_policy("short"), Err(AuthError::PasswordLength));
        assert_eq!(check_policy(&"x".repeat(129)), Err(AuthError::PasswordLength));
        assert_eq!(check_policy("password"), Err(AuthError::CommonPassword));
        assert_eq!(check_policy("PassWord1"), Err(AuthError::CommonPassword));
        assert_eq!(check_policy("trustno1"), Err(AuthError::CommonPassword));
        assert_eq!(check_policy("ünïcødé"), Err(AuthError::PasswordLength), "7 characters");
        assert_eq!(check_policy("correct horse battery staple"), Ok(()));
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_blocking("correct horse battery staple");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_blocking("correct horse battery staple", &hash));
        assert!(!verify_blocking("correct horse battery stapler", &hash));
        assert!(!verify_blocking("anything", "not a hash"));
    }
}
