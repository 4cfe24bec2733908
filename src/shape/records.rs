//! Flat records: a resource's `id`, `type` and attributes at the top level, a derived
//! `appStoreUrl` for apps, and relationships resolved from `included`.
//!
//! Rules (see the module doc of `shape` for the full list):
//! - Key order: `id`, `type`, attributes in Apple's order, `appStoreUrl`, relationships.
//! - An attribute named `id` or `type` never replaces the resource's own: it is renamed
//!   `attributeId` / `attributeType` (dropped if Apple also sends an attribute of that name).
//! - `appStoreUrl` is added for `type == "apps"` with an all-digit id, unless Apple sends an
//!   attribute of that name (Apple's wins).
//! - A relationship keeps Apple's name; if that name is already taken by the keys above it is
//!   renamed `<name>Relationship`, and dropped if that is taken too.
//! - Primary records resolve relationship linkage from `included`; included records keep their own
//!   relationships as `{id, type}` records (one level only, so cycles are impossible).
//!
//! Records are written straight into the output text as compact JSON (what `serde_json::to_string`
//! wrote before: same bytes), borrowing everything from the parsed document: ids, types and
//! attribute values are copied verbatim, names are written as JSON strings.

use super::parse::{Linkage, Member, RelData, Resource};
use std::borrow::Cow;
use std::collections::HashMap;

/// Included resources by `(type, id)`.
pub(crate) type Index<'p, 'a> = HashMap<(&'p str, &'p str), &'p Resource<'a>>;

/// Builds the `(type, id)` index of `included`; the first of duplicates wins.
pub(crate) fn index<'p, 'a>(included: &'p [Resource<'a>]) -> Index<'p, 'a> {
    let mut map = HashMap::with_capacity(included.len());
    for res in included {
        if let (Some(t), Some(i)) = (text(res.kind), text(res.id)) {
            map.entry((t, i)).or_insert(res);
        }
    }
    map
}

/// The text of a string member (ids and types without escapes, as Apple sends them).
fn text(member: Option<Member<'_>>) -> Option<&str> {
    member.and_then(|m| m.text)
}

/// The all-digit id of an app (`type == "apps"`), for `https://apps.apple.com/app/id<id>`.
fn app_id<'m>(kind: Option<Member<'m>>, id: Option<Member<'m>>) -> Option<&'m str> {
    match (text(kind), text(id)) {
        (Some("apps"), Some(i))
            if !i.is_empty() && i.len() <= 32 && i.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(i)
        }
        _ => None,
    }
}

/// The key an attribute named `id`/`type` moves to.
fn renamed_attribute(name: &str) -> Option<&'static str> {
    match name {
        "id" => Some("attributeId"),
        "type" => Some("attributeType"),
        _ => None,
    }
}

/// One record being written: the output and the keys written so far (for the renaming rules).
struct Writer<'o, 'p> {
    out: &'o mut String,
    keys: Vec<Cow<'p, str>>,
}

impl<'p> Writer<'_, 'p> {
    /// Writes `key` (after a comma unless it is the first) and its colon.
    fn key(&mut self, key: Cow<'p, str>) {
        if !self.keys.is_empty() {
            self.out.push(',');
        }
        write_str(self.out, &key);
        self.out.push(':');
        self.keys.push(key);
    }

    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    /// `id` and `type` as sent, then `appStoreUrl` when `url` (and the resource is an app).
    fn identity(&mut self, id: Option<Member<'p>>, kind: Option<Member<'p>>) {
        if let Some(id) = id {
            self.key(Cow::Borrowed("id"));
            self.out.push_str(id.raw);
        }
        if let Some(kind) = kind {
            self.key(Cow::Borrowed("type"));
            self.out.push_str(kind.raw);
        }
    }

    fn app_store_url(&mut self, app: &str) {
        self.key(Cow::Borrowed("appStoreUrl"));
        self.out.push_str("\"https://apps.apple.com/app/id");
        self.out.push_str(app);
        self.out.push('"');
    }
}

/// Writes one resource as a flat record. With `index`, relationship linkage is resolved from
/// `included`; without it, linkage becomes `{id, type}` records.
pub(crate) fn write_resource<'p>(
    out: &mut String,
    res: &'p Resource<'_>,
    index: Option<&Index<'p, '_>>,
) {
    let attrs: &'p [(Cow<'_, str>, &str)] = res.attributes.as_deref().unwrap_or_default();
    let mut w = Writer {
        out,
        keys: Vec::with_capacity(3 + attrs.len() + res.relationships.len()),
    };
    w.out.push('{');
    w.identity(res.id, res.kind);
    let has_attribute = |key: &str| attrs.iter().any(|(n, _)| n == key);
    for (name, value) in attrs {
        let key = match renamed_attribute(name) {
            None => name.as_ref(),
            Some(new) if !has_attribute(new) => new,
            Some(_) => continue,
        };
        w.key(Cow::Borrowed(key));
        w.out.push_str(value);
    }
    if !has_attribute("appStoreUrl") {
        if let Some(app) = app_id(res.kind, res.id) {
            w.app_store_url(app);
        }
    }
    for (name, data) in &res.relationships {
        if matches!(data, RelData::Absent) {
            continue;
        }
        let key: Cow<'p, str> = if w.has(name) {
            let alt = format!("{name}Relationship");
            if w.has(&alt) {
                continue;
            }
            Cow::Owned(alt)
        } else {
            Cow::Borrowed(name.as_ref())
        };
        w.key(key);
        match data {
            RelData::Absent => {}
            RelData::Null => w.out.push_str("null"),
            RelData::One(link) => write_linkage(w.out, link, index),
            RelData::Many(links) => {
                w.out.push('[');
                for (i, link) in links.iter().enumerate() {
                    if i > 0 {
                        w.out.push(',');
                    }
                    write_linkage(w.out, link, index);
                }
                w.out.push(']');
            }
        }
    }
    w.out.push('}');
}

/// The record for one linkage: the included resource when known, else a minimal `{id, type}`.
fn write_linkage<'p>(out: &mut String, link: &'p Linkage<'p>, index: Option<&Index<'p, '_>>) {
    if let (Some(index), Some(t), Some(i)) = (index, text(link.kind), text(link.id)) {
        if let Some(res) = index.get(&(t, i)) {
            return write_resource(out, res, None);
        }
    }
    let mut w = Writer {
        out,
        keys: Vec::with_capacity(3),
    };
    w.out.push('{');
    w.identity(link.id, link.kind);
    if let Some(app) = app_id(link.kind, link.id) {
        w.app_store_url(app);
    }
    w.out.push('}');
}

/// Writes `s` as a JSON string the way serde_json does: `"` and `\` escaped, control characters
/// as `\b \t \n \f \r` or `\u00xx`, everything else (including non-ASCII) as it is.
pub(crate) fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => '"',
            b'\\' => '\\',
            0x08 => 'b',
            0x0C => 'f',
            b'\n' => 'n',
            b'\r' => 'r',
            b'\t' => 't',
            0..=0x1F => 'u',
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or(""));
        out.push('\\');
        out.push(short);
        if short == 'u' {
            out.push_str("00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}
