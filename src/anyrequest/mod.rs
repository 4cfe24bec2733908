//! Any App Store Connect request, checked against Apple's whole spec (the spec pack).
//!
//! Why: the named operations cover a few dozen of Apple's 1,263; the advanced action lets a maker send
//! any of the others, still checked before a rate-limit unit is spent and never to anything but a path
//! template of Apple's spec. The spec pack (`tools/gen-spec-pack.mjs`, shipped next to the wasm as
//! `spec-pack.mjs`/`.cjs`) is read once with [`SpecPack::parse`]; [`SpecPack::plan`] then checks one
//! request `{method, path, query, body}` and returns the exact upstream request or ONE error listing
//! every problem.
//!
//! Rules:
//! - The path must start with `/` and is refused (`REQUEST_TARGET_INVALID`) with `//`, `.`/`..`
//!   segments, encoded slashes or backslashes, control characters, whitespace, `?`, `#`, or more than
//!   [`MAX_PATH_BYTES`]; a full URL never starts with `/`. It must fit a template (`ROUTE_NOT_FOUND`
//!   with the nearest templates), with a method the template has (`METHOD_NOT_ALLOWED` listing them).
//!   A path id is 1 to [`MAX_ID_CHARS`] URL-safe characters (`A-Z a-z 0-9 - . _ ~`), else `ID_INVALID`.
//! - The query is a raw query string or an object of name → string (Apple's form: `a,b`, `10`),
//!   number, boolean or array; each value is canonicalised by the same code as the named operations
//!   (`crate::operations`): sorted names, one percent-encoding, `cursor` last.
//! - The body is checked with `crate::body` against the operation's request schema; an operation
//!   without one takes no body.
//! - Every query and body problem is one detail of a single `REQUEST_INVALID` (400).

mod pack;

pub use pack::{PackOperation, SpecPack};

use crate::body::{self, Limits};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::operations::encoding::{decode, encode, encode_into, is_unreserved, show};
use crate::operations::suggest::{distance, nearest};
use crate::operations::{
    canonical_value, enum_problem, parse_query, problem, Problem, RawParam, CURSOR,
    MAX_CURSOR_BYTES, MAX_PARAMETERS, MAX_PATH_BYTES, MAX_VALUE_BYTES,
};
use serde_json::Value;

/// The longest path id accepted.
pub const MAX_ID_CHARS: usize = 200;
/// The largest request envelope `{method, path, query, body}` accepted by [`SpecPack::plan_json`].
pub const MAX_ENVELOPE_BYTES: usize = body::MAX_BODY_BYTES + 16 * 1024;

/// One checked upstream request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnyPlan {
    /// `GET`, `POST`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The upstream path, ids percent-encoded, e.g. `/v1/apps/123/appInfos`.
    pub path: String,
    /// The canonical query without `?` (may be empty).
    pub query: String,
    /// The body to send (compact JSON), if the operation takes one.
    pub body: Option<String>,
    /// Apple's operationId, e.g. `apps_appInfos_getToManyRelated`.
    pub operation_id: String,
    /// The matched path template, e.g. `/v1/apps/{id}/appInfos`.
    pub template: String,
    /// Deprecated parameters that were used (they still work).
    pub deprecations: Vec<Detail>,
}

/// The query of a request: a raw query string or name → value pairs.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryInput {
    /// `a=1&b=x%2Cy`, without the leading `?`.
    Raw(String),
    /// Pairs from a JSON object: values are strings, numbers, booleans or arrays of those.
    Pairs(Vec<(String, Value)>),
}

fn target_invalid(message: String) -> Error {
    Error::new(ErrorCode::RequestTargetInvalid, message)
}

