//! Response shaping through the public API: fixtures shaped by hand, paging links, raw mode,
//! Apple's error bodies and garbage of every kind.
#![cfg(feature = "gateway")]
#![allow(clippy::unwrap_used)]

use asc_connector::operations::encoding;
use asc_connector::shape::{self, shape_response, ShapeContext, Shaped};
use serde_json::{json, Value};

const APPLE: &str = "https://api.appstoreconnect.apple.com";

fn ctx(query: &str) -> ShapeContext {
    ShapeContext {
        operation_id: "ListApps".into(),
        base_url: "https://gw.example.com".into(),
        path: "/v1/apps".into(),
        query: query.into(),
        upstream_origin: APPLE.into(),
        raw: false,
        outcome_hint: String::new(),
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Shapes and checks that the body is JSON; returns status and parsed body.
fn run(c: &ShapeContext, status: u16, body: &str) -> (u16, Value) {
    let Shaped { status, body } = shape_response(c, status, body);
    let v: Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("output is not JSON ({e}): {body:.200}"));
    (status, v)
}

fn error_of(v: &Value) -> (&str, &str) {
    (
        v["error"]["code"].as_str().unwrap(),
        v["error"]["message"].as_str().unwrap(),
    )
}

/// `(name, value)` pairs of a query, form-decoded.
fn pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (
                encoding::decode(n, true).unwrap(),
                encoding::decode(v, true).unwrap(),
            )
        })
        .collect()
}

fn list_doc(next: Option<&str>) -> String {
    let mut doc: Value = serde_json::from_str(&fixture("list.json")).unwrap();
    match next {
        Some(n) => doc["links"]["next"] = Value::String(n.into()),
        None => {
            doc["links"].as_object_mut().unwrap().remove("next");
        }
    }
    doc.to_string()
}

// ---- fixtures ----

#[test]
fn list_matches_hand_written_records() {
    let (status, got) = run(&ctx("limit=2"), 200, &fixture("list.json"));
    assert_eq!(status, 200);
    let want: Value = serde_json::from_str(&fixture("list.shaped.json")).unwrap();
    assert_eq!(got, want);
}

#[test]
fn one_matches_hand_written_record() {
    let mut c = ctx("");
    c.operation_id = "GetApp".into();
    c.path = "/v1/apps/1493245621".into();
    let (status, got) = run(&c, 200, &fixture("one.json"));
    assert_eq!(status, 200);
    let want: Value = serde_json::from_str(&fixture("one.shaped.json")).unwrap();
    assert_eq!(got, want);
}

#[test]
fn list_with_included_matches_hand_written_records() {
    let c = ctx("include=appStoreVersions&limit=2&limit%5BappStoreVersions%5D=2");
    let (_, got) = run(&c, 200, &fixture("list_inc.json"));
    let want: Value = serde_json::from_str(&fixture("list_inc.shaped.json")).unwrap();
    assert_eq!(got, want);
}

#[test]
fn record_keys_keep_apples_order() {
    // serde_json::Value equality ignores key order, so check the order on the text.
    let Shaped { body, .. } = shape_response(&ctx("limit=2"), 200, &fixture("list_inc.json"));
    let v: Value = serde_json::from_str(&body).unwrap();
    let keys: Vec<&str> = v["value"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.first(), Some(&"id"));
    assert_eq!(keys.get(1), Some(&"type"));
    assert_eq!(keys.get(2), Some(&"accessibilityUrl"));
    assert_eq!(keys.get(13), Some(&"streamlinedPurchasingEnabled"));
    assert_eq!(keys.get(14), Some(&"appStoreUrl"));
    assert_eq!(keys.last(), Some(&"appStoreVersions"));
    assert!(!body.contains("\"links\"") && !body.contains("\"relationships\""));
    assert!(!body.contains("\"meta\"") && !body.contains("\"attributes\""));
}

// ---- paging ----

