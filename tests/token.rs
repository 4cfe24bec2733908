//! Minting and caching: exact header and claims, a signature p256 verifies, option bounds with
//! their codes, and the cache's refresh rules. Keys are generated at test time.
#![allow(clippy::unwrap_used)]

mod common;

use asc_connector::key::PrivateKey;
use asc_connector::token::{
    mint, mint_token, KeyType, TokenMinter, TokenOptions, DEFAULT_LIFETIME_SECONDS,
    IAT_BACKDATE_SECONDS, MAX_LIFETIME_SECONDS, MAX_REMINT_STEP_BACK_SECONDS, MIN_LIFETIME_SECONDS,
    REFRESH_MARGIN_SECONDS,
};
use asc_connector::ErrorCode;
use common::*;
use p256::ecdsa::signature::Verifier as _;
use serde_json::{json, Value};

const NOW: u64 = 1_528_407_660;
const KID: &str = "2X9R4HXF34";
const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";

fn key() -> (PrivateKey, p256::SecretKey) {
    let secret = random_secret();
    (PrivateKey::parse(&apple_p8(&secret)).unwrap(), secret)
}

/// Splits a token and decodes its three parts.
fn parts(token: &str) -> (String, String, Vec<u8>) {
    let p: Vec<&str> = token.split('.').collect();
    assert_eq!(p.len(), 3);
    for part in &p {
        assert!(
            !part.contains(['=', '+', '/']),
            "not base64url without padding"
        );
    }
    (
        String::from_utf8(unb64url(p[0])).unwrap(),
        String::from_utf8(unb64url(p[1])).unwrap(),
        unb64url(p[2]),
    )
}

/// Verifies with p256's verifier (independently of our parse: the key comes from the secret).
fn verifies(token: &str, secret: &p256::SecretKey) -> bool {
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&unb64url(sig)).unwrap();
    let vk = p256::ecdsa::VerifyingKey::from(secret.public_key());
    vk.verify(signed.as_bytes(), &sig).is_ok()
}

