//! Apple's error answers (and answers that are not usable at all) to the gateway's error document.
//!
//! - Status ≥ 400: the code follows the status (400 `UPSTREAM_BAD_REQUEST`, 401
//!   `UPSTREAM_UNAUTHORIZED`, 403 `UPSTREAM_FORBIDDEN`, 404 `UPSTREAM_NOT_FOUND`, 429
//!   `UPSTREAM_RATE_LIMITED`, other 4xx `UPSTREAM_REJECTED`, 5xx `UPSTREAM_SERVER_ERROR`), whether
//!   the body is Apple's `{"errors": [...]}` or not (406 answers are plain text). 4xx statuses are
//!   kept; every 5xx becomes 502 (the gateway's own upstream failure status; the message names
//!   Apple's status). Each Apple error becomes one [`UpstreamDetail`].
//! - Anything unusable (empty, not JSON, cut off, not a JSON:API document, 1xx/3xx statuses):
//!   502 `UPSTREAM_BAD_RESPONSE` with a message that describes what arrived. At most a 40-character
//!   sanitised prefix of the text is quoted, never more, and never token-like text.

use super::Shaped;
use crate::error::{json_text, Error, ErrorCode};
use serde_json::Value;

/// Longest Apple string copied into a detail (characters).
const MAX_TEXT: usize = 1000;
/// Longest prefix of an unusable body quoted in a message (characters).
const MAX_PREFIX: usize = 40;
/// Most Apple errors copied into details.
const MAX_DETAILS: usize = 50;

/// One error from Apple's error document, as the gateway reports it in `error.details`.
///
/// `code` and `message` are always present, as in [`crate::Detail`]; the rest is copied from
/// Apple's error when present (as strings, cut to 1000 characters, control characters removed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamDetail {
    /// The gateway code for this error's own status (Apple can report several statuses at once).
    pub code: ErrorCode,
    /// Apple's `detail`, or its `title` when there is no detail.
    pub message: String,
    /// Apple's hierarchical code, e.g. `PARAMETER_ERROR.INVALID` (match by prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apple_code: Option<String>,
    /// Apple's `status` for this error (a string in Apple's documents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apple_status: Option<String>,
    /// Apple's `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Apple's `detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The query parameter concerned (`source.parameter`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// A JSON pointer into the request body (`source.pointer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Apple's id for this error instance (quote it to Apple when asking for help).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The gateway code for an upstream HTTP error status (≥ 400).
#[must_use]
pub fn code_for_status(status: u16) -> ErrorCode {
    match status {
        400 => ErrorCode::UpstreamBadRequest,
        401 => ErrorCode::UpstreamUnauthorized,
        403 => ErrorCode::UpstreamForbidden,
        404 => ErrorCode::UpstreamNotFound,
        429 => ErrorCode::UpstreamRateLimited,
        500..=599 => ErrorCode::UpstreamServerError,
        _ => ErrorCode::UpstreamRejected,
    }
}

/// The status the caller gets for an upstream error status: 4xx kept, 5xx → 502.
#[must_use]
pub fn caller_status(upstream_status: u16) -> u16 {
    if (500..=599).contains(&upstream_status) {
        502
    } else {
        upstream_status
    }
}

/// Apple's errors prefix for missing agreements (matched by prefix: Apple can add levels).
const AGREEMENTS_PREFIX: &str = "FORBIDDEN.REQUIRED_AGREEMENTS";

/// What the caller can do about an upstream error status.
fn hint(status: u16, agreements: bool) -> &'static str {
    match status {
        400 => "App Store Connect rejected the request's parameters; the details name the parameter and what Apple accepts.",
        401 => "App Store Connect did not accept the token. Usual causes: the clock of the machine that signs runs fast (iat or exp in the future); the key ID does not belong to this .p8 key; the issuer ID is from another team; an individual key was used as a team key or the other way round (individual keys need X-ASC-Key-Type: individual and no issuer ID); the key was revoked; or the signature was DER-encoded instead of raw r||s.",
        403 if agreements => "App Store Connect refuses API access until the latest agreements are accepted: the Account Holder must accept them in App Store Connect > Business (Agreements, Tax, and Banking).",
        403 => "App Store Connect refused this request for this key: the key's role lacks access to it (App Manager or Admin may be needed), or it is an individual key, which cannot use some endpoints.",
        404 => "App Store Connect has no such resource, or the key's role cannot see it; check the id in the path.",
        429 => "This API key used up its hourly request limit (usually 3600 requests per rolling hour, per key). Wait and try again later; the X-Rate-Limit header shows what remains.",
        406 => "App Store Connect cannot answer in the requested format (406).",
        500..=599 => "App Store Connect had a server error or is temporarily unavailable; try again later and check Apple's Developer System Status page.",
        _ => "App Store Connect rejected the request.",
    }
}