#[test]
fn next_link_round_trips_query_and_cursor() {
    let cursors = ["AoJ4g7mg6o4DKzY0NzgyMDMzMTE.ANrJC88", "a+b/c=d&e f~ü"];
    for cursor in cursors {
        let encoded = encoding::encode(cursor);
        let next = format!("{APPLE}/v1/apps?cursor={encoded}&limit=2");
        for query in ["limit=2", "filter%5BbundleId%5D=com.a%2Cb&limit=50", ""] {
            let (_, v) = run(&ctx(query), 200, &list_doc(Some(&next)));
            let link = v["nextLink"].as_str().unwrap();
            let (base, q) = link.split_once('?').unwrap();
            assert_eq!(base, "https://gw.example.com/v1/apps");
            let mut got = pairs(q);
            let last = got.pop().unwrap();
            assert_eq!(last, ("cursor".to_owned(), cursor.to_owned()));
            assert_eq!(got, pairs(query), "query part of {link}");
            if query.is_empty() {
                assert!(q.starts_with("cursor="), "{link}");
            }
        }
    }
}

#[test]
fn next_link_on_apples_origin_in_other_spellings_is_kept() {
    for next in [
        "https://API.AppStoreConnect.apple.com:443/v1/apps?limit=2&cursor=abc",
        "HTTPS://api.appstoreconnect.apple.com/v1/apps?cursor=abc#frag",
        "/v1/apps?cursor=abc",
    ] {
        let (_, v) = run(&ctx("limit=2"), 200, &list_doc(Some(next)));
        assert_eq!(
            v["nextLink"], "https://gw.example.com/v1/apps?limit=2&cursor=abc",
            "{next}"
        );
    }
}

#[test]
fn next_link_elsewhere_or_unusable_refuses_the_page() {
    for next in [
        "https://evil.example.com/v1/apps?cursor=abc",
        "http://api.appstoreconnect.apple.com/v1/apps?cursor=abc",
        "https://api.appstoreconnect.apple.com:8443/v1/apps?cursor=abc",
        "https://api.appstoreconnect.apple.com@evil.com/v1/apps?cursor=abc",
        "https://api.appstoreconnect.apple.com.evil.com/v1/apps?cursor=abc",
        "https://api.appstoreconnect.apple.com\\@evil.com/v1/apps?cursor=abc",
        "//evil.com/v1/apps?cursor=abc",
        "javascript:alert(1)//?cursor=abc",
        "v1/apps?cursor=abc",
        "https://api.appstoreconnect.apple.com/v1/apps?limit=2",
        "https://api.appstoreconnect.apple.com/v1/apps?cursor=",
        "https://api.appstoreconnect.apple.com/v1/apps?cursor=a&cursor=b",
        "https://api.appstoreconnect.apple.com/v1/apps?cursor=%ZZ",
        "https://api.appstoreconnect.apple.com/v1/apps?cursor=%FF",
    ] {
        let (status, v) = run(&ctx("limit=2"), 200, &list_doc(Some(next)));
        assert_eq!(status, 502, "{next}");
        let (code, message) = error_of(&v);
        assert_eq!(code, "UPSTREAM_BAD_RESPONSE");
        assert!(message.contains("next-page link"), "{message}");
        // The link itself is never shown.
        assert!(!v.to_string().contains("evil"), "{v}");
        // Raw mode refuses it the same way.
        let mut raw = ctx("limit=2");
        raw.raw = true;
        assert_eq!(run(&raw, 200, &list_doc(Some(next))).0, 502, "{next}");
    }
    // A misconfigured upstream origin never yields next links.
    let mut c = ctx("limit=2");
    c.upstream_origin = "not a url".into();
    let (status, _) = run(&c, 200, &fixture("list.json"));
    assert_eq!(status, 502);
    // `next: null` is the last page, like no `next` at all.
    let mut doc: Value = serde_json::from_str(&list_doc(None)).unwrap();
    doc["links"]["next"] = Value::Null;
    let (status, v) = run(&ctx("limit=2"), 200, &doc.to_string());
    assert_eq!(status, 200);
    assert!(v.get("nextLink").is_none());
}

#[test]
fn last_page_has_no_next_link_and_total_is_optional() {
    let (_, v) = run(&ctx("limit=2"), 200, &list_doc(None));
    assert!(v.get("nextLink").is_none());
    assert_eq!(v["total"], 7);
    let doc = json!({"data": [], "links": {"self": "x"}, "meta": {"paging": {"limit": 2}}});
    let (status, v) = run(&ctx("limit=2"), 200, &doc.to_string());
    assert_eq!(status, 200);
    assert_eq!(v, json!({"value": []}));
    let doc = json!({"data": [], "meta": {"paging": {"total": "7"}}});
    assert_eq!(run(&ctx(""), 200, &doc.to_string()).1, json!({"value": []}));
}

