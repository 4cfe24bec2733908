//! cargo-fuzz target: `cargo +nightly fuzz run key_parser` (logic in `asc_connector_fuzz::key_parser`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asc_connector_fuzz::key_parser(data));
