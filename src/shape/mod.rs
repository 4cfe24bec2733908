//! Apple's JSON:API answers to flat records; Apple errors to the gateway's error shape.
//!
//! [`shape_response`] takes the upstream status and body (as text) and returns the status and JSON
//! body for the caller. It never panics, whatever arrives.
//!
//! Success (2xx):
//! - `data` is an array (List Apps): `{"value": [record, ...], "nextLink": "...", "total": n}`.
//!   `nextLink` is present when Apple's `links.next` is; it is `base_url + path + "?" + query +
//!   "&cursor=" + cursor` (no `&` when the query is empty). A `links.next` that is not on
//!   [`ShapeContext::upstream_origin`] or has no usable `cursor` makes the page a 502
//!   `UPSTREAM_BAD_RESPONSE`: never followed, never shown, and never a list that silently ends
//!   early. `total` is `meta.paging.total` when Apple sends it.
//! - `data` is an object (Read App Information): the record itself.
//! - Records: see [`records`](self) rules — `id`, `type`, attributes at the top level (nulls and
//!   attributes Apple adds later kept, Apple's order kept), `appStoreUrl` for apps, relationships
//!   with `data` resolved from `included` (to-many → array, to-one → record or null, unknown →
//!   `{id, type}`), relationships without `data` omitted, no `links`/`relationships`/`meta`.
//!   An attribute named `id`/`type` is renamed `attributeId`/`attributeType`; relationships of
//!   included resources stay `{id, type}` records (one level, no cycles).
//! - Raw mode ([`ShapeContext::raw`]): Apple's document unchanged except `links.next`, which is
//!   rewritten to the gateway's next link (and refused, as above, when it points elsewhere).
//!
//! Errors (upstream_error.rs): status ≥ 400 keeps 4xx statuses and
//! maps 5xx to 502; unusable bodies (empty, not JSON, cut off, no `data`) give 502
//! `UPSTREAM_BAD_RESPONSE` describing what arrived.

pub(crate) mod links;
#[cfg(any(test, fuzzing))]
mod oracle;
mod upstream_error;

use serde_json::Value;

use links::{gateway_next_link, next_cursor};

use crate::error::Error;
use asc_connector_scan::parse::{self, Data, Item, Top};
use asc_connector_scan::records;
use upstream_error::{bad_response, describe_json, describe_unparsable, strip_bom, upstream_error};

/// What the shaper needs to know about the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShapeContext {
    /// The operation id, e.g. `ListApps`.
    pub operation_id: String,
    /// The gateway's public base URL, e.g. `https://gw.example.com` (no trailing slash).
    pub base_url: String,
    /// The path the caller used (same as upstream), e.g. `/v1/apps`.
    pub path: String,
    /// The canonical query without `cursor` (`Plan::paging_query`).
    pub query: String,
    /// The upstream origin, e.g. `https://api.appstoreconnect.apple.com`; next links elsewhere are dropped.
    pub upstream_origin: String,
    /// Return Apple's JSON:API document instead of records.
    pub raw: bool,
    /// For a write: how to check whether it was applied (the operation's `outcome_hint`). Apple's
    /// 5xx answer to a write says the change may have been applied and adds this; a 2xx answer that
    /// cannot be read says the change was made.
    pub outcome_hint: String,
}

/// The caller-facing answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shaped {
    /// HTTP status for the caller.
    pub status: u16,
    /// JSON body for the caller.
    pub body: String,
}

/// Shapes one upstream answer. Never panics, whatever the input.
#[must_use]
pub fn shape_response(ctx: &ShapeContext, upstream_status: u16, upstream_body: &str) -> Shaped {
    shape_with(ctx, upstream_status, upstream_body, shape_records)
}

/// The previous implementation's answer (serde visitors; kept as the oracle of the scanner), for
/// the differential fuzz target. Only built under cargo-fuzz.
#[cfg(fuzzing)]
#[doc(hidden)]
#[must_use]
pub fn shape_response_oracle(
    ctx: &ShapeContext,
    upstream_status: u16,
    upstream_body: &str,
) -> Shaped {
    shape_with(ctx, upstream_status, upstream_body, oracle::shape_records)
}

/// [`shape_response`] with the reader of success documents given (the scanner, or the oracle in
/// tests).
fn shape_with(
    ctx: &ShapeContext,
    upstream_status: u16,
    upstream_body: &str,
    shape_records: fn(&ShapeContext, u16, &str) -> Shaped,
) -> Shaped {
    match upstream_status {
        // Apple's answer to a delete or a relationship change: no body, passed on as it is (a read
        // never expects one, so there it stays an unusable answer).
        204 if crate::operations::find_operation(&ctx.operation_id)
            .is_some_and(|op| op.kind.is_write()) =>
        {
            Shaped {
                status: 204,
                body: String::new(),
            }
        }
        200..=299 => {
            let shaped = if ctx.raw {
                shape_raw(ctx, upstream_status, upstream_body)
            } else {
                shape_records(ctx, upstream_status, upstream_body)
            };
            // A write Apple accepted whose answer cannot be read: the change was made.
            if shaped.status >= 500 && !ctx.outcome_hint.is_empty() {
                with_note(
                    shaped,
                    &format!(
                        " App Store Connect answered {upstream_status}, so the change was made; \
                         do not send it again. To see it: {}.",
                        ctx.outcome_hint
                    ),
                )
            } else {
                shaped
            }
        }
        500..=599 if !ctx.outcome_hint.is_empty() => with_note(
            upstream_error(upstream_status, upstream_body),
            &format!(
                " The change may have been applied; it was not sent again. To check: {}.",
                ctx.outcome_hint
            ),
        ),
        400..=599 => upstream_error(upstream_status, upstream_body),
        other => bad_response(&format!("an unexpected HTTP status {other}")),
    }
}

