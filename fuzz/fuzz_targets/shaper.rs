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
    use asc_connector::shape::{shape_response, shape_response_oracle, ShapeContext};
    let (head, body) = data.split_at(data.len().min(2));
    let flags = head.get(1).copied().unwrap_or(0);
    let ctx = ShapeContext {
        operation_id: if flags & 2 == 0 { "ListApps" } else { "GetApp" }.into(),
        base_url: "https://gw.example.com".into(),
        path: "/v1/apps".into(),
        query: if flags & 4 == 0 { "limit=2" } else { "" }.into(),
        upstream_origin: "https://api.appstoreconnect.apple.com".into(),
        raw: false,
        outcome_hint: if flags & 8 == 0 { "" } else { "read it back" }.into(),
    };
    let body = String::from_utf8_lossy(body);
    let new = shape_response(&ctx, 200, &body);
    let old = shape_response_oracle(&ctx, 200, &body);
    assert_eq!(
        (new.status, &new.body),
        (old.status, &old.body),
        "the scanner and the oracle disagree"
    );
}
