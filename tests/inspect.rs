//! Token inspection: a good token has no problems, each rule broken alone gives exactly its
//! code, several at once give all of them, and garbage never panics. Tokens are built by hand
//! here (JSON + p256 signatures, raw and DER), independently of the minter.
#![cfg(feature = "inspect")]
#![allow(clippy::unwrap_used)]

mod common;

use asc_connector::inspect::{inspect_token, Inspection, SignatureEncoding};
use asc_connector::key::PrivateKey;
use asc_connector::token::{TokenMinter, TokenOptions};
use asc_connector::ErrorCode;
use common::*;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const NOW: u64 = 1_700_000_000;
const KID: &str = "2X9R4HXF34";
const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";

fn now() -> i64 {
    NOW as i64
}

fn good_header() -> Value {
    json!({"alg": "ES256", "kid": KID, "typ": "JWT"})
}

fn good_payload() -> Value {
    json!({"iss": ISSUER, "iat": now() - 60, "exp": now() + 840, "aud": "appstoreconnect-v1"})
}

enum Sig {
    Raw,
    Der,
    Bytes(Vec<u8>),
}

struct Fixture {
    signer: SigningKey,
    public_pem: String,
}

fn fixture() -> Fixture {
    let secret = random_secret();
    let key = PrivateKey::parse(&apple_p8(&secret)).unwrap();
    Fixture {
        signer: SigningKey::from(&secret),
        public_pem: key.public_key_pem(),
    }
}

fn encode_json(v: &Value) -> String {
    b64url(serde_json::to_string(v).unwrap().as_bytes())
}

impl Fixture {
    fn sign_parts(&self, header: &str, payload: &str, sig: Sig) -> String {
        let signed = format!("{header}.{payload}");
        let bytes = match sig {
            Sig::Raw => {
                let s: Signature = self.signer.sign(signed.as_bytes());
                s.to_bytes().to_vec()
            }
            Sig::Der => {
                let s: DerSignature = self.signer.sign(signed.as_bytes());
                s.as_bytes().to_vec()
            }
            Sig::Bytes(b) => b,
        };
        format!("{signed}.{}", b64url(&bytes))
    }

    fn token(&self, header: &Value, payload: &Value, sig: Sig) -> String {
        self.sign_parts(&encode_json(header), &encode_json(payload), sig)
    }
}

/// Inspects and checks that no message contains a 16-character piece of the token.
fn inspect(token: &str, key: Option<&str>) -> Inspection {
    let result = inspect_token(token, NOW, key);
    let chars: Vec<char> = token.chars().collect();
    for p in &result.problems {
        assert!(!p.message.is_empty());
        for w in chars.windows(16) {
            let w: String = w.iter().collect();
            assert!(!p.message.contains(&w), "a message contains token text");
        }
    }
    // Serializes without trouble.
    serde_json::to_value(&result).unwrap();
    result
}

fn codes(i: &Inspection) -> Vec<ErrorCode> {
    i.codes()
}

/// Payload with one claim replaced (or removed when `value` is None).
fn payload_with(claim: &str, value: Option<Value>) -> Value {
    let mut p = good_payload();
    let map = p.as_object_mut().unwrap();
    match value {
        Some(v) => {
            map.insert(claim.to_string(), v);
        }
        None => {
            map.remove(claim);
        }
    }
    p
}

fn header_with(field: &str, value: Option<Value>) -> Value {
    let mut h = good_header();
    let map = h.as_object_mut().unwrap();
    match value {
        Some(v) => {
            map.insert(field.to_string(), v);
        }
        None => {
            map.remove(field);
        }
    }
    h
}

