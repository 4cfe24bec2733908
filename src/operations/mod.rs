//! The operation table and the request planner.
//!
//! [`plan_request`] turns a caller's method, path and raw query into the exact request the gateway
//! sends to Apple, or into one error that lists every problem at once. It never forwards a path or
//! parameter that is not in the table, which is generated from Apple's spec (see `table.rs` and
//! `tools/gen-operations.mjs`), so the gateway cannot be used as an open proxy.
//!
//! # Canonical query
//! The planner re-writes the query so that equal requests give byte-identical upstream URLs
//! (planning a canonical query again gives the same string):
//! - parameters are sorted by name, byte-wise (`exists[...]` < `fields[...]` < `filter[...]` <
//!   `include` < `limit` < `limit[...]` < `sort`); `cursor` is not sorted but appended last in
//!   [`Plan::upstream_query`] and left out of [`Plan::paging_query`], so a next link is
//!   `paging_query + "&cursor=…"`;
//! - names are written as Apple spells them, brackets literal (`filter[bundleId]`);
//! - values are percent-encoded with one rule: RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`)
//!   are kept, every other byte becomes `%XX` (upper-case hex; a space is `%20`, never `+`);
//! - list items keep the caller's order and are joined by literal commas; a repeated item (or, for
//!   `sort`, the same key twice) is rejected as `PARAMETER_REPEATED` rather than silently dropped;
//! - integers are written in plain decimal (`007` becomes `7`).
//!
//! # Decoding
//! The raw query is split on `&` (empty pieces such as a trailing `&` are ignored) and each piece on
//! its first `=`. Names and values are percent-decoded and must be UTF-8; `+` is a space, except in
//! `cursor`, where it is kept as `+` because cursors are opaque tokens. `cursor` is accepted by
//! collection operations only and is never interpreted, just checked for length and a token-safe
//! character set (`A-Z a-z 0-9 - . _ ~ + / =`).

#[doc(hidden)]
pub mod encoding;
pub(crate) mod suggest;
mod table;
mod types;

use std::borrow::Cow;
use std::collections::HashSet;

use crate::error::{Detail, Error, ErrorCode, Result};
use encoding::{decode, encode, encode_into, show, DecodeError};

pub use table::SPEC_VERSION;
pub use table::{BODY_PACK, BODY_SCHEMAS};
pub use types::{
    BodyId, IdCharset, IdRule, Operation, OperationKind, Parameter, ParameterType, PathParameter,
};

/// The name of the paging parameter (not in Apple's spec; it appears only in `links.next`).
pub const CURSOR: &str = "cursor";
/// The longest raw query accepted (the gateway's own limit is lower; this is a defensive cap).
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// The most `name=value` pieces in one query.
pub const MAX_PARAMETERS: usize = 100;
/// The longest decoded value of one parameter.
pub const MAX_VALUE_BYTES: usize = 4096;
/// The longest decoded `cursor`.
pub const MAX_CURSOR_BYTES: usize = 2048;
/// The longest raw path.
pub const MAX_PATH_BYTES: usize = 2048;

/// The plan for one upstream request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The operation's id, e.g. `ListApps`.
    pub operation_id: &'static str,
    /// The path to request upstream, e.g. `/v1/apps/123`.
    pub upstream_path: String,
    /// The canonical query to send upstream (with `cursor`), without the leading `?`.
    pub upstream_query: String,
    /// The canonical query without `cursor`, the base of `nextLink`.
    pub paging_query: String,
    /// The `cursor`, if one was given.
    pub cursor: Option<String>,
    /// Deprecated parameters that were used (they still work).
    pub deprecations: Vec<crate::error::Detail>,
}

/// Every operation in the table.
#[must_use]
pub fn operations() -> &'static [Operation] {
    table::OPERATIONS
}

/// The operation with this id (e.g. `ListApps`).
#[must_use]
pub fn find_operation(id: &str) -> Option<&'static Operation> {
    table::OPERATIONS.iter().find(|op| op.id == id)
}

