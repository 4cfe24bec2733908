//! Request bodies: strict JSON intake and checks against Apple's request schemas.
//!
//! Why: a write sends a JSON:API document to Apple. Before anything is sent, the body must be exactly
//! the JSON we think it is (no duplicate keys that Apple and we might read differently, no byte-order
//! mark, valid UTF-8, bounded size and nesting) and must fit the operation's request schema, with
//! every problem reported at once. One implementation serves the generic request planner
//! (`crate::anyrequest`) and the named write actions.
//!
//! # API
//! - [`parse_strict`]`(bytes, &Limits) -> Result<Value>`: the intake. Refuses (one [`Error`] each):
//!   more than `max_bytes` (`BODY_TOO_LARGE`), a BOM / invalid UTF-8 / invalid JSON / a root that is
//!   not an object (`BODY_MALFORMED`), nesting deeper than `max_depth` (`BODY_TOO_DEEP`), the same key
//!   twice in one object, also when spelled with escapes (`BODY_DUPLICATE_KEY`).
//! - [`Schemas`]: an arena of compact schema nodes ([`Node`], [`NodeId`]) read from the spec pack
//!   (`tools/gen-spec-pack.mjs`) with [`Schemas::from_pack`]; [`Schemas::check`]`(root, &value)`
//!   returns one [`Detail`] per problem, its `parameter` the JSON field path from the body root
//!   (`data.attributes.rating`, `data.relationships.betaGroups.data[0].type`).
//! - [`check_body`]`(&schemas, root, bytes) -> Result<Value>`: intake plus check with the default
//!   [`Limits`]; `BODY_INVALID` with every detail when the schema check fails.
//!
//! Where a write action's schema comes from (one generator for both): `tools/gen-spec-pack.mjs`
//! exports `buildPack(spec, { only: (method, path) => bool })`, a pack of just those operations
//! (the write actions' schemas are about 0.5 KB each). The operation-table generator writes that
//! pack out as static data (`operations::BODY_SCHEMAS`, via [`Schemas::from_static`]; a test checks
//! it equals `Schemas::from_pack` of the pack text `operations::BODY_PACK`), and the operation's row
//! `[method, path, operationId, params, body]` in `ops` gives its root [`NodeId`]. With the whole
//! pack loaded at run time, `crate::anyrequest::SpecPack::operation(method, template)` gives `body`
//! and `SpecPack::schemas()` the same way.
//!
//! ```ignore
//! let schemas = Schemas::from_pack(&pack_value)?;            // once
//! let document = body::check_body(&schemas, root, bytes)?;   // per request: Value or BODY_* error
//! let details = schemas.check(root, &built_document);        // a document built from flat fields
//! ```

mod schema;

pub(crate) use schema::type_name;
pub use schema::{Format, Kind, List, Node, NodeId, Schemas, Text};

use crate::error::{Detail, Error, ErrorCode, Result};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;

/// The largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The deepest nesting of arrays and objects accepted in a body.
pub const MAX_DEPTH: usize = 32;

/// Caps for [`parse_strict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes.
    pub max_bytes: usize,
    /// Deepest nesting (the root object is depth 1).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: MAX_BODY_BYTES,
            max_depth: MAX_DEPTH,
        }
    }
}

fn malformed(message: String) -> Error {
    Error::new(ErrorCode::BodyMalformed, message)
}