#[test]
fn team_token_has_exact_header_and_claims() {
    let (key, secret) = key();
    let token = mint_token(&key, &TokenOptions::team(KID, ISSUER), NOW).unwrap();
    let (header, payload, sig) = parts(&token);
    assert_eq!(header, r#"{"alg":"ES256","kid":"2X9R4HXF34","typ":"JWT"}"#);
    let iat = NOW - 60;
    let exp = iat + 900;
    assert_eq!(
        payload,
        format!(
            r#"{{"iss":"57246542-96fe-1a63-e053-0824d011072a","iat":{iat},"exp":{exp},"aud":"appstoreconnect-v1"}}"#
        )
    );
    assert_eq!(sig.len(), 64);
    assert!(verifies(&token, &secret));
}

#[test]
fn individual_token_has_sub_and_no_iss() {
    let (key, secret) = key();
    let options = TokenOptions::individual("ABCDEF123456").with_scope(["GET /v1/apps"]);
    let token = mint_token(&key, &options, NOW).unwrap();
    let (header, payload, sig) = parts(&token);
    assert_eq!(
        header,
        r#"{"alg":"ES256","kid":"ABCDEF123456","typ":"JWT"}"#
    );
    let expected = format!(
        r#"{{"sub":"user","iat":{},"exp":{},"aud":"appstoreconnect-v1","scope":["GET /v1/apps"]}}"#,
        NOW - 60,
        NOW - 60 + 900
    );
    assert_eq!(payload, expected);
    let v: Value = serde_json::from_str(&payload).unwrap();
    assert!(v.get("iss").is_none());
    assert_eq!(sig.len(), 64);
    assert!(verifies(&token, &secret));
}

#[test]
fn scope_and_lifetime_go_into_the_claims() {
    let (key, secret) = key();
    let options = TokenOptions::team(KID, ISSUER)
        .with_lifetime(1200)
        .with_scope(["GET /v1/apps", "GET /v1/apps?filter[platform]=IOS"]);
    let minted = mint(&key, &options, NOW).unwrap();
    assert_eq!(minted.issued_at, NOW - IAT_BACKDATE_SECONDS);
    assert_eq!(minted.expires_at, NOW - 60 + 1200);
    let (_, payload, _) = parts(&minted.token);
    let v: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(
        v,
        json!({"iss": ISSUER, "iat": NOW - 60, "exp": NOW + 1140, "aud": "appstoreconnect-v1",
               "scope": ["GET /v1/apps", "GET /v1/apps?filter[platform]=IOS"]})
    );
    assert!(verifies(&minted.token, &secret));
    assert!(!format!("{minted:?}").contains(&minted.token));
}

#[test]
fn ids_are_trimmed_of_whitespace_and_quotes() {
    let (key, _) = key();
    let options = TokenOptions::team(
        " \"2X9R4HXF34\"\n",
        "'57246542-96FE-1a63-e053-0824d011072a' ",
    );
    let token = mint_token(&key, &options, NOW).unwrap();
    let (header, payload, _) = parts(&token);
    assert!(header.contains(r#""kid":"2X9R4HXF34""#));
    assert!(payload.contains(r#""iss":"57246542-96FE-1a63-e053-0824d011072a""#));
}

#[test]
fn same_key_and_time_give_the_same_token() {
    let (key, _) = key();
    let options = TokenOptions::team(KID, ISSUER);
    let a = mint_token(&key, &options, NOW).unwrap();
    let b = mint_token(&key, &options, NOW).unwrap();
    assert!(a == b);
    let c = mint_token(&key, &options, NOW + 1).unwrap();
    assert!(a != c);
    // Another key gives another signature over the same claims.
    let (other, _) = self::key();
    let d = mint_token(&other, &options, NOW).unwrap();
    assert!(a.rsplit_once('.').unwrap().0 == d.rsplit_once('.').unwrap().0);
    assert!(a != d);
}

#[test]
fn default_and_bounds_of_the_lifetime() {
    let (key, _) = key();
    assert_eq!(
        TokenOptions::team(KID, ISSUER).lifetime_seconds,
        DEFAULT_LIFETIME_SECONDS
    );
    assert_eq!(DEFAULT_LIFETIME_SECONDS, 900);
    for ok in [MIN_LIFETIME_SECONDS, 600, MAX_LIFETIME_SECONDS] {
        let m = mint(
            &key,
            &TokenOptions::team(KID, ISSUER).with_lifetime(ok),
            NOW,
        )
        .unwrap();
        assert_eq!(m.expires_at - m.issued_at, ok);
    }
    let long = TokenOptions::team(KID, ISSUER).with_lifetime(MAX_LIFETIME_SECONDS + 1);
    assert_eq!(
        long.validate().unwrap_err().code,
        ErrorCode::LifetimeTooLong
    );
    assert_eq!(
        mint_token(&key, &long, NOW).unwrap_err().code,
        ErrorCode::LifetimeTooLong
    );
    let short = TokenOptions::individual(KID).with_lifetime(MIN_LIFETIME_SECONDS - 1);
    assert_eq!(
        short.validate().unwrap_err().code,
        ErrorCode::LifetimeTooShort
    );
    let zero = TokenOptions::individual(KID).with_lifetime(0);
    assert_eq!(
        zero.validate().unwrap_err().code,
        ErrorCode::LifetimeTooShort
    );
}

#[test]
fn key_id_rules() {
    for good in [
        "2X9R4HXF34",
        "A",
        "ABCDEF123456",
        &"Z".repeat(32),
        " 2X9R4HXF34 ",
        "\"2X9R4HXF34\"",
    ] {
        assert!(TokenOptions::individual(good).validate().is_ok(), "{good}");
    }
    for bad in [
        "",
        "  ",
        "2x9r4hxf34",
        "2X9R-4HXF34",
        "2X9R 4HXF34",
        &"Z".repeat(33),
        "AuthKey_2X9R4HXF34.p8",
        ISSUER,
        "ÄBC",
    ] {
        let e = TokenOptions::individual(bad).validate().unwrap_err();
        assert_eq!(e.code, ErrorCode::KeyIdInvalid, "{bad}");
    }
    let e = TokenOptions::individual("AuthKey_2X9R4HXF34.p8")
        .validate()
        .unwrap_err();
    assert!(e.message.contains("between AuthKey_ and .p8"));
}

#[test]
fn issuer_id_rules() {
    for good in [
        ISSUER,
        "57246542-96FE-1A63-E053-0824D011072A",
        " 69a6de70-43dc-47e3-e053-5b8c7c11a4d1\n",
        "'00000000-0000-0000-0000-000000000000'",
    ] {
        assert!(TokenOptions::team(KID, good).validate().is_ok(), "{good}");
    }
    for bad in [
        "",
        "57246542-96fe-1a63-e053",
        "57246542-96fe-1a63-e053-0824d011072a-1",
        "57246542x96fe-1a63-e053-0824d011072a",
        "g7246542-96fe-1a63-e053-0824d011072a",
        "5724654296fe1a63e0530824d011072a",
        KID,
        "{57246542-96fe-1a63-e053-0824d011072a}",
    ] {
        let e = TokenOptions::team(KID, bad).validate().unwrap_err();
        assert_eq!(e.code, ErrorCode::IssuerIdInvalid, "{bad}");
    }
}

#[test]
fn key_type_from_parts() {
    let team = TokenOptions::from_parts(KID, Some(ISSUER), false).unwrap();
    assert_eq!(
        team.key_type,
        KeyType::Team {
            issuer_id: ISSUER.to_string()
        }
    );
    let ind = TokenOptions::from_parts(KID, None, true).unwrap();
    assert_eq!(ind.key_type, KeyType::Individual);
    let ind_empty = TokenOptions::from_parts(KID, Some("  "), true).unwrap();
    assert_eq!(ind_empty.key_type, KeyType::Individual);
    assert_eq!(
        TokenOptions::from_parts(KID, Some(ISSUER), true)
            .unwrap_err()
            .code,
        ErrorCode::KeyTypeConflict
    );
    assert_eq!(
        TokenOptions::from_parts(KID, None, false).unwrap_err().code,
        ErrorCode::KeyTypeConflict
    );
    assert_eq!(
        TokenOptions::from_parts(KID, Some(""), false)
            .unwrap_err()
            .code,
        ErrorCode::KeyTypeConflict
    );
}

#[test]
fn scope_rules() {
    let good = [
        "GET /v1/apps",
        "GET /v1/apps/1493245621",
        "GET /v1/apps?filter[platform]=IOS",
        "POST /v1/apps",
        "PATCH /v2/things/1",
        "DELETE /v10/x",
        "PUT /v1/a",
        "HEAD /v1/a?x=1&y=2",
    ];
    assert!(TokenOptions::team(KID, ISSUER)
        .with_scope(good)
        .validate()
        .is_ok());
    let bad = [
        "",
        "get /v1/apps",
        "GET  /v1/apps",
        "GET /v1/apps ",
        "GET\t/v1/apps",
        "GET /apps",
        "GET /v1",
        "GET /v1/",
        "GET /vX/apps",
        "OPTIONS /v1/apps",
        "GET https://api.appstoreconnect.apple.com/v1/apps",
        "GET /v1/apps\n",
        "GET /v1/a\u{0}b",
        "/v1/apps",
        "GET /v1/apps?x=a b",
    ];
    for (i, entry) in bad.iter().enumerate() {
        let mut scope: Vec<String> = good.iter().map(|s| s.to_string()).collect();
        scope.insert(2, entry.to_string());
        let e = TokenOptions::team(KID, ISSUER)
            .with_scope(scope)
            .validate()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ScopeInvalid, "case {i}");
        assert_eq!(e.details.len(), 1, "case {i}");
        assert_eq!(
            e.details[0].parameter.as_deref(),
            Some("scope[2]"),
            "case {i}"
        );
        assert!(e.message.contains("scope[2]"), "case {i}");
    }
    let e = TokenOptions::team(KID, ISSUER)
        .with_scope(["GET /v1/apps", "nope", "GET /v1/apps", "also nope"])
        .validate()
        .unwrap_err();
    let params: Vec<_> = e
        .details
        .iter()
        .map(|d| d.parameter.clone().unwrap())
        .collect();
    assert_eq!(params, ["scope[1]", "scope[3]"]);
    let many = vec!["GET /v1/apps".to_string(); 101];
    assert_eq!(
        TokenOptions::team(KID, ISSUER)
            .with_scope(many)
            .validate()
            .unwrap_err()
            .code,
        ErrorCode::ScopeInvalid
    );
}

#[test]
fn unusable_times_are_rejected() {
    let (key, _) = key();
    let options = TokenOptions::team(KID, ISSUER);
    for bad in [0, 59, 60, 1000, 999_999_999, NOW * 1000, u64::MAX] {
        assert_eq!(
            mint_token(&key, &options, bad).unwrap_err().code,
            ErrorCode::TimeInvalid,
            "{bad}"
        );
    }
    let mut minter = TokenMinter::new(key, options).unwrap();
    assert_eq!(minter.token(0).unwrap_err().code, ErrorCode::TimeInvalid);
    assert_eq!(minter.mint_count(), 0);
}

#[test]
fn minter_rejects_bad_options_up_front() {
    let (key, _) = key();
    let e = TokenMinter::new(key, TokenOptions::team("bad id", ISSUER)).unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyIdInvalid);
}

#[test]
fn minter_caches_until_the_refresh_margin() {
    let (key, secret) = key();
    let mut minter = TokenMinter::new(key, TokenOptions::team(KID, ISSUER)).unwrap();
    assert_eq!(minter.mint_count(), 0);
    assert_eq!(minter.expires_at(), None);
    let first = minter.token(NOW).unwrap();
    assert!(verifies(&first, &secret));
    let exp = NOW - 60 + 900;
    assert_eq!(minter.expires_at(), Some(exp));
    assert_eq!(minter.issued_at(), Some(NOW - 60));
    assert_eq!(minter.mint_count(), 1);
    // Reused up to one second before the margin.
    assert!(minter.token(NOW + 1).unwrap() == first);
    let last_reuse = exp - REFRESH_MARGIN_SECONDS - 1;
    assert!(minter.token(last_reuse).unwrap() == first);
    assert_eq!(minter.mint_count(), 1);
    // At exactly the margin: a new token.
    let at_margin = exp - REFRESH_MARGIN_SECONDS;
    let second = minter.token(at_margin).unwrap();
    assert!(second != first);
    assert_eq!(minter.mint_count(), 2);
    assert_eq!(minter.expires_at(), Some(at_margin - 60 + 900));
    assert!(minter.token(at_margin + 10).unwrap() == second);
    assert_eq!(minter.mint_count(), 2);
    // Long after expiry: a new token.
    let third = minter.token(NOW + 10_000).unwrap();
    assert!(third != second);
    assert_eq!(minter.mint_count(), 3);
    assert!(!format!("{minter:?}").contains(&third));
}

#[test]
fn invalidate_forgets_the_token() {
    let (key, _) = key();
    let mut minter = TokenMinter::new(key, TokenOptions::individual(KID)).unwrap();
    let first = minter.token(NOW).unwrap();
    minter.invalidate();
    assert_eq!(minter.expires_at(), None);
    // Re-minted in the same second, the token must still differ from the one Apple refused
    // (RFC 6979 would otherwise sign the same claims to the same string): iat steps back 1 s.
    let again = minter.token(NOW).unwrap();
    assert!(again != first);
    assert_eq!(minter.mint_count(), 2);
    assert_eq!(minter.issued_at(), Some(NOW - IAT_BACKDATE_SECONDS - 1));
    assert_eq!(
        minter.expires_at(),
        Some(NOW - IAT_BACKDATE_SECONDS - 1 + DEFAULT_LIFETIME_SECONDS)
    );
    let later = minter.token(NOW + 5).unwrap();
    assert!(later == again);
    assert_eq!(minter.mint_count(), 2);
    // Every further invalidation in the same second steps back again, up to the cap.
    let mut seen = std::collections::HashSet::from([first, again]);
    for _ in 0..MAX_REMINT_STEP_BACK_SECONDS + 5 {
        minter.invalidate();
        seen.insert(minter.token(NOW).unwrap());
    }
    let oldest = NOW - IAT_BACKDATE_SECONDS - MAX_REMINT_STEP_BACK_SECONDS;
    assert_eq!(minter.issued_at(), Some(oldest), "never more than the cap");
    assert_eq!(seen.len() as u64, MAX_REMINT_STEP_BACK_SECONDS + 1);
    // A later second mints at the usual time again.
    minter.invalidate();
    minter.token(NOW + 1).unwrap();
    assert_eq!(minter.issued_at(), Some(NOW + 1 - IAT_BACKDATE_SECONDS));
}

#[test]
fn clock_going_backwards() {
    let (key, _) = key();
    let mut minter = TokenMinter::new(key, TokenOptions::team(KID, ISSUER)).unwrap();
    let first = minter.token(NOW).unwrap();
    // Back by less than the backdate: iat is still in the past, keep the token.
    assert!(minter.token(NOW - 30).unwrap() == first);
    assert!(minter.token(NOW - IAT_BACKDATE_SECONDS).unwrap() == first);
    assert_eq!(minter.mint_count(), 1);
    // Back by more: the cached iat would be in the future, so re-mint.
    let earlier = minter.token(NOW - IAT_BACKDATE_SECONDS - 1).unwrap();
    assert!(earlier != first);
    assert_eq!(minter.mint_count(), 2);
    assert_eq!(minter.issued_at(), Some(NOW - 2 * IAT_BACKDATE_SECONDS - 1));
}

#[test]
fn options_are_exposed_normalized() {
    let (key, _) = key();
    let minter = TokenMinter::new(key, TokenOptions::individual(" ABC ")).unwrap();
    assert_eq!(minter.options().key_id, "ABC");
}

#[test]
fn short_r_and_s_are_left_padded_to_64_bytes() {
    // About one signature in 128 has r or s with a leading zero byte; each must stay 32 bytes.
    let (key, secret) = key();
    let options = TokenOptions::team(KID, ISSUER);
    let mut found = 0;
    for offset in 0..5000 {
        let token = mint_token(&key, &options, NOW + offset).unwrap();
        let (_, _, sig) = parts(&token);
        assert_eq!(sig.len(), 64);
        if sig[0] == 0 || sig[32] == 0 {
            assert!(verifies(&token, &secret));
            found += 1;
            if found == 3 {
                break;
            }
        }
    }
    assert!(found >= 1);
}

#[test]
fn claims_are_byte_for_byte_what_serde_json_writes() {
    // The claims are written by hand (the signer module has no JSON library); they must be exactly
    // serde_json's compact output of the same object, escapes included.
    let (key, _) = key();
    let scope = [
        "GET /v1/apps",
        r#"GET /v1/apps?filter[name]="quoted"\back"#,
        "GET /v1/apps?filter[name]=Café/☕",
    ];
    for options in [
        TokenOptions::team(KID, ISSUER).with_scope(scope),
        TokenOptions::individual(KID).with_lifetime(1200),
    ] {
        let token = mint_token(&key, &options, NOW).unwrap();
        let (header, payload, _) = parts(&token);
        for text in [header, payload] {
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), text);
        }
    }
    let claims: Value = serde_json::from_str(
        &parts(
            &mint_token(
                &key,
                &TokenOptions::team(KID, ISSUER).with_scope(scope),
                NOW,
            )
            .unwrap(),
        )
        .1,
    )
    .unwrap();
    assert_eq!(claims["scope"], json!(scope));
}
