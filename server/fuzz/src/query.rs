//! The query-string values the server interprets itself: `next` (where to go after signing in,
//! `redirect::after_sign_in`) and `region` (the part of a photo to search, `Region::from_str`).
//! The input is a raw query string, decoded as axum's `Query` decodes it (`form_urlencoded`);
//! the whole input is also tried as a `next` on its own.
//!
//! A run fails on a panic, on a redirect target that leaves the site or is no valid header
//! value, and on a region that is accepted but outside the image or does not read back.

use app::preprocess::Region;
use axum::http::HeaderValue;
use url::Url;

use crate::redirect::after_sign_in;

const SITE: &str = "https://shop.example/account/sign-in";

pub fn run(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_next(text);
    }
    for (key, value) in form_urlencoded::parse(data) {
        match &*key {
            "next" => check_next(&value),
            "region" => check_region(&value),
            _ => {}
        }
    }
}

fn check_next(next: &str) {
    let target = after_sign_in(Some(next));
    assert!(HeaderValue::from_str(&target).is_ok(), "{target:?} is no header value");
    let site = Url::parse(SITE).expect("a valid URL");
    let followed = site.join(&target).expect("a browser can follow the target");
    assert_eq!(followed.origin(), site.origin(), "{next:?} led to {followed}");
}

fn check_region(text: &str) {
    let Ok(region) = text.parse::<Region>() else { return };
    let inside =
        |start: f32, length: f32| start >= 0.0 && length > 0.0 && start + length <= 1.0 + 1e-4;
    assert!(inside(region.x, region.width) && inside(region.y, region.height), "{region:?}");
    assert_eq!(region.to_string().parse::<Region>(), Ok(region), "{region:?} reads back");
}