/// Parses `bytes` as one JSON object, strictly (see the module doc).
///
/// # Errors
/// `BODY_TOO_LARGE`, `BODY_MALFORMED`, `BODY_TOO_DEEP` or `BODY_DUPLICATE_KEY`.
pub fn parse_strict(bytes: &[u8], limits: &Limits) -> Result<Value> {
    if bytes.len() > limits.max_bytes {
        return Err(Error::new(
            ErrorCode::BodyTooLarge,
            format!(
                "the body is {} bytes; at most {} are accepted",
                bytes.len(),
                limits.max_bytes
            ),
        ));
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(malformed(
            "the body starts with a byte-order mark (EF BB BF); send plain UTF-8 JSON".into(),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        malformed(format!(
            "the body is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    scan(text, limits.max_depth)?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| malformed(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        let got = match value {
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "true or false",
            _ => "null",
        };
        return Err(malformed(format!(
            "the body must be a JSON object ({{\"data\": ...}}); got {got}"
        )));
    }
    Ok(value)
}

/// Intake with the default [`Limits`], then the schema check of `root`.
///
/// # Errors
/// The intake errors of [`parse_strict`], or `BODY_INVALID` with one detail per problem.
pub fn check_body(schemas: &Schemas, root: NodeId, bytes: &[u8]) -> Result<Value> {
    let value = parse_strict(bytes, &Limits::default())?;
    let details = schemas.check(root, &value);
    if details.is_empty() {
        Ok(value)
    } else {
        Err(invalid(ErrorCode::BodyInvalid, "body", details))
    }
}

/// One error listing `details` (`what` is "body" or "request").
pub(crate) fn invalid(code: ErrorCode, what: &str, details: Vec<Detail>) -> Error {
    let n = details.len();
    let shown: Vec<&str> = details.iter().take(3).map(|d| d.message.as_str()).collect();
    let more = if n > 3 {
        format!("; and {} more", n - 3)
    } else {
        String::new()
    };
    let noun = if n == 1 { "problem" } else { "problems" };
    Error::with_details(
        code,
        format!(
            "{n} {noun} with the {what}: {}{more} (see details)",
            shown.join("; ")
        ),
        details,
    )
}

/// One open array or object during [`scan`]. Keys without escapes borrow from the text.
enum Frame<'a> {
    Array(usize),
    Object {
        keys: HashSet<Cow<'a, str>>,
        key: Cow<'a, str>,
        expect_key: bool,
    },
}

fn path_of(stack: &[Frame<'_>]) -> String {
    let mut out = String::new();
    for f in stack {
        match f {
            Frame::Array(i) => out.push_str(&format!("[{i}]")),
            Frame::Object { key, .. } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
        }
    }
    out
}

/// Checks nesting depth and duplicate keys without building values. Total on malformed input: it
/// skips what it does not understand and leaves syntax errors to the parser.
fn scan(text: &str, max_depth: usize) -> Result<()> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                let raw = text.get(start..=i.min(bytes.len().saturating_sub(1)));
                let depth = stack.len();
                let duplicate = match stack.last_mut() {
                    Some(Frame::Object {
                        keys,
                        key,
                        expect_key,
                    }) if *expect_key => {
                        *expect_key = false;
                        let name = raw.and_then(|r| match r.get(1..r.len().saturating_sub(1)) {
                            Some(inner) if !inner.contains('\\') && r.len() >= 2 => {
                                Some(Cow::Borrowed(inner))
                            }
                            // Read as a `Value`: a typed `String` read drags serde's type-error
                            // messages (and core's float printer) into the wasm module.
                            _ => match serde_json::from_str::<Value>(r) {
                                Ok(Value::String(s)) => Some(Cow::Owned(s)),
                                _ => None,
                            },
                        });
                        match name {
                            Some(name) if !keys.insert(name.clone()) => Some(name),
                            Some(name) => {
                                *key = name;
                                None
                            }
                            None => None,
                        }
                    }
                    _ => None,
                };
                if let Some(name) = duplicate {
                    let at = path_of(stack.get(..depth.saturating_sub(1)).unwrap_or_default());
                    let place = if at.is_empty() {
                        "the top level".to_owned()
                    } else {
                        at
                    };
                    return Err(Error::new(
                        ErrorCode::BodyDuplicateKey,
                        format!(
                            "the key {} appears twice in {place}; give each key once",
                            crate::operations::encoding::show(&name)
                        ),
                    ));
                }
            }
            b'{' | b'[' => {
                if stack.len() == max_depth {
                    return Err(Error::new(
                        ErrorCode::BodyTooDeep,
                        format!("the body nests arrays and objects more than {max_depth} deep"),
                    ));
                }
                stack.push(if b == b'{' {
                    Frame::Object {
                        keys: HashSet::new(),
                        key: Cow::Borrowed(""),
                        expect_key: true,
                    }
                } else {
                    Frame::Array(0)
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> Option<ErrorCode> {
        parse_strict(bytes, &Limits::default())
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn intake() {
        assert_eq!(code(br#"{"a":1,"b":{"c":[1,2]}}"#), None);
        assert_eq!(code(br#"{"a":1,"a":2}"#), Some(ErrorCode::BodyDuplicateKey));
        assert_eq!(
            code(br#"{"a":{"b":1,"\u0062":2}}"#),
            Some(ErrorCode::BodyDuplicateKey)
        );
        assert_eq!(code(br#"{"a":[{"k":1},{"k":2}]}"#), None);
        assert_eq!(code(br#"{"a":"x","b":"a"}"#), None);
        assert_eq!(code(b"\xEF\xBB\xBF{}"), Some(ErrorCode::BodyMalformed));
        assert_eq!(code(b"{\"a\":\"\xff\"}"), Some(ErrorCode::BodyMalformed));
        assert_eq!(code(b"[1]"), Some(ErrorCode::BodyMalformed));
        assert_eq!(code(b"{"), Some(ErrorCode::BodyMalformed));
        assert_eq!(code(b"}}]]\"\\"), Some(ErrorCode::BodyMalformed));
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(
            code(format!("{{\"a\":{deep}}}").as_bytes()),
            Some(ErrorCode::BodyTooDeep)
        );
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(code(big.as_bytes()), Some(ErrorCode::BodyTooLarge));
        let e = parse_strict(br#"{"d":{"x":[1,{"k":1,"k":2}]}}"#, &Limits::default())
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(e.contains("d.x[1]"), "{e}");
    }
}
