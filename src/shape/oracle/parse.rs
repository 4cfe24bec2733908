//! The shaper's previous reader (serde visitors), kept as the test oracle of the hand-written
//! scanner in `shape/parse.rs`: the differential tests and the fuzz target check that both give
//! the same answer for every input. Not part of any build but tests and fuzzing.
//!
//! Original notes:
//! Why not `serde_json::Value`: most of an Apple page is `links` (two URLs for each of ~43
//! relationships of every app). These visitors skip `links` and `meta` where JSON:API puts them
//! (resource and relationship level) without allocating, and keep attribute values as borrowed
//! raw JSON slices ([`RawValue`]) that are copied to the output verbatim: no `Value` tree is built
//! for the bulk of the page, which is what makes the shaper faster than `JSON.parse` plus rebuild.
//! Every visitor is lenient: a member of the wrong JSON type is ignored, never an error, so the
//! only parse failures are real syntax errors (or serde_json's nesting limit of 128 levels).

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// An object key, borrowed from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Implements the scalar `visit_*` methods of a lenient visitor: each returns `$fallback(kind)`.
macro_rules! lenient_scalars {
    ($fallback:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($fallback("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($fallback("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($fallback("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($fallback("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($fallback("a string"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($fallback("null"))
        }
    };
}

/// Consumes the rest of a sequence.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consumes the rest of a map.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A member that should be a string: its raw JSON, plus its text when it is a JSON string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member<'a> {
    /// The JSON as sent (copied to the output verbatim).
    pub raw: &'a RawValue,
    /// The string's text, when the member is a string without escapes (the normal case).
    pub text: Option<&'a str>,
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        let json = raw.get();
        // A JSON string without escapes is its own text between the quotes.
        let text = json
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .filter(|inner| !inner.contains('\\'));
        Ok(Member { raw, text })
    }
}

/// A resource identifier (`{type, id}`) inside a relationship's `data`.
#[derive(Debug, Default)]
pub(crate) struct Linkage<'a> {
    /// `id` as sent (normally a string).
    pub id: Option<Member<'a>>,
    /// `type` as sent (normally a string).
    pub kind: Option<Member<'a>>,
}

/// The `data` member of one relationship.
#[derive(Debug)]
pub(crate) enum RelData<'a> {
    /// No usable `data` member (links only, or a value of the wrong type): the relationship is omitted.
    Absent,
    /// `data: null` (an empty to-one relationship).
    Null,
    /// To-one linkage.
    One(Linkage<'a>),
    /// To-many linkage (items that are not objects are dropped).
    Many(Vec<Linkage<'a>>),
}

/// A resource object, reduced to what shaping uses.
#[derive(Debug, Default)]
pub(crate) struct Resource<'a> {
    /// `id` as sent.
    pub id: Option<Member<'a>>,
    /// `type` as sent.
    pub kind: Option<Member<'a>>,
    /// `attributes` when it is an object: names and raw values in Apple's order, names unique
    /// (a repeated name keeps its first position and its last value, as a JSON object reader does).
    pub attributes: Option<Vec<(Cow<'a, str>, &'a RawValue)>>,
    /// Relationships that carry a `data` member, in document order, names unique (last wins).
    pub relationships: Vec<(Cow<'a, str>, RelData<'a>)>,
}

/// An item of the primary `data` array: a resource, or a description of what arrived instead.
#[derive(Debug)]
// Nearly every value is the large variant; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Item<'a> {
    /// A resource object.
    Res(Resource<'a>),
    /// Not an object (the JSON type).
    NotObject(&'static str),
}

/// The primary `data` member.
#[derive(Debug)]
// Nearly every value is the large variant; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Data<'a> {
    /// No `data` member.
    Missing,
    /// A single resource (instance operations).
    One(Resource<'a>),
    /// A list of resources (collection operations).
    Many(Vec<Item<'a>>),
    /// Something else (`null`, a string, ...): the JSON type.
    Other(&'static str),
}

/// A success document, reduced to what shaping uses.
#[derive(Debug)]
pub(crate) struct Doc<'a> {
    /// The primary data.
    pub data: Data<'a>,
    /// `included` resources (items that are not objects are dropped).
    pub included: Vec<Resource<'a>>,
    /// Top-level `links` when it is an object.
    pub links: Option<Value>,
    /// Top-level `meta` when it is an object.
    pub meta: Option<Value>,
}

/// A parsed body: a JSON:API-like document, or valid JSON of another shape.
#[derive(Debug)]
// Nearly every value is the large variant; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Top<'a> {
    /// A JSON object.
    Doc(Doc<'a>),
    /// Valid JSON that is not an object: the JSON type.
    NotObject(&'static str),
}

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON:API document")
            }
            lenient_scalars!(Top::NotObject);
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq)?;
                Ok(Top::NotObject("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut doc = Doc {
                    data: Data::Missing,
                    included: Vec::new(),
                    links: None,
                    meta: None,
                };
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    match k.as_ref() {
                        "data" => doc.data = map.next_value::<Data<'de>>()?,
                        "included" => doc.included = map.next_value::<Included<'de>>()?.0,
                        "links" => doc.links = Some(map.next_value::<Value>()?),
                        "meta" => doc.meta = Some(map.next_value::<Value>()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Top::Doc(doc))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Data<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Data<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("primary data")
            }
            lenient_scalars!(Data::Other);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element::<MaybeResource<'de>>()? {
                    items.push(match item.0 {
                        Ok(r) => Item::Res(r),
                        Err(kind) => Item::NotObject(kind),
                    });
                }
                Ok(Data::Many(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(Data::One(resource_from_map(map)?))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `included` array; anything else reads as empty.
struct Included<'a>(Vec<Resource<'a>>);

impl<'de> Deserialize<'de> for Included<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Included<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("included resources")
            }
            lenient_scalars!(|_| Included(Vec::new()));
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element::<MaybeResource<'de>>()? {
                    if let Ok(r) = item.0 {
                        items.push(r);
                    }
                }
                Ok(Included(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                skip_map(map)?;
                Ok(Included(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A resource object, or the JSON type of what arrived instead.
struct MaybeResource<'a>(Result<Resource<'a>, &'static str>);

impl<'de> Deserialize<'de> for MaybeResource<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeResource<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a resource object")
            }
            lenient_scalars!(|k| MaybeResource(Err(k)));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq)?;
                Ok(MaybeResource(Err("an array")))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(MaybeResource(Ok(resource_from_map(map)?)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads the members of a resource object; `links`, `meta` and unknown members are skipped.
fn resource_from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Resource<'de>, A::Error> {
    let mut res = Resource::default();
    while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
        match k.as_ref() {
            "id" => res.id = Some(map.next_value::<Member<'de>>()?),
            "type" => res.kind = Some(map.next_value::<Member<'de>>()?),
            "attributes" => res.attributes = map.next_value::<Attributes<'de>>()?.0,
            "relationships" => res.relationships = map.next_value::<Relationships<'de>>()?.0,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(res)
}

/// Deepest nesting accepted inside one attribute value. serde_json refuses to read documents
/// nested deeper than 128 levels, and so do most JSON readers downstream; raw values are copied
/// without being parsed, so the limit is checked here (the attribute sits 4 levels down).
const MAX_ATTRIBUTE_DEPTH: usize = 124;

/// True when `json` opens more than `limit` arrays/objects at once (brackets inside strings ignored).
fn nested_deeper_than(json: &str, limit: usize) -> bool {
    let bytes = json.as_bytes();
    if !bytes.iter().any(|b| matches!(b, b'[' | b'{')) {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The `attributes` object as borrowed name/raw-value pairs; anything else reads as `None`.
struct Attributes<'a>(Option<Vec<(Cow<'a, str>, &'a RawValue)>>);

impl<'de> Deserialize<'de> for Attributes<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attributes<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("attributes")
            }
            lenient_scalars!(|_| Attributes(None));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq)?;
                Ok(Attributes(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut attrs: Vec<(Cow<'de, str>, &'de RawValue)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(16).min(256));
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    let value = map.next_value::<&'de RawValue>()?;
                    if nested_deeper_than(value.get(), MAX_ATTRIBUTE_DEPTH) {
                        return Err(de::Error::custom("recursion limit exceeded"));
                    }
                    match attrs.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = value,
                        None => attrs.push((name, value)),
                    }
                }
                Ok(Attributes(Some(attrs)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `relationships` object: only relationships with a usable `data` member are kept.
struct Relationships<'a>(Vec<(Cow<'a, str>, RelData<'a>)>);

impl<'de> Deserialize<'de> for Relationships<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Relationships<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("relationships")
            }
            lenient_scalars!(|_| Relationships(Vec::new()));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq)?;
                Ok(Relationships(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut rels: Vec<(Cow<'de, str>, RelData<'de>)> = Vec::new();
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    let rel = map.next_value::<Relationship<'de>>()?.0;
                    // A repeated name replaces the earlier one (as in a JSON object read by serde_json).
                    rels.retain(|(n, _)| *n != name);
                    if !matches!(rel, RelData::Absent) {
                        rels.push((name, rel));
                    }
                }
                Ok(Relationships(rels))
            }
        }
        d.deserialize_any(V)
    }
}

/// One relationship object; only `data` is read.
struct Relationship<'a>(RelData<'a>);

impl<'de> Deserialize<'de> for Relationship<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Relationship<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a relationship object")
            }
            lenient_scalars!(|_| Relationship(RelData::Absent));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq)?;
                Ok(Relationship(RelData::Absent))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut data = RelData::Absent;
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    if k == "data" {
                        data = map.next_value::<RelDataDe<'de>>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Relationship(data))
            }
        }
        d.deserialize_any(V)
    }
}

