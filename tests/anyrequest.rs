//! Tests of the spec pack, the generic planner (`anyrequest`) and the body validator (`body`).
//!
//! The expected requests are built here from Apple's spec itself (`spec/...json`), independently of
//! the pack and the planner: path ids filled in, one valid query parameter (plus the required ones),
//! a minimal valid body from the request schema.
#![cfg(feature = "anyrequest")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use asc_connector::anyrequest::{AnyPlan, QueryInput, SpecPack};
use asc_connector::body::{self, parse_strict, Limits};
use asc_connector::{Error, ErrorCode};
use serde_json::{json, Map, Value};

fn pack() -> &'static SpecPack {
    static PACK: OnceLock<SpecPack> = OnceLock::new();
    PACK.get_or_init(|| {
        let cjs =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/spec-pack.cjs"))
                .expect("pkg/spec-pack.cjs (run make pkg)");
        let start = cjs.find("module.exports = ").unwrap() + "module.exports = ".len();
        let literal = cjs[start..].trim_end().trim_end_matches(';');
        let text: String = serde_json::from_str(literal).unwrap();
        SpecPack::parse(&text).unwrap()
    })
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/spec/app-store-connect-openapi-4.4.1.json"
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

fn resolve(s: &Value) -> &Value {
    let mut s = s;
    while let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        s = &spec()["components"]["schemas"][name];
    }
    s
}

/// A minimal valid value of a schema: required properties only, first enum values, one array item.
fn minimal(schema: &Value) -> Value {
    let s = resolve(schema);
    if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
        return minimal(&alts[0]);
    }
    match s.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut m = Map::new();
            let required: Vec<&str> = s["required"]
                .as_array()
                .map_or(vec![], |a| a.iter().filter_map(Value::as_str).collect());
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    if required.contains(&k.as_str()) {
                        m.insert(k.clone(), minimal(v));
                    }
                }
            }
            Value::Object(m)
        }
        Some("array") => json!([minimal(&s["items"])]),
        Some("string") => match s.get("enum").and_then(Value::as_array) {
            Some(e) => e[0].clone(),
            None => match s.get("format").and_then(Value::as_str) {
                Some("date") => json!("2025-01-31"),
                Some("date-time") => json!("2025-01-31T12:00:00Z"),
                Some("email") => json!("ada@example.com"),
                _ => json!("text-1"),
            },
        },
        Some("integer") => json!(s.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        _ => json!({}),
    }
}

/// RFC 3986 unreserved kept, everything else %XX (written here independently of the crate).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A valid value of a query parameter in Apple's text form, and a bad one.
fn param_values(p: &Value) -> (String, String) {
    let s = &p["schema"];
    match s["type"].as_str().unwrap() {
        "integer" => ("1".into(), "many".into()),
        "boolean" => ("true".into(), "maybe".into()),
        "array" => match s["items"].get("enum").and_then(Value::as_array) {
            Some(e) => (e[0].as_str().unwrap().into(), "NOT_A_VALUE".into()),
            None => ("v-1".into(), String::new()),
        },
        _ => match s.get("enum").and_then(Value::as_array) {
            Some(e) => (e[0].as_str().unwrap().into(), "NOT_A_VALUE".into()),
            None => ("v-1".into(), String::new()),
        },
    }
}

struct Case {
    method: String,
    template: String,
    path: String,
    query: Vec<(String, String)>,
    bad_param: (String, String),
    body: Option<Value>,
}