/// Checks a caller's path and splits it into raw segments (without the leading `/`).
fn split_path(path: &str) -> Result<Vec<&str>> {
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
            "the path {} must be a path of Apple's API starting with '/' such as /v1/apps (not a URL)",
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
                "the path {} has invalid percent-encoding",
                show(path)
            ))
        })?;
        if seg.is_empty() || decoded == "." || decoded == ".." {
            return Err(target_invalid(format!(
                "the path {} has an empty, '.' or '..' segment; write the plain path, e.g. /v1/apps/6446998023",
                show(path)
            )));
        }
        if decoded.contains(['/', '\\', ':']) || decoded.chars().any(char::is_control) {
            return Err(target_invalid(format!(
                "the path {} contains an encoded slash, backslash, colon or control character",
                show(path)
            )));
        }
    }
    Ok(segments)
}

fn check_id(name: &str, raw: &str, out: &mut Vec<Detail>) -> String {
    let value = decode(raw, false).unwrap_or_default();
    let n = value.chars().count();
    if n == 0 || n > MAX_ID_CHARS || !value.bytes().all(is_unreserved) {
        out.push(Detail {
            code: ErrorCode::IdInvalid,
            message: format!(
                "the {name} in the path, {}, is not an id: ids are 1 to {MAX_ID_CHARS} characters of A-Z a-z 0-9 - . _ ~",
                show(&value)
            ),
            parameter: Some(name.to_owned()),
        });
    }
    encode(&value)
}

/// A JSON query value in Apple's text form, or a problem.
fn query_text(name: &str, v: &Value) -> std::result::Result<Option<String>, Problem> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let bad = |what: &str| {
        Err(problem(
            ErrorCode::ParameterTypeInvalid,
            name,
            format!("{name} {what}; give a string, number, true/false or an array of those"),
            format!("{name} has the wrong type"),
        ))
    };
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match scalar(item) {
                    Some(s) if s.contains(',') => {
                        return bad(
                            "has an array item containing a comma (items are joined by commas)",
                        )
                    }
                    Some(s) => parts.push(s),
                    None => {
                        return bad("has an array item that is not a string, number or true/false")
                    }
                }
            }
            Ok(Some(parts.join(",")))
        }
        Value::Object(_) => bad("is an object"),
        _ => Ok(scalar(v)),
    }
}

impl SpecPack {
    /// Plans one request given as a JSON envelope `{method, path, query?, body?}` (bytes), read with
    /// the strict intake of `crate::body` (so duplicate keys anywhere are refused).
    ///
    /// # Errors
    /// The intake errors, `REQUEST_INVALID` for a malformed envelope, then as [`SpecPack::plan`].
    pub fn plan_json(&self, envelope: &[u8]) -> Result<AnyPlan> {
        let limits = Limits {
            max_bytes: MAX_ENVELOPE_BYTES,
            max_depth: body::MAX_DEPTH + 1,
        };
        let value = body::parse_strict(envelope, &limits)?;
        self.plan_value(&value)
    }

