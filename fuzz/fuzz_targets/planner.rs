//! cargo-fuzz target: `cargo +nightly fuzz run planner` (logic in `asc_connector_fuzz::planner`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asc_connector_fuzz::planner(data));
