//! Request bodies of the write operations: the flat form built into Apple's JSON:API document, the
//! raw form checked as it is, both against Apple's request schema from the operation table.
//!
//! Why: a flow builder fills in flat fields (`{"review": "<id>", "responseBody": "Thanks!"}`), while
//! Apple wants `{"data": {"type": ..., "attributes": ..., "relationships": ...}}`. The table knows
//! which field is an attribute and which a relationship (Apple's schema, `operations::BODY_SCHEMAS`)
//! and which id rule each relationship's ids follow (`Operation::body_ids`), so the document is
//! built here, once, and then checked by the one body validator (`crate::body`) exactly as a raw
//! document is. Every problem is reported at once; nothing is sent when there is one.
//!
//! # Flat form
//! - an attribute by its name with its value (`"email": "a@example.com"`);
//! - a to-one relationship by its name with one id (`"review": "<id>"`);
//! - a to-many relationship by its name with a list of ids (`"betaGroups": ["<id>"]`);
//! - for an add/remove-relationship operation, the relationship by its name with a list of ids
//!   (`{"betaTesters": ["<id>", "<id>"]}`).
//!
//! Problems name the flat field (`email`, `betaGroups[1]`); in the raw form they name the JSON path
//! (`data.attributes.email`). Ids follow the same rules as ids in paths; an id list has at most
//! [`MAX_IDS`] items.

use serde_json::{Map, Value};

use crate::body::{self, Kind, NodeId, Schemas, Text};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::operations::encoding::show;
use crate::operations::suggest::nearest;
use crate::operations::{find_operation, IdRule, Operation, BODY_SCHEMAS};

/// The most ids one relationship list may carry (Apple documents no limit; a flow that needs more
/// sends several requests).
pub const MAX_IDS: usize = 1000;

/// Which form the caller's body is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyForm {
    /// Flat fields (the default; what the connector sends).
    Flat,
    /// Apple's own JSON:API document (`X-ASC-Format: raw`).
    Raw,
}

/// The request-body schemas of the table's writes (static data generated from the same pack).
#[allow(clippy::unnecessary_wraps)]
fn schemas() -> Result<&'static Schemas> {
    Ok(&BODY_SCHEMAS)
}

/// Checks the body of a request to `operation_id` and returns the document to send to Apple
/// (`None` when the operation takes no body and none was given).
///
/// # Errors
/// `BODY_NOT_ALLOWED` (a body for an operation that takes none), `BODY_REQUIRED`, the intake errors
/// of [`body::parse_strict`], or `BODY_INVALID` with one detail per problem.
pub fn prepare_body(operation_id: &str, bytes: &[u8], form: BodyForm) -> Result<Option<String>> {
    let op = find_operation(operation_id).ok_or_else(|| {
        Error::new(
            ErrorCode::Internal,
            format!("no operation {}", show(operation_id)),
        )
    })?;
    let Some(root) = op.body else {
        if bytes.is_empty() {
            return Ok(None);
        }
        return Err(Error::new(
            ErrorCode::BodyNotAllowed,
            format!(
                "{} ({} {}) takes no request body; send the request without one",
                op.id, op.method, op.path
            ),
        ));
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::new(
            ErrorCode::BodyRequired,
            format!(
                "{} needs a JSON body, for example {}",
                op.id,
                example(op, schemas()?, root)
            ),
        ));
    }
    let value = body::parse_strict(bytes, &body::Limits::default())?;
    let schemas = schemas()?;
    let (document, mut details) = match form {
        BodyForm::Raw => (value, Vec::new()),
        BodyForm::Flat => build_flat(op, schemas, root, &value),
    };
    let mut found = schemas.check(root, &document);
    found.extend(check_ids(op, &document));
    if form == BodyForm::Flat {
        for d in &mut found {
            to_flat(op, d);
        }
    }
    // A field the flat form already refused is not reported again by the document check.
    let flat_fields = details.len();
    for d in found {
        if !details
            .iter()
            .take(flat_fields)
            .any(|x| x.parameter == d.parameter)
        {
            details.push(d);
        }
    }
    if !details.is_empty() {
        return Err(body::invalid(ErrorCode::BodyInvalid, "body", details));
    }
    serde_json::to_string(&document)
        .map(Some)
        .map_err(|_| Error::new(ErrorCode::Internal, "could not write the request body"))
}