// ---- raw mode ----

#[test]
fn raw_mode_keeps_apples_document_and_rewrites_next() {
    let mut c = ctx("limit=2");
    c.raw = true;
    let original: Value = serde_json::from_str(&fixture("list.json")).unwrap();
    let (status, got) = run(&c, 200, &fixture("list.json"));
    assert_eq!(status, 200);
    let mut want = original.clone();
    want["links"]["next"] =
        json!("https://gw.example.com/v1/apps?limit=2&cursor=AoJ4g7mg6o4DKzY0NzgyMDMzMTE.ANrJC88");
    assert_eq!(got, want);

    let (status, _) = run(
        &c,
        200,
        &list_doc(Some("https://evil.example.com/v1/apps?cursor=x")),
    );
    assert_eq!(status, 502);

    let one: Value = serde_json::from_str(&fixture("one.json")).unwrap();
    assert_eq!(run(&c, 200, &fixture("one.json")).1, one);

    let (status, v) = run(&c, 200, "{\"links\":{}}");
    assert_eq!(status, 502);
    assert_eq!(error_of(&v).0, "UPSTREAM_BAD_RESPONSE");
    // Errors keep the gateway's error shape in raw mode too.
    let (status, v) = run(&c, 404, &apple_404());
    assert_eq!((status, error_of(&v).0), (404, "UPSTREAM_NOT_FOUND"));
}

// ---- Apple's errors ----

fn apple_404() -> String {
    r#"{"errors":[{"id":"6a0c0c4e-1111-4b7a-9f0e-5a1d2c7e9b44","status":"404","code":"NOT_FOUND","title":"The specified resource does not exist","detail":"There is no resource of type 'AppsV1' with id '9999999999'"}]}"#.into()
}

