//! cargo-fuzz target: `cargo +nightly fuzz run any_request` (logic in `src/any_request.rs`).
#![no_main]

#[path = "../src/any_request.rs"]
mod logic;

libfuzzer_sys::fuzz_target!(|data: &[u8]| logic::any_request(data));