/// 200 operations spread evenly over Apple's order (deterministic).
fn sample() -> Vec<Case> {
    let mut all = Vec::new();
    for (path, item) in spec()["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                all.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    assert_eq!(all.len(), 1263);
    (0..200)
        .map(|i| {
            let (method, template, op) = &all[i * all.len() / 200];
            let path = template.replace("{id}", "Ab-9_z.~1");
            let params: Vec<&Value> = op["parameters"].as_array().map_or(vec![], |a| {
                a.iter().filter(|p| p["in"] == "query").collect()
            });
            let mut query = Vec::new();
            for (n, p) in params.iter().enumerate() {
                if n == 0 || p["required"] == true {
                    query.push((p["name"].as_str().unwrap().to_owned(), param_values(p).0));
                }
            }
            let bad_param = match params.first() {
                Some(p) => (p["name"].as_str().unwrap().to_owned(), param_values(p).1),
                None => ("bogus".to_owned(), "1".to_owned()),
            };
            let body = op
                .pointer("/requestBody/content/application~1json/schema")
                .map(minimal);
            Case {
                method: method.clone(),
                template: template.clone(),
                path,
                query,
                bad_param,
                body,
            }
        })
        .collect()
}

fn plan(c: &Case, query: &[(String, String)], body: Option<&Value>) -> Result<AnyPlan, Error> {
    let pairs: Map<String, Value> = query
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    pack().plan(&c.method, &c.path, QueryInput::Object(&pairs), body)
}

fn names(e: &Error) -> Vec<String> {
    e.details
        .iter()
        .filter_map(|d| d.parameter.clone())
        .collect()
}

#[test]
fn the_pack_covers_the_whole_spec() {
    assert_eq!(pack().operations().len(), 1263);
    assert_eq!(pack().template_count(), 966);
    assert_eq!(pack().spec_version(), "4.4.1");
    let bodies = pack()
        .operations()
        .iter()
        .filter(|o| o.body.is_some())
        .count();
    assert_eq!(bodies, 355);
}

#[test]
fn sampled_operations_plan_exactly_and_refuse_one_bad_parameter_and_field() {
    let cases = sample();
    // Every method kind, with and without path ids.
    for m in ["GET", "POST", "PATCH", "DELETE"] {
        for with_id in [true, false] {
            let n = cases
                .iter()
                .filter(|c| c.method == m && c.template.contains("{id}") == with_id)
                .count();
            assert!(
                n > 0 || (m == "PATCH" && !with_id) || (m == "DELETE" && !with_id),
                "{m} {with_id}"
            );
        }
    }
    for c in &cases {
        let what = format!("{} {}", c.method, c.template);
        // Valid.
        let p = plan(c, &c.query, c.body.as_ref())
            .unwrap_or_else(|e| panic!("{what}: {e} {:?}", e.details));
        assert_eq!(p.method, c.method, "{what}");
        assert_eq!(p.path, c.path, "{what}");
        assert_eq!(p.template, c.template, "{what}");
        let mut q = c.query.clone();
        q.sort();
        let expected: Vec<String> = q.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
        assert_eq!(p.query, expected.join("&"), "{what}");
        assert_eq!(
            p.body,
            c.body.as_ref().map(|b| serde_json::to_string(b).unwrap()),
            "{what}"
        );
        // The raw query form plans the same.
        let raw: Vec<String> = c
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let p2 = pack()
            .plan(
                &c.method.to_lowercase(),
                &c.path,
                QueryInput::Raw(&raw.join("&")),
                c.body.as_ref(),
            )
            .unwrap();
        assert_eq!(p2, p, "{what}");
        // One bad parameter.
        let mut bad = c.query.clone();
        bad.retain(|(k, _)| *k != c.bad_param.0);
        bad.push(c.bad_param.clone());
        let e = plan(c, &bad, c.body.as_ref()).expect_err(&what);
        assert_eq!(
            (e.code, e.http_status()),
            (ErrorCode::RequestInvalid, 400),
            "{what}"
        );
        assert_eq!(names(&e), vec![c.bad_param.0.clone()], "{what}: {e}");
        // One bad body field (or a body where none is taken).
        let (body, field) = match &c.body {
            Some(b) => {
                let mut b = b.clone();
                let field = if b["data"].is_array() {
                    b["data"][0]["type"] = json!("notAType");
                    "data[0].type"
                } else {
                    b["data"]["type"] = json!("notAType");
                    "data.type"
                };
                (b, field)
            }
            None => (json!({"data": {}}), "body"),
        };
        let e = plan(c, &c.query, Some(&body)).expect_err(&what);
        assert_eq!(e.code, ErrorCode::RequestInvalid, "{what}");
        assert_eq!(names(&e), vec![field.to_owned()], "{what}: {e}");
    }
}

#[test]
fn body_problems_name_their_field_and_come_all_at_once() {
    let body = json!({"data": {
        "type": "customerReviewResponse",
        "attributes": {"responseBody": 5, "rating": 3},
        "relationships": {"review": {"data": {"type": "apps", "id": ""}}}
    }});
    let e = pack()
        .plan(
            "POST",
            "/v1/customerReviewResponses",
            QueryInput::Raw(""),
            Some(&body),
        )
        .unwrap_err();
    let got: Vec<(ErrorCode, String)> = e
        .details
        .iter()
        .map(|d| (d.code, d.parameter.clone().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (ErrorCode::FieldEnumInvalid, "data.type".to_owned()),
            (
                ErrorCode::FieldTypeInvalid,
                "data.attributes.responseBody".to_owned()
            ),
            (ErrorCode::FieldUnknown, "data.attributes.rating".to_owned()),
            (
                ErrorCode::RelationshipTypeInvalid,
                "data.relationships.review.data.type".to_owned()
            ),
            (
                ErrorCode::FieldTypeInvalid,
                "data.relationships.review.data.id".to_owned()
            ),
        ],
        "{e}"
    );
    assert!(
        e.details[0]
            .message
            .contains("did you mean 'customerReviewResponses'"),
        "{e}"
    );
    // An empty id list on a to-many relationship, and a missing required field.
    let e = pack()
        .plan(
            "POST",
            "/v1/betaGroups/123/relationships/betaTesters",
            QueryInput::Raw(""),
            Some(&json!({"data": []})),
        )
        .unwrap_err();
    assert_eq!(e.details[0].code, ErrorCode::IdListEmpty, "{e}");
    let e = pack()
        .plan(
            "POST",
            "/v1/betaTesters",
            QueryInput::Raw(""),
            Some(&json!({"data": {"type": "betaTesters"}})),
        )
        .unwrap_err();
    assert_eq!(e.details[0].code, ErrorCode::FieldRequired, "{e}");
    assert_eq!(e.details[0].parameter.as_deref(), Some("data.attributes"));
    // The body validator on its own, as the write actions use it.
    let op = pack().operation("POST", "/v1/betaTesters").unwrap();
    let ok = br#"{"data":{"type":"betaTesters","attributes":{"email":"ada@example.com"}}}"#;
    assert!(body::check_body(pack().schemas(), op.body.unwrap(), ok).is_ok());
    let e = body::check_body(
        pack().schemas(),
        op.body.unwrap(),
        br#"{"data":{"type":"betaTesters","attributes":{"email":"nope"}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::BodyInvalid);
    assert_eq!(e.details[0].code, ErrorCode::FieldFormatInvalid);
    let e = body::check_body(
        pack().schemas(),
        op.body.unwrap(),
        br#"{"data":{},"data":{}}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::BodyDuplicateKey);
}

#[test]
fn query_forms_and_problems() {
    let q = |v: Value| pack().plan_value(&json!({"method": "GET", "path": "/v1/apps", "query": v}));
    let p =
        q(json!({"limit": 5, "fields[apps]": ["name", "bundleId"], "filter[bundleId]": "a.b,c"}))
            .unwrap();
    assert_eq!(
        p.query,
        "fields[apps]=name,bundleId&filter[bundleId]=a.b,c&limit=5"
    );
    assert_eq!(
        q(json!("?limit=5&fields%5Bapps%5D=name")).unwrap().query,
        "fields[apps]=name&limit=5"
    );
    let e = q(json!({"limit": 500, "limt": 1, "fields[apps]": ["nam"]})).unwrap_err();
    let codes: Vec<ErrorCode> = e.details.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec![
            ErrorCode::ParameterOutOfRange,
            ErrorCode::ParameterUnknown,
            ErrorCode::ParameterEnumInvalid
        ],
        "{e}"
    );
    assert!(e.details[1].message.contains("did you mean limit?"), "{e}");
    // Required parameters.
    let e = pack()
        .plan_value(&json!({"method": "GET", "path": "/v1/salesReports"}))
        .unwrap_err();
    assert!(
        e.details
            .iter()
            .all(|d| d.code == ErrorCode::ParameterRequired)
            && e.details.len() == 4,
        "{e}"
    );
    // A body on a GET.
    let e = pack()
        .plan_value(&json!({"method": "GET", "path": "/v1/apps", "body": {}}))
        .unwrap_err();
    assert_eq!(e.details[0].code, ErrorCode::BodyNotAllowed);
    // The envelope itself.
    let e = pack()
        .plan_value(&json!({"methd": "GET", "path": 1}))
        .unwrap_err();
    assert_eq!(names(&e), vec!["methd", "method", "path"], "{e}");
    let e = pack()
        .plan_json(br#"{"method":"GET","path":"/v1/apps","path":"/v1/users"}"#)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BodyDuplicateKey);
}

#[test]
fn routing_errors() {
    let none = QueryInput::Raw("");
    let e = pack().plan("GET", "/v1/ap", none, None).unwrap_err();
    assert_eq!((e.code, e.http_status()), (ErrorCode::RouteNotFound, 404));
    assert!(e.message.contains("GET /v1/apps"), "{e}");
    let e = pack().plan("PUT", "/v1/apps/1", none, None).unwrap_err();
    assert_eq!(
        (e.code, e.http_status()),
        (ErrorCode::MethodNotAllowed, 405)
    );
    assert!(e.message.contains("allowed: GET, PATCH"), "{e}");
    let long_id = "a".repeat(201);
    let e = pack()
        .plan("GET", &format!("/v1/apps/{long_id}"), none, None)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::IdInvalid);
}

#[test]
fn paths_that_try_to_leave_apple_are_refused() {
    let none = QueryInput::Raw("");
    let rows = [
        "//evil.example/v1/apps",
        "https://evil.example/v1/apps",
        "http://api.appstoreconnect.apple.com/v1/apps",
        "api.appstoreconnect.apple.com/v1/apps",
        "@evil.example/v1/apps",
        "/v1/../v1/apps",
        "/v1/apps/..",
        "/v1/apps/.",
        "/v1/apps/%2e%2e",
        "/v1/apps%2Fevil",
        "/v1/apps/1%2F..%2F..",
        "/v1/apps/1%5C..",
        "/v1/apps\\1",
        "/v1/apps/1%00",
        "/v1/apps/\u{0}",
        "/v1/apps/1 2",
        "/v1/apps/1\t",
        "/v1/apps?x=1",
        "/v1/apps#x",
        "/v1/apps/",
        "/v1//apps",
        "/v1/apps/evil.example:443",
        "/v1/apps/%zz",
        "/v1/apps/%C0%AF",
        "",
        "/",
        "\\\\evil.example\\v1",
    ];
    for path in rows {
        for method in ["GET", "POST", "PATCH", "DELETE"] {
            let e = pack().plan(method, path, none, None).expect_err(path);
            assert!(
                matches!(
                    e.code,
                    ErrorCode::RequestTargetInvalid
                        | ErrorCode::RouteNotFound
                        | ErrorCode::IdInvalid
                ),
                "{path}: {e}"
            );
        }
    }
    let e = pack()
        .plan("GET", &format!("/v1/{}", "a".repeat(3000)), none, None)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestTooLarge);
}

#[test]
fn strict_intake_rows() {
    let l = Limits::default();
    let rows: [(&[u8], ErrorCode); 8] = [
        (b"", ErrorCode::BodyMalformed),
        (b"null", ErrorCode::BodyMalformed),
        (b"42", ErrorCode::BodyMalformed),
        (b"{\"a\":1,}", ErrorCode::BodyMalformed),
        (
            b"{\"__proto__\":1,\"__proto__\":2}",
            ErrorCode::BodyDuplicateKey,
        ),
        (b"\xEF\xBB\xBF{}", ErrorCode::BodyMalformed),
        (b"{\"a\":\"\xC0\xAF\"}", ErrorCode::BodyMalformed),
        (b"{\"a\":1e999}", ErrorCode::BodyMalformed),
    ];
    for (bytes, code) in rows {
        assert_eq!(
            parse_strict(bytes, &l).unwrap_err().code,
            code,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn schema_details_numbers_maps_nulls_one_of_and_empty_lists() {
    let none = QueryInput::Raw("");
    let upload = |size: Value| {
        let body = json!({"data": {"type": "buildUploadFiles",
            "attributes": {"assetType": "ASSET", "fileName": "a.ipa", "fileSize": size, "uti": "com.apple.ipa"},
            "relationships": {"buildUpload": {"data": {"type": "buildUploads", "id": "1"}}}}});
        pack().plan("POST", "/v1/buildUploadFiles", none, Some(&body))
    };
    assert!(upload(json!(10)).is_ok());
    let codes = |r: Result<AnyPlan, Error>| -> Vec<(ErrorCode, String)> {
        r.unwrap_err()
            .details
            .into_iter()
            .map(|d| (d.code, d.parameter.unwrap()))
            .collect()
    };
    let field = "data.attributes.fileSize".to_owned();
    assert_eq!(
        codes(upload(json!(0))),
        vec![(ErrorCode::FieldOutOfRange, field.clone())]
    );
    assert_eq!(
        codes(upload(json!(1.5))),
        vec![(ErrorCode::FieldTypeInvalid, field.clone())]
    );
    assert_eq!(
        codes(upload(json!("10"))),
        vec![(ErrorCode::FieldTypeInvalid, field)]
    );
    // A string → string map (additionalProperties), nullable next to a $ref.
    let achievement = |props: Value| {
        let body = json!({"data": {"type": "gameCenterAchievements",
            "attributes": {"referenceName": "r", "vendorIdentifier": "v", "points": 5, "showBeforeEarned": true,
                           "repeatable": false, "activityProperties": props},
            "relationships": {"versions": {"data": [{"type": "gameCenterAchievementVersions", "id": "1"}]}}}});
        pack().plan("POST", "/v2/gameCenterAchievements", none, Some(&body))
    };
    let r = achievement(json!({"level": "1"}));
    assert!(r.is_ok(), "{r:?}");
    assert!(achievement(Value::Null).is_ok());
    assert_eq!(
        codes(achievement(json!({"level": 1}))),
        vec![(
            ErrorCode::FieldTypeInvalid,
            "data.attributes.activityProperties.level".to_owned()
        )]
    );
    // Replacing a to-many relationship with an empty list is allowed (PATCH), adding none is not.
    let empty = json!({"data": []});
    assert!(pack()
        .plan(
            "PATCH",
            "/v1/appPreviewSets/1/relationships/appPreviews",
            none,
            Some(&empty)
        )
        .is_ok());
    assert_eq!(
        codes(pack().plan(
            "DELETE",
            "/v1/betaGroups/1/relationships/betaTesters",
            none,
            Some(&empty)
        )),
        vec![(ErrorCode::IdListEmpty, "data".to_owned())]
    );
    // `included` items are one of several inline resources, told apart by their type.
    let page = |included: Value| {
        let body = json!({"data": {"type": "appCustomProductPages", "attributes": {"name": "n"},
            "relationships": {"app": {"data": {"type": "apps", "id": "1"}}}}, "included": included});
        pack().plan("POST", "/v1/appCustomProductPages", none, Some(&body))
    };
    assert!(page(json!([{"type": "appCustomProductPageLocalizations", "attributes": {"locale": "en-US"}}])).is_ok(),
        "{:?}", page(json!([{"type": "appCustomProductPageLocalizations", "attributes": {"locale": "en-US"}}])));
    assert_eq!(
        codes(page(json!([{"type": "apps"}]))),
        vec![(ErrorCode::FieldEnumInvalid, "included[0]".to_owned())]
    );
}

#[test]
fn the_envelope_carries_shape_as_a_checked_boolean() {
    let plan = |text: &str| pack().plan_json(text.as_bytes());
    assert!(
        plan(r#"{"method":"GET","path":"/v1/apps","shape":true}"#)
            .unwrap()
            .shape
    );
    assert!(
        !plan(r#"{"method":"GET","path":"/v1/apps","shape":false}"#)
            .unwrap()
            .shape
    );
    assert!(!plan(r#"{"method":"GET","path":"/v1/apps"}"#).unwrap().shape);
    let e = plan(r#"{"method":"GET","path":"/v1/apps","shape":"yes","extra":1}"#).unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestInvalid);
    assert_eq!(names(&e), ["extra", "shape"]);
    // Left out of the serialised plan when false (the JS plan object has no `shape` then).
    let text =
        serde_json::to_string(&plan(r#"{"method":"GET","path":"/v1/apps"}"#).unwrap()).unwrap();
    assert!(!text.contains("shape"));
}

/// Parameter values are kept comma-separated, so a pack whose parameter enum has an empty value or
/// one with a comma is refused (tools/gen-spec-pack.mjs never writes one; Apple's spec has none),
/// while such a list that no parameter uses is fine.
#[test]
fn a_parameter_enum_value_with_a_comma_is_refused() {
    let cjs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/spec-pack.cjs"))
        .expect("pkg/spec-pack.cjs (run make pkg)");
    let start = cjs.find("module.exports = ").unwrap() + "module.exports = ".len();
    let text: String = serde_json::from_str(cjs[start..].trim_end().trim_end_matches(';')).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let used = doc["params"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|row| row[2].as_u64().filter(|_| row[1] == "a"))
        .unwrap() as usize;
    for bad in ["a,b", ""] {
        let mut d = doc.clone();
        d["enums"][used].as_array_mut().unwrap().push(json!(bad));
        let e = SpecPack::parse(&d.to_string()).err().unwrap();
        assert_eq!(e.code, ErrorCode::SpecPackInvalid, "{e}");
        assert!(e.message.contains("comma"), "{e}");
        let mut d = doc.clone();
        d["enums"].as_array_mut().unwrap().push(json!([bad]));
        assert!(SpecPack::parse(&d.to_string()).is_ok());
    }
}
