//! The shaper's previous record writer (serde `Serialize`), kept as the test oracle of
//! `shape/records.rs`.
//!
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
//! Records borrow from the parsed document and serialize straight to the output: nothing is cloned.

use super::parse::{Linkage, Member, RelData, Resource};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;
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

/// One output value of a record.
pub(crate) enum Field<'p> {
    /// JSON from the input, copied verbatim.
    Json(&'p RawValue),
    /// A string made here.
    Text(String),
    /// JSON null.
    Null,
    /// A nested record (to-one relationship).
    One(Box<Record<'p>>),
    /// Nested records (to-many relationship).
    Many(Vec<Record<'p>>),
}

/// A flat record, ready to serialize.
pub(crate) struct Record<'p> {
    fields: Vec<(Cow<'p, str>, Field<'p>)>,
}

impl Record<'_> {
    fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }
}

/// `https://apps.apple.com/app/id<id>` for an app with an all-digit id.
fn app_store_url(kind: Option<Member<'_>>, id: Option<Member<'_>>) -> Option<String> {
    match (text(kind), text(id)) {
        (Some(t), Some(i))
            if t == "apps"
                && !i.is_empty()
                && i.len() <= 32
                && i.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(format!("https://apps.apple.com/app/id{i}"))
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

/// Flattens one resource. With `index`, relationship linkage is resolved from `included`;
/// without it, linkage becomes `{id, type}` records.
pub(crate) fn flatten<'p>(res: &'p Resource<'_>, index: Option<&Index<'p, '_>>) -> Record<'p> {
    let attr_len = res.attributes.as_ref().map_or(0, Vec::len);
    let mut rec = Record {
        fields: Vec::with_capacity(3 + attr_len + res.relationships.len()),
    };
    push_identity(&mut rec, res.id, res.kind);
    let has_attribute = |key: &str| {
        res.attributes
            .as_ref()
            .is_some_and(|a| a.iter().any(|(n, _)| n == key))
    };
    if let Some(attrs) = &res.attributes {
        for (name, value) in attrs {
            match renamed_attribute(name) {
                None => rec
                    .fields
                    .push((Cow::Borrowed(name.as_ref()), Field::Json(value))),
                Some(new) if !has_attribute(new) => {
                    rec.fields.push((Cow::Borrowed(new), Field::Json(value)));
                }
                Some(_) => {}
            }
        }
    }
    if !has_attribute("appStoreUrl") {
        if let Some(url) = app_store_url(res.kind, res.id) {
            rec.fields
                .push((Cow::Borrowed("appStoreUrl"), Field::Text(url)));
        }
    }
    for (name, data) in &res.relationships {
        let value = match data {
            RelData::Absent => continue,
            RelData::Null => Field::Null,
            RelData::One(link) => Field::One(Box::new(resolve(link, index))),
            RelData::Many(links) => Field::Many(links.iter().map(|l| resolve(l, index)).collect()),
        };
        let key: Cow<'p, str> = if rec.has(name) {
            let alt = format!("{name}Relationship");
            if rec.has(&alt) {
                continue;
            }
            Cow::Owned(alt)
        } else {
            Cow::Borrowed(name.as_ref())
        };
        rec.fields.push((key, value));
    }
    rec
}

fn push_identity<'p>(rec: &mut Record<'p>, id: Option<Member<'p>>, kind: Option<Member<'p>>) {
    if let Some(id) = id {
        rec.fields.push((Cow::Borrowed("id"), Field::Json(id.raw)));
    }
    if let Some(kind) = kind {
        rec.fields
            .push((Cow::Borrowed("type"), Field::Json(kind.raw)));
    }
}

/// The record for one linkage: the included resource when known, else a minimal `{id, type}`.
fn resolve<'p>(link: &'p Linkage<'p>, index: Option<&Index<'p, '_>>) -> Record<'p> {
    if let (Some(index), Some(t), Some(i)) = (index, text(link.kind), text(link.id)) {
        if let Some(res) = index.get(&(t, i)) {
            return flatten(res, None);
        }
    }
    let mut rec = Record {
        fields: Vec::with_capacity(3),
    };
    push_identity(&mut rec, link.id, link.kind);
    if let Some(url) = app_store_url(link.kind, link.id) {
        rec.fields
            .push((Cow::Borrowed("appStoreUrl"), Field::Text(url)));
    }
    rec
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Json(v) => v.serialize(s),
            Field::Text(t) => s.serialize_str(t),
            Field::Null => s.serialize_unit(),
            Field::One(r) => r.serialize(s),
            Field::Many(rs) => {
                let mut seq = s.serialize_seq(Some(rs.len()))?;
                for r in rs {
                    seq.serialize_element(r)?;
                }
                seq.end()
            }
        }
    }
}

/// The shaped list: `{"value": [...], "nextLink": "...", "total": n}`.
pub(crate) struct List<'p> {
    /// The records.
    pub value: Vec<Record<'p>>,
    /// The gateway URL of the next page.
    pub next_link: Option<String>,
    /// `meta.paging.total`.
    pub total: Option<u64>,
}

impl Serialize for List<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = 1 + usize::from(self.next_link.is_some()) + usize::from(self.total.is_some());
        let mut map = s.serialize_map(Some(len))?;
        map.serialize_entry("value", &self.value)?;
        if let Some(link) = &self.next_link {
            map.serialize_entry("nextLink", link)?;
        }
        if let Some(total) = &self.total {
            map.serialize_entry("total", total)?;
        }
        map.end()
    }
}