// ---- Schema walking --------------------------------------------------------------------------------

fn props(schemas: &Schemas, node: NodeId) -> &[(Text, NodeId)] {
    match schemas.node(node).map(|n| &n.kind) {
        Some(Kind::Object { props, .. }) => props,
        _ => &[],
    }
}

fn required(schemas: &Schemas, node: NodeId) -> &[Text] {
    match schemas.node(node).map(|n| &n.kind) {
        Some(Kind::Object { required, .. }) => required,
        _ => &[],
    }
}

fn prop(schemas: &Schemas, node: NodeId, name: &str) -> Option<NodeId> {
    props(schemas, node)
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, id)| *id)
}

/// The single value of a string enum node (a resource `type`).
fn single_value(schemas: &Schemas, node: Option<NodeId>) -> Option<&str> {
    match schemas.node(node?).map(|n| &n.kind) {
        Some(Kind::String {
            values: Some(e), ..
        }) => schemas.values(*e).first().map(|v| &**v),
        _ => None,
    }
}

/// What a relationship's `data` holds: one linkage, or a list of them; with the linked type.
enum Link<'a> {
    One(&'a str),
    Many(&'a str),
}

fn link_of(schemas: &Schemas, data: NodeId) -> Option<Link<'_>> {
    match schemas.node(data).map(|n| &n.kind) {
        Some(Kind::Array { items }) => {
            single_value(schemas, prop(schemas, *items, "type")).map(Link::Many)
        }
        Some(Kind::Object { linkage: true, .. }) => {
            single_value(schemas, prop(schemas, data, "type")).map(Link::One)
        }
        _ => None,
    }
}

// ---- Flat form ---------------------------------------------------------------------------------------

fn detail(code: ErrorCode, field: &str, message: String) -> Detail {
    Detail {
        code,
        message,
        parameter: Some(field.to_owned()),
    }
}

fn noun_of(op: &Operation, field: &str) -> String {
    op.body_id(field)
        .map(|b| b.rule.noun.to_owned())
        .unwrap_or_else(|| "resource".to_owned())
}

/// One to-one id or a list of ids, as linkages; problems go to `details`.
fn linkages(
    op: &Operation,
    field: &str,
    value: &Value,
    link: &Link<'_>,
    details: &mut Vec<Detail>,
) -> Option<Value> {
    let noun = noun_of(op, field);
    let linkage = |ty: &str, id: &str| {
        let mut m = Map::new();
        m.insert("type".into(), ty.into());
        m.insert("id".into(), id.into());
        Value::Object(m)
    };
    match (link, value) {
        (Link::One(ty), Value::String(id)) => Some(linkage(ty, id)),
        (Link::One(_), other) => {
            details.push(detail(
                ErrorCode::FieldTypeInvalid,
                field,
                format!(
                    "{field} must be the ID of a {noun} (one string); got {}",
                    type_name(other)
                ),
            ));
            None
        }
        (Link::Many(ty), Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len().min(MAX_IDS));
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(id) => out.push(linkage(ty, id)),
                    other => details.push(detail(
                        ErrorCode::FieldTypeInvalid,
                        &format!("{field}[{i}]"),
                        format!(
                            "{field}[{i}] must be the ID of a {noun} (a string); got {}",
                            type_name(other)
                        ),
                    )),
                }
            }
            Some(Value::Array(out))
        }
        (Link::Many(_), other) => {
            details.push(detail(
                ErrorCode::FieldTypeInvalid,
                field,
                format!(
                    "{field} must be a list of {noun} IDs, for example [\"<id>\"]; got {}",
                    type_name(other)
                ),
            ));
            None
        }
    }
}

fn data_object(value: Value) -> Value {
    let mut m = Map::new();
    m.insert("data".into(), value);
    Value::Object(m)
}