/// Plans a request, or returns every problem at once.
///
/// `path` is the raw request path (e.g. `/v1/apps/123`), `raw_query` the raw query string without
/// the leading `?`.
///
/// # Errors
/// - `ROUTE_NOT_FOUND` when no operation has the path (including a trailing slash or `//`);
/// - `METHOD_NOT_ALLOWED` when the path exists with another method (the message lists it);
/// - `REQUEST_TARGET_INVALID` for dot segments, encoded slashes or control characters in the path;
/// - `ID_INVALID` when a path id breaks the operation's id rule;
/// - `QUERY_MALFORMED` for bad percent-encoding or non-UTF-8 bytes in the query;
/// - `REQUEST_TOO_LARGE` when the path, query, number of parameters or a value exceeds its cap;
/// - `REQUEST_INVALID` with one [`Detail`] per bad parameter (`PARAMETER_*` codes).
pub fn plan_request(method: &str, path: &str, raw_query: &str) -> Result<Plan> {
    let (op, upstream_path) = route(method, path)?;
    let raw = parse_query(raw_query)?;
    let checked = check_parameters(op, &raw);
    if !checked.problems.is_empty() {
        return Err(summarise(checked.problems));
    }
    let mut canonical = checked.canonical;
    // Sorted by name. There are at most MAX_PARAMETERS, so an insertion sort is plenty, and it
    // keeps core's stable sort (~3.5 KB of wasm) out of the module.
    for i in 1..canonical.len() {
        let mut j = i;
        while j > 0 && canonical[j - 1].0 > canonical[j].0 {
            canonical.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut paging_query = String::new();
    for (name, value) in &canonical {
        if !paging_query.is_empty() {
            paging_query.push('&');
        }
        paging_query.push_str(name);
        paging_query.push('=');
        paging_query.push_str(value);
    }
    let mut upstream_query = paging_query.clone();
    if let Some(cursor) = &checked.cursor {
        if !upstream_query.is_empty() {
            upstream_query.push('&');
        }
        upstream_query.push_str(CURSOR);
        upstream_query.push('=');
        encode_into(cursor, &mut upstream_query);
    }
    Ok(Plan {
        operation_id: op.id,
        upstream_path,
        upstream_query,
        paging_query,
        cursor: checked.cursor,
        deprecations: checked.deprecations,
    })
}

// ---- Routing --------------------------------------------------------------------------------------

fn target_invalid(message: String) -> Error {
    Error::new(ErrorCode::RequestTargetInvalid, message)
}

fn route_list() -> String {
    let routes: Vec<String> = operations()
        .iter()
        .map(|op| format!("{} {}", op.method, op.path))
        .collect();
    routes.join(", ")
}

/// Whether `segments` fit the template `path` (literal segments equal, `{...}` any non-empty one).
fn fits(template: &str, segments: &[&str], fold_case: bool) -> bool {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    parts.len() == segments.len()
        && parts.iter().zip(segments).all(|(t, s)| {
            if t.starts_with('{') {
                !s.is_empty()
            } else if fold_case {
                t.eq_ignore_ascii_case(s)
            } else {
                t == s
            }
        })
}

fn route(method: &str, path: &str) -> Result<(&'static Operation, String)> {
    if path.len() > MAX_PATH_BYTES {
        return Err(Error::new(
            ErrorCode::RequestTooLarge,
            format!(
                "the path is {} bytes; at most {MAX_PATH_BYTES} are accepted",
                path.len()
            ),
        ));
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(target_invalid(format!(
            "the path {} must start with '/' (for example /v1/apps)",
            show(path)
        )));
    };
    if let Some(c) = path
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(target_invalid(format!(
            "the path {} contains {}, which is not allowed in a path (send the query separately)",
            show(path),
            show(&c.to_string())
        )));
    }
    let segments: Vec<&str> = rest.split('/').collect();
    for seg in &segments {
        let decoded = decode(seg, false).map_err(|_| {
            target_invalid(format!(
                "the path {} has invalid percent-encoding ('%' must be followed by two hex digits and decode to UTF-8)",
                show(path)
            ))
        })?;
        if decoded == "." || decoded == ".." {
            return Err(target_invalid(format!(
                "the path {} contains a '.' or '..' segment; use the plain path, e.g. /v1/apps/6446998023",
                show(path)
            )));
        }
        if decoded.contains(['/', '\\']) || decoded.chars().any(char::is_control) {
            return Err(target_invalid(format!(
                "the path {} contains an encoded slash, backslash or control character",
                show(path)
            )));
        }
    }
    if segments.iter().any(|s| s.is_empty()) {
        let trimmed = path.trim_end_matches('/');
        let only_trailing = trimmed
            .strip_prefix('/')
            .is_some_and(|t| !t.split('/').any(str::is_empty));
        let message = if rest.is_empty() {
            format!(
                "no operation has the path '/'; the gateway serves {}",
                route_list()
            )
        } else if only_trailing {
            format!(
                "no operation has the path {} (remove the trailing slash: {}); the gateway serves {}",
                show(path),
                trimmed,
                route_list()
            )
        } else {
            format!(
                "no operation has the path {} (it has an empty segment, '//'); the gateway serves {}",
                show(path),
                route_list()
            )
        };
        return Err(Error::new(ErrorCode::RouteNotFound, message));
    }
    let candidates: Vec<&'static Operation> = operations()
        .iter()
        .filter(|op| fits(op.path, &segments, false))
        .collect();
    if candidates.is_empty() {
        let hint = operations()
            .iter()
            .find(|op| fits(op.path, &segments, true))
            .map(|op| format!(" (paths are case-sensitive: did you mean {}?)", op.path))
            .unwrap_or_default();
        return Err(Error::new(
            ErrorCode::RouteNotFound,
            format!(
                "no operation has the path {}{hint}; the gateway serves {}",
                show(path),
                route_list()
            ),
        ));
    }
    let Some(op) = candidates.iter().copied().find(|op| op.method == method) else {
        let mut allowed: Vec<&str> = candidates.iter().map(|op| op.method).collect();
        allowed.dedup();
        return Err(Error::new(
            ErrorCode::MethodNotAllowed,
            format!(
                "{} is not allowed on {}; allowed: {}",
                show(method),
                show(path),
                allowed.join(", ")
            ),
        ));
    };
    let mut upstream = String::new();
    for (template, raw) in op.path.trim_start_matches('/').split('/').zip(&segments) {
        upstream.push('/');
        match template.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) => {
                // Decoding succeeded above, so this cannot fail; stay total anyway.
                let value = decode(raw, false).unwrap_or_default();
                check_id(op, name, &value)?;
                encode_into(&value, &mut upstream);
            }
            None => upstream.push_str(template),
        }
    }
    Ok((op, upstream))
}

