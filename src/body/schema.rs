//! Compact request schemas (read from the spec pack) and the check of a JSON value against them.
//!
//! The node format is written by `tools/gen-spec-pack.mjs` (see its header). Nodes live in one arena
//! and refer to each other by index, so shared pieces of Apple's schemas are stored once.

use crate::error::{json_text, Detail, Error, ErrorCode, Result};
use crate::operations::encoding::show;
use crate::operations::suggest::nearest;
use serde_json::{Map, Value};

/// The index of a node in [`Schemas`].
pub type NodeId = usize;

/// String formats that are checked (others are accepted as any string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No check.
    None,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DDThh:mm:ss` with optional fraction and a `Z` or `±hh:mm` offset.
    DateTime,
    /// Something `@` something.
    Email,
}

/// What a node accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Any JSON value.
    Any,
    /// `true` or `false`.
    Boolean,
    /// A whole number, within `Node::min`/`Node::max`.
    Integer,
    /// Any number, within `Node::min`/`Node::max`.
    Number,
    /// A string: one of the values of enum list `values` when given; `Node::max` is the longest.
    String {
        /// Index into the enum lists.
        values: Option<usize>,
        /// Checked format.
        format: Format,
    },
    /// An array of `items`, `Node::min`..`Node::max` long.
    Array {
        /// The items' node.
        items: NodeId,
    },
    /// An object with known properties; unknown ones are refused unless `extra` is given.
    Object {
        /// Properties in Apple's order.
        props: Vec<(String, NodeId)>,
        /// Required property names.
        required: Vec<String>,
        /// The node of additional properties, if any are allowed.
        extra: Option<NodeId>,
        /// A relationship linkage `{type, id}`.
        linkage: bool,
    },
    /// Exactly one of these (told apart by the `type` member of an object).
    OneOf(Vec<NodeId>),
}

/// One schema node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it accepts.
    pub kind: Kind,
    /// `null` is also accepted.
    pub nullable: bool,
    /// Smallest number, or fewest items.
    pub min: Option<f64>,
    /// Largest number, most items, or longest string.
    pub max: Option<f64>,
}

/// An arena of schema nodes and the enum lists they use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schemas {
    enums: Vec<Vec<String>>,
    nodes: Vec<Node>,
}

fn pack_error(message: String) -> Error {
    Error::new(ErrorCode::SpecPackInvalid, message)
}

fn index(v: &Value, what: &str, len: usize) -> Result<usize> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n < len)
        .ok_or_else(|| pack_error(format!("{what} is not a valid index")))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl Schemas {
    /// Reads `enums` and `nodes` of a spec pack (or any object with those two members).
    ///
    /// # Errors
    /// `SPEC_PACK_INVALID` when a node is malformed or refers to a missing node.
    pub fn from_pack(pack: &Value) -> Result<Schemas> {
        let enums: Vec<Vec<String>> = pack
            .get("enums")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|e| strings(Some(e))).collect())
            .unwrap_or_default();
        let raw = pack
            .get("nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| pack_error("the spec pack has no nodes".into()))?;
        let n = raw.len();
        let mut nodes = Vec::with_capacity(n);
        for (i, v) in raw.iter().enumerate() {
            let at = |k: &str| v.get(k);
            let num = |k: &str| at(k).and_then(Value::as_f64);
            let child = |k: &str| index(at(k).unwrap_or(&Value::Null), &format!("node {i}.{k}"), n);
            let kind = match at("t").and_then(Value::as_str).unwrap_or("") {
                "o" => {
                    let mut props = Vec::new();
                    if let Some(p) = at("p").and_then(Value::as_object) {
                        for (name, id) in p {
                            props.push((name.clone(), index(id, &format!("node {i}.p"), n)?));
                        }
                    }
                    Kind::Object {
                        props,
                        required: strings(at("r")),
                        extra: at("x").map(|_| child("x")).transpose()?,
                        linkage: at("l").is_some(),
                    }
                }
                "a" => Kind::Array { items: child("i")? },
                "s" => Kind::String {
                    values: at("e")
                        .map(|e| index(e, &format!("node {i}.e"), enums.len()))
                        .transpose()?,
                    format: match at("f").and_then(Value::as_str) {
                        Some("date") => Format::Date,
                        Some("date-time") => Format::DateTime,
                        Some("email") => Format::Email,
                        _ => Format::None,
                    },
                },
                "i" => Kind::Integer,
                "n" => Kind::Number,
                "b" => Kind::Boolean,
                "u" => Kind::OneOf(
                    at("u")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|x| index(x, &format!("node {i}.u"), n))
                                .collect()
                        })
                        .transpose()?
                        .unwrap_or_default(),
                ),
                "any" => Kind::Any,
                other => {
                    return Err(pack_error(format!(
                        "node {i} has the unknown type {other:?}"
                    )))
                }
            };
            nodes.push(Node {
                kind,
                nullable: at("z").is_some(),
                min: num("min"),
                max: num("max"),
            });
        }
        Ok(Schemas { enums, nodes })
    }

    /// The node with this id.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The values of enum list `id`.
    #[must_use]
    pub fn values(&self, id: usize) -> &[String] {
        self.enums.get(id).map_or(&[], Vec::as_slice)
    }

    /// Every problem of `value` against node `root`, each naming its JSON field path.
    #[must_use]
    pub fn check(&self, root: NodeId, value: &Value) -> Vec<Detail> {
        let mut out = Vec::new();
        let mut path = String::new();
        self.walk(root, value, &mut path, &mut out);
        out
    }

    fn walk(&self, id: NodeId, value: &Value, path: &mut String, out: &mut Vec<Detail>) {
        let Some(node) = self.nodes.get(id) else {
            return;
        };
        if value.is_null() && node.nullable {
            return;
        }
        let push = |out: &mut Vec<Detail>, code, message: String| {
            out.push(Detail {
                code,
                message,
                parameter: Some(path.clone()),
            });
        };
        let field = if path.is_empty() {
            "the body"
        } else {
            path.as_str()
        };
        match &node.kind {
            Kind::Any => {}
            Kind::Boolean if value.is_boolean() => {}
            Kind::Integer | Kind::Number if value.is_number() => {
                let n = value.as_f64().unwrap_or(f64::NAN);
                if node.kind == Kind::Integer && !(value.is_i64() || value.is_u64()) {
                    push(
                        out,
                        ErrorCode::FieldTypeInvalid,
                        format!("{field} must be a whole number; got {}", json_text(value)),
                    );
                } else if node.min.is_some_and(|m| n < m) || node.max.is_some_and(|m| n > m) {
                    push(
                        out,
                        ErrorCode::FieldOutOfRange,
                        format!("{field} must be {}; got {}", range(node), json_text(value)),
                    );
                }
            }
            Kind::String { values, format } => match value.as_str() {
                Some(s) => self.check_string(node, *values, *format, s, field, out),
                None => push(
                    out,
                    ErrorCode::FieldTypeInvalid,
                    format!("{field} must be a string; got {}", type_name(value)),
                ),
            },
            Kind::Array { items } => match value.as_array() {
                Some(list) => {
                    let linkage = matches!(
                        self.nodes.get(*items).map(|n| &n.kind),
                        Some(Kind::Object { linkage: true, .. })
                    );
                    if list.is_empty() && linkage && node.min.is_some_and(|m| m >= 1.0) {
                        push(out, ErrorCode::IdListEmpty, format!("{field} is an empty list of ids; give at least one {{\"type\", \"id\"}}"));
                    } else if node.min.is_some_and(|m| (list.len() as f64) < m)
                        || node.max.is_some_and(|m| (list.len() as f64) > m)
                    {
                        push(
                            out,
                            ErrorCode::FieldOutOfRange,
                            format!("{field} has {} items; it takes {}", list.len(), range(node)),
                        );
                    }
                    let len = path.len();
                    for (i, item) in list.iter().enumerate() {
                        path.push_str(&format!("[{i}]"));
                        self.walk(*items, item, path, out);
                        path.truncate(len);
                    }
                }
                None => push(
                    out,
                    ErrorCode::FieldTypeInvalid,
                    format!("{field} must be an array; got {}", type_name(value)),
                ),
            },
            Kind::Object {
                props,
                required,
                extra,
                linkage,
            } => match value.as_object() {
                Some(map) => self.check_object(map, props, required, *extra, *linkage, path, out),
                None => push(
                    out,
                    ErrorCode::FieldTypeInvalid,
                    format!("{field} must be an object; got {}", type_name(value)),
                ),
            },
            Kind::OneOf(alts) => {
                let ty = value.get("type").and_then(Value::as_str);
                let chosen = alts
                    .iter()
                    .copied()
                    .find(|&a| self.type_of(a).is_some_and(|v| Some(v) == ty));
                match chosen {
                    Some(a) => self.walk(a, value, path, out),
                    None => {
                        let accepted: Vec<&str> =
                            alts.iter().filter_map(|&a| self.type_of(a)).collect();
                        push(
                            out,
                            ErrorCode::FieldEnumInvalid,
                            format!("{field}.type must be one of {}", accepted.join(", ")),
                        );
                    }
                }
            }
            _ => {
                let want = match node.kind {
                    Kind::Boolean => "true or false",
                    Kind::Integer => "a whole number",
                    _ => "a number",
                };
                push(
                    out,
                    ErrorCode::FieldTypeInvalid,
                    format!("{field} must be {want}; got {}", type_name(value)),
                );
            }
        }
    }

    /// The single `type` value an object node requires, for telling one-of alternatives apart.
    fn type_of(&self, id: NodeId) -> Option<&str> {
        let Kind::Object { props, .. } = &self.nodes.get(id)?.kind else {
            return None;
        };
        let (_, t) = props.iter().find(|(k, _)| k == "type")?;
        match self.nodes.get(*t)?.kind {
            Kind::String {
                values: Some(e), ..
            } => self.values(e).first().map(String::as_str),
            _ => None,
        }
    }

    fn check_string(
        &self,
        node: &Node,
        values: Option<usize>,
        format: Format,
        s: &str,
        field: &str,
        out: &mut Vec<Detail>,
    ) {
        let mut push = |code, message: String| {
            out.push(Detail {
                code,
                message,
                parameter: Some(field.to_owned()),
            });
        };
        if let Some(c) = s
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            push(
                ErrorCode::FieldTypeInvalid,
                format!(
                    "{field} contains the control character {}",
                    show(&c.to_string())
                ),
            );
            return;
        }
        if let Some(e) = values {
            let allowed = self.values(e);
            if !allowed.iter().any(|v| v == s) {
                let hint = nearest(s, allowed.iter().map(String::as_str))
                    .map(|n| format!(" (did you mean '{n}'?)"))
                    .unwrap_or_default();
                let accepted: Vec<&str> = allowed.iter().take(30).map(String::as_str).collect();
                push(
                    ErrorCode::FieldEnumInvalid,
                    format!(
                        "{field} is {}{hint}; accepted: {}",
                        show(s),
                        accepted.join(", ")
                    ),
                );
            }
            return;
        }
        if node.max.is_some_and(|m| s.chars().count() as f64 > m) {
            push(
                ErrorCode::FieldOutOfRange,
                format!(
                    "{field} is longer than {} characters",
                    number(node.max.unwrap_or_default())
                ),
            );
        }
        let ok = match format {
            Format::None => true,
            Format::Date => is_date(s),
            Format::DateTime => {
                s.get(..10).is_some_and(is_date)
                    && s.as_bytes().get(10) == Some(&b'T')
                    && s.len() >= 20
            }
            Format::Email => s.split_once('@').is_some_and(|(a, b)| {
                !a.is_empty() && b.contains('.') && !s.contains(char::is_whitespace)
            }),
        };
        if !ok {
            let want = match format {
                Format::Date => "a date like 2025-01-31",
                Format::DateTime => "a date and time like 2025-01-31T12:00:00Z",
                _ => "an email address",
            };
            push(
                ErrorCode::FieldFormatInvalid,
                format!("{field} must be {want}; got {}", show(s)),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_object(
        &self,
        map: &Map<String, Value>,
        props: &[(String, NodeId)],
        required: &[String],
        extra: Option<NodeId>,
        linkage: bool,
        path: &mut String,
        out: &mut Vec<Detail>,
    ) {
        let len = path.len();
        let join = |path: &mut String, key: &str| {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
        };
        for name in required {
            if !map.contains_key(name) {
                join(path, name);
                out.push(Detail {
                    code: ErrorCode::FieldRequired,
                    message: format!("{path} is required"),
                    parameter: Some(path.clone()),
                });
                path.truncate(len);
            }
        }
        for (key, value) in map {
            join(path, key);
            match props.iter().find(|(k, _)| k == key) {
                Some((_, id)) => {
                    let wrong_type = match (
                        linkage && key == "type",
                        value.as_str(),
                        self.nodes.get(*id),
                    ) {
                        (
                            true,
                            Some(t),
                            Some(Node {
                                kind:
                                    Kind::String {
                                        values: Some(e), ..
                                    },
                                ..
                            }),
                        ) => {
                            let allowed = self.values(*e);
                            (!allowed.iter().any(|v| v == t)).then(|| allowed.join(", "))
                        }
                        _ => None,
                    };
                    if let Some(allowed) = wrong_type {
                        out.push(Detail {
                            code: ErrorCode::RelationshipTypeInvalid,
                            message: format!("{path} is {}, but this relationship links resources of type {allowed}", show(value.as_str().unwrap_or_default())),
                            parameter: Some(path.clone()),
                        });
                    } else if linkage && key == "id" && value.as_str() == Some("") {
                        out.push(Detail {
                            code: ErrorCode::FieldTypeInvalid,
                            message: format!("{path} is empty; give the resource's id"),
                            parameter: Some(path.clone()),
                        });
                    } else {
                        self.walk(*id, value, path, out);
                    }
                }
                None => match extra {
                    Some(x) => self.walk(x, value, path, out),
                    None => {
                        let hint = nearest(key, props.iter().map(|(k, _)| k.as_str()))
                            .map(|n| format!("did you mean {n}?"))
                            .unwrap_or_else(|| {
                                let names: Vec<&str> =
                                    props.iter().map(|(k, _)| k.as_str()).take(40).collect();
                                format!("accepted: {}", names.join(", "))
                            });
                        out.push(Detail {
                            code: ErrorCode::FieldUnknown,
                            message: format!("{path} is not a field here ({hint})"),
                            parameter: Some(path.clone()),
                        });
                    }
                },
            }
            path.truncate(len);
        }
    }
}

fn range(node: &Node) -> String {
    match (node.min, node.max) {
        (Some(a), Some(b)) => format!("from {} to {}", number(a), number(b)),
        (Some(a), None) => format!("at least {}", number(a)),
        (None, Some(b)) => format!("at most {}", number(b)),
        (None, None) => "any".to_owned(),
    }
}

/// A finite number the way Rust's `{}` prints an `f64` (shortest digits that read back to the
/// same number, never an exponent: `200`, `0.5`, `1000000000000000000000`), built from
/// serde_json's own float printer: core's `{}` for floats is about 15 KB of wasm that nothing else
/// needs.
fn number(n: f64) -> String {
    // serde_json prints the same shortest digits, as `200.0`, `0.5` or `1e21`.
    let text = serde_json::Number::from_f64(n).map_or_else(String::new, |v| v.to_string());
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    // The significant digits, and where the decimal point falls counted in them.
    let mut digits: Vec<u8> = Vec::new();
    let mut point = exp.parse::<i64>().unwrap_or(0);
    let mut before_point = true;
    for b in mantissa.bytes() {
        match b {
            b'.' => before_point = false,
            b'0'..=b'9' if b != b'0' || !digits.is_empty() => {
                digits.push(b);
                point += i64::from(before_point);
            }
            b'0' if !before_point => point -= 1,
            _ => {}
        }
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    let mut out = String::from(if n.is_sign_negative() { "-" } else { "" });
    if digits.is_empty() {
        out.push('0');
        return out;
    }
    // When `n` lies exactly halfway between two shortest candidates, core takes the upper one
    // and serde_json the even one.
    if halfway_above(n, &digits, point) {
        while digits.last() == Some(&b'9') {
            digits.pop();
        }
        match digits.last_mut() {
            Some(last) => *last += 1,
            None => {
                digits.push(b'1');
                point += 1;
            }
        }
    }
    let len = digits.len() as i64;
    if point <= 0 {
        out.push_str("0.");
        out.extend((point..0).map(|_| '0'));
    }
    for (i, d) in digits.iter().enumerate() {
        if i as i64 == point && point > 0 {
            out.push('.');
        }
        out.push(char::from(*d));
    }
    out.extend((len..point).map(|_| '0'));
    out
}

/// Whether `|n|` is exactly `0.<digits>5 × 10^point`, i.e. halfway between `digits` and the next
/// number of as many digits.
fn halfway_above(n: f64, digits: &[u8], point: i64) -> bool {
    let bits = n.to_bits();
    let field = (bits >> 52) & 0x7ff;
    let fraction = bits & ((1 << 52) - 1);
    let (mut m, mut e) = if field == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, field as i64 - 1075)
    };
    if m == 0 || digits.len() > 17 {
        return false;
    }
    e += i64::from(m.trailing_zeros());
    m >>= m.trailing_zeros();
    // |n| = m·2^e with m odd; the halfway point is k·10^t with k odd, so they are equal only when
    // e == t and m·5^-t == k (t < 0) or m == k·5^t (t ≥ 0).
    let t = point - digits.len() as i64 - 1;
    let k = digits
        .iter()
        .fold(0u64, |k, d| k * 10 + u64::from(d - b'0'))
        * 10
        + 5;
    let five = u32::try_from(t.unsigned_abs())
        .ok()
        .and_then(|p| 5u64.checked_pow(p));
    e == t
        && five.is_some_and(|f| {
            if t < 0 {
                m.checked_mul(f) == Some(k)
            } else {
                k.checked_mul(f) == Some(m)
            }
        })
}

/// What kind of JSON value `v` is, in the words the body problems use ("a string", "an array", ...).
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_print_as_rust_prints_an_f64() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            200.0,
            8000.0,
            9007199254740991.0,
            1e15,
            1e16,
            1e21,
            1e22,
            1.5e300,
            1e-7,
            1.25e-5,
            0.1,
            0.3,
            123.456,
            -0.001,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            2.5e-320,
        ];
        // A spread of bit patterns (a fixed xorshift sequence), plus whole and halved numbers.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(f64::from_bits(x));
            values.push(f64::from(i) * 37.0);
            values.push(f64::from(i) / 8.0);
            // Numbers with few fraction bits and 16 or 17 digits: where shortest candidates tie.
            values.push(((1u64 << 52) + u64::from(i) * 7919) as f64 / 8.0);
            values.push(((1u64 << 50) + u64::from(i) * 104_729) as f64 / 4.0);
            values.push(((1u64 << 53) - u64::from(i) * 3) as f64 * 1024.0);
            values.push(((1u64 << 45) + u64::from(i)) as f64 / 4096.0);
        }
        for v in values.into_iter().filter(|v| v.is_finite()) {
            assert_eq!(number(v), format!("{v}"), "{:#x}", v.to_bits());
        }
    }
}