/// Builds Apple's document from flat fields; problems only the flat form can have go to the list.
fn build_flat(
    op: &Operation,
    schemas: &Schemas,
    root: NodeId,
    flat: &Value,
) -> (Value, Vec<Detail>) {
    let mut details = Vec::new();
    let fields = flat.as_object().cloned().unwrap_or_default();
    let Some(data) = prop(schemas, root, "data") else {
        return (Value::Object(Map::new()), details);
    };
    // An add/remove-relationship body: `{"<relationship>": [ids]}` → `{"data": [linkages]}`.
    if let Some(Link::Many(ty)) = link_of(schemas, data) {
        let name = op.path.rsplit('/').next().unwrap_or_default();
        let mut list = Value::Array(Vec::new());
        for (key, value) in &fields {
            if key == name {
                if let Some(v) = linkages(op, name, value, &Link::Many(ty), &mut details) {
                    list = v;
                }
            } else {
                details.push(unknown(key, &[name]));
            }
        }
        if !fields.contains_key(name) {
            details.push(detail(
                ErrorCode::FieldRequired,
                name,
                format!("{name} is required: the list of {} IDs", noun_of(op, name)),
            ));
        }
        return (data_object(list), details);
    }
    let ty = single_value(schemas, prop(schemas, data, "type")).unwrap_or_default();
    let attributes = prop(schemas, data, "attributes");
    let relationships = prop(schemas, data, "relationships");
    let attr_names: Vec<&str> = attributes
        .map(|a| props(schemas, a).iter().map(|(k, _)| &**k).collect())
        .unwrap_or_default();
    let rel_names: Vec<&str> = relationships
        .map(|r| props(schemas, r).iter().map(|(k, _)| &**k).collect())
        .unwrap_or_default();
    let mut attrs = Map::new();
    let mut rels = Map::new();
    for (key, value) in &fields {
        if attr_names.contains(&key.as_str()) {
            attrs.insert(key.clone(), value.clone());
            continue;
        }
        let rel = relationships
            .and_then(|r| prop(schemas, r, key))
            .and_then(|r| prop(schemas, r, "data"))
            .and_then(|d| link_of(schemas, d));
        match rel {
            Some(link) => {
                if let Some(v) = linkages(op, key, value, &link, &mut details) {
                    rels.insert(key.clone(), data_object(v));
                }
            }
            None => {
                let all: Vec<&str> = attr_names.iter().chain(&rel_names).copied().collect();
                details.push(unknown(key, &all));
            }
        }
    }
    let mut out = Map::new();
    out.insert("type".into(), ty.into());
    if let Some(a) = attributes {
        if !attrs.is_empty() || !required(schemas, a).is_empty() {
            out.insert("attributes".into(), Value::Object(attrs));
        }
    }
    if let Some(r) = relationships {
        if !rels.is_empty() || !required(schemas, r).is_empty() {
            out.insert("relationships".into(), Value::Object(rels));
        }
    }
    (data_object(Value::Object(out)), details)
}

fn unknown(key: &str, accepted: &[&str]) -> Detail {
    let hint = nearest(key, accepted.iter().copied())
        .map(|n| format!("did you mean {n}?"))
        .unwrap_or_else(|| format!("accepted: {}", accepted.join(", ")));
    detail(
        ErrorCode::FieldUnknown,
        key,
        format!("{} is not a field of this body ({hint})", show(key)),
    )
}

/// Rewrites a document path in a detail to the flat field it came from.
fn to_flat(op: &Operation, d: &mut Detail) {
    let Some(path) = d.parameter.clone() else {
        return;
    };
    let flat = if let Some(rest) = path.strip_prefix("data.attributes.") {
        rest.to_owned()
    } else if let Some(rest) = path.strip_prefix("data.relationships.") {
        let name = rest.split(['.', '[']).next().unwrap_or(rest);
        match rest.split_once(".data[") {
            Some((_, index)) => {
                format!("{name}[{}", index.split_once(']').map_or("", |x| x.0)) + "]"
            }
            None => name.to_owned(),
        }
    } else if let Some(rest) = path.strip_prefix("data[") {
        let name = op.path.rsplit('/').next().unwrap_or_default();
        format!("{name}[{}]", rest.split_once(']').map_or("", |x| x.0))
    } else if path == "data" {
        op.path.rsplit('/').next().unwrap_or_default().to_owned()
    } else {
        return;
    };
    d.message = d.message.replacen(&path, &flat, 1);
    d.parameter = Some(flat);
}

// ---- Ids (both forms) --------------------------------------------------------------------------------