/// Adds `note` to the message of an error answer to a write: after Apple's 5xx the change may or
/// may not have been applied; after a 2xx whose body cannot be read it was. Either way the gateway
/// did not send it again, and the note says how to check.
fn with_note(shaped: Shaped, note: &str) -> Shaped {
    let Ok(mut doc) = serde_json::from_str::<Value>(&shaped.body) else {
        return shaped;
    };
    if let Some(Value::String(message)) = doc.pointer_mut("/error/message") {
        message.push_str(note);
    }
    Shaped {
        status: shaped.status,
        body: crate::error::json_text(&doc),
    }
}

/// The gateway's error document for `error`, as a JSON string.
#[must_use]
pub fn error_document(error: &Error) -> String {
    crate::error::json_text(&error.to_document())
}

/// The caller-facing answer for `error` (its status and error document).
#[must_use]
pub fn error_response(error: &Error) -> Shaped {
    Shaped {
        status: error.http_status(),
        body: error_document(error),
    }
}

/// Success answers shaped into records: one pass of the scanner (`parse.rs`) over the body, then
/// the records written straight into the answer (`records.rs`).
#[allow(clippy::single_char_add_str)] // as in records.rs: `push` would encode a `char`
fn shape_records(ctx: &ShapeContext, status: u16, body: &str) -> Shaped {
    let body = strip_bom(body);
    let doc = match parse::document(body) {
        Ok(Top::Doc(doc)) => doc,
        Ok(Top::NotObject(kind)) => {
            return bad_response(&format!("JSON that is {kind}, not a JSON:API document"))
        }
        Err(bad) => {
            return bad_response(&describe_unparsable(body, &parse::serde_error(body, bad)))
        }
    };
    let index = records::index(&doc.included);
    // The records are about as long as the page without its links.
    let mut out = String::with_capacity(body.len() / 2);
    match &doc.data {
        Data::Missing => return bad_response("JSON without a data member"),
        Data::Other(kind) => {
            return bad_response(&format!(
                "JSON whose data member is {kind}, not a resource or a list"
            ))
        }
        Data::One(res) => records::write_resource(&mut out, res, Some(&index)),
        Data::Many(items) => {
            let mut resources = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Item::Res(res) => resources.push(res),
                    Item::NotObject(kind) => {
                        return bad_response(&format!(
                            "JSON whose data item {i} is {kind}, not a resource object"
                        ))
                    }
                }
            }
            let next_link = match next_link_for(ctx, doc.links.as_ref()) {
                Ok(link) => link,
                Err(refused) => return refused,
            };
            let total = doc
                .meta
                .as_ref()
                .and_then(|m| m.get("paging"))
                .and_then(|p| p.get("total"))
                .and_then(Value::as_u64);
            out.push_str("{\"value\":[");
            for (i, res) in resources.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",");
                }
                records::write_resource(&mut out, res, Some(&index));
            }
            out.push_str("]");
            if let Some(link) = next_link {
                out.push_str(",\"nextLink\":");
                records::write_str(&mut out, &link);
            }
            if let Some(total) = total {
                out.push_str(",\"total\":");
                out.push_str(&total.to_string());
            }
            out.push_str("}");
        }
    }
    Shaped { status, body: out }
}

/// The gateway's next link for Apple's `links.next`: `Ok(None)` on the last page (no `next`, or
/// `null`), the gateway URL carrying Apple's cursor when the link is on the upstream origin, and a
/// 502 otherwise. A next link elsewhere (another host, no usable cursor) is never followed or
/// shown; answering the page as if it were the last one would hand the flow an incomplete list
/// without saying so, so the page is refused instead.
fn next_link_for(ctx: &ShapeContext, links: Option<&Value>) -> Result<Option<String>, Shaped> {
    let next = match links.and_then(|l| l.get("next")) {
        None | Some(Value::Null) => return Ok(None),
        Some(next) => next,
    };
    links::link_href(next)
        .and_then(|href| next_cursor(href, &ctx.upstream_origin))
        .map(|cursor| Some(gateway_next_link(ctx, &cursor)))
        .ok_or_else(|| {
            bad_response(
                "a next-page link that is not on App Store Connect's own address or has no usable \
                 cursor; the gateway never follows links elsewhere, so it refuses the page rather \
                 than return a list that silently ends early",
            )
        })
}

/// Raw mode: Apple's document with only `links.next` rewritten to the gateway's URL.
fn shape_raw(ctx: &ShapeContext, status: u16, body: &str) -> Shaped {
    let body = strip_bom(body);
    let mut doc: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return bad_response(&describe_unparsable(body, &e)),
    };
    if !matches!(doc.get("data"), Some(Value::Array(_) | Value::Object(_))) {
        return bad_response(&describe_json(&doc));
    }
    let rewritten = match next_link_for(ctx, doc.get("links")) {
        Ok(link) => link,
        Err(refused) => return refused,
    };
    if let (Some(url), Some(links)) = (
        rewritten,
        doc.get_mut("links").and_then(Value::as_object_mut),
    ) {
        links.insert("next".into(), Value::String(url));
    }
    Shaped {
        status,
        body: crate::error::json_text(&doc),
    }
}