#[test]
fn a_good_token_has_no_problems() {
    let f = fixture();
    let token = f.token(&good_header(), &good_payload(), Sig::Raw);
    let i = inspect(&token, None);
    assert!(i.is_ok(), "{:?}", codes(&i));
    assert_eq!(i.issued_at, Some(now() - 60));
    assert_eq!(i.expires_at, Some(now() + 840));
    assert_eq!(i.lifetime_seconds, Some(900));
    assert_eq!(i.signature_encoding, SignatureEncoding::Raw);
    assert_eq!(i.signature_verified, None);
    assert_eq!(i.header.as_ref().unwrap(), &good_header());
    assert_eq!(i.payload.as_ref().unwrap(), &good_payload());

    let i = inspect(&token, Some(&f.public_pem));
    assert!(i.is_ok(), "{:?}", codes(&i));
    assert_eq!(i.signature_verified, Some(true));

    let v = serde_json::to_value(&i).unwrap();
    assert_eq!(v["issuedAt"], now() - 60);
    assert_eq!(v["expiresAt"], now() + 840);
    assert_eq!(v["lifetimeSeconds"], 900);
    assert_eq!(v["signatureEncoding"], "raw");
    assert_eq!(v["signatureVerified"], true);
    assert_eq!(v["problems"], json!([]));

    // Whitespace and a Bearer prefix are ignored.
    assert!(inspect(&format!(" Bearer {token}\n"), Some(&f.public_pem)).is_ok());

    // Individual key, with scope, without typ.
    let header = header_with("typ", None);
    let payload = json!({"sub": "user", "iat": now() - 60, "exp": now() + 1140,
                         "aud": "appstoreconnect-v1", "scope": ["GET /v1/apps"]});
    let i = inspect(&f.token(&header, &payload, Sig::Raw), Some(&f.public_pem));
    assert!(i.is_ok(), "{:?}", codes(&i));
}

#[test]
fn tokens_from_the_minter_pass() {
    let secret = random_secret();
    let key = PrivateKey::parse(&apple_p8(&secret)).unwrap();
    let pem = key.public_key_pem();
    for options in [
        TokenOptions::team(KID, ISSUER),
        TokenOptions::team(KID, ISSUER).with_lifetime(1200),
        TokenOptions::individual("ABCDEF123456").with_scope(["GET /v1/apps?filter[platform]=IOS"]),
    ] {
        let mut minter = TokenMinter::new(key.clone(), options).unwrap();
        let token = minter.token(NOW).unwrap();
        let i = inspect(&token, Some(&pem));
        assert!(i.is_ok(), "{:?}", codes(&i));
        assert_eq!(i.signature_verified, Some(true));
        assert_eq!(i.expires_at.map(|e| e as u64), minter.expires_at());
    }
}

#[test]
fn raw_signatures_that_look_like_der_are_raw() {
    // A raw r||s whose first byte is 0x30 must not be mistaken for DER.
    let f = fixture();
    let mut found = 0;
    for extra in 0..5000 {
        // Vary an extra claim (Apple ignores unknown claims) to get different signatures.
        let payload = payload_with("nonce", Some(json!(extra)));
        let token = f.token(&good_header(), &payload, Sig::Raw);
        let sig = unb64url(token.rsplit_once('.').unwrap().1);
        if sig[0] == 0x30 || sig[0] == 0 {
            let i = inspect(&token, Some(&f.public_pem));
            assert!(i.is_ok(), "{:?}", codes(&i));
            assert_eq!(i.signature_encoding, SignatureEncoding::Raw);
            assert_eq!(i.signature_verified, Some(true));
            found += 1;
            if found == 4 {
                break;
            }
        }
    }
    assert!(found >= 2);
}

fn assert_only(token: &str, key: Option<&str>, expected: &[ErrorCode], case: &str) -> Inspection {
    let i = inspect(token, key);
    assert_eq!(codes(&i), expected, "{case}");
    i
}

