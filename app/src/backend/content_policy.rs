//! The Content-Security-Policy. A page may run only the shop's own scripts, the inline
//! bootstrap Leptos writes into it (marked with the response's nonce, so an injected script
//! without it does not run) and the WebAssembly they load; it loads styles, images and
//! connections from the shop alone, and no site may frame it. Every other response (JSON,
//! images, files) may run nothing at all.

use axum::http::HeaderValue;

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
        assert!(for_page("n", Some("127.0.0.1:3001")).to_str().unwrap().contains("ws://127.0.0.1:3001"));
    }
}
