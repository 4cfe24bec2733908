//! The exported JavaScript surface, run as wasm in Node by wasm-bindgen-test-runner
//! (`make test-wasm`). Calls the bindings the way JavaScript does (JsValue in, JsValue out) and
//! checks results and that every failure is a real `Error` with a stable `code` and `status`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, missing_docs)]

use asc_connector::wasm;
use base64::Engine;
use js_sys::{Array, Reflect, JSON};
use p256::pkcs8::EncodePrivateKey;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const NOW: f64 = 1_760_000_000.0;
const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";

/// A throwaway P-256 key made at test time, as PKCS#8 PEM.
fn throwaway_key_pem() -> String {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).unwrap();
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
            return secret
                .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
                .unwrap()
                .to_string();
        }
    }
}

fn js(value: serde_json::Value) -> JsValue {
    JSON::parse(&value.to_string()).unwrap()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// Asserts `err` is a JS Error with this code and a status, and returns its message.
fn assert_error(err: JsValue, code: &str) -> String {
    let error = err
        .dyn_ref::<js_sys::Error>()
        .expect("thrown value is an Error");
    assert_eq!(get(&err, "code").as_string().as_deref(), Some(code));
    let status = get(&err, "status").as_f64().unwrap();
    assert!((400.0..600.0).contains(&status));
    assert!(Array::is_array(&get(&err, "details")));
    String::from(error.message())
}

fn claims(token: &str) -> serde_json::Value {
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[wasm_bindgen_test]
fn mint_token_team_and_individual() {
    let key = throwaway_key_pem();
    let team = wasm::mint_token(
        js(serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": key})),
        NOW.into(),
    )
    .unwrap();
    let c = claims(&team);
    assert_eq!(c["iss"], ISSUER);
    assert_eq!(c["aud"], "appstoreconnect-v1");
    assert_eq!(c["iat"], NOW as u64 - 60);
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 900);
    assert!(c.get("sub").is_none());

    let individual = wasm::mint_token(
        js(
            serde_json::json!({"keyId": "2X9R4HXF34", "individual": true, "privateKey": key,
            "lifetimeSeconds": 600, "scope": ["GET /v1/apps"]}),
        ),
        NOW.into(),
    )
    .unwrap();
    let c = claims(&individual);
    assert_eq!(c["sub"], "user");
    assert!(c.get("iss").is_none());
    assert_eq!(c["scope"][0], "GET /v1/apps");
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 600);
}

#[wasm_bindgen_test]
fn token_minter_caches_and_invalidates() {
    let key = throwaway_key_pem();
    let options =
        js(serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": key}));
    let mut minter = wasm::JsTokenMinter::new(options).unwrap();
    assert_eq!(minter.expires_at(), None);
    let first = minter.token(NOW.into()).unwrap();
    assert_eq!(minter.token((NOW + 60.0).into()).unwrap(), first);
    assert_eq!(minter.mint_count(), 1.0);
    let exp = minter.expires_at().unwrap();
    assert_eq!(exp, NOW - 60.0 + 900.0);
    // At exactly 120 s before expiry the minter signs a new token.
    let second = minter.token((exp - 120.0).into()).unwrap();
    assert_ne!(second, first);
    assert_eq!(minter.mint_count(), 2.0);
    minter.invalidate();
    let third = minter.token((exp - 100.0).into()).unwrap();
    assert_ne!(third, second);
    assert_eq!(minter.mint_count(), 3.0);
}

#[wasm_bindgen_test]
fn inspect_token_reports_and_verifies() {
    let key = throwaway_key_pem();
    let token = wasm::mint_token(
        js(serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": key.clone()})),
        NOW.into(),
    )
    .unwrap();
    let public = wasm::public_key_pem(key.into()).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    let report = wasm::inspect(token.into(), NOW.into(), public.into()).unwrap();
    assert_eq!(Array::from(&get(&report, "problems")).length(), 0);
    assert_eq!(get(&report, "signatureVerified").as_bool(), Some(true));
    assert_eq!(
        get(&get(&report, "payload"), "iss").as_string().as_deref(),
        Some(ISSUER)
    );

    let garbage = wasm::inspect("not a token".into(), NOW.into(), JsValue::UNDEFINED).unwrap();
    let problems = Array::from(&get(&garbage, "problems"));
    assert!(problems.length() >= 1);
    assert_eq!(
        get(&problems.get(0), "code").as_string().as_deref(),
        Some("TOKEN_MALFORMED")
    );

    assert_error(
        wasm::inspect(JsValue::from(42), NOW.into(), JsValue::UNDEFINED).unwrap_err(),
        "OPTIONS_INVALID",
    );
}

#[wasm_bindgen_test]
fn option_errors_are_errors_with_codes() {
    let key = throwaway_key_pem();
    let body_marker: String = key.lines().nth(1).unwrap().chars().take(16).collect();
    let cases = [
        (serde_json::json!("just a string"), "OPTIONS_INVALID"),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "issuerID": ISSUER, "privateKey": key}),
            "OPTIONS_INVALID",
        ),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": "not-a-uuid", "privateKey": key}),
            "ISSUER_ID_INVALID",
        ),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": key, "lifetimeSeconds": 1201}),
            "LIFETIME_TOO_LONG",
        ),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "individual": true, "privateKey": key}),
            "KEY_TYPE_CONFLICT",
        ),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "privateKey": key}),
            "KEY_TYPE_CONFLICT",
        ),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": "hello world"}),
            "KEY_NOT_PEM",
        ),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": 7}),
            "OPTIONS_INVALID",
        ),
        (
            serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": key, "scope": ["FETCH everything"]}),
            "SCOPE_INVALID",
        ),
    ];
    for (options, code) in cases {
        let message = assert_error(wasm::mint_token(js(options), NOW.into()).unwrap_err(), code);
        assert!(
            !message.contains(&body_marker),
            "{code} message echoes the key"
        );
    }
    let options =
        js(serde_json::json!({"keyId": "2X9R4HXF34", "issuerId": ISSUER, "privateKey": key}));
    assert_error(
        wasm::mint_token(options, JsValue::from("soon")).unwrap_err(),
        "TIME_INVALID",
    );
    assert_error(
        wasm::JsTokenMinter::new(js(
            serde_json::json!({"keyId": "", "issuerId": ISSUER, "privateKey": key}),
        ))
        .err()
        .unwrap(),
        "KEY_ID_INVALID",
    );
}