#[test]
fn apple_error_documents_map_by_status() {
    let c = ctx("");
    let cases = [
        (400, r#"{"errors":[{"id":"5becf2db-2f12-4d6a-9dc2-6ceb33c683b4","status":"400","code":"PARAMETER_ERROR.INVALID","title":"A parameter has an invalid value","detail":"'foo' is not a valid filter type","source":{"parameter":"filter[foo]"}}]}"#.to_owned(), "UPSTREAM_BAD_REQUEST", "parameter"),
        (401, r#"{"errors":[{"status":"401","code":"NOT_AUTHORIZED","title":"Authentication credentials are missing or invalid.","detail":"Provide a properly configured and signed bearer token, and make sure that it has not expired. Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens"}]}"#.to_owned(), "UPSTREAM_UNAUTHORIZED", "clock"),
        (403, r#"{"errors":[{"id":"8e3eec32-f7b3-4eba-86a4-0bea271944e5","status":"403","code":"FORBIDDEN_ERROR","title":"This request is forbidden for security reasons","detail":"The API key in use does not allow this request"}]}"#.to_owned(), "UPSTREAM_FORBIDDEN", "role"),
        (404, apple_404(), "UPSTREAM_NOT_FOUND", "no such resource"),
        (429, r#"{"errors":[{"status":"429","code":"RATE_LIMIT_EXCEEDED","title":"The request rate limit has been reached.","detail":"We've received too many requests for this API. Please wait and try again or slow down your request rate."}]}"#.to_owned(), "UPSTREAM_RATE_LIMITED", "3600"),
    ];
    for (status, body, code, hint) in cases {
        let (got_status, v) = run(&c, status, &body);
        assert_eq!(got_status, status);
        assert_eq!(v["error"]["status"], status);
        let (got_code, message) = error_of(&v);
        assert_eq!(got_code, code);
        assert!(message.contains(hint), "{status}: {message}");
        let apple: Value = serde_json::from_str(&body).unwrap();
        let apple = &apple["errors"][0];
        let d = &v["error"]["details"][0];
        assert_eq!(d["code"], code);
        assert_eq!(d["appleCode"], apple["code"]);
        assert_eq!(d["appleStatus"], apple["status"]);
        assert_eq!(d["title"], apple["title"]);
        assert_eq!(d["detail"], apple["detail"]);
        assert_eq!(d["message"], apple["detail"]);
        assert_eq!(d.get("id"), apple.get("id"));
        assert_eq!(d.get("parameter"), apple["source"].get("parameter"));
        assert!(
            message.contains(apple["code"].as_str().unwrap()),
            "{message}"
        );
    }
}

#[test]
fn the_401_hint_lists_the_usual_causes() {
    let (_, v) = run(
        &ctx(""),
        401,
        r#"{"errors":[{"status":"401","code":"NOT_AUTHORIZED","title":"t"}]}"#,
    );
    let message = error_of(&v).1;
    for cause in [
        "clock",
        "key ID",
        "issuer ID",
        "individual key",
        "revoked",
        "DER",
    ] {
        assert!(message.contains(cause), "missing {cause}: {message}");
    }
}

#[test]
fn missing_agreements_get_their_own_message() {
    let body = r#"{"errors":[{"status":"403","code":"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED","title":"A required agreement is missing or has expired.","detail":"This request requires an in-effect agreement that has not been signed or has expired."}]}"#;
    let (status, v) = run(&ctx(""), 403, body);
    assert_eq!(status, 403);
    let (code, message) = error_of(&v);
    assert_eq!(code, "UPSTREAM_FORBIDDEN");
    assert!(
        message.contains("agreements") && message.contains("Business"),
        "{message}"
    );
    let (_, plain) = run(
        &ctx(""),
        403,
        r#"{"errors":[{"status":"403","code":"FORBIDDEN_ERROR","title":"x"}]}"#,
    );
    assert!(!error_of(&plain).1.contains("Business"));
}

#[test]
fn several_apple_errors_become_several_details() {
    let body = json!({"errors": [
        {"status": "400", "code": "PARAMETER_ERROR.INVALID", "title": "a", "source": {"parameter": "limit"}},
        {"status": "409", "code": "ENTITY_ERROR", "title": "b", "detail": "d", "source": {"pointer": "/data"}},
        "not an object",
    ]});
    let (status, v) = run(&ctx(""), 400, &body.to_string());
    assert_eq!(status, 400);
    let details = v["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["parameter"], "limit");
    assert_eq!(details[0]["message"], "a");
    assert_eq!(details[1]["code"], "UPSTREAM_REJECTED");
    assert_eq!(details[1]["pointer"], "/data");
    assert!(error_of(&v).1.contains("1 more"));
}

#[test]
fn server_errors_and_other_rejections() {
    for status in [500, 502, 503, 504, 599] {
        let (got, v) = run(
            &ctx(""),
            status,
            "<html><body>Service Unavailable</body></html>",
        );
        assert_eq!(got, 502);
        let (code, message) = error_of(&v);
        assert_eq!(code, "UPSTREAM_SERVER_ERROR");
        assert!(
            message.contains(&status.to_string()) && message.contains("HTML"),
            "{message}"
        );
    }
    let (got, v) = run(
        &ctx(""),
        406,
        "Not Acceptable: the Accept header must be application/json",
    );
    assert_eq!(got, 406);
    let (code, message) = error_of(&v);
    assert_eq!(code, "UPSTREAM_REJECTED");
    assert!(
        message.contains("not JSON") && message.contains("406"),
        "{message}"
    );
    for (status, code) in [
        (405, "UPSTREAM_REJECTED"),
        (409, "UPSTREAM_REJECTED"),
        (401, "UPSTREAM_UNAUTHORIZED"),
        (429, "UPSTREAM_RATE_LIMITED"),
    ] {
        let (got, v) = run(&ctx(""), status, "");
        assert_eq!((got, error_of(&v).0), (status, code));
        assert!(error_of(&v).1.contains("an empty body"));
        let (got, v) = run(&ctx(""), status, r#"{"message":"nope"}"#);
        assert_eq!((got, error_of(&v).0), (status, code));
        assert!(
            error_of(&v).1.contains("JSON without a data member"),
            "{}",
            error_of(&v).1
        );
    }
}

#[test]
fn unexpected_statuses_are_bad_responses() {
    for status in [0, 100, 204 - 100, 301, 302, 304, 399, 600, 999, u16::MAX] {
        let (got, v) = run(&ctx(""), status, &fixture("list.json"));
        assert_eq!(got, 502, "{status}");
        let (code, message) = error_of(&v);
        assert_eq!(code, "UPSTREAM_BAD_RESPONSE");
        assert!(message.contains(&status.to_string()));
    }
}

// ---- garbage ----

fn bad(status: u16, body: &str) -> String {
    let (got, v) = run(&ctx("limit=2"), status, body);
    assert_eq!(got, 502, "{body:.80}");
    let (code, message) = error_of(&v);
    assert_eq!(code, "UPSTREAM_BAD_RESPONSE");
    message.to_owned()
}

#[test]
fn garbage_success_bodies_are_described() {
    assert!(bad(200, "").contains("an empty body"));
    assert!(bad(204, "").contains("an empty body"));
    assert!(bad(200, " \r\n\t").contains("whitespace"));
    assert!(bad(200, "<!DOCTYPE html><html><head>")
        .contains("HTML starting with \"<!DOCTYPE html><html><head>\""));
    assert!(bad(200, "<?xml version=\"1.0\"?><a/>").contains("markup"));
    assert!(bad(200, "Internal error, please retry").contains("not JSON"));
    assert!(bad(200, "{\"data\": [1,}").contains("malformed JSON"));
    assert!(bad(200, "{\"data\": []} trailing").contains("malformed JSON"));
    assert!(bad(200, "[1,2]").contains("an array, not a JSON:API document"));
    assert!(bad(200, "42").contains("a number"));
    assert!(bad(200, "null").contains("null"));
    assert!(bad(200, "{}").contains("JSON without a data member"));
    assert!(bad(200, r#"{"errors":[]}"#).contains("JSON without a data member"));
    assert!(bad(200, r#"{"data":null}"#).contains("data member is null"));
    assert!(bad(200, r#"{"data":"x"}"#).contains("data member is a string"));
    assert!(
        bad(200, r#"{"data":[{"type":"apps","id":"1"},7]}"#).contains("data item 1 is a number")
    );
    assert!(bad(200, r#"{"data":[1e999]}"#).contains("too large"));
    let deep = format!(
        "{{\"data\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(bad(200, &deep).contains("data item 0 is an array"));
    let deep = format!(
        "{{\"data\":{{\"type\":\"apps\",\"id\":\"1\",\"attributes\":{{\"a\":{}{}}}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(bad(200, &deep).contains("128 levels"));
    let deep_open = "[".repeat(1_000_000);
    bad(200, &deep_open);
}

#[test]
fn truncated_json_is_reported_as_cut_off_at_every_sampled_point() {
    let full = fixture("list_inc.json");
    let bytes = full.len();
    let mut cut = 1;
    let mut checked = 0;
    while cut < bytes {
        if let Some(part) = full.get(..cut) {
            // The closing whitespace-only tail parses fine; everything else is cut off.
            if !part.trim_end().ends_with('}') || cut < bytes - 2 {
                let message = bad(200, part);
                assert!(
                    message.contains(&format!("JSON cut off after {cut} bytes")),
                    "{cut}: {message}"
                );
                checked += 1;
            }
        }
        cut += if cut < 200 { 1 } else { 211 };
    }
    assert!(checked > 300);
}

#[test]
fn quoted_prefixes_are_short_sanitised_and_never_credentials() {
    let body = format!("<html>\u{1}\u{7}\x1b[31m{}", "x".repeat(500));
    let message = bad(200, &body);
    let quoted = message.split('"').nth(1).unwrap();
    assert!(quoted.chars().count() <= 40, "{quoted}");
    assert!(!quoted.chars().any(char::is_control));
    assert!(!message.contains(&"x".repeat(41)));
    for secret in [
        "eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQyJ9.eyJpc3MiOiJ4In0.c2ln",
        "Authorization: Bearer abc.def.ghi",
        "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG",
    ] {
        let message = bad(200, secret);
        assert!(message.contains("withheld"), "{message}");
        assert!(!message.contains("eyJ") && !message.contains("MIGT"));
        let (_, v) = run(&ctx(""), 401, secret);
        assert!(!v.to_string().contains("eyJ") && !v.to_string().contains("MIGT"));
    }
}

#[test]
fn wrong_types_inside_documents_are_tolerated() {
    let docs = [
        json!({"data": [{"type": "apps", "id": "1", "attributes": "x", "relationships": [1]}]}),
        json!({"data": [{"type": 5, "id": null, "attributes": null, "relationships": {"a": 1, "b": {"data": "x"}, "c": {"data": [1, "x", null, {"id": 3}]}}}]}),
        json!({"data": [{}], "included": {"x": 1}, "links": "x", "meta": [1]}),
        json!({"data": [{"type": "apps", "id": "1"}], "included": [1, "x", null, {"type": "apps"}], "links": {"self": 5}, "meta": {"paging": {"total": -1}}}),
        json!({"data": {"type": "apps", "id": "1", "relationships": {"r": {"data": {"type": [], "id": {}}}}}}),
        json!({"data": [{"type": "apps", "id": "1", "links": 5, "meta": "m", "extra": {"deep": [[[]]]}}], "links": {"self": {"href": 1}}}),
    ];
    for doc in docs {
        let (status, v) = run(&ctx(""), 200, &doc.to_string());
        assert_eq!(status, 200, "{doc}");
        assert!(v.is_object());
    }
    let (_, v) = run(&ctx(""), 200, &docs_first_tolerated());
    assert_eq!(
        v,
        json!({"value": [{"id": "1", "type": "apps", "appStoreUrl": "https://apps.apple.com/app/id1"}]})
    );
}

fn docs_first_tolerated() -> String {
    json!({"data": [{"type": "apps", "id": "1", "attributes": "x", "relationships": [1]}]})
        .to_string()
}

#[test]
fn relationship_rules() {
    let doc = json!({
        "data": {
            "type": "apps", "id": "12a",
            "attributes": {"id": "attr-id", "type": "attr-type", "name": "N", "appInfos": "attr", "appStoreUrl": "apple's"},
            "relationships": {
                "appInfos": {"data": [{"type": "appInfos", "id": "i1"}, {"type": "appInfos", "id": "missing"}]},
                "appStoreIcon": {"data": {"type": "buildIcons", "id": "b1"}},
                "ciProduct": {"data": null},
                "builds": {"links": {"related": "x"}},
                "self": {"data": {"type": "apps", "id": "99"}},
            },
            "links": {"self": "x"},
        },
        "included": [
            {"type": "appInfos", "id": "i1", "attributes": {"state": "READY"},
             "relationships": {"app": {"data": {"type": "apps", "id": "12a"}}, "ageRating": {"links": {}}}},
            {"type": "buildIcons", "id": "b1", "attributes": {"iconType": "APP_STORE"}},
            {"type": "appInfos", "id": "i1", "attributes": {"state": "DUPLICATE IGNORED"}},
        ],
    });
    let (status, v) = run(&ctx(""), 200, &doc.to_string());
    assert_eq!(status, 200);
    assert_eq!(
        v,
        json!({
            "id": "12a", "type": "apps",
            "attributeId": "attr-id", "attributeType": "attr-type",
            "name": "N", "appInfos": "attr", "appStoreUrl": "apple's",
            "appInfosRelationship": [
                {"id": "i1", "type": "appInfos", "state": "READY", "app": {"id": "12a", "type": "apps"}},
                {"id": "missing", "type": "appInfos"},
            ],
            "appStoreIcon": {"id": "b1", "type": "buildIcons", "iconType": "APP_STORE"},
            "ciProduct": null,
            "self": {"id": "99", "type": "apps", "appStoreUrl": "https://apps.apple.com/app/id99"},
        })
    );
}

#[test]
fn cycles_in_included_are_cut_after_one_level() {
    let doc = json!({
        "data": [{"type": "a", "id": "1", "relationships": {"b": {"data": {"type": "b", "id": "2"}}}}],
        "included": [
            {"type": "b", "id": "2", "relationships": {"a": {"data": {"type": "a", "id": "1"}}, "b": {"data": [{"type": "b", "id": "2"}]}}},
            {"type": "a", "id": "1", "relationships": {"b": {"data": {"type": "b", "id": "2"}}}},
        ],
    });
    let (_, v) = run(&ctx(""), 200, &doc.to_string());
    assert_eq!(
        v,
        json!({"value": [{"id": "1", "type": "a", "b": {"id": "2", "type": "b", "a": {"id": "1", "type": "a"}, "b": [{"id": "2", "type": "b"}]}}]})
    );
}

#[test]
fn byte_order_mark_and_escaped_keys_are_read() {
    let body = "\u{feff}{\"d\\u0061ta\":{\"type\":\"apps\",\"id\":\"7\",\"attributes\":{\"n\\u0061me\":\"x\\ny\"}}}";
    let (_, v) = run(&ctx(""), 200, body);
    assert_eq!(
        v,
        json!({"id": "7", "type": "apps", "name": "x\ny", "appStoreUrl": "https://apps.apple.com/app/id7"})
    );
}

#[test]
fn error_document_helper() {
    let e = asc_connector::Error::new(asc_connector::ErrorCode::UpstreamTimeout, "slow");
    let v: Value = serde_json::from_str(&shape::error_document(&e)).unwrap();
    assert_eq!(
        v,
        json!({"error": {"status": 504, "code": "UPSTREAM_TIMEOUT", "message": "slow"}})
    );
    assert_eq!(shape::error_response(&e).status, 504);
}

// ---- the benchmark page ----

/// The benchmark page from its one generator, `tools/gen-bench-page.mjs` (needs `node`: a missing
/// `node` fails the test rather than skipping it).
fn bench_page(apps: usize) -> String {
    let script = format!("{}/tools/gen-bench-page.mjs", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("node")
        .args([script.as_str(), &apps.to_string()])
        .output()
        .unwrap_or_else(|e| {
            panic!("this test needs `node` (Node.js 20 or later) on PATH to run tools/gen-bench-page.mjs: {e}")
        });
    assert!(out.status.success(), "gen-bench-page.mjs failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bench_page_is_realistic_and_shapes() {
    let page = bench_page(200);
    assert!(
        (400_000..800_000).contains(&page.len()),
        "{} bytes",
        page.len()
    );
    let c = ctx("include=appStoreVersions&limit=200&limit%5BappStoreVersions%5D=2");
    let (status, v) = run(&c, 200, &page);
    assert_eq!(status, 200);
    let value = v["value"].as_array().unwrap();
    assert_eq!(value.len(), 200);
    assert_eq!(v["total"], 1000);
    assert!(v["nextLink"]
        .as_str()
        .unwrap()
        .ends_with("&cursor=AoJ4g7mg6o4DKzE0MDAwMDAwMDA.ANrJC88"));
    for (i, rec) in value.iter().enumerate() {
        let versions = rec["appStoreVersions"].as_array().unwrap();
        assert_eq!(versions.len(), if i == 199 { 1 } else { 2 });
        assert!(versions.iter().all(|v| v["versionString"].is_string()));
    }
    assert_eq!(bench_page(3), bench_page(3));
}

#[test]
fn writes_pass_204_on_and_say_a_5xx_may_have_applied_the_change() {
    let mut c = ctx("");
    c.operation_id = "DeleteBetaTester".into();
    let out = shape_response(&c, 204, "");
    assert_eq!((out.status, out.body.as_str()), (204, ""));
    // A read never expects an empty 204.
    assert_eq!(shape_response(&ctx(""), 204, "").status, 502);
    c.operation_id = "CreateBetaTester".into();
    c.outcome_hint = "look the tester up with ListBetaTesters".into();
    let body = r#"{"errors":[{"status":"500","code":"UNEXPECTED_ERROR","title":"An unexpected error occurred.","detail":"x"}]}"#;
    let out = shape_response(&c, 500, body);
    assert_eq!(out.status, 502);
    let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(v["error"]["code"], "UPSTREAM_SERVER_ERROR");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("may have been applied"), "{message}");
    assert!(
        message.ends_with("To check: look the tester up with ListBetaTesters."),
        "{message}"
    );
    // A 2xx to a write whose body is cut off: the change was made, and the message says so.
    let out = shape_response(&c, 201, r#"{"data":{"type":"betaTesters","id""#);
    assert_eq!(out.status, 502);
    let v: serde_json::Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(v["error"]["code"], "UPSTREAM_BAD_RESPONSE");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("answered 201, so the change was made"));
    // A 4xx to a write is Apple refusing it: no hint.
    let out = shape_response(&c, 409, body.replace("500", "409").as_str());
    assert!(!out.body.contains("may have been applied"));
}