fn looks_like_bundle_id(value: &str) -> bool {
    value.contains('.')
        && value.chars().any(|c| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn check_id(op: &Operation, name: &str, value: &str) -> Result<()> {
    let Some(pp) = op.path_parameter(name) else {
        return Err(Error::new(
            ErrorCode::Internal,
            format!(
                "the operation table has no rule for {{{name}}} in {}",
                op.path
            ),
        ));
    };
    let rule = &pp.rule;
    let len = value.chars().count();
    let what = format!(
        "the {{{name}}} of {} is {} to {} characters matching {}",
        op.id,
        rule.min_length,
        rule.max_length,
        rule.charset.class()
    );
    let problem = if rule.charset == IdCharset::Digits && looks_like_bundle_id(value) {
        Some(format!("{} looks like a bundle ID", show(value)))
    } else if let Some(c) = value.chars().find(|&c| !rule.charset.allows(c)) {
        Some(format!(
            "{} contains {}, which is not allowed ({what})",
            show(value),
            show(&c.to_string())
        ))
    } else if len < rule.min_length || len > rule.max_length {
        Some(format!("{} has {len} characters ({what})", show(value)))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => {
            let message = format!(
                "the {name} in the path is not valid: {problem}. {}",
                rule.help
            );
            Err(Error::with_details(
                ErrorCode::IdInvalid,
                message.clone(),
                vec![Detail {
                    code: ErrorCode::IdInvalid,
                    message,
                    parameter: Some(name.to_owned()),
                }],
            ))
        }
    }
}

// ---- Query parsing --------------------------------------------------------------------------------

/// One decoded `name=value` piece. `value` is `None` when the piece had no `=`.
pub(crate) struct RawParam {
    pub(crate) name: String,
    pub(crate) value: Option<String>,
}

pub(crate) fn parse_query(raw_query: &str) -> Result<Vec<RawParam>> {
    if raw_query.len() > MAX_QUERY_BYTES {
        return Err(Error::new(
            ErrorCode::RequestTooLarge,
            format!(
                "the query is {} bytes; at most {MAX_QUERY_BYTES} are accepted",
                raw_query.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for (index, piece) in raw_query.split('&').filter(|p| !p.is_empty()).enumerate() {
        if index == MAX_PARAMETERS {
            return Err(Error::new(
                ErrorCode::RequestTooLarge,
                format!("the query has more than {MAX_PARAMETERS} parameters"),
            ));
        }
        let (raw_name, raw_value) = match piece.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (piece, None),
        };
        let malformed = |e: DecodeError| {
            let why = match e {
                DecodeError::BadEscape(_) => {
                    "'%' must be followed by two hex digits (e.g. %5B for '[')"
                }
                DecodeError::NotUtf8 => "its percent-encoded bytes are not valid UTF-8",
            };
            Error::new(
                ErrorCode::QueryMalformed,
                format!(
                    "query parameter {} ({}) cannot be decoded: {why}",
                    index + 1,
                    show(piece)
                ),
            )
        };
        let name = decode(raw_name, true).map_err(malformed)?;
        let value = match raw_value {
            Some(v) => Some(decode(v, name != CURSOR).map_err(malformed)?),
            None => None,
        };
        if let Some(v) = &value {
            if v.len() > MAX_VALUE_BYTES {
                return Err(Error::new(
                    ErrorCode::RequestTooLarge,
                    format!(
                        "the value of {} is {} bytes; at most {MAX_VALUE_BYTES} are accepted",
                        show(&name),
                        v.len()
                    ),
                ));
            }
        }
        out.push(RawParam { name, value });
    }
    Ok(out)
}

// ---- Parameter checks -----------------------------------------------------------------------------

/// One problem: the detail for the caller and a short form for the summary line.
pub(crate) struct Problem {
    pub(crate) detail: Detail,
    pub(crate) short: String,
}

pub(crate) fn problem(code: ErrorCode, parameter: &str, message: String, short: String) -> Problem {
    Problem {
        detail: Detail {
            code,
            message,
            parameter: Some(parameter.to_owned()),
        },
        short,
    }
}

#[derive(Default)]
struct Checked {
    canonical: Vec<(&'static str, String)>,
    cursor: Option<String>,
    deprecations: Vec<Detail>,
    problems: Vec<Problem>,
}

fn check_parameters(op: &'static Operation, raw: &[RawParam]) -> Checked {
    let mut out = Checked::default();
    // At most MAX_PARAMETERS names: plain lists are enough.
    let mut seen: Vec<&str> = Vec::new();
    let mut reported: Vec<&str> = Vec::new();
    for p in raw {
        let name = p.name.as_str();
        if seen.contains(&name) {
            if !reported.contains(&name) {
                reported.push(name);
                out.problems.push(problem(
                    ErrorCode::ParameterRepeated,
                    name,
                    format!(
                        "{} is given more than once; give it once (a list is one comma-separated value, e.g. include=builds,appInfos)",
                        show(name)
                    ),
                    format!("{} is repeated", show(name)),
                ));
            }
            continue;
        }
        seen.push(name);
        if name == CURSOR {
            check_cursor(op, p.value.as_deref(), &mut out);
            continue;
        }
        let Some(param) = op.parameter(name) else {
            out.problems.push(not_in_operation(op, name));
            continue;
        };
        match canonical_value(param, p.value.as_deref()) {
            Ok(value) => {
                if param.deprecated {
                    out.deprecations.push(deprecation(param));
                }
                out.canonical.push((param.name, value));
            }
            Err(mut problems) => out.problems.append(&mut problems),
        }
    }
    out
}

fn deprecation(param: &Parameter) -> Detail {
    let instead = param
        .replacement
        .map(|r| format!("; use {r} instead"))
        .unwrap_or_default();
    Detail {
        code: ErrorCode::ParameterDeprecated,
        message: format!(
            "{} is deprecated in Apple's App Store Connect API (spec {SPEC_VERSION}); it still works but may be removed{instead}",
            param.name
        ),
        parameter: Some(param.name.to_owned()),
    }
}

fn check_cursor(op: &Operation, value: Option<&str>, out: &mut Checked) {
    if !op.kind.is_pageable() {
        out.problems.push(problem(
            ErrorCode::ParameterNotAllowed,
            CURSOR,
            format!(
                "cursor pages through lists; {} returns one resource, so it takes no cursor",
                op.id
            ),
            format!("cursor is not accepted by {}", op.id),
        ));
        return;
    }
    let value = value.unwrap_or_default();
    if value.is_empty() {
        out.problems.push(problem(
            ErrorCode::ParameterEmpty,
            CURSOR,
            "cursor is empty; pass the cursor from a nextLink, or leave it out for the first page"
                .to_owned(),
            "cursor is empty".to_owned(),
        ));
    } else if value.len() > MAX_CURSOR_BYTES {
        out.problems.push(problem(
            ErrorCode::ParameterOutOfRange,
            CURSOR,
            format!(
                "cursor is {} bytes; at most {MAX_CURSOR_BYTES} are accepted (pass the value from a nextLink unchanged)",
                value.len()
            ),
            "cursor is too long".to_owned(),
        ));
    } else if let Some(c) = value.chars().find(|&c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '='))
    }) {
        out.problems.push(problem(
            ErrorCode::ParameterTypeInvalid,
            CURSOR,
            format!(
                "cursor contains {}; a cursor is the opaque token from a nextLink (letters, digits and - . _ ~ + / =), pass it unchanged",
                show(&c.to_string())
            ),
            "cursor is not a valid cursor".to_owned(),
        ));
    } else {
        out.cursor = Some(value.to_owned());
    }
}

/// The family of a bracketed name: `filter[x]` → `filter`.
fn family(name: &str) -> Option<&str> {
    name.split_once('[').map(|(f, _)| f)
}

fn not_in_operation(op: &Operation, name: &str) -> Problem {
    if name.is_empty() {
        return problem(
            ErrorCode::ParameterUnknown,
            name,
            "a query parameter has no name (a piece like '=value'); write name=value".to_owned(),
            "a parameter has no name".to_owned(),
        );
    }
    let elsewhere: Vec<&str> = operations()
        .iter()
        .filter(|other| other.id != op.id)
        .filter(|other| {
            other.parameter(name).is_some() || (name == CURSOR && other.kind.is_pageable())
        })
        .map(|other| other.id)
        .collect();
    if !elsewhere.is_empty() {
        return problem(
            ErrorCode::ParameterNotAllowed,
            name,
            format!(
                "{} is not accepted by {} ({} {}); it belongs to {}",
                name,
                op.id,
                op.method,
                op.path,
                elsewhere.join(", ")
            ),
            format!("{name} is not accepted by {}", op.id),
        );
    }
    let cursor = op.kind.is_pageable().then_some(CURSOR);
    let names = op.parameters.iter().map(|p| p.name).chain(cursor);
    if let Some(s) = suggest::nearest(name, names) {
        return problem(
            ErrorCode::ParameterUnknown,
            name,
            format!(
                "{} is not a parameter of {}; did you mean {s}?",
                show(name),
                op.id
            ),
            format!("{} is unknown (did you mean {s}?)", show(name)),
        );
    }
    let same_family: Vec<&str> = match family(name) {
        Some(f) => op
            .parameters
            .iter()
            .filter(|p| family(p.name) == Some(f))
            .map(|p| p.name)
            .collect(),
        None => Vec::new(),
    };
    let accepted = if same_family.is_empty() {
        summary_of_names(op)
    } else {
        same_family.join(", ")
    };
    problem(
        ErrorCode::ParameterUnknown,
        name,
        format!(
            "{} is not a parameter of {}; it accepts {accepted}",
            show(name),
            op.id
        ),
        format!("{} is unknown", show(name)),
    )
}

/// A compact description of an operation's parameters, e.g. `fields[...] (25), include, limit`.
fn summary_of_names(op: &Operation) -> String {
    let mut groups: Vec<(String, usize)> = Vec::new();
    let keys = op
        .parameters
        .iter()
        .map(|p| match family(p.name) {
            Some(f) => format!("{f}[...]"),
            None => p.name.to_owned(),
        })
        .chain(op.kind.is_pageable().then(|| CURSOR.to_owned()));
    for key in keys {
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => groups.push((key, 1)),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(k, n)| if n > 1 { format!("{k} ({n})") } else { k })
        .collect();
    parts.join(", ")
}

fn range_text(param: &Parameter) -> String {
    match (param.minimum, param.maximum) {
        (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "any whole number".to_owned(),
    }
}

pub(crate) fn canonical_value(
    param: &'static Parameter,
    value: Option<&str>,
) -> std::result::Result<String, Vec<Problem>> {
    let name = param.name;
    let value = match value {
        None => {
            return Err(vec![problem(
                ErrorCode::ParameterEmpty,
                name,
                format!("{name} has no value; write {name}=<value>"),
                format!("{name} has no value"),
            )])
        }
        Some("") => {
            return Err(vec![problem(
                ErrorCode::ParameterEmpty,
                name,
                format!("{name} is empty; give a value or leave the parameter out"),
                format!("{name} is empty"),
            )])
        }
        Some(v) => v,
    };
    match param.ty {
        ParameterType::Integer => canonical_integer(param, value).map_err(|p| vec![p]),
        ParameterType::Boolean => canonical_boolean(param, value).map_err(|p| vec![p]),
        ParameterType::Array => canonical_list(param, value),
    }
}

fn canonical_integer(param: &Parameter, value: &str) -> std::result::Result<String, Problem> {
    let name = param.name;
    let range = range_text(param);
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(problem(
            ErrorCode::ParameterTypeInvalid,
            name,
            format!("{name} must be a whole number {range}; got {}", show(value)),
            format!("{name} must be a whole number"),
        ));
    }
    let number = value.parse::<i64>().ok();
    let in_range = number.is_some_and(|n| {
        param.minimum.is_none_or(|lo| n >= lo) && param.maximum.is_none_or(|hi| n <= hi)
    });
    match number {
        Some(n) if in_range => Ok(n.to_string()),
        _ => Err(problem(
            ErrorCode::ParameterOutOfRange,
            name,
            format!("{name} must be {range}; got {}", show(value)),
            format!("{name} must be {range}"),
        )),
    }
}

fn canonical_boolean(param: &Parameter, value: &str) -> std::result::Result<String, Problem> {
    let name = param.name;
    if value == "true" || value == "false" {
        return Ok(value.to_owned());
    }
    let hint = match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => " (did you mean true?)",
        "false" | "0" | "no" | "off" => " (did you mean false?)",
        _ => "",
    };
    Err(problem(
        ErrorCode::ParameterTypeInvalid,
        name,
        format!(
            "{name} must be true or false (lower case); got {}{hint}",
            show(value)
        ),
        format!("{name} must be true or false"),
    ))
}

fn canonical_list(
    param: &'static Parameter,
    value: &str,
) -> std::result::Result<String, Vec<Problem>> {
    let name = param.name;
    let mut problems = Vec::new();
    // The same set type as the body intake's key sets (one instantiation in the wasm module).
    let mut seen: HashSet<Cow<'_, str>> = HashSet::new();
    let mut canonical = String::with_capacity(value.len());
    let items: Vec<&str> = value.split(',').collect();
    let count = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let position = i + 1;
        if item.is_empty() {
            problems.push(problem(
                ErrorCode::ParameterEmpty,
                name,
                format!(
                    "{name} has an empty item (item {position} of {count}); remove the doubled, leading or trailing comma"
                ),
                format!("{name} has an empty item"),
            ));
            continue;
        }
        if !param.values.is_empty() && !param.allows_value(item) {
            problems.push(enum_problem(param, item));
            continue;
        }
        if param.values.is_empty() {
            if let Some(c) = item.chars().find(|c| c.is_control()) {
                problems.push(problem(
                    ErrorCode::ParameterTypeInvalid,
                    name,
                    format!(
                        "{name} item {} contains the control character {}",
                        show(item),
                        show(&c.to_string())
                    ),
                    format!("{name} contains a control character"),
                ));
                continue;
            }
        }
        // For `sort`, `name` and `-name` are the same key in opposite directions.
        let key = if name == "sort" {
            item.trim_start_matches('-')
        } else {
            item
        };
        if !seen.insert(Cow::Borrowed(key)) {
            problems.push(problem(
                ErrorCode::ParameterRepeated,
                name,
                format!(
                    "{name} lists {} more than once; give each {} once",
                    show(key),
                    if name == "sort" { "sort key" } else { "item" }
                ),
                format!("{name} lists {} twice", show(key)),
            ));
            continue;
        }
        if !canonical.is_empty() {
            canonical.push(',');
        }
        canonical.push_str(&encode(item));
    }
    if problems.is_empty() {
        Ok(canonical)
    } else {
        Err(problems)
    }
}

pub(crate) fn enum_problem(param: &'static Parameter, item: &str) -> Problem {
    let name = param.name;
    let trimmed = item.trim();
    let hint = if trimmed != item && param.allows_value(trimmed) {
        format!(" (remove the spaces: '{trimmed}')")
    } else {
        suggest::nearest(trimmed, param.value_list())
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default()
    };
    problem(
        ErrorCode::ParameterEnumInvalid,
        name,
        format!(
            "{} is not an accepted value of {name}{hint}; accepted: {}",
            show(item),
            param.values.replace(',', ", ")
        ),
        format!("{name} has an invalid value {}{hint}", show(item)),
    )
}

fn summarise(problems: Vec<Problem>) -> Error {
    const SHOWN: usize = 3;
    let n = problems.len();
    let noun = if n == 1 { "problem" } else { "problems" };
    let shorts: Vec<&str> = problems
        .iter()
        .take(SHOWN)
        .map(|p| p.short.as_str())
        .collect();
    let more = if n > SHOWN {
        format!("; and {} more", n - SHOWN)
    } else {
        String::new()
    };
    let message = format!(
        "{n} {noun} with the query: {}{more} (see details)",
        shorts.join("; ")
    );
    Error::with_details(
        ErrorCode::RequestInvalid,
        message,
        problems.into_iter().map(|p| p.detail).collect(),
    )
}

// ---- The table as JSON ----------------------------------------------------------------------------

fn parameter_json(p: &Parameter) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("name".into(), p.name.into());
    m.insert("type".into(), p.ty.as_str().into());
    if !p.values.is_empty() {
        m.insert("enum".into(), p.value_list().collect::<Vec<_>>().into());
    }
    if let Some(v) = p.minimum {
        m.insert("minimum".into(), v.into());
    }
    if let Some(v) = p.maximum {
        m.insert("maximum".into(), v.into());
    }
    m.insert("deprecated".into(), p.deprecated.into());
    if let Some(r) = p.replacement {
        m.insert("replacement".into(), r.into());
    }
    m.insert("description".into(), p.description.into());
    serde_json::Value::Object(m)
}

