//! Redirects to a place the request named (`?next=` after signing in): only ever to a path on
//! this site.
//!
//! Browsers normalise a URL before following it (the WHATWG URL rules: tabs and newlines are
//! removed, leading spaces and control characters trimmed, backslashes read as slashes), so a
//! check on the raw string lets `/<tab>/evil.example` through: the browser follows it to
//! `//evil.example`, another host. This module resolves the target the way a browser does,
//! against a stand-in origin, and keeps it only when it stays there. The answer is the
//! resolved, percent-encoded path, which is always a valid header value (so a carriage return
//! in `next` can no longer make the redirect panic).

use url::Url;

/// What targets are resolved against: any fixed origin does, the only question is whether the
/// target leaves it.
const BASE: &str = "https://vitrine.invalid/";

/// `next` as a path on this site (with its query and fragment), ready for a `Location` header;
/// `None` when a browser would take it to another origin, or it is no URL at all.
pub fn same_origin_path(next: &str) -> Option<String> {
    let base = Url::parse(BASE).expect("the base is a valid URL");
    let target = base.join(next).ok()?;
    if target.origin() != base.origin() {
        return None;
    }
    let mut path = target.path().to_owned();
    // `/.//evil.example` resolves to the path `//evil.example`, which as a `Location` is a
    // scheme-relative URL of another host.
    if path.starts_with("//") {
        return None;
    }
    if let Some(query) = target.query() {
        path.push('?');
        path.push_str(query);
    }
    if let Some(fragment) = target.fragment() {
        path.push('#');
        path.push_str(fragment);
    }
    Some(path)
}

/// Where to go after signing in: `next` when it stays on this site, else the account page.
pub fn after_sign_in(next: Option<&str>) -> String {
    next.and_then(same_origin_path).unwrap_or_else(|| "/account".to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    /// Where a browser on this site goes when told `Location: location`.
    fn followed(location: &str) -> Url {
        Url::parse(BASE).unwrap().join(location).unwrap()
    }

    #[test]
    fn paths_on_this_site_are_kept_and_everything_else_is_refused() {
        assert_eq!(same_origin_path("/admin/users").as_deref(), Some("/admin/users"));
        assert_eq!(same_origin_path("/orders?page=2#top").as_deref(), Some("/orders?page=2#top"));
        assert_eq!(same_origin_path("orders").as_deref(), Some("/orders"), "relative to /");
        for outside in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example/x",
            "/\n/evil.example/x",
            "\t//evil.example",
            " //evil.example",
            "/.//evil.example",
            "javascript:alert(1)",
            "https://vitrine.invalid@evil.example/",
            "http://vitrine.invalid/",
        ] {
            assert_eq!(same_origin_path(outside), None, "{outside:?}");
        }
        assert_eq!(after_sign_in(Some("//evil.example")), "/account");
        assert_eq!(after_sign_in(None), "/account");
    }

    #[test]
    fn a_line_break_in_next_becomes_a_harmless_path() {
        let target = same_origin_path("/account\r\nSet-Cookie: stolen=1").unwrap();
        assert!(HeaderValue::from_str(&target).is_ok(), "{target:?}");
        assert!(!target.contains('\n') && !target.contains('\r'));
    }

    /// Characters that make URLs interesting: separators, the normalised whitespace, escapes.
    fn tricky() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/".to_owned()),
            Just("\\".to_owned()),
            Just("\t".to_owned()),
            Just("\n".to_owned()),
            Just("\r".to_owned()),
            Just(" ".to_owned()),
            Just(".".to_owned()),
            Just(":".to_owned()),
            Just("@".to_owned()),
            Just("%2f".to_owned()),
            Just("%5c".to_owned()),
            Just("?".to_owned()),
            Just("#".to_owned()),
            Just("evil.example".to_owned()),
            Just("http".to_owned()),
            Just("\u{0}".to_owned()),
            "[a-z]{1,3}".prop_map(|s| s),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// No accepted `next` takes a browser to another origin, and every accepted one is a
        /// valid header value.
        #[test]
        fn no_accepted_target_leaves_the_site(next in tricky()) {
            if let Some(location) = same_origin_path(&next) {
                prop_assert!(HeaderValue::from_str(&location).is_ok(), "{location:?}");
                prop_assert!(location.starts_with('/') && !location.starts_with("//"), "{location:?}");
                let base = Url::parse(BASE).unwrap();
                prop_assert_eq!(followed(&location).origin(), base.origin());
            }
        }

        #[test]
        fn arbitrary_strings_never_panic(next in any::<String>()) {
            let _ = after_sign_in(Some(&next));
        }
    }
}
