//! Paging links: checks that Apple's `links.next` stays on the upstream origin, takes its `cursor`
//! and builds the gateway's own `nextLink` from it.
//!
//! A next link that points anywhere else (another host, port or scheme, user info, backslashes) is
//! never followed or exposed: the gateway only ever pages the origin it is configured for.

use super::ShapeContext;
use crate::operations::encoding::{decode, encode};

/// The origin (`scheme://host[:port]`, lower case, default port left out) of an absolute
/// `http`/`https` URL, or `None` when the text is not one or has user info or odd characters.
#[must_use]
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    if authority.is_empty()
        || authority
            .chars()
            .any(|c| c == '@' || c == '\\' || c == '%' || c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            let trimmed = p.trim_start_matches('0');
            let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
            (trimmed != default_port).then(|| trimmed.to_owned())
        }
        Some(_) => return None,
    };
    Some(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// The `cursor` of Apple's next link when the link is on `upstream_origin` (an absolute URL with
/// the same origin, or a path starting with a single `/`). `None` when the link points elsewhere,
/// has no cursor, an empty one, more than one, or one that is not valid percent-encoded UTF-8.
#[must_use]
pub(crate) fn next_cursor(next: &str, upstream_origin: &str) -> Option<String> {
    let next = next.trim();
    let expected = origin_of(upstream_origin)?;
    let is_path_only = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if !is_path_only && origin_of(next)? != expected {
        return None;
    }
    let without_fragment = next.split('#').next().unwrap_or("");
    let (_, query) = without_fragment.split_once('?')?;
    let mut found: Option<String> = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decode(name, true).ok().as_deref() == Some("cursor") {
            if found.is_some() {
                return None;
            }
            found = Some(decode(value, true).ok()?);
        }
    }
    found.filter(|c| !c.is_empty())
}

/// The gateway URL of the next page: `base_url + path + "?" + query + "&cursor=" + cursor`
/// (no `&` when the query is empty). The cursor is percent-encoded (only unreserved characters
/// stay as they are).
#[must_use]
pub(crate) fn gateway_next_link(ctx: &ShapeContext, cursor: &str) -> String {
    let encoded = encode(cursor);
    let mut out = String::with_capacity(
        ctx.base_url.len() + ctx.path.len() + ctx.query.len() + encoded.len() + 9,
    );
    out.push_str(&ctx.base_url);
    out.push_str(&ctx.path);
    out.push('?');
    if !ctx.query.is_empty() {
        out.push_str(&ctx.query);
        out.push('&');
    }
    out.push_str("cursor=");
    out.push_str(&encoded);
    out
}

/// The URL of a JSON:API link: a string, or an object's `href`.
pub(crate) fn link_href(v: &serde_json::Value) -> Option<&str> {
    match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Object(m) => m.get("href").and_then(serde_json::Value::as_str),
        _ => None,
    }
}
