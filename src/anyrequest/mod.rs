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

pub use pack::{PackOperation, PackParam, SpecPack, PACK_FORMAT};

use crate::body::{self, Limits};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::operations::encoding::{decode, encode, encode_into, is_unreserved, show};
use crate::operations::suggest::{distance, nearest};
use crate::operations::{
    canonical_value, enum_problem, parse_query, problem, Problem, RawParam, CURSOR,
    MAX_CURSOR_BYTES, MAX_PARAMETERS, MAX_PATH_BYTES, MAX_VALUE_BYTES,
};
use serde_json::{Map, Value};

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
    /// The envelope asked for flat records (`"shape": true`); the planner only checks it is a
    /// boolean, the caller (the gateway's `POST /v1/request`) acts on it. Left out when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shape: bool,
}

/// The query of a request: a raw query string or a JSON object of name → value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueryInput<'a> {
    /// `a=1&b=x%2Cy`, without the leading `?`.
    Raw(&'a str),
    /// Values are strings (Apple's form), numbers, booleans, arrays of those, or null (left out).
    Object(&'a Map<String, Value>),
}

/// A detail naming `parameter`.
#[inline(never)]
fn detail(code: ErrorCode, parameter: &str, message: String) -> Detail {
    Detail {
        code,
        message,
        parameter: Some(parameter.to_owned()),
    }
}

fn target_invalid(path: &str, what: &str) -> Error {
    Error::new(
        ErrorCode::RequestTargetInvalid,
        format!(
            "the path {} {what}; give a path of Apple's API such as /v1/apps/6446998023 (not a URL), the query separately",
            show(path)
        ),
    )
}

/// Checks a caller's path and splits it into raw segments (without the leading `/`).
fn split_path(path: &str) -> Result<Vec<&str>> {
    if path.len() > MAX_PATH_BYTES {
        return Err(Error::new(
            ErrorCode::RequestTooLarge,
            format!("the path is longer than {MAX_PATH_BYTES} bytes"),
        ));
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(target_invalid(path, "does not start with '/'"));
    };
    if path
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '?' | '#' | '\\'))
    {
        return Err(target_invalid(
            path,
            "contains a space, control character, backslash, '?' or '#'",
        ));
    }
    let segments: Vec<&str> = rest.split('/').collect();
    for seg in &segments {
        let ok = decode(seg, false).is_ok_and(|d| {
            !d.is_empty()
                && d != "."
                && d != ".."
                && !d.contains(['/', '\\', ':'])
                && !d.chars().any(char::is_control)
        });
        if !ok {
            return Err(target_invalid(
                path,
                "has an empty, '.' or '..' segment, an encoded slash, backslash, colon or control character, or bad percent-encoding",
            ));
        }
    }
    Ok(segments)
}

/// A JSON query value in Apple's text form (`None` for null), or why not.
fn query_text(v: &Value) -> std::result::Result<Option<String>, &'static str> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match scalar(item) {
                    Some(s) if !s.contains(',') => parts.push(s),
                    _ => return Err("has an array item that is not a string, number or true/false, or contains a comma"),
                }
            }
            Ok(Some(parts.join(",")))
        }
        Value::Object(_) => Err("is an object"),
        _ => Ok(scalar(v)),
    }
}

impl SpecPack {
    /// Plans one request given as a JSON envelope `{method, path, query?, body?}` (bytes), read with
    /// the strict intake of `crate::body` (so duplicate keys anywhere are refused).
    ///
    /// # Errors
    /// The intake errors, then as [`SpecPack::plan_value`].
    pub fn plan_json(&self, envelope: &[u8]) -> Result<AnyPlan> {
        let limits = Limits {
            max_bytes: MAX_ENVELOPE_BYTES,
            max_depth: body::MAX_DEPTH + 1,
        };
        self.plan_value(&body::parse_strict(envelope, &limits)?)
    }