/// A relationship's `data`: null, one linkage object, or an array of them.
struct RelDataDe<'a>(RelData<'a>);

impl<'de> Deserialize<'de> for RelDataDe<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RelDataDe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("relationship data")
            }
            lenient_scalars!(|k| RelDataDe(if k == "null" {
                RelData::Null
            } else {
                RelData::Absent
            }));
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<MaybeLinkage<'de>>()? {
                    if let Some(l) = item.0 {
                        items.push(l);
                    }
                }
                Ok(RelDataDe(RelData::Many(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(RelDataDe(RelData::One(linkage_from_map(map)?)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A linkage object, or `None` for anything else.
struct MaybeLinkage<'a>(Option<Linkage<'a>>);

impl<'de> Deserialize<'de> for MaybeLinkage<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeLinkage<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a resource identifier")
            }
            lenient_scalars!(|_| MaybeLinkage(None));
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq)?;
                Ok(MaybeLinkage(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(MaybeLinkage(Some(linkage_from_map(map)?)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads `id` and `type` of a resource identifier; other members (`meta`) are skipped.
fn linkage_from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Linkage<'de>, A::Error> {
    let mut l = Linkage::default();
    while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
        match k.as_ref() {
            "id" => l.id = Some(map.next_value::<Member<'de>>()?),
            "type" => l.kind = Some(map.next_value::<Member<'de>>()?),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(l)
}
