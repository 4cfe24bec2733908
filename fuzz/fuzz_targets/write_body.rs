//! cargo-fuzz target: `cargo +nightly fuzz run write_body` (logic in `src/write_body.rs`).
#![no_main]

#[path = "../src/write_body.rs"]
mod logic;

libfuzzer_sys::fuzz_target!(|data: &[u8]| logic::write_body(data));