    /// Plans one request given as a parsed envelope `{method, path, query?, body?, shape?}`. `query`
    /// is a string or an object; `body` a JSON value or its JSON text; `shape` true or false (kept in
    /// [`AnyPlan::shape`]).
    ///
    /// # Errors
    /// `REQUEST_INVALID` for a malformed envelope (unknown member, missing method or path), the
    /// intake errors of a body given as text, then as [`SpecPack::plan`].
    pub fn plan_value(&self, envelope: &Value) -> Result<AnyPlan> {
        let empty = Map::new();
        let map = envelope.as_object().unwrap_or(&empty);
        let mut problems = Vec::new();
        for key in map.keys() {
            if !matches!(key.as_str(), "method" | "path" | "query" | "body" | "shape") {
                problems.push(detail(
                    ErrorCode::ParameterUnknown,
                    key,
                    format!(
                        "{} is not a member of the request (method, path, query, body, shape)",
                        show(key)
                    ),
                ));
            }
        }
        let shape = match map.get("shape") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                problems.push(detail(
                    ErrorCode::ParameterTypeInvalid,
                    "shape",
                    "shape must be true (flat records) or false (Apple's document)".into(),
                ));
                false
            }
        };
        let mut text = |key: &str| {
            let v = map.get(key).and_then(Value::as_str);
            if v.is_none() {
                problems.push(detail(
                    ErrorCode::ParameterRequired,
                    key,
                    format!("{key} is required and must be a string"),
                ));
            }
            v.unwrap_or_default()
        };
        let method = text("method");
        let path = text("path");
        let query = match map.get("query") {
            None | Some(Value::Null) => QueryInput::Raw(""),
            Some(Value::String(s)) => QueryInput::Raw(s.strip_prefix('?').unwrap_or(s)),
            Some(Value::Object(m)) => QueryInput::Object(m),
            Some(_) => {
                problems.push(detail(
                    ErrorCode::ParameterTypeInvalid,
                    "query",
                    "query must be a query string or an object of name → value".into(),
                ));
                QueryInput::Raw("")
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
        let mut plan = self.plan(method, path, query, body)?;
        plan.shape = shape;
        Ok(plan)
    }

    /// Plans one request: method (any case), raw path, query and body.
    ///
    /// # Errors
    /// `REQUEST_TARGET_INVALID` / `REQUEST_TOO_LARGE` for a hostile or oversized path or query,
    /// `ROUTE_NOT_FOUND` (nearest templates in the message), `METHOD_NOT_ALLOWED`, `ID_INVALID`,
    /// `QUERY_MALFORMED` for an undecodable raw query, `BODY_TOO_LARGE`, or `REQUEST_INVALID` with
    /// one detail per query or body problem.
    pub fn plan(
        &self,
        method: &str,
        path: &str,
        query: QueryInput<'_>,
        body: Option<&Value>,
    ) -> Result<AnyPlan> {
        let segments = split_path(path)?;
        let t = self
            .find_template(&segments)
            .ok_or_else(|| self.not_found(path, &segments))?;
        let template = self.template_path(t);
        let Some(op) = self
            .ops_of(t)
            .find(|op| op.method.eq_ignore_ascii_case(method))
        else {
            let allowed: Vec<&str> = self.ops_of(t).map(|op| op.method).collect();
            return Err(Error::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not allowed on {template}; allowed: {}",
                    show(method),
                    allowed.join(", ")
                ),
            ));
        };
        // Path ids: 1 to MAX_ID_CHARS URL-safe characters.
        let mut upstream = String::with_capacity(path.len());
        for (lit, raw) in template.trim_start_matches('/').split('/').zip(&segments) {
            upstream.push('/');
            if lit.starts_with('{') {
                let id = decode(raw, false).unwrap_or_default();
                if id.len() > MAX_ID_CHARS || !id.bytes().all(is_unreserved) {
                    let message = format!(
                        "the id in the path, {}, is not an id: 1 to {MAX_ID_CHARS} characters of A-Z a-z 0-9 - . _ ~",
                        show(&id)
                    );
                    let d = detail(
                        ErrorCode::IdInvalid,
                        lit.trim_matches(['{', '}']),
                        message.clone(),
                    );
                    return Err(Error::with_details(ErrorCode::IdInvalid, message, vec![d]));
                }
                upstream.push_str(&id);
            } else {
                upstream.push_str(lit);
            }
        }
        let mut details = Vec::new();
        let raw = match query {
            QueryInput::Raw(q) => parse_query(q)?,
            QueryInput::Object(map) => {
                let mut raw = Vec::with_capacity(map.len());
                for (name, v) in map {
                    match query_text(v) {
                        Ok(Some(value)) => raw.push(RawParam {
                            name: name.clone(),
                            value: Some(value),
                        }),
                        Ok(None) => {}
                        Err(why) => details.push(detail(
                            ErrorCode::ParameterTypeInvalid,
                            name,
                            format!("{name} {why}"),
                        )),
                    }
                }
                if raw.len() > MAX_PARAMETERS
                    || raw
                        .iter()
                        .any(|p| p.value.as_ref().is_some_and(|v| v.len() > MAX_VALUE_BYTES))
                {
                    return Err(Error::new(
                        ErrorCode::RequestTooLarge,
                        format!("the query has more than {MAX_PARAMETERS} parameters or a value longer than {MAX_VALUE_BYTES} bytes"),
                    ));
                }
                raw
            }
        };
        let (query, deprecations) = self.check_query(op, &raw, &mut details);
        let mut text = None;
        match (op.body, body) {
            (Some(root), Some(value)) => {
                let problems = self.schemas().check(root, value);
                if problems.is_empty() {
                    text = Some(value.to_string());
                }
                details.extend(problems);
            }
            (None, None) => {}
            (root, _) => details.push(detail(
                if root.is_some() {
                    ErrorCode::BodyRequired
                } else {
                    ErrorCode::BodyNotAllowed
                },
                "body",
                format!(
                    "{} {template} {}",
                    op.method,
                    if root.is_some() {
                        "needs a body (Apple's JSON:API document)"
                    } else {
                        "takes no body; leave body out"
                    }
                ),
            )),
        }
        if !details.is_empty() {
            return Err(body::invalid(ErrorCode::RequestInvalid, "request", details));
        }
        if text
            .as_ref()
            .is_some_and(|b| b.len() > body::MAX_BODY_BYTES)
        {
            return Err(Error::new(
                ErrorCode::BodyTooLarge,
                format!("the body is larger than {} bytes", body::MAX_BODY_BYTES),
            ));
        }
        Ok(AnyPlan {
            method: op.method,
            path: upstream,
            query,
            body: text,
            operation_id: op.apple_id.clone(),
            template: template.to_owned(),
            deprecations,
            shape: false,
        })
    }

    /// Checks and canonicalises the query of `op` (values by the same code as `crate::operations`).
    fn check_query(
        &self,
        op: &PackOperation,
        raw: &[RawParam],
        details: &mut Vec<Detail>,
    ) -> (String, Vec<Detail>) {
        let params = || op.params.iter().map(|&i| self.param(i));
        let pageable = op.method == "GET" && params().any(|p| p.param.name == "limit");
        let mut canonical: Vec<(&str, String)> = Vec::new();
        let mut deprecations = Vec::new();
        let mut cursor = None;
        for (i, p) in raw.iter().enumerate() {
            let name = p.name.as_str();
            let earlier = raw.iter().take(i).filter(|q| q.name == name).count();
            if earlier > 0 {
                if earlier == 1 {
                    details.push(detail(
                        ErrorCode::ParameterRepeated,
                        name,
                        format!(
                            "{} is given more than once (a list is one comma-separated value)",
                            show(name)
                        ),
                    ));
                }
                continue;
            }
            if name == CURSOR && pageable {
                let v = p.value.as_deref().unwrap_or_default();
                if v.is_empty()
                    || v.len() > MAX_CURSOR_BYTES
                    || !v
                        .bytes()
                        .all(|c| is_unreserved(c) || matches!(c, b'+' | b'/' | b'='))
                {
                    details.push(detail(
                        ErrorCode::ParameterTypeInvalid,
                        CURSOR,
                        "cursor must be the token from a next link, unchanged".into(),
                    ));
                }
                cursor = Some(v);
                continue;
            }
            let Some(pp) = params().find(|pp| pp.param.name == name) else {
                let names = params()
                    .map(|pp| pp.param.name)
                    .chain(pageable.then_some(CURSOR));
                let hint = match nearest(name, names.clone()) {
                    Some(n) => format!("did you mean {n}?"),
                    None => format!(
                        "accepted: {}",
                        names.take(40).collect::<Vec<_>>().join(", ")
                    ),
                };
                details.push(detail(
                    ErrorCode::ParameterUnknown,
                    name,
                    format!(
                        "{} is not a parameter of {} ({hint})",
                        show(name),
                        op.apple_id
                    ),
                ));
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
                        deprecations.push(detail(
                            ErrorCode::ParameterDeprecated,
                            name,
                            format!("{name} is deprecated in Apple's spec; it still works but may be removed"),
                        ));
                    }
                    // Insertion keeps `canonical` sorted by name (byte-wise), as `crate::operations`.
                    let at = canonical.partition_point(|(n, _)| *n < pp.param.name);
                    canonical.insert(at, (pp.param.name, v));
                }
                Err(problems) => details.extend(problems.into_iter().map(|p| p.detail)),
            }
        }
        for pp in params() {
            if pp.required && !raw.iter().any(|p| p.name == pp.param.name) {
                details.push(detail(
                    ErrorCode::ParameterRequired,
                    pp.param.name,
                    format!("{} is required by {}", pp.param.name, op.apple_id),
                ));
            }
        }
        let mut query = String::new();
        for (name, value) in &canonical {
            query.push_str(name);
            query.push('=');
            query.push_str(value);
            query.push('&');
        }
        if let Some(c) = cursor {
            query.push_str(CURSOR);
            query.push('=');
            encode_into(c, &mut query);
        }
        if query.ends_with('&') {
            query.pop();
        }
        (query, deprecations)
    }

    /// The 404 error with the three nearest templates.
    fn not_found(&self, path: &str, segments: &[&str]) -> Error {
        let mut best = [(usize::MAX, 0usize); 3];
        for t in 0..self.template_count() {
            let parts: Vec<&str> = self
                .template_path(t)
                .trim_start_matches('/')
                .split('/')
                .collect();
            let mut score = parts.len().abs_diff(segments.len()) * 8;
            for (a, b) in parts.iter().zip(segments) {
                if !a.starts_with('{') {
                    score += distance(&b.to_ascii_lowercase(), &a.to_ascii_lowercase(), 12);
                }
            }
            let mut item = (score, t);
            for slot in &mut best {
                if item.0 < slot.0 {
                    std::mem::swap(slot, &mut item);
                }
            }
        }
        let near: Vec<String> = best
            .iter()
            .filter(|(s, _)| *s < usize::MAX)
            .map(|&(_, t)| {
                let methods: Vec<&str> = self.ops_of(t).map(|op| op.method).collect();
                format!("{} {}", methods.join(","), self.template_path(t))
            })
            .collect();
        Error::new(
            ErrorCode::RouteNotFound,
            format!(
                "no operation of Apple's App Store Connect API (spec {}) has the path {}; nearest: {}",
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
        Some(v) if !param.values.is_empty() && !param.allows_value(v) => {
            Err(vec![enum_problem(param, v)])
        }
        Some(v) => Ok(encode(v)),
    }
}