/// Every id in the document's linkages against its rule, and the length of each id list.
fn check_ids(op: &Operation, doc: &Value) -> Vec<Detail> {
    let mut out = Vec::new();
    let data = doc.get("data");
    if let (Some(Value::Array(items)), Some(b)) = (data, op.body_ids.first()) {
        list_ids(&b.rule, "data", items, &mut out);
        return out;
    }
    let Some(rels) = data
        .and_then(|d| d.get("relationships"))
        .and_then(Value::as_object)
    else {
        return out;
    };
    for (name, rel) in rels {
        let Some(b) = op.body_id(name) else { continue };
        let at = format!("data.relationships.{name}.data");
        match rel.get("data") {
            Some(Value::Array(items)) => list_ids(&b.rule, &at, items, &mut out),
            Some(one) => {
                if let Some(id) = one.get("id").and_then(Value::as_str) {
                    id_problem(&b.rule, &format!("{at}.id"), id, &mut out);
                }
            }
            None => {}
        }
    }
    out
}

fn list_ids(rule: &IdRule, at: &str, items: &[Value], out: &mut Vec<Detail>) {
    if items.len() > MAX_IDS {
        out.push(detail(
            ErrorCode::FieldOutOfRange,
            at,
            format!(
                "{at} has {} ids; at most {MAX_IDS} are accepted in one request (send several)",
                items.len()
            ),
        ));
        return;
    }
    for (i, item) in items.iter().enumerate() {
        if let Some(id) = item.get("id").and_then(Value::as_str) {
            id_problem(rule, &format!("{at}[{i}].id"), id, out);
        }
    }
}

fn id_problem(rule: &IdRule, at: &str, id: &str, out: &mut Vec<Detail>) {
    let len = id.chars().count();
    let what = format!(
        "{} IDs are {} to {} characters matching {}",
        rule.noun,
        rule.min_length,
        rule.max_length,
        rule.charset.class()
    );
    let problem = if id.is_empty() {
        // The schema check already reports an empty linkage id.
        return;
    } else if let Some(c) = id.chars().find(|&c| !rule.charset.allows(c)) {
        format!(
            "{} contains {}, which is not allowed ({what})",
            show(id),
            show(&c.to_string())
        )
    } else if len < rule.min_length || len > rule.max_length {
        format!("{} has {len} characters ({what})", show(id))
    } else {
        return;
    };
    out.push(detail(
        ErrorCode::IdInvalid,
        at,
        format!("{at} is not a valid ID: {problem}. {}", rule.help),
    ));
}

/// What kind of JSON value `v` is, in the flat form's words: an array is "a list" of ids there.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        other => body::type_name(other),
    }
}