/// Removes control characters and cuts to `max` characters.
fn clean(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// A string member of an Apple error; numbers are accepted as their text (Apple's `status`).
fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(clean(s, MAX_TEXT)),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// One Apple error object to a detail (`None` when it is not an object).
fn detail_of(err: &Value, fallback: ErrorCode) -> Option<UpstreamDetail> {
    let obj = err.as_object()?;
    let apple_status = text(obj.get("status"));
    let code = apple_status
        .as_deref()
        .and_then(|s| s.trim().parse::<u16>().ok())
        .filter(|s| (400..=599).contains(s))
        .map_or(fallback, code_for_status);
    let title = text(obj.get("title"));
    let detail = text(obj.get("detail"));
    let apple_code = text(obj.get("code"));
    let source = obj.get("source");
    let message = detail
        .clone()
        .or_else(|| title.clone())
        .or_else(|| apple_code.clone())
        .unwrap_or_else(|| "App Store Connect gave no description".to_owned());
    Some(UpstreamDetail {
        code,
        message,
        apple_code,
        apple_status,
        title,
        detail,
        parameter: text(source.and_then(|s| s.get("parameter"))),
        pointer: text(source.and_then(|s| s.get("pointer"))),
        id: text(obj.get("id")),
    })
}

/// The error document for an upstream status ≥ 400 and its body.
pub(crate) fn upstream_error(status: u16, body: &str) -> Shaped {
    let code = code_for_status(status);
    let body = strip_bom(body);
    let parsed = serde_json::from_str::<Value>(body);
    let errors: Option<&Vec<Value>> = match &parsed {
        Ok(v) => v.get("errors").and_then(Value::as_array),
        Err(_) => None,
    };
    let details: Vec<UpstreamDetail> = errors
        .map(|list| {
            list.iter()
                .filter_map(|e| detail_of(e, code))
                .take(MAX_DETAILS)
                .collect()
        })
        .unwrap_or_default();
    let agreements = status == 403
        && details.iter().any(|d| {
            d.apple_code
                .as_deref()
                .is_some_and(|c| c.starts_with(AGREEMENTS_PREFIX))
        });
    let what = match (&parsed, details.first()) {
        (_, Some(first)) => {
            let label = match (&first.apple_code, &first.title) {
                (Some(c), Some(t)) => format!("{c}: {t}"),
                (Some(c), None) => c.clone(),
                (None, Some(t)) => t.clone(),
                (None, None) => first.message.clone(),
            };
            let more = if details.len() > 1 {
                format!(" (and {} more, see details)", details.len() - 1)
            } else {
                String::new()
            };
            format!("App Store Connect answered {status} ({label}){more}.")
        }
        (Ok(v), None) => format!(
            "App Store Connect answered {status} with {} instead of an error document.",
            describe_json(v)
        ),
        (Err(e), None) => format!(
            "App Store Connect answered {status} with {}.",
            describe_unparsable(body, e)
        ),
    };
    let message = format!("{what} {}", hint(status, agreements));
    let error = Error::new(code, message);
    let mut doc = error.to_document_with_status(caller_status(status));
    if !details.is_empty() {
        if let (Some(inner), Ok(list)) = (
            doc.get_mut("error").and_then(Value::as_object_mut),
            serde_json::to_value(&details),
        ) {
            inner.insert("details".into(), list);
        }
    }
    Shaped {
        status: caller_status(status),
        body: json_text(&doc),
    }
}

/// The 502 `UPSTREAM_BAD_RESPONSE` answer; `what` says what arrived.
pub(crate) fn bad_response(what: &str) -> Shaped {
    let error = Error::new(
        ErrorCode::UpstreamBadResponse,
        format!("App Store Connect sent a response the gateway cannot use: {what}."),
    );
    Shaped {
        status: error.http_status(),
        body: json_text(&error.to_document()),
    }
}

/// The body without a leading byte order mark.
pub(crate) fn strip_bom(body: &str) -> &str {
    body.strip_prefix('\u{feff}').unwrap_or(body)
}

/// A short, safe quotation of the start of some upstream text.
fn prefix(text: &str) -> String {
    let p: String = text
        .trim_start()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PREFIX)
        .collect();
    // Never quote anything that looks like a token, an authorization header or key material.
    let lower = p.to_ascii_lowercase();
    if p.contains("eyJ") || lower.contains("bearer") || lower.contains("-----begin") {
        return "[text withheld: it looks like credentials]".to_owned();
    }
    format!("{p:?}")
}

/// Describes a body that is not valid JSON (`err` is serde_json's parse error).
pub(crate) fn describe_unparsable(body: &str, err: &serde_json::Error) -> String {
    let trimmed = body.trim_start();
    if body.is_empty() {
        return "an empty body".to_owned();
    }
    if trimmed.is_empty() {
        return format!("a body of only {} whitespace bytes", body.len());
    }
    if trimmed.starts_with('<') {
        let head: String = trimmed
            .chars()
            .take(200)
            .collect::<String>()
            .to_ascii_lowercase();
        let kind = if head.contains("<html") || head.contains("<!doctype html") {
            "HTML"
        } else {
            "markup (XML or HTML)"
        };
        return format!("{kind} starting with {}", prefix(trimmed));
    }
    let looks_json = trimmed.starts_with(['{', '[', '"']);
    let msg = err.to_string();
    if err.is_eof() {
        if looks_json {
            return format!("JSON cut off after {} bytes", body.len());
        }
        return format!(
            "text cut off after {} bytes, starting with {}",
            body.len(),
            prefix(trimmed)
        );
    }
    if msg.contains("recursion limit") {
        return "JSON nested more than 128 levels deep".to_owned();
    }
    if msg.contains("number out of range") {
        return format!(
            "JSON with a number too large to represent (line {}, column {})",
            err.line(),
            err.column()
        );
    }
    if looks_json {
        return format!(
            "malformed JSON ({} bytes, first error at line {}, column {})",
            body.len(),
            err.line(),
            err.column()
        );
    }
    format!("text that is not JSON, starting with {}", prefix(trimmed))
}

/// Describes valid JSON that is not a usable document.
pub(crate) fn describe_json(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "an empty JSON object".to_owned(),
        Value::Object(m) => match m.get("data") {
            None => "JSON without a data member".to_owned(),
            Some(d) => format!(
                "JSON whose data member is {}, not a resource or a list",
                asc_connector_scan::parse::kind_of(d)
            ),
        },
        other => format!(
            "JSON that is {}, not a JSON:API document",
            asc_connector_scan::parse::kind_of(other)
        ),
    }
}
