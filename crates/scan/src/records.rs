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

// One-byte pieces are written with `push_str`: `String::push` encodes its `char` as UTF-8 first,
// a call per byte at opt-level "z".
#![allow(clippy::single_char_add_str)]

use crate::parse::{text_of, Attribute, Linkage, Member, RelData, Resource};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Included resources by `(type, id)`.
pub type Index<'p, 'a> =
    HashMap<(&'p str, &'p str), &'p Resource<'a>, BuildHasherDefault<WordHasher>>;

/// A small multiply-rotate hash over eight bytes at a time (the `FxHash` scheme) for the index of
/// `included`: SipHash was a tenth of the time of pages with included resources. The keys are
/// Apple's type names and ids, and on wasm32 std's hash keys are fixed anyway, so SipHash's
/// resistance to chosen collisions bought nothing there.
#[derive(Default)]
pub struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((word, tail)) = rest.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            rest = tail;
        }
        let mut last = [0u8; 8];
        for (to, from) in last.iter_mut().zip(rest) {
            *to = *from;
        }
        self.add(u64::from_le_bytes(last) ^ rest.len() as u64);
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Builds the `(type, id)` index of `included`; the first of duplicates wins.
pub fn index<'p, 'a>(included: &'p [Resource<'a>]) -> Index<'p, 'a> {
    let mut map = HashMap::with_capacity_and_hasher(included.len(), Default::default());
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
    // Lengths first: most names are neither, and a string comparison is a call at opt-level "z".
    match name.len() {
        2 if name == "id" => Some("attributeId"),
        4 if name == "type" => Some("attributeType"),
        _ => None,
    }
}

/// The output key of an attribute: its name, `attributeId`/`attributeType` for `id`/`type`,
/// or `None` when that name is taken by another attribute (the attribute is dropped).
fn output_key<'p>(name: &'p str, attrs: &[Attribute<'_>]) -> Option<&'p str> {
    match renamed_attribute(name) {
        None => Some(name),
        Some(new) if !attrs.iter().any(|a| text_of(&a.name) == new) => Some(new),
        Some(_) => None,
    }
}

/// A bit for the (length, first byte) class of a key: a set of keys as one `u64`, so that most
/// "is this key taken?" questions are answered without comparing strings.
#[inline(always)]
pub fn key_class(key: &str) -> u64 {
    1u64 << ((key.len() * 7 + usize::from(key.bytes().next().unwrap_or(0))) % 64)
}

/// Writes the comma between members (none before the first).
#[inline(always)]
fn separator(out: &mut String, first: &mut bool) {
    if !*first {
        out.push_str(",");
    }
    *first = false;
}

/// Writes `id` and `type` as sent.
fn identity(out: &mut String, first: &mut bool, id: Option<Member<'_>>, kind: Option<Member<'_>>) {
    if let Some(id) = id {
        separator(out, first);
        out.push_str("\"id\":");
        out.push_str(id.raw);
    }
    if let Some(kind) = kind {
        separator(out, first);
        out.push_str("\"type\":");
        out.push_str(kind.raw);
    }
}

/// Writes `appStoreUrl` for an app with an all-digit id; returns whether it did.
fn app_store_url(
    out: &mut String,
    first: &mut bool,
    kind: Option<Member<'_>>,
    id: Option<Member<'_>>,
) -> bool {
    let Some(app) = app_id(kind, id) else {
        return false;
    };
    separator(out, first);
    out.push_str("\"appStoreUrl\":\"https://apps.apple.com/app/id");
    out.push_str(app);
    out.push_str("\"");
    true
}

/// Writes one resource as a flat record. With `index`, relationship linkage is resolved from
/// `included`; without it, linkage becomes `{id, type}` records.
pub fn write_resource<'p>(out: &mut String, res: &'p Resource<'_>, index: Option<&Index<'p, '_>>) {
    let attrs: &'p [Attribute<'_>] = res.attributes.as_deref().unwrap_or_default();
    let mut first = true;
    out.push_str("{");
    identity(out, &mut first, res.id, res.kind);
    // The classes of the attribute keys written (see `taken` below).
    let mut classes = 0u64;
    for attr in attrs {
        let name = text_of(&attr.name);
        let Some(key) = output_key(name, attrs) else {
            continue;
        };
        classes |= key_class(key);
        separator(out, &mut first);
        match attr.member {
            // Not renamed (a renamed key is longer), and sent as it is written: `"name":value`
            // copied in one piece.
            Some(member) if key.len() == name.len() => out.push_str(member),
            member => {
                write_str(out, key);
                out.push_str(":");
                out.push_str(match member {
                    // `"name":value`: the value follows the name, its quotes and the colon.
                    Some(member) => member.get(name.len() + 3..).unwrap_or(""),
                    None => attr.value,
                });
            }
        }
    }
    let url = !attrs
        .iter()
        .any(|a| text_of(&a.name).len() == 11 && text_of(&a.name) == "appStoreUrl")
        && app_store_url(out, &mut first, res.kind, res.id);
    // Keys taken so far, for the relationship naming rule (computed only when needed).
    let mut rel_keys: Vec<Cow<'p, str>> = Vec::new();
    let taken = |key: &str, rel_keys: &[Cow<'p, str>]| {
        (key == "id" && res.id.is_some())
            || (key == "type" && res.kind.is_some())
            || (key == "appStoreUrl" && url)
            || (classes & key_class(key) != 0
                && attrs
                    .iter()
                    .any(|a| output_key(text_of(&a.name), attrs) == Some(key)))
            || rel_keys.iter().any(|k| text_of(k) == key)
    };
    for (name, data) in &res.relationships {
        if matches!(data, RelData::Absent) {
            continue;
        }
        let key: Cow<'p, str> = if taken(name, &rel_keys) {
            let alt = format!("{name}Relationship");
            if taken(&alt, &rel_keys) {
                continue;
            }
            Cow::Owned(alt)
        } else {
            Cow::Borrowed(name.as_ref())
        };
        separator(out, &mut first);
        write_str(out, &key);
        out.push_str(":");
        rel_keys.push(key);
        match data {
            RelData::Absent => {}
            RelData::Null => out.push_str("null"),
            RelData::One(link) => write_linkage(out, link, index),
            RelData::Many(links) => {
                out.push_str("[");
                for (i, link) in links.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",");
                    }
                    write_linkage(out, link, index);
                }
                out.push_str("]");
            }
        }
    }
    out.push_str("}");
}

/// The record for one linkage: the included resource when known, else a minimal `{id, type}`.
fn write_linkage<'p>(out: &mut String, link: &'p Linkage<'p>, index: Option<&Index<'p, '_>>) {
    if let (Some(index), Some(t), Some(i)) = (index, text(link.kind), text(link.id)) {
        if let Some(res) = index.get(&(t, i)) {
            return write_resource(out, res, None);
        }
    }
    let mut first = true;
    out.push_str("{");
    identity(out, &mut first, link.id, link.kind);
    app_store_url(out, &mut first, link.kind, link.id);
    out.push_str("}");
}

/// Writes `s` as a JSON string the way serde_json does: `"` and `\` escaped, control characters
/// as `\b \t \n \f \r` or `\u00xx`, everything else (including non-ASCII) as it is.
pub fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\"");
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
    out.push_str("\"");
}