/// A flat example body for error messages, e.g. `{"review": "<id>", "responseBody": "..."}`.
fn example(op: &Operation, schemas: &Schemas, root: NodeId) -> String {
    let Some(data) = prop(schemas, root, "data") else {
        return "{}".to_owned();
    };
    if let Some(Link::Many(_)) = link_of(schemas, data) {
        let name = op.path.rsplit('/').next().unwrap_or_default();
        return format!("{{\"{name}\": [\"<id>\"]}}");
    }
    let mut parts = Vec::new();
    if let Some(r) = prop(schemas, data, "relationships") {
        for name in required(schemas, r) {
            parts.push(format!("\"{name}\": \"<id>\""));
        }
    }
    if let Some(a) = prop(schemas, data, "attributes") {
        for name in required(schemas, a) {
            parts.push(format!("\"{name}\": \"...\""));
        }
    }
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The static schemas the generator writes are what the pack reader makes of the same pack.
    #[test]
    fn static_schemas_are_the_packs() {
        let pack: Value = serde_json::from_str(crate::operations::BODY_PACK).unwrap();
        assert_eq!(Schemas::from_pack(&pack).unwrap(), BODY_SCHEMAS);
    }

    fn flat(op: &str, body: &str) -> Result<Option<String>> {
        prepare_body(op, body.as_bytes(), BodyForm::Flat)
    }

    #[test]
    fn builds_the_review_response() {
        let doc = flat(
            "CreateCustomerReviewResponse",
            r#"{"review":"abc-1","responseBody":"Thanks!"}"#,
        )
        .unwrap()
        .unwrap();
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["data"]["type"], "customerReviewResponses");
        assert_eq!(v["data"]["attributes"]["responseBody"], "Thanks!");
        assert_eq!(
            v["data"]["relationships"]["review"]["data"],
            serde_json::json!({"type": "customerReviews", "id": "abc-1"})
        );
    }

    #[test]
    fn every_problem_at_once_named_by_flat_field() {
        let e = flat(
            "CreateBetaTester",
            r#"{"emial":"x","betaGroups":[],"builds":"b1","firstName":3}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::BodyInvalid);
        let got: Vec<(ErrorCode, String)> = e
            .details
            .iter()
            .map(|d| (d.code, d.parameter.clone().unwrap_or_default()))
            .collect();
        for want in [
            (ErrorCode::FieldUnknown, "emial"),
            (ErrorCode::FieldRequired, "email"),
            (ErrorCode::IdListEmpty, "betaGroups"),
            (ErrorCode::FieldTypeInvalid, "builds"),
            (ErrorCode::FieldTypeInvalid, "firstName"),
        ] {
            assert!(
                got.contains(&(want.0, want.1.to_owned())),
                "{want:?} in {got:?}"
            );
        }
        assert!(
            e.details[0].message.contains("did you mean email?"),
            "{e:?}"
        );
    }

    #[test]
    fn linkage_lists_and_ids() {
        let doc = flat("AddBetaTestersToGroup", r#"{"betaTesters":["t1","t2"]}"#)
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            v["data"][1],
            serde_json::json!({"type": "betaTesters", "id": "t2"})
        );
        let e = flat("AddBetaTestersToGroup", r#"{"betaTesters":["ok","../x"]}"#).unwrap_err();
        assert_eq!(e.details[0].code, ErrorCode::IdInvalid);
        assert_eq!(e.details[0].parameter.as_deref(), Some("betaTesters[1]"));
        let many = format!(
            "{{\"betaTesters\":[{}]}}",
            vec!["\"a\""; MAX_IDS + 1].join(",")
        );
        let e = flat("AddBetaTestersToGroup", &many).unwrap_err();
        assert_eq!(e.details[0].code, ErrorCode::FieldOutOfRange);
        let e = flat(
            "SendBetaTesterInvitation",
            r#"{"app":"com.example","betaTester":"t"}"#,
        )
        .unwrap_err();
        assert_eq!(e.details[0].parameter.as_deref(), Some("app"));
    }

    #[test]
    fn raw_documents_are_checked_as_they_are() {
        let raw = r#"{"data":{"type":"customerReviewResponses","attributes":{"responseBody":"Hi"},"relationships":{"review":{"data":{"type":"apps","id":"r1"}}}}}"#;
        let e = prepare_body(
            "CreateCustomerReviewResponse",
            raw.as_bytes(),
            BodyForm::Raw,
        )
        .unwrap_err();
        assert_eq!(e.details[0].code, ErrorCode::RelationshipTypeInvalid);
        assert_eq!(
            e.details[0].parameter.as_deref(),
            Some("data.relationships.review.data.type")
        );
        let ok = raw.replace("\"apps\"", "\"customerReviews\"");
        let sent = prepare_body("CreateCustomerReviewResponse", ok.as_bytes(), BodyForm::Raw)
            .unwrap()
            .unwrap();
        let built = flat(
            "CreateCustomerReviewResponse",
            r#"{"review":"r1","responseBody":"Hi"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&sent).unwrap(),
            serde_json::from_str::<Value>(&built).unwrap()
        );
    }

    #[test]
    fn bodies_where_none_or_one_belongs() {
        assert_eq!(flat("DeleteBetaTester", "").unwrap(), None);
        assert_eq!(
            flat("DeleteBetaTester", "{}").unwrap_err().code,
            ErrorCode::BodyNotAllowed
        );
        let e = flat("CreateCustomerReviewResponse", " ").unwrap_err();
        assert_eq!(e.code, ErrorCode::BodyRequired);
        assert!(e.message.contains("\"review\": \"<id>\""), "{}", e.message);
        assert_eq!(
            flat("AddBetaTestersToGroup", "[]").unwrap_err().code,
            ErrorCode::BodyMalformed
        );
    }
}
