//! cargo-fuzz target: `cargo +nightly fuzz run shaper` (logic in `asc_connector_fuzz::shaper`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asc_connector_fuzz::shaper(data));
