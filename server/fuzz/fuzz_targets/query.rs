#![no_main]
//! A raw query string, through the values the server interprets (`next`, `region`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| vitrine_fuzz::query::run(data));