#[wasm_bindgen_test]
fn plan_request_and_shape_response() {
    let plan = wasm::plan(
        "GET".into(),
        "/v1/apps".into(),
        "limit=5&filter%5BbundleId%5D=com.example.a".into(),
    )
    .unwrap();
    assert_eq!(
        get(&plan, "operationId").as_string().as_deref(),
        Some("ListApps")
    );
    assert_eq!(
        get(&plan, "upstreamPath").as_string().as_deref(),
        Some("/v1/apps")
    );

    let err = wasm::plan(
        "GET".into(),
        "/v1/apps".into(),
        "limit=500&filter%5Bfoo%5D=1".into(),
    )
    .unwrap_err();
    assert_error(err.clone(), "REQUEST_INVALID");
    let details = Array::from(&get(&err, "details"));
    assert_eq!(details.length(), 2);
    assert_error(
        wasm::plan("GET".into(), "/v1/users".into(), "".into()).unwrap_err(),
        "ROUTE_NOT_FOUND",
    );
    assert_error(
        wasm::plan("DELETE".into(), "/v1/apps".into(), "".into()).unwrap_err(),
        "METHOD_NOT_ALLOWED",
    );

    let body = r#"{"data":[{"type":"apps","id":"1","attributes":{"name":"A"}}],"links":{"self":"https://api.appstoreconnect.apple.com/v1/apps"},"meta":{"paging":{"total":1,"limit":50}}}"#;
    let shaped = wasm::shape(
        "ListApps".into(),
        JsValue::from(200),
        body.into(),
        js(
            serde_json::json!({"baseUrl": "https://gw.example.com", "path": "/v1/apps", "query": "",
            "upstreamOrigin": "https://api.appstoreconnect.apple.com"}),
        ),
    )
    .unwrap();
    assert_eq!(get(&shaped, "status").as_f64(), Some(200.0));
    let out: serde_json::Value =
        serde_json::from_str(&get(&shaped, "body").as_string().unwrap()).unwrap();
    assert_eq!(out["value"][0]["name"], "A");
    assert_eq!(out["total"], 1);

    let garbage = wasm::shape(
        "ListApps".into(),
        JsValue::from(200),
        "<html>".into(),
        js(
            serde_json::json!({"baseUrl": "https://gw.example.com", "path": "/v1/apps", "query": "",
            "upstreamOrigin": "https://api.appstoreconnect.apple.com"}),
        ),
    )
    .unwrap();
    assert_eq!(get(&garbage, "status").as_f64(), Some(502.0));

    // The body may also arrive as bytes; invalid UTF-8 is a bad upstream answer, not a trap.
    let ctx = || {
        js(
            serde_json::json!({"baseUrl": "https://gw.example.com", "path": "/v1/apps", "query": "",
            "upstreamOrigin": "https://api.appstoreconnect.apple.com"}),
        )
    };
    let bytes = js_sys::Uint8Array::from(body.as_bytes());
    let shaped = wasm::shape("ListApps".into(), JsValue::from(200), bytes.into(), ctx()).unwrap();
    let out: serde_json::Value =
        serde_json::from_str(&get(&shaped, "body").as_string().unwrap()).unwrap();
    assert_eq!(out["value"][0]["name"], "A");
    let invalid = js_sys::Uint8Array::from(&[0x7b_u8, 0xff, 0xfe, 0x7d][..]);
    let shaped = wasm::shape("ListApps".into(), JsValue::from(200), invalid.into(), ctx()).unwrap();
    assert_eq!(get(&shaped, "status").as_f64(), Some(502.0));
    assert!(get(&shaped, "body")
        .as_string()
        .unwrap()
        .contains("UPSTREAM_BAD_RESPONSE"));
    assert_error(
        wasm::shape(
            "ListApps".into(),
            JsValue::from(99),
            "".into(),
            JsValue::UNDEFINED,
        )
        .unwrap_err(),
        "OPTIONS_INVALID",
    );
}

