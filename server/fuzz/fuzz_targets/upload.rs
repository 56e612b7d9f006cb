#![no_main]
//! A photo search's `multipart/form-data` body, through the server's reader and preprocessing.

libfuzzer_sys::fuzz_target!(|body: &[u8]| vitrine_fuzz::upload::run(body));