#[test]
fn shape_and_encoding_problems() {
    let f = fixture();
    let h = encode_json(&good_header());
    let p = encode_json(&good_payload());
    let good = f.token(&good_header(), &good_payload(), Sig::Raw);
    let sig = good.rsplit_once('.').unwrap().1;

    assert_only(
        &format!("{h}.{p}"),
        None,
        &[ErrorCode::TokenMalformed],
        "two parts",
    );
    assert_only(
        &format!("{h}.{p}."),
        None,
        &[ErrorCode::TokenMalformed],
        "empty signature",
    );
    assert_only(
        &format!("{h}.{p}.{sig}.{sig}"),
        None,
        &[ErrorCode::TokenMalformed],
        "four parts",
    );
    assert_only(
        &format!(".{p}.{sig}"),
        None,
        &[ErrorCode::TokenMalformed],
        "empty header",
    );
    assert_only("", None, &[ErrorCode::TokenMalformed], "empty");
    assert_only("..", None, &[ErrorCode::TokenMalformed; 3], "only dots");

    let i = assert_only(
        &f.sign_parts(&h, "eyJ*", Sig::Raw),
        None,
        &[ErrorCode::TokenBase64Invalid],
        "bad char",
    );
    assert_eq!(i.problems[0].parameter.as_deref(), Some("payload"));
    assert!(i.payload.is_none());
    assert_only(
        &f.sign_parts(&h, "eyJhb", Sig::Raw),
        None,
        &[ErrorCode::TokenBase64Invalid],
        "bad length",
    );

    // Standard base64 (+, /, = padding): reported, but the rest is still checked.
    let mut payload = good_payload();
    let std_payload = loop {
        let text = serde_json::to_string(&payload).unwrap();
        let std = b64(text.as_bytes());
        if std != b64url(text.as_bytes()) {
            break std;
        }
        let pad = payload["pad"].as_str().unwrap_or("").to_string() + "x";
        payload["pad"] = json!(pad);
    };
    let i = assert_only(
        &f.sign_parts(&h, &std_payload, Sig::Raw),
        Some(&f.public_pem),
        &[ErrorCode::TokenBase64Invalid],
        "standard base64",
    );
    assert!(i.problems[0].message.contains("base64url"));
    assert!(i.payload.is_some());
    assert_eq!(i.signature_verified, Some(true));

    let not_json = b64url(b"not json");
    assert_only(
        &f.sign_parts(&h, &not_json, Sig::Raw),
        None,
        &[ErrorCode::TokenJsonInvalid],
        "not json",
    );
    let array = encode_json(&json!([1, 2]));
    assert_only(
        &f.sign_parts(&h, &array, Sig::Raw),
        None,
        &[ErrorCode::TokenJsonInvalid],
        "json array",
    );
    let bad_header = b64url(&[0xff, 0xfe]);
    assert_only(
        &f.sign_parts(&bad_header, &p, Sig::Raw),
        None,
        &[ErrorCode::TokenJsonInvalid],
        "header not utf-8",
    );
}

#[test]
fn header_problems() {
    let f = fixture();
    let p = good_payload();
    let cases: Vec<(Value, ErrorCode, &str)> = vec![
        (
            header_with("alg", Some(json!("HS256"))),
            ErrorCode::TokenAlgNotEs256,
            "alg HS256",
        ),
        (
            header_with("alg", Some(json!("es256"))),
            ErrorCode::TokenAlgNotEs256,
            "alg lower case",
        ),
        (
            header_with("alg", None),
            ErrorCode::TokenAlgNotEs256,
            "no alg",
        ),
        (
            header_with("alg", Some(json!(256))),
            ErrorCode::TokenAlgNotEs256,
            "alg number",
        ),
        (
            header_with("typ", Some(json!("JWS"))),
            ErrorCode::TokenTypNotJwt,
            "typ JWS",
        ),
        (
            header_with("typ", Some(json!(null))),
            ErrorCode::TokenTypNotJwt,
            "typ null",
        ),
        (
            header_with("kid", None),
            ErrorCode::TokenKidInvalid,
            "no kid",
        ),
        (
            header_with("kid", Some(json!("2x9r4hxf34"))),
            ErrorCode::TokenKidInvalid,
            "kid lower",
        ),
        (
            header_with("kid", Some(json!(" 2X9R4HXF34"))),
            ErrorCode::TokenKidInvalid,
            "kid space",
        ),
        (
            header_with("kid", Some(json!(12345))),
            ErrorCode::TokenKidInvalid,
            "kid number",
        ),
    ];
    for (header, code, case) in cases {
        let i = assert_only(
            &f.token(&header, &p, Sig::Raw),
            Some(&f.public_pem),
            &[code],
            case,
        );
        assert_eq!(i.signature_verified, Some(true), "{case}");
    }
    let i = inspect(
        &f.token(&header_with("alg", Some(json!("RS256"))), &p, Sig::Raw),
        None,
    );
    assert!(i.problems[0].message.contains("RS256"));
}