#[wasm_bindgen_test]
fn shape_response_takes_chunks_and_answers_bytes() {
    let ctx = |bytes: bool| {
        js(
            serde_json::json!({"baseUrl": "https://gw.example.com", "path": "/v1/apps", "query": "",
            "upstreamOrigin": "https://api.appstoreconnect.apple.com", "bytes": bytes}),
        )
    };
    let body = r#"{"data":[{"type":"apps","id":"1","attributes":{"name":"Zürich 東京"}}],"links":{"self":"https://api.appstoreconnect.apple.com/v1/apps"}}"#;
    let whole = wasm::shape(
        "ListApps".into(),
        JsValue::from(200),
        body.into(),
        ctx(false),
    )
    .unwrap();
    let text = get(&whole, "body").as_string().unwrap();
    assert!(text.contains("Zürich 東京"));
    // Split inside the 3-byte '東', and an empty chunk: the same answer as the text.
    let raw = body.as_bytes();
    let cut = body.find('東').unwrap() + 1;
    let chunks = Array::new();
    chunks.push(&js_sys::Uint8Array::from(&raw[..cut]));
    chunks.push(&js_sys::Uint8Array::new_with_length(0));
    chunks.push(&js_sys::Uint8Array::from(&raw[cut..]));
    let shaped = wasm::shape(
        "ListApps".into(),
        JsValue::from(200),
        chunks.clone().into(),
        ctx(false),
    )
    .unwrap();
    assert_eq!(get(&shaped, "body").as_string().unwrap(), text);
    // bytes: true gives the UTF-8 bytes of the same text.
    let shaped = wasm::shape(
        "ListApps".into(),
        JsValue::from(200),
        chunks.into(),
        ctx(true),
    )
    .unwrap();
    let bytes = js_sys::Uint8Array::from(get(&shaped, "body"));
    assert_eq!(bytes.to_vec(), text.as_bytes());
    // A list holding anything else is refused, not trapped on.
    let bad = Array::new();
    bad.push(&js_sys::Uint8Array::from(&raw[..cut]));
    bad.push(&"text".into());
    assert_error(
        wasm::shape(
            "ListApps".into(),
            JsValue::from(200),
            bad.into(),
            ctx(false),
        )
        .unwrap_err(),
        "OPTIONS_INVALID",
    );
}

