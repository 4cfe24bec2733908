//! The `write_body` fuzz logic: the write actions' bodies (`asc_connector::write::prepare_body`),
//! flat and raw, on arbitrary bytes and on arbitrary JSON built from each write's field names.
//!
//! Included by `fuzz_targets/write_body.rs` (libFuzzer) and `tests/write_body.rs` (a smoke pass)
//! with `#[path]`. Invariants: no panic; every refusal is an `Error` with a 4xx status, a message
//! and details that each name a field; an accepted body gives a JSON:API document that, sent again
//! as a raw body, is accepted unchanged.

use asc_connector::operations::{operations, Operation};
use asc_connector::write::{prepare_body, BodyForm};
use asc_connector::Error;

/// Field names worth generating: every write's flat fields, Apple's document members and traps.
const KEYS: &[&str] = &[
    "responseBody",
    "review",
    "email",
    "firstName",
    "lastName",
    "betaGroups",
    "builds",
    "betaTesters",
    "app",
    "betaTester",
    "data",
    "type",
    "attributes",
    "relationships",
    "id",
    "__proto__",
    "constructor",
    "",
];
/// Strings worth generating: ids of each shape, types, emails and hostile text.
const STRINGS: &[&str] = &[
    "abc-1",
    "6446998023",
    "customerReviews",
    "betaTesters",
    "betaGroups",
    "apps",
    "builds",
    "customerReviewResponses",
    "betaTesterInvitations",
    "a@example.com",
    "not-an-email",
    "",
    "../x",
    "a\u{0}b",
    "com.example.app",
    "\u{202e}",
    "x y",
];

fn refusal(e: &Error) {
    let status = e.http_status();
    assert!((400..500).contains(&status), "{e}");
    assert!(!e.message.is_empty());
    for d in &e.details {
        assert!(!d.message.is_empty(), "{e}");
        assert!(d.parameter.is_some(), "{e}");
    }
}

/// A JSON value driven by `bytes` (depth-limited), with keys and strings from the lists above.
fn value(bytes: &mut std::slice::Iter<'_, u8>, depth: usize, out: &mut String) {
    let b = bytes.next().copied().unwrap_or(0);
    match if depth > 5 { b % 4 } else { b % 7 } {
        0 => out.push_str(
            &serde_json::Value::from(STRINGS[usize::from(b >> 3) % STRINGS.len()]).to_string(),
        ),
        1 => out
            .push_str(["0", "-1", "1e400", "3.5", "18446744073709551616"][usize::from(b >> 3) % 5]),
        2 => out.push_str(["true", "null"][usize::from(b >> 3) % 2]),
        3 => out.push_str(&serde_json::Value::from(format!("{b:02x}-{}", bytes.len())).to_string()),
        4 | 5 => {
            out.push('[');
            for i in 0..(b >> 4) % 4 {
                if i > 0 {
                    out.push(',');
                }
                value(bytes, depth + 1, out);
            }
            out.push(']');
        }
        _ => object(bytes, depth + 1, out),
    }
}

fn object(bytes: &mut std::slice::Iter<'_, u8>, depth: usize, out: &mut String) {
    out.push('{');
    let n = bytes.next().copied().unwrap_or(0) % 5;
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let k = bytes.next().copied().unwrap_or(0);
        out.push_str(&serde_json::Value::from(KEYS[usize::from(k) % KEYS.len()]).to_string());
        out.push(':');
        value(bytes, depth, out);
    }
    out.push('}');
}

/// One fuzz input: the first byte picks the write, the form (flat/raw) and whether the rest is the
/// body itself or drives a generated JSON object.
pub fn write_body(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let writes: Vec<&Operation> = operations().iter().filter(|o| o.kind.is_write()).collect();
    let op = writes[usize::from(mode >> 2) % writes.len()];
    let form = if mode & 1 == 0 {
        BodyForm::Flat
    } else {
        BodyForm::Raw
    };
    let bytes = if mode & 2 == 0 {
        rest.to_vec()
    } else {
        let mut out = String::new();
        object(&mut rest.iter(), 0, &mut out);
        out.into_bytes()
    };
    match prepare_body(op.id, &bytes, form) {
        Ok(Some(doc)) => {
            assert!(op.takes_body());
            let v: serde_json::Value = serde_json::from_str(&doc).expect("the document is JSON");
            assert!(v.get("data").is_some(), "{doc}");
            let again = prepare_body(op.id, doc.as_bytes(), BodyForm::Raw);
            assert_eq!(
                again.ok().flatten().as_deref(),
                Some(doc.as_str()),
                "{}",
                op.id
            );
        }
        Ok(None) => assert!(!op.takes_body() && bytes.is_empty()),
        Err(e) => refusal(&e),
    }
}