fn operation_json(op: &Operation) -> serde_json::Value {
    let path_parameters: Vec<serde_json::Value> = op
        .path_parameters
        .iter()
        .map(|pp| {
            serde_json::json!({
                "name": pp.name,
                "type": "string",
                "required": true,
                "description": pp.description,
                "pattern": pp.rule.pattern(),
                "minLength": pp.rule.min_length,
                "maxLength": pp.rule.max_length,
                "example": pp.rule.example,
                "help": pp.rule.help,
            })
        })
        .collect();
    serde_json::json!({
        "id": op.id,
        "appleOperationId": op.apple_operation_id,
        "method": op.method,
        "path": op.path,
        "summary": op.summary,
        "description": op.description,
        "kind": op.kind.as_str(),
        "pageable": op.kind.is_pageable(),
        "write": op.kind.is_write(),
        "takesBody": op.takes_body(),
        "checkWith": op.check_with,
        "outcomeHint": op.outcome_hint,
        "bodyIds": op.body_ids.iter().map(|b| serde_json::json!({
            "field": b.field,
            "noun": b.rule.noun,
            "pattern": b.rule.pattern(),
            "minLength": b.rule.min_length,
            "maxLength": b.rule.max_length,
        })).collect::<Vec<_>>(),
        "pathParameters": path_parameters,
        "parameters": op.parameters.iter().map(parameter_json).collect::<Vec<_>>(),
    })
}

/// The operation table as JSON, for the connector definition and documentation.
///
/// An array of `{id, appleOperationId, method, path, summary, description, kind, pageable, write,
/// takesBody, checkWith (null for reads), outcomeHint ("" for reads), bodyIds: [{field, noun,
/// pattern, minLength, maxLength}], pathParameters: [{name, type, required, description, pattern, minLength, maxLength, example,
/// help}], parameters: [{name, type, enum?, minimum?, maximum?, deprecated, replacement?,
/// description}]}`. `cursor` is not listed (it is not Apple's parameter); `pageable` operations
/// accept it.
#[must_use]
pub fn table_json() -> serde_json::Value {
    serde_json::Value::Array(operations().iter().map(operation_json).collect())
}