#[wasm_bindgen_test]
fn tables_are_exported() {
    let codes = Array::from(&wasm::error_codes().unwrap());
    assert_eq!(codes.length() as usize, asc_connector::ErrorCode::ALL.len());
    let found = codes.iter().any(|c| {
        get(&c, "code").as_string().as_deref() == Some("KEY_WRONG_CURVE")
            && get(&c, "status").as_f64() == Some(400.0)
    });
    assert!(found);
    let ops = Array::from(&wasm::operations().unwrap());
    let ids: Vec<String> = ops
        .iter()
        .map(|o| get(&o, "id").as_string().unwrap_or_default())
        .collect();
    assert!(ids.contains(&"ListApps".to_string()) && ids.contains(&"GetApp".to_string()));
}

#[wasm_bindgen_test]
fn error_body_is_the_crates_error_document() {
    let details =
        js(serde_json::json!([{"code": "PARAMETER_UNKNOWN", "message": "m", "parameter": "foo"}]));
    let body = wasm::error_body(
        "REQUEST_INVALID".into(),
        "two problems".into(),
        details,
        JsValue::UNDEFINED,
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let e = asc_connector::Error::with_details(
        asc_connector::ErrorCode::RequestInvalid,
        "two problems",
        vec![asc_connector::Detail {
            code: asc_connector::ErrorCode::ParameterUnknown,
            message: "m".into(),
            parameter: Some("foo".into()),
        }],
    );
    assert_eq!(doc, e.to_document());
    let body = wasm::error_body(
        "HOST_NOT_ALLOWED".into(),
        "x".into(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["error"]["status"], 421);
    assert!(doc["error"].get("details").is_none());
    // An unknown code is never passed through: it becomes INTERNAL with a fixed message.
    let body = wasm::error_body(
        "NOT_A_CODE".into(),
        "secret text".into(),
        JsValue::NULL,
        JsValue::UNDEFINED,
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["error"]["code"], "INTERNAL");
    assert_eq!(doc["error"]["status"], 500);
    assert!(!body.contains("secret text"));
    // A caller that answers with another error status says so; anything else keeps the table's.
    let body = wasm::error_body(
        "UPSTREAM_OUTCOME_UNKNOWN".into(),
        "x".into(),
        JsValue::UNDEFINED,
        JsValue::from(504),
    )
    .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"]["status"],
        504
    );
    let body = wasm::error_body(
        "UPSTREAM_OUTCOME_UNKNOWN".into(),
        "x".into(),
        JsValue::UNDEFINED,
        JsValue::from(200),
    )
    .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"]["status"],
        502
    );
}

#[wasm_bindgen_test]
fn prepare_body_builds_and_refuses() {
    let flat = js_sys::Uint8Array::from(&br#"{"betaTesters":["t-1"]}"#[..]);
    let doc =
        wasm::prepare_body("AddBetaTestersToGroup".into(), flat.into(), JsValue::FALSE).unwrap();
    assert_eq!(
        doc.as_string().as_deref(),
        Some(r#"{"data":[{"type":"betaTesters","id":"t-1"}]}"#)
    );
    let none = wasm::prepare_body(
        "DeleteBetaTester".into(),
        JsValue::UNDEFINED,
        JsValue::FALSE,
    )
    .unwrap();
    assert!(none.is_null());
    let message = assert_error(
        wasm::prepare_body(
            "CreateBetaTester".into(),
            r#"{"emial":"a@b.co"}"#.into(),
            JsValue::FALSE,
        )
        .unwrap_err(),
        "BODY_INVALID",
    );
    assert!(message.contains("did you mean email?"), "{message}");
    assert_error(
        wasm::prepare_body("CreateBetaTester".into(), "[]".into(), JsValue::TRUE).unwrap_err(),
        "BODY_MALFORMED",
    );
}
