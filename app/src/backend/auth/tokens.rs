//! Signed tokens (JWT, HS256 only): a short-lived access token and a refresh token. Both carry
//! `iss`, `aud`, `exp`, `nbf`, `iat`, `jti`, their type and their session, and every one is
//! checked; anything else about a refused token stays in the server (callers get one
//! [`InvalidToken`]). A token carries no role: what a session may do is looked up as it is now
//! (`live_sessions`), so a role change or a revocation counts from the next request.

use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
pub const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
pub const ISSUER: &str = "vitrine";
pub const AUDIENCE: &str = "vitrine-shop";
/// The only algorithm signed or accepted.
const ALGORITHM: Algorithm = Algorithm::HS256;
/// The shortest secret accepted: 256 bits, HS256's own strength.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    pub typ: TokenType,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The session (sign-in) the token belongs to: the family of its refresh tokens.
    pub fam: Uuid,
}

/// The token was refused (bad signature, algorithm, claims, type or time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidToken;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the token secret must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error("the token secret file {0}: {1}")]
    File(String, std::io::Error),
}

/// The signing key and the rules a token must pass.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::TooShort);
        }
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5; // seconds of clock skew between replicas
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    /// The secret in `path`, or a new random one written there (mode 0600) when the file does
    /// not exist: a development machine gets a key that survives restarts without configuring.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let file_error = |err| KeyError::File(path.display().to_string(), err);
        match std::fs::read(path) {
            Ok(secret) => Self::from_secret(secret.trim_ascii()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let secret = hex(&rand::random::<[u8; 32]>());
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(file_error)?;
                }
                write_private(path, secret.as_bytes()).map_err(file_error)?;
                Self::from_secret(secret.as_bytes())
            }
            Err(err) => Err(file_error(err)),
        }
    }

    /// Signs a new token of `typ` for a user's `session`, valid from now for `ttl`.
    pub fn issue(
        &self,
        user: Uuid,
        typ: TokenType,
        session: Uuid,
        ttl: Duration,
    ) -> (String, Claims) {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            typ,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            nbf: now,
            exp: now + ttl.as_secs() as i64,
            jti: Uuid::new_v4(),
            fam: session,
        };
        let token = jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &self.encoding)
            .expect("HS256 signing cannot fail");
        (token, claims)
    }

    /// The claims of a token of type `expected` that passes every check.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, InvalidToken> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| InvalidToken)?;
        let claims = data.claims;
        if claims.typ != expected {
            return Err(InvalidToken);
        }
        Ok(claims)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(&[7; 32]).unwrap()
    }

    #[test]
    fn a_token_verifies_only_as_its_own_type() {
        let keys = keys();
        let user = Uuid::new_v4();
        let session = Uuid::new_v4();
        let (access, claims) = keys.issue(user, TokenType::Access, session, ACCESS_TTL);
        assert_eq!(keys.verify(&access, TokenType::Access), Ok(claims));
        assert_eq!(keys.verify(&access, TokenType::Refresh), Err(InvalidToken));
        let (refresh, _) = keys.issue(user, TokenType::Refresh, session, REFRESH_TTL);
        assert_eq!(keys.verify(&refresh, TokenType::Access), Err(InvalidToken));
        assert!(keys.verify(&refresh, TokenType::Refresh).is_ok());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(TokenKeys::from_secret(&[1; 31]), Err(KeyError::TooShort)));
    }

    #[test]
    fn a_development_secret_is_created_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("vitrine-keys-{}", Uuid::new_v4()));
        let path = dir.join("token-secret");
        let first = TokenKeys::load_or_create(&path).unwrap();
        let (token, _) = first.issue(Uuid::new_v4(), TokenType::Access, Uuid::new_v4(), ACCESS_TTL);
        let again = TokenKeys::load_or_create(&path).unwrap();
        assert!(again.verify(&token, TokenType::Access).is_ok(), "the same key after a restart");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