#[test]
fn claim_problems() {
    let f = fixture();
    let h = good_header();
    let n = now();
    let cases: Vec<(Value, &[ErrorCode], &str)> = vec![
        (
            payload_with("aud", Some(json!("appstoreconnect-v2"))),
            &[ErrorCode::TokenAudInvalid],
            "aud wrong",
        ),
        (
            payload_with("aud", Some(json!(["appstoreconnect-v1"]))),
            &[ErrorCode::TokenAudInvalid],
            "aud array",
        ),
        (
            payload_with("aud", None),
            &[ErrorCode::TokenAudInvalid],
            "no aud",
        ),
        (
            payload_with("iat", None),
            &[ErrorCode::TokenIatMissing],
            "no iat",
        ),
        (
            payload_with("iat", Some(json!("1700000000"))),
            &[ErrorCode::TokenIatMissing],
            "iat string",
        ),
        (
            payload_with("exp", None),
            &[ErrorCode::TokenExpMissing],
            "no exp",
        ),
        (
            json!({"iss": ISSUER, "iat": n - 600, "exp": n + 700, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenLifetimeTooLong],
            "lifetime 1300",
        ),
        (
            json!({"iss": ISSUER, "iat": n - 1000, "exp": n - 100, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenExpired],
            "expired",
        ),
        (
            json!({"iss": ISSUER, "iat": n - 1000, "exp": n, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenExpired],
            "expires now",
        ),
        (
            json!({"iss": ISSUER, "iat": n + 30, "exp": n + 600, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenIatInFuture],
            "iat future",
        ),
        (
            json!({"iss": ISSUER, "iat": n, "exp": n + 1200, "aud": "appstoreconnect-v1"}),
            &[],
            "iat now, exp at the limit",
        ),
        // exp − now > 1200 needs iat in the future (or missing) when exp − iat ≤ 1200.
        (
            json!({"iss": ISSUER, "iat": n + 100, "exp": n + 1250, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenExpTooFar, ErrorCode::TokenIatInFuture],
            "exp too far",
        ),
        (
            json!({"iss": ISSUER, "exp": n + 1201, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenIatMissing, ErrorCode::TokenExpTooFar],
            "exp too far, no iat",
        ),
        // exp ≤ iat with exp in the future needs iat in the future.
        (
            json!({"iss": ISSUER, "iat": n + 100, "exp": n + 50, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenExpBeforeIat, ErrorCode::TokenIatInFuture],
            "exp before iat",
        ),
        (
            json!({"iss": ISSUER, "iat": n - 60, "exp": n - 60, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenExpBeforeIat, ErrorCode::TokenExpired],
            "exp equals iat",
        ),
        (
            payload_with("sub", Some(json!("user"))),
            &[ErrorCode::TokenIssAndSub],
            "iss and sub",
        ),
        (
            payload_with("iss", None),
            &[ErrorCode::TokenNoIssOrSub],
            "neither",
        ),
        (
            payload_with("iss", Some(json!("2X9R4HXF34"))),
            &[ErrorCode::TokenIssInvalid],
            "iss not uuid",
        ),
        (
            payload_with("iss", Some(json!(42))),
            &[ErrorCode::TokenIssInvalid],
            "iss number",
        ),
        (
            payload_with("iss", Some(json!("57246542-96FE-1A63-E053-0824D011072A"))),
            &[],
            "iss upper case",
        ),
        (
            json!({"sub": "admin", "iat": n - 60, "exp": n + 840, "aud": "appstoreconnect-v1"}),
            &[ErrorCode::TokenSubInvalid],
            "sub not user",
        ),
        (
            payload_with("scope", Some(json!("GET /v1/apps"))),
            &[ErrorCode::TokenScopeInvalid],
            "scope string",
        ),
        (
            payload_with("scope", Some(json!([]))),
            &[ErrorCode::TokenScopeInvalid],
            "scope empty",
        ),
        (
            payload_with("scope", Some(json!(["GET /v1/apps", "get /v1/apps"]))),
            &[ErrorCode::TokenScopeInvalid],
            "scope lower",
        ),
        (
            payload_with("scope", Some(json!([7]))),
            &[ErrorCode::TokenScopeInvalid],
            "scope number",
        ),
        (
            payload_with("scope", Some(json!(["GET /v1/apps", "GET /v1/apps/1?x=1"]))),
            &[],
            "scope ok",
        ),
    ];
    for (payload, expected, case) in cases {
        let token = f.token(&h, &payload, Sig::Raw);
        assert_only(&token, Some(&f.public_pem), expected, case);
    }
    let scoped = payload_with("scope", Some(json!(["GET /v1/apps", "bad"])));
    let i = inspect(&f.token(&h, &scoped, Sig::Raw), None);
    assert_eq!(i.problems[0].parameter.as_deref(), Some("scope[1]"));
    let i = inspect(&f.token(&h, &payload_with("iat", None), Sig::Raw), None);
    assert_eq!(i.issued_at, None);
    assert_eq!(i.lifetime_seconds, None);
    assert_eq!(i.expires_at, Some(n + 840));
}

#[test]
fn signature_problems() {
    let f = fixture();
    let other = fixture();
    let (h, p) = (good_header(), good_payload());

    let der = f.token(&h, &p, Sig::Der);
    let i = assert_only(&der, None, &[ErrorCode::TokenSignatureDer], "der");
    assert_eq!(i.signature_encoding, SignatureEncoding::Der);
    assert_eq!(i.signature_verified, None);
    let m = &i.problems[0].message;
    assert!(m.contains("DER") && m.contains("64-byte") && m.contains("ieee-p1363"));
    let i = assert_only(
        &der,
        Some(&f.public_pem),
        &[ErrorCode::TokenSignatureDer],
        "der with key",
    );
    assert_eq!(i.signature_verified, Some(false));
    assert_only(
        &der,
        Some(&other.public_pem),
        &[
            ErrorCode::TokenSignatureDer,
            ErrorCode::TokenSignatureInvalid,
        ],
        "der, other key",
    );

    let i = assert_only(
        &f.token(&h, &p, Sig::Bytes(vec![1; 63])),
        None,
        &[ErrorCode::TokenSignatureLength],
        "63 bytes",
    );
    assert_eq!(i.signature_encoding, SignatureEncoding::Unknown);
    assert_only(
        &f.token(&h, &p, Sig::Bytes(vec![1; 96])),
        None,
        &[ErrorCode::TokenSignatureLength],
        "96 bytes",
    );

    let good = f.token(&h, &p, Sig::Raw);
    let i = assert_only(
        &good,
        Some(&other.public_pem),
        &[ErrorCode::TokenSignatureInvalid],
        "other key",
    );
    assert_eq!(i.signature_verified, Some(false));
    // Changed after signing.
    let (_, rest) = good.split_once('.').unwrap();
    let tampered = format!(
        "{}.{rest}",
        encode_json(&header_with("kid", Some(json!("ABCDEFGHIJ"))))
    );
    assert_only(
        &tampered,
        Some(&f.public_pem),
        &[ErrorCode::TokenSignatureInvalid],
        "tampered",
    );
    assert_only(
        &f.token(&h, &p, Sig::Bytes(vec![0; 64])),
        Some(&f.public_pem),
        &[ErrorCode::TokenSignatureInvalid],
        "zero signature",
    );

    // An unreadable key is a problem, not a panic.
    let i = assert_only(&good, Some("not a key"), &[ErrorCode::KeyNotPem], "bad key");
    assert_eq!(i.problems[0].parameter.as_deref(), Some("publicKey"));
    assert_eq!(i.signature_verified, None);
    assert_only(&good, Some(""), &[ErrorCode::KeyEmpty], "empty key");
}

#[test]
fn several_problems_at_once() {
    let f = fixture();
    let header = json!({"alg": "HS256", "typ": "jwt"});
    let n = now();
    let payload = json!({"iss": "nope", "sub": "me", "iat": n + 500, "exp": n + 4000,
                         "aud": "x", "scope": ["GET /apps"]});
    let token = f.token(&header, &payload, Sig::Der);
    let i = inspect(&token, Some(&f.public_pem));
    let got: BTreeSet<ErrorCode> = i.codes().into_iter().collect();
    let expected: BTreeSet<ErrorCode> = [
        ErrorCode::TokenAlgNotEs256,
        ErrorCode::TokenTypNotJwt,
        ErrorCode::TokenKidInvalid,
        ErrorCode::TokenAudInvalid,
        ErrorCode::TokenLifetimeTooLong,
        ErrorCode::TokenExpTooFar,
        ErrorCode::TokenIatInFuture,
        ErrorCode::TokenIssAndSub,
        ErrorCode::TokenIssInvalid,
        ErrorCode::TokenSubInvalid,
        ErrorCode::TokenScopeInvalid,
        ErrorCode::TokenSignatureDer,
    ]
    .into_iter()
    .collect();
    assert_eq!(got, expected);
    assert_eq!(i.problems.len(), expected.len());
}

#[test]
fn garbage_never_panics() {
    let f = fixture();
    let good = f.token(&good_header(), &good_payload(), Sig::Raw);
    let nested = b64url("[".repeat(100_000).as_bytes());
    let inputs = vec![
        String::new(),
        ".".into(),
        "...".into(),
        "a.b.c".into(),
        "Bearer".into(),
        "\u{0}.\u{0}.\u{0}".into(),
        "é.漢.🙂".into(),
        "A".repeat(1 << 20),
        format!("{nested}.{nested}.{nested}"),
        format!(
            "{}.{}.x",
            b64url(b"{\"iat\":1e400}"),
            b64url(b"{\"exp\":-99999999999999999999}")
        ),
        format!(
            "{}.{}.x",
            b64url(b"{}"),
            b64url(b"{\"iat\":18446744073709551615,\"exp\":-9223372036854775808}")
        ),
    ];
    for input in &inputs {
        let _ = inspect(input, Some(&f.public_pem));
        let _ = inspect_token(input, 0, None);
        let _ = inspect_token(input, u64::MAX, Some("-----BEGIN PUBLIC KEY-----"));
    }
    for cut in 0..good.len() {
        let _ = inspect(&good[..cut], Some(&f.public_pem));
    }
    for round in 0..300 {
        let mut bytes = vec![0u8; 1 + round % 120];
        getrandom::fill(&mut bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let _ = inspect(&text, None);
        let _ = inspect(
            &format!("{}.{}.{}", b64url(&bytes), b64url(&bytes), b64url(&bytes)),
            Some(&f.public_pem),
        );
    }
}

/// A signature part that is not canonical base64url (padding, `+`, `/`, whitespace) is never
/// reported as verified, even when its bytes are the right signature; its problem is listed.
#[test]
fn non_canonical_signature_encodings_never_verify() {
    use base64::Engine as _;
    let f = fixture();
    let (h, p) = (good_header(), good_payload());
    let good = f.token(&h, &p, Sig::Raw);
    assert_eq!(
        inspect(&good, Some(&f.public_pem)).signature_verified,
        Some(true)
    );
    let (signed, sig) = good.rsplit_once('.').unwrap();
    let bytes = unb64url(sig);
    let mut variants = vec![
        ("padding =", format!("{sig}==")),
        (
            "standard alphabet with padding",
            base64::engine::general_purpose::STANDARD.encode(&bytes),
        ),
        ("space inside", format!("{} {}", &sig[..40], &sig[40..])),
        ("tab inside", format!("{}\t{}", &sig[..40], &sig[40..])),
        ("newline inside", format!("{}\n{}", &sig[..40], &sig[40..])),
    ];
    // A signature whose base64url has - or _ shows the + and / alphabet too (most do; try a few).
    let mut payload = p.clone();
    for n in 0..64 {
        payload["iat"] = json!(now() - 60 - n);
        let t = f.token(&h, &payload, Sig::Raw);
        let (s, part) = t.rsplit_once('.').unwrap();
        if part.contains(['-', '_']) {
            let std = base64::engine::general_purpose::STANDARD_NO_PAD.encode(unb64url(part));
            variants.push(("+ and / unpadded", format!("{s}.{std}")));
            break;
        }
    }
    assert!(variants.len() == 6, "found a signature with - or _");
    for (case, variant) in variants {
        let token = if variant.contains('.') {
            variant
        } else {
            format!("{signed}.{variant}")
        };
        let i = inspect(&token, Some(&f.public_pem));
        assert_eq!(i.signature_verified, Some(false), "{case}");
        assert!(
            codes(&i).contains(&ErrorCode::TokenBase64Invalid),
            "{case}: {:?}",
            codes(&i)
        );
        assert!(
            i.problems
                .iter()
                .any(|p| p.parameter.as_deref() == Some("signature")),
            "{case}: the problem names the signature"
        );
        // Without a key nothing is claimed either way, but the problem is still listed.
        let i = inspect(&token, None);
        assert_eq!(i.signature_verified, None, "{case}");
        assert!(codes(&i).contains(&ErrorCode::TokenBase64Invalid), "{case}");
    }
}

/// The public key given to the inspector must name P-256, as private keys must.
#[test]
fn public_keys_that_do_not_name_p256_are_refused() {
    let f = fixture();
    let good = f.token(&good_header(), &good_payload(), Sig::Raw);
    let secret = random_secret();
    let point = public_point(&secret);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&point);
    let spki = |alg_params: &[u8]| {
        let mut alg = OID_EC.to_vec();
        alg.extend_from_slice(alg_params);
        let mut body = tlv(0x30, &alg);
        body.extend(tlv(0x03, &bits));
        pem("PUBLIC KEY", &tlv(0x30, &body))
    };
    // Sanity: the same point with the curve named is accepted.
    let named = spki(&OID_P256);
    assert!(asc_connector::key::parse_public_key(&named).is_ok());
    let secp256k1_oid = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a];
    for (case, params) in [
        ("no curve parameter", &[][..]),
        ("NULL curve parameter", &[0x05, 0x00][..]),
        ("secp256k1 named", &secp256k1_oid[..]),
    ] {
        let key = spki(params);
        let e = asc_connector::key::parse_public_key(&key).unwrap_err();
        assert_eq!(e.code, ErrorCode::KeyWrongCurve, "{case}: {}", e.message);
        let i = inspect(&good, Some(&key));
        assert_eq!(i.signature_verified, None, "{case}");
        assert!(codes(&i).contains(&ErrorCode::KeyWrongCurve), "{case}");
    }
    // A P-384 public key (secp384r1 named, a 97-byte point) is named as the wrong curve too.
    let p384_oid = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
    let mut alg = OID_EC.to_vec();
    alg.extend_from_slice(&p384_oid);
    let mut body = tlv(0x30, &alg);
    body.extend(tlv(0x03, &[&[0u8, 4][..], &[7u8; 96][..]].concat()));
    let e =
        asc_connector::key::parse_public_key(&pem("PUBLIC KEY", &tlv(0x30, &body))).unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyWrongCurve, "{}", e.message);
    assert!(e.message.contains("P-384"), "{}", e.message);
}
