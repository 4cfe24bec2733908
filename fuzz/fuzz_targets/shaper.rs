//! cargo-fuzz target: `cargo +nightly fuzz run shaper` (logic in `asc_connector_fuzz::shaper`).
//!
//! Under cargo-fuzz it is also differential: the shaper's hand-written scanner must answer every
//! success body exactly as the serde implementation it replaced (kept as a test oracle,
//! `shape_response_oracle`, built only with `--cfg fuzzing`): same status, same bytes.
#![no_main]
// `fuzzing` is the cfg cargo-fuzz sets.
#![allow(unexpected_cfgs)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    asc_connector_fuzz::shaper(data);
    #[cfg(fuzzing)]
    differential(data);
});

/// The scanner and the oracle on the body (after the two option bytes `shaper` uses), as a 200
/// answer, with and without a query and an outcome hint.
#[cfg(fuzzing)]
fn differential(data: &[u8]) {
    use asc_connector::shape::{shape_response, shape_response_oracle};
    let (head, body) = data.split_at(data.len().min(2));
    // Records only (bit 0, raw, cleared): raw answers take `shape_raw`, which has no second reader.
    let ctx = asc_connector_fuzz::shaper_context(head.get(1).copied().unwrap_or(0) & !1);
    let body = String::from_utf8_lossy(body);
    let new = shape_response(&ctx, 200, &body);
    let old = shape_response_oracle(&ctx, 200, &body);
    assert_eq!(
        (new.status, &new.body),
        (old.status, &old.body),
        "the scanner and the oracle disagree"
    );
}
