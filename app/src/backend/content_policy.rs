//! The Content-Security-Policy. A page may run only the shop's own scripts, the inline
//! bootstrap Leptos writes into it (marked with the response's nonce, so an injected script
//! without it does not run) and the WebAssembly they load; it loads styles, images and
//! connections from the shop alone, and no site may frame it. Every other response (JSON,
//! images, files) may run nothing at all.
//!
//! The nonce is made per request by the server's security-headers layer, which sends the policy
//! with it; Leptos gets the same nonce through [`provide_page_nonce`], so the header never
//! depends on how (or whether) a page rendered.

use std::sync::OnceLock;

use axum::http::request::Parts;
use axum::http::HeaderValue;
use base64::Engine;
use leptos::prelude::{provide_context, use_context};

/// The nonce of one response (128 random bits, URL-safe base64), in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageNonce(pub String);

impl PageNonce {
    pub fn new() -> Self {
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()))
    }
}

impl Default for PageNonce {
    fn default() -> Self {
        Self::new()
    }
}

/// Gives Leptos the request's nonce for the scripts it writes into the page. Runs in the context
/// of every page render, after leptos_axum made a nonce of its own, which it replaces (that one
/// would not match the header).
pub fn provide_page_nonce() {
    let nonce =
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// The `cargo leptos watch` reload socket a page connects to, when there is one (as
/// `AutoReload` decides). Worked out once per process: every page's policy names it.
pub fn reload_socket(options: &leptos::config::LeptosOptions) -> Option<&'static str> {
    static SOCKET: OnceLock<Option<String>> = OnceLock::new();
    SOCKET
        .get_or_init(|| {
            std::env::var("LEPTOS_WATCH").is_ok().then(|| {
                let port = options.reload_external_port.unwrap_or(options.reload_port);
                format!("{}:{port}", options.site_addr.ip())
            })
        })
        .as_deref()
}

/// The policy of an HTML page rendered with `nonce`; `reload` is the `cargo leptos watch`
/// reload socket's address, when there is one.
pub fn for_page(nonce: &str, reload: Option<&str>) -> HeaderValue {
    let reload = reload.map(|addr| format!(" ws://{addr}")).unwrap_or_default();
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ))
    .expect("a nonce is URL-safe base64")
}

/// The policy of everything that is not a page.
pub const FOR_OTHER_RESPONSES: HeaderValue =
    HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_allows_its_own_nonce_and_never_unsafe_inline() {
        let policy = for_page("abc123", None);
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(!policy.contains("ws://"));
        assert!(for_page("n", Some("127.0.0.1:3001"))
            .to_str()
            .unwrap()
            .contains("ws://127.0.0.1:3001"));
    }

    #[test]
    fn nonces_are_fresh_and_header_safe() {
        let (a, b) = (PageNonce::new(), PageNonce::new());
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 22);
        assert!(for_page(&a.0, None).to_str().is_ok());
    }
}
