//! The `any_request` fuzz logic: the strict body intake, the body validator against every request
//! schema of Apple's spec, and the generic planner, on arbitrary bytes and arbitrary JSON.
//!
//! Included by `fuzz_targets/any_request.rs` (libFuzzer) and `tests/any_request.rs` (a smoke pass)
//! with `#[path]`, so it needs no line in `lib.rs`. Invariants: no panic; every refusal is an
//! `Error` with a 4xx code and a message, details naming a field; a plan has a path of Apple's
//! shape and plans again to itself.

use std::sync::OnceLock;

use asc_connector::anyrequest::{QueryInput, SpecPack};
use asc_connector::body::{check_body, parse_strict, Limits};
use asc_connector::Error;

/// The pack, read once from the committed `pkg/spec-pack.cjs`.
pub fn pack() -> &'static SpecPack {
    static PACK: OnceLock<SpecPack> = OnceLock::new();
    PACK.get_or_init(|| {
        let cjs = include_str!("../../pkg/spec-pack.cjs");
        let start = cjs.find("module.exports = ").map_or(0, |i| i + 17);
        let literal = cjs
            .get(start..)
            .unwrap_or("")
            .trim_end()
            .trim_end_matches(';');
        let text: String = serde_json::from_str(literal).expect("pkg/spec-pack.cjs holds a string");
        SpecPack::parse(&text).expect("the committed spec pack parses")
    })
}

fn refusal(e: &Error) {
    let status = e.http_status();
    assert!((400..500).contains(&status), "{e}");
    assert!(!e.message.is_empty());
    for d in &e.details {
        assert!(!d.message.is_empty(), "{e}");
        assert!(d.parameter.is_some(), "{e}");
    }
}

/// One fuzz input: the first byte picks the mode and the write schema, the rest is the input.
pub fn any_request(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let pack = pack();
    let writes: Vec<_> = pack.operations().iter().filter_map(|op| op.body).collect();
    let root = writes[usize::from(mode >> 1) % writes.len()];
    if mode & 1 == 0 {
        // Bytes as a body of one write, then (when it is JSON at all) the value against that schema.
        match check_body(pack.schemas(), root, rest) {
            Ok(v) => assert!(v.is_object()),
            Err(e) => refusal(&e),
        }
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) {
            for d in pack.schemas().check(root, &v) {
                assert!(d.parameter.is_some() && !d.message.is_empty());
            }
        }
        let _ = parse_strict(
            rest,
            &Limits {
                max_bytes: 256,
                max_depth: 3,
            },
        );
    } else {
        // Bytes as the whole request envelope.
        match pack.plan_json(rest) {
            Ok(plan) => {
                assert!(plan.path.starts_with("/v"), "{plan:?}");
                assert!(
                    !plan.path.contains("//") && !plan.path.contains("/../"),
                    "{plan:?}"
                );
                let body = plan
                    .body
                    .as_deref()
                    .map(|b| serde_json::from_str(b).expect("JSON body"));
                let again = pack
                    .plan(
                        plan.method,
                        &plan.path,
                        QueryInput::Raw(&plan.query),
                        body.as_ref(),
                    )
                    .expect("a plan plans again");
                assert_eq!(again, plan);
            }
            Err(e) => refusal(&e),
        }
    }
}