    /// Plans one request given as a parsed envelope `{method, path, query?, body?}`.
    ///
    /// # Errors
    /// `REQUEST_INVALID` for a malformed envelope, then as [`SpecPack::plan`].
    pub fn plan_value(&self, envelope: &Value) -> Result<AnyPlan> {
        const KEYS: [&str; 4] = ["method", "path", "query", "body"];
        let mut problems = Vec::new();
        let Some(map) = envelope.as_object() else {
            return Err(Error::new(
                ErrorCode::RequestInvalid,
                "the request must be an object {method, path, query, body}",
            ));
        };
        for key in map.keys() {
            if !KEYS.contains(&key.as_str()) {
                let hint = nearest(key, KEYS)
                    .map(|n| format!(" (did you mean {n}?)"))
                    .unwrap_or_default();
                problems.push(Detail {
                    code: ErrorCode::ParameterUnknown,
                    message: format!("{} is not a member of the request{hint}; accepted: method, path, query, body", show(key)),
                    parameter: Some(key.clone()),
                });
            }
        }
        let text =
            |key: &str, problems: &mut Vec<Detail>| match map.get(key).and_then(Value::as_str) {
                Some(s) => s.to_owned(),
                None => {
                    problems.push(Detail {
                        code: ErrorCode::ParameterRequired,
                        message: format!("{key} is required and must be a string"),
                        parameter: Some(key.to_owned()),
                    });
                    String::new()
                }
            };
        let method = text("method", &mut problems);
        let path = text("path", &mut problems);
        let query = match map.get("query") {
            None | Some(Value::Null) => QueryInput::Raw(String::new()),
            Some(Value::String(s)) => QueryInput::Raw(s.strip_prefix('?').unwrap_or(s).to_owned()),
            Some(Value::Object(m)) => {
                QueryInput::Pairs(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            }
            Some(_) => {
                problems.push(Detail {
                    code: ErrorCode::ParameterTypeInvalid,
                    message: "query must be a query string or an object of name → value".into(),
                    parameter: Some("query".into()),
                });
                QueryInput::Raw(String::new())
            }
        };
        if !problems.is_empty() {
            return Err(body::invalid(
                ErrorCode::RequestInvalid,
                "request",
                problems,
            ));
        }
        let parsed;
        let body = match map.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                parsed = body::parse_strict(s.as_bytes(), &Limits::default())?;
                Some(&parsed)
            }
            Some(v) => Some(v),
        };
        self.plan(&method, &path, &query, body)
    }

    /// Plans one request: method, raw path, query and body.
    ///
    /// # Errors
    /// `REQUEST_TARGET_INVALID` / `REQUEST_TOO_LARGE` for a hostile or oversized path,
    /// `ROUTE_NOT_FOUND` (nearest templates in the message), `METHOD_NOT_ALLOWED`, `ID_INVALID`,
    /// `QUERY_MALFORMED` for an undecodable raw query, `BODY_TOO_LARGE`, or `REQUEST_INVALID` with
    /// one detail per query or body problem.
    pub fn plan(
        &self,
        method: &str,
        path: &str,
        query: &QueryInput,
        body: Option<&Value>,
    ) -> Result<AnyPlan> {
        let segments = split_path(path)?;
        let template = self
            .find_template(&segments)
            .ok_or_else(|| self.not_found(path, &segments))?;
        let method_up = method.to_ascii_uppercase();
        let Some(op) = self.ops_of(template).find(|op| op.method == method_up) else {
            let allowed: Vec<&str> = self.ops_of(template).map(|op| op.method).collect();
            return Err(Error::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not allowed on {} ({}); allowed: {}",
                    show(method),
                    show(path),
                    self.template_path(template),
                    allowed.join(", ")
                ),
            ));
        };
        // Path ids.
        let mut details = Vec::new();
        let mut upstream = String::with_capacity(path.len());
        for (t, raw) in self
            .template_path(template)
            .trim_start_matches('/')
            .split('/')
            .zip(&segments)
        {
            upstream.push('/');
            match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => {
                    let id = check_id(name, raw, &mut details);
                    upstream.push_str(&id);
                }
                None => upstream.push_str(t),
            }
        }
        if !details.is_empty() {
            let message = details
                .iter()
                .map(|d| d.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::with_details(ErrorCode::IdInvalid, message, details));
        }
        // Query.
        let raw = match query {
            QueryInput::Raw(q) => parse_query(q)?,
            QueryInput::Pairs(pairs) => {
                if pairs.len() > MAX_PARAMETERS {
                    return Err(Error::new(
                        ErrorCode::RequestTooLarge,
                        format!("the query has more than {MAX_PARAMETERS} parameters"),
                    ));
                }
                let mut raw = Vec::with_capacity(pairs.len());
                for (name, v) in pairs {
                    match query_text(name, v) {
                        Ok(Some(value)) if value.len() > MAX_VALUE_BYTES => {
                            return Err(Error::new(
                                ErrorCode::RequestTooLarge,
                                format!("the value of {} is {} bytes; at most {MAX_VALUE_BYTES} are accepted", show(name), value.len()),
                            ))
                        }
                        Ok(Some(value)) => raw.push(RawParam { name: name.clone(), value: Some(value) }),
                        Ok(None) => {}
                        Err(p) => details.push(p.detail),
                    }
                }
                raw
            }
        };
        let (query, deprecations) = self.check_query(op, &raw, &mut details);
        // Body.
        let body = match (op.body, body) {
            (Some(root), Some(value)) => {
                let problems = self.schemas().check(root, value);
                if problems.is_empty() {
                    let text = value.to_string();
                    if text.len() > body::MAX_BODY_BYTES {
                        return Err(Error::new(
                            ErrorCode::BodyTooLarge,
                            format!(
                                "the body is {} bytes; at most {} are accepted",
                                text.len(),
                                body::MAX_BODY_BYTES
                            ),
                        ));
                    }
                    Some(text)
                } else {
                    details.extend(problems);
                    None
                }
            }
            (Some(_), None) => {
                details.push(Detail {
                    code: ErrorCode::BodyRequired,
                    message: format!(
                        "{} {} needs a body (Apple's {} document)",
                        op.method,
                        self.template_path(template),
                        op.apple_id
                    ),
                    parameter: Some("body".into()),
                });
                None
            }
            (None, Some(_)) => {
                details.push(Detail {
                    code: ErrorCode::BodyNotAllowed,
                    message: format!(
                        "{} {} takes no body; leave body out",
                        op.method,
                        self.template_path(template)
                    ),
                    parameter: Some("body".into()),
                });
                None
            }
            (None, None) => None,
        };
        if !details.is_empty() {
            return Err(body::invalid(ErrorCode::RequestInvalid, "request", details));
        }
        Ok(AnyPlan {
            method: op.method,
            path: upstream,
            query,
            body,
            operation_id: op.apple_id.clone(),
            template: self.template_path(template).to_owned(),
            deprecations,
        })
    }

    /// Checks and canonicalises the query of `op` (same rules as `crate::operations`).
    fn check_query(
        &self,
        op: &PackOperation,
        raw: &[RawParam],
        details: &mut Vec<Detail>,
    ) -> (String, Vec<Detail>) {
        let mut canonical: Vec<(&str, String)> = Vec::new();
        let mut deprecations = Vec::new();
        let mut cursor = None;
        let pageable = op.method == "GET"
            && op
                .params
                .iter()
                .any(|&p| self.param(p).param.name == "limit");
        for (i, p) in raw.iter().enumerate() {
            let name = p.name.as_str();
            if raw.iter().take(i).any(|q| q.name == name) {
                if raw.iter().take(i).filter(|q| q.name == name).count() == 1 {
                    details.push(problem(
                        ErrorCode::ParameterRepeated,
                        name,
                        format!("{} is given more than once; give it once (a list is one comma-separated value)", show(name)),
                        String::new(),
                    ).detail);
                }
                continue;
            }
            if name == CURSOR && pageable {
                let v = p.value.as_deref().unwrap_or_default();
                if v.is_empty()
                    || v.len() > MAX_CURSOR_BYTES
                    || !v.chars().all(|c| {
                        c.is_ascii_alphanumeric()
                            || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=')
                    })
                {
                    details.push(problem(
                        ErrorCode::ParameterTypeInvalid,
                        CURSOR,
                        "cursor must be the opaque token from a next link, unchanged (letters, digits and - . _ ~ + / =)".into(),
                        String::new(),
                    ).detail);
                } else {
                    cursor = Some(v.to_owned());
                }
                continue;
            }
            let Some(pp) = op
                .params
                .iter()
                .map(|&i| self.param(i))
                .find(|pp| pp.param.name == name)
            else {
                let names = op
                    .params
                    .iter()
                    .map(|&i| self.param(i).param.name)
                    .chain(pageable.then_some(CURSOR));
                let hint = match nearest(name, names.clone()) {
                    Some(n) => format!("did you mean {n}?"),
                    None if op.params.is_empty() => "it takes no query parameters".to_owned(),
                    None => format!(
                        "accepted: {}",
                        names.take(40).collect::<Vec<_>>().join(", ")
                    ),
                };
                details.push(
                    problem(
                        ErrorCode::ParameterUnknown,
                        name,
                        format!(
                            "{} is not a parameter of {} {} ({hint})",
                            show(name),
                            op.method,
                            op.apple_id
                        ),
                        String::new(),
                    )
                    .detail,
                );
                continue;
            };
            let value = if pp.single {
                single_value(pp.param, p.value.as_deref())
            } else {
                canonical_value(pp.param, p.value.as_deref())
            };
            match value {
                Ok(v) => {
                    if pp.param.deprecated {
                        deprecations.push(Detail {
                            code: ErrorCode::ParameterDeprecated,
                            message: format!("{name} is deprecated in Apple's spec {}; it still works but may be removed", self.spec_version()),
                            parameter: Some(name.to_owned()),
                        });
                    }
                    canonical.push((pp.param.name, v));
                }
                Err(problems) => details.extend(problems.into_iter().map(|p| p.detail)),
            }
        }
        for &i in &op.params {
            let pp = self.param(i);
            if pp.required && !raw.iter().any(|p| p.name == pp.param.name) {
                details.push(Detail {
                    code: ErrorCode::ParameterRequired,
                    message: format!(
                        "{} is required by {} {}",
                        pp.param.name, op.method, op.apple_id
                    ),
                    parameter: Some(pp.param.name.to_owned()),
                });
            }
        }
        canonical.sort_by(|a, b| a.0.cmp(b.0));
        let mut query = String::new();
        for (name, value) in &canonical {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(name);
            query.push('=');
            query.push_str(value);
        }
        if let Some(c) = cursor {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(CURSOR);
            query.push('=');
            encode_into(&c, &mut query);
        }
        (query, deprecations)
    }

    /// The 404 error with the nearest templates.
    fn not_found(&self, path: &str, segments: &[&str]) -> Error {
        let mut scored: Vec<(usize, usize)> = (0..self.template_count())
            .map(|t| {
                let parts: Vec<&str> = self
                    .template_path(t)
                    .trim_start_matches('/')
                    .split('/')
                    .collect();
                let mut score = parts.len().abs_diff(segments.len()) * 8;
                for (a, b) in parts.iter().zip(segments) {
                    if !a.starts_with('{') {
                        score +=
                            distance(&b.to_ascii_lowercase(), &a.to_ascii_lowercase(), 12).min(12);
                    }
                }
                (score, t)
            })
            .collect();
        scored.sort();
        let near: Vec<String> = scored
            .iter()
            .take(3)
            .map(|&(_, t)| {
                let methods: Vec<&str> = self.ops_of(t).map(|op| op.method).collect();
                format!("{} {}", methods.join(","), self.template_path(t))
            })
            .collect();
        Error::new(
            ErrorCode::RouteNotFound,
            format!(
                "no operation in Apple's App Store Connect API (spec {}) has the path {}; nearest: {}",
                self.spec_version(),
                show(path),
                near.join("; ")
            ),
        )
    }
}

/// A one-string parameter (`type: string`): one value, not split on commas.
fn single_value(
    param: &'static crate::operations::Parameter,
    value: Option<&str>,
) -> std::result::Result<String, Vec<Problem>> {
    let name = param.name;
    match value {
        None | Some("") => Err(vec![problem(
            ErrorCode::ParameterEmpty,
            name,
            format!("{name} is empty; give a value or leave the parameter out"),
            String::new(),
        )]),
        Some(v) if v.chars().any(char::is_control) => Err(vec![problem(
            ErrorCode::ParameterTypeInvalid,
            name,
            format!("{name} contains a control character"),
            String::new(),
        )]),
        Some(v) if !param.values.is_empty() && !param.values.contains(&v) => {
            Err(vec![enum_problem(param, v)])
        }
        Some(v) => Ok(encode(v)),
    }
}
