//! Key intake: every accepted shape gives the same key; every rejected shape gives its exact
//! code; no message leaks input; no input panics. Keys are generated at test time.
#![allow(clippy::unwrap_used)]

mod common;

use asc_connector::key::{parse_public_key, PrivateKey};
use asc_connector::ErrorCode;
use common::*;
use p256::elliptic_curve::sec1::ToSec1Point;

/// Asserts that `message` contains no 16-character window of `secret_text` (whitespace removed,
/// PEM armour skipped).
fn assert_no_leak(message: &str, secret_text: &str) {
    let compact: Vec<char> = secret_text.chars().filter(|c| !c.is_whitespace()).collect();
    for window in compact.windows(16) {
        let w: String = window.iter().collect();
        if w.contains("--") {
            continue; // PEM armour ("-----BEGIN ...") is not secret and messages may name it.
        }
        assert!(
            !message.contains(&w),
            "an error message contains part of the input"
        );
    }
}

/// Parses `input` expecting `code`; checks the message leaks nothing of `input` (or `secret`).
fn expect_code(input: &str, code: ErrorCode, case: &str) -> String {
    match PrivateKey::parse(input) {
        Ok(_) => panic!("{case}: accepted, expected {code}"),
        Err(e) => {
            assert_eq!(e.code, code, "{case}");
            assert!(!e.message.is_empty(), "{case}: empty message");
            assert_no_leak(&e.message, &pem_body(input));
            assert_no_leak(&e.message, input);
            e.message
        }
    }
}

fn expect_key(input: &str, expected_public: &[u8], case: &str) {
    match PrivateKey::parse(input) {
        Ok(key) => assert!(
            key.public_key_sec1() == expected_public,
            "{case}: parsed to a different key"
        ),
        Err(e) => panic!("{case}: rejected with {} ({})", e.code, e.message),
    }
}

#[test]
fn every_accepted_shape_gives_the_same_key() {
    let secret = random_secret();
    let public = public_point(&secret);
    let apple = apple_p8(&secret);
    let body = pem_body(&apple);
    let p8_p256 = pkcs8_pem(&secret);
    let sec1 = sec1_pem(&secret);

    let mut shapes: Vec<(&str, String)> = vec![
        ("apple .p8", apple.clone()),
        ("p256 pkcs8 pem", p8_p256.clone()),
        ("no final newline", apple.trim_end().to_string()),
        ("crlf", apple.replace('\n', "\r\n")),
        ("literal \\n", apple.replace('\n', "\\n")),
        ("literal \\r\\n", apple.replace('\n', "\\r\\n")),
        ("literal \\t", apple.replace('\n', "\\t")),
        ("double escaped \\\\n", apple.replace('\n', "\\\\n")),
        ("double quotes", format!("\"{apple}\"")),
        ("single quotes", format!("'{apple}'")),
        ("whitespace around", format!("  \n\t{apple}\n\n  ")),
        (
            "quotes and escapes",
            format!("\"{}\"", apple.replace('\n', "\\n")),
        ),
        ("json string", serde_json::to_string(&apple).unwrap()),
        (
            "json with escaped slash",
            serde_json::to_string(&apple).unwrap().replace('/', "\\/"),
        ),
        ("folded onto one line", apple.trim_end().replace('\n', " ")),
        ("no line breaks at all", apple.replace('\n', "")),
        ("bom", format!("\u{feff}{apple}")),
        ("body only, one line", body.clone()),
        ("body only, 64-char lines", {
            let full = pem_body(&apple);
            full.as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        }),
        (
            "body with spaces",
            body.chars()
                .enumerate()
                .fold(String::new(), |mut s, (i, c)| {
                    if i % 10 == 0 {
                        s.push(' ');
                    }
                    s.push(c);
                    s
                }),
        ),
        ("body quoted", format!("\"{body}\"")),
        ("body url-safe", body.replace('+', "-").replace('/', "_")),
        (
            "body without padding",
            pem_body(&p8_p256).trim_end_matches('=').to_string(),
        ),
        ("base64 of the whole file", b64(apple.as_bytes())),
        (
            "base64 of the crlf file",
            b64(apple.replace('\n', "\r\n").as_bytes()),
        ),
        ("base64 of the file, wrapped", {
            let whole = b64(apple.as_bytes());
            whole
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).unwrap().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        }),
        ("sec1 pem", sec1.clone()),
        ("sec1 pem folded", sec1.trim_end().replace('\n', " ")),
        ("sec1 der base64", b64(&sec1_der(&secret))),
        ("sec1 minimal (no curve, no public key)", {
            let mut inner = tlv(0x02, &[1]);
            inner.extend(tlv(0x04, &secret.to_bytes()));
            b64(&tlv(0x30, &inner))
        }),
        (
            "pkcs8 without public key",
            b64(&pkcs8_der_parts(&secret.to_bytes(), None, false)),
        ),
        ("pkcs8 with compressed public key", {
            let compressed = secret.public_key().to_sec1_point(true).as_bytes().to_vec();
            b64(&pkcs8_der_parts(
                &secret.to_bytes(),
                Some(&compressed),
                false,
            ))
        }),
        ("pkcs8 der base64", b64(&apple_der(&secret))),
        (
            "ec parameters block before a sec1 key",
            format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{sec1}"
        ),
        ),
    ];
    // A scalar written with an extra leading zero byte by a sloppy encoder still parses.
    let mut padded_scalar = vec![0u8];
    padded_scalar.extend_from_slice(&secret.to_bytes());
    shapes.push((
        "scalar with a leading zero",
        b64(&pkcs8_der_parts(&padded_scalar, Some(&public), true)),
    ));

    for (case, input) in &shapes {
        expect_key(input, &public, case);
    }
}

#[test]
fn openssl_made_p256_keys_parse() {
    let s = Scratch::new();
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "k.pem",
    ]);
    s.openssl(&["ec", "-in", "k.pem", "-out", "sec1.pem"]);
    s.openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-out",
        "ecparam.pem",
    ]);
    s.openssl(&["pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem"]);
    let pkcs8 = s.read("k.pem");
    let sec1 = s.read("sec1.pem");
    let a = PrivateKey::parse(&pkcs8).unwrap();
    let b = PrivateKey::parse(&sec1).unwrap();
    assert!(a.public_key_sec1() == b.public_key_sec1());
    // openssl ecparam -genkey writes an EC PARAMETERS block before the key.
    assert!(s.read("ecparam.pem").contains("EC PARAMETERS"));
    PrivateKey::parse(&s.read("ecparam.pem")).unwrap();
    // public_key_pem is the same SPKI openssl derives.
    assert_eq!(a.public_key_pem(), s.read("pub.pem"));
    assert_eq!(a.public_key_der().len(), 91);
}

#[test]
fn public_key_pem_round_trips() {
    let secret = random_secret();
    let key = PrivateKey::parse(&apple_p8(&secret)).unwrap();
    let pem = key.public_key_pem();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
    let vk = parse_public_key(&pem).unwrap();
    assert!(vk == *key.verifying_key());
    // The private key shapes work for parse_public_key as well.
    let vk2 = parse_public_key(&apple_p8(&secret)).unwrap();
    assert!(vk2 == *key.verifying_key());
    assert_eq!(
        parse_public_key("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----")
            .unwrap_err()
            .code,
        ErrorCode::KeyIsCertificate
    );
}

#[test]
fn debug_shows_nothing_secret() {
    let secret = random_secret();
    let apple = apple_p8(&secret);
    let key = PrivateKey::parse(&apple).unwrap();
    let debug = format!("{key:?} {:?}", key.clone());
    assert_no_leak(&debug, &pem_body(&apple));
    assert!(!debug.contains(&hex(&secret.to_bytes())));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn not_a_key() {
    expect_code("", ErrorCode::KeyEmpty, "empty");
    expect_code("   \n\t ", ErrorCode::KeyEmpty, "whitespace");
    expect_code("\"\"", ErrorCode::KeyEmpty, "empty quotes");
    expect_code("hello world", ErrorCode::KeyNotPem, "prose");
    expect_code("{\"key\": 1}", ErrorCode::KeyNotPem, "json");
    expect_code("aGVsbG8gd29ybGQ=", ErrorCode::KeyNotPem, "base64 of text");
    expect_code(
        "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2ln",
        ErrorCode::KeyNotPem,
        "a jwt",
    );
    expect_code(
        "-----BEGIN SOMETHING-----\nMAA=\n-----END SOMETHING-----",
        ErrorCode::KeyNotPem,
        "other label",
    );
    expect_code(
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
        ErrorCode::KeyNotPem,
        "only parameters",
    );
}

#[test]
fn rsa_keys() {
    let s = Scratch::new();
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        "rsa.pem",
    ]);
    s.openssl(&["rsa", "-in", "rsa.pem", "-traditional", "-out", "rsa1.pem"]);
    s.openssl(&[
        "rsa",
        "-in",
        "rsa.pem",
        "-traditional",
        "-outform",
        "DER",
        "-out",
        "rsa1.der",
    ]);
    let pkcs8 = s.read("rsa.pem");
    let pkcs1 = s.read("rsa1.pem");
    assert!(pkcs1.contains("RSA PRIVATE KEY"));
    expect_code(&pkcs8, ErrorCode::KeyRsa, "rsa pkcs8 pem");
    expect_code(&pem_body(&pkcs8), ErrorCode::KeyRsa, "rsa pkcs8 body");
    expect_code(&pkcs1, ErrorCode::KeyRsa, "rsa pkcs1 pem");
    expect_code(
        &b64(&s.read_bytes("rsa1.der")),
        ErrorCode::KeyRsa,
        "rsa pkcs1 der",
    );
    expect_code(
        &pkcs8.replace('\n', "\\n"),
        ErrorCode::KeyRsa,
        "rsa escaped",
    );
}

#[test]
fn other_curves_are_named() {
    let s = Scratch::new();
    for (curve, file, name) in [
        ("P-384", "p384.pem", "P-384"),
        ("secp256k1", "k1.pem", "secp256k1"),
        ("P-521", "p521.pem", "P-521"),
    ] {
        s.openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{curve}"),
            "-out",
            file,
        ]);
        let text = s.read(file);
        let message = expect_code(&text, ErrorCode::KeyWrongCurve, curve);
        assert!(
            message.contains(name),
            "{curve}: message does not name the curve"
        );
        let sec1 = format!("sec1-{file}");
        s.openssl(&["ec", "-in", file, "-out", &sec1]);
        let message = expect_code(&s.read(&sec1), ErrorCode::KeyWrongCurve, "sec1");
        assert!(message.contains(name));
    }
    // Explicit curve parameters instead of a named curve.
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "p.pem",
    ]);
    s.openssl(&[
        "ec",
        "-in",
        "p.pem",
        "-param_enc",
        "explicit",
        "-out",
        "explicit.pem",
    ]);
    expect_code(
        &s.read("explicit.pem"),
        ErrorCode::KeyWrongCurve,
        "explicit sec1",
    );
    s.openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        "explicit.pem",
        "-out",
        "explicit8.pem",
    ]);
    expect_code(
        &s.read("explicit8.pem"),
        ErrorCode::KeyWrongCurve,
        "explicit pkcs8",
    );
}

#[test]
fn other_algorithms_are_named() {
    let s = Scratch::new();
    for (alg, name) in [
        ("ED25519", "Ed25519"),
        ("ED448", "Ed448"),
        ("X25519", "X25519"),
    ] {
        let file = format!("{alg}.pem");
        s.openssl(&["genpkey", "-algorithm", alg, "-out", &file]);
        let text = s.read(&file);
        let m = expect_code(&text, ErrorCode::KeyUnsupportedAlgorithm, alg);
        assert!(m.contains(name), "{alg}: not named");
        expect_code(&pem_body(&text), ErrorCode::KeyUnsupportedAlgorithm, alg);
    }
    // An OpenSSH key's first bytes (its magic), encoded here rather than written out as a key.
    let openssh = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        b64(b"openssh-key-v1\0\0\0\0")
    );
    expect_code(&openssh, ErrorCode::KeyUnsupportedAlgorithm, "openssh");
}

#[test]
fn encrypted_keys() {
    let s = Scratch::new();
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "k.pem",
    ]);
    s.openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        "k.pem",
        "-passout",
        "pass:test",
        "-out",
        "enc.pem",
    ]);
    s.openssl(&[
        "ec",
        "-in",
        "k.pem",
        "-aes128",
        "-passout",
        "pass:test",
        "-out",
        "legacy.pem",
    ]);
    let enc = s.read("enc.pem");
    let m = expect_code(&enc, ErrorCode::KeyEncrypted, "pkcs8 encrypted");
    assert!(m.contains("unencrypted") && m.contains(".p8"));
    expect_code(
        &pem_body(&enc),
        ErrorCode::KeyEncrypted,
        "encrypted body only",
    );
    expect_code(
        &enc.replace('\n', "\\n"),
        ErrorCode::KeyEncrypted,
        "encrypted escaped",
    );
    let legacy = s.read("legacy.pem");
    assert!(legacy.contains("Proc-Type"));
    expect_code(&legacy, ErrorCode::KeyEncrypted, "legacy encrypted sec1");
}

#[test]
fn public_keys_and_certificates() {
    let s = Scratch::new();
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "k.pem",
    ]);
    s.openssl(&["pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem"]);
    s.openssl(&[
        "req", "-new", "-x509", "-key", "k.pem", "-subj", "/CN=test", "-days", "1", "-out",
        "cert.pem",
    ]);
    s.openssl(&[
        "req", "-new", "-key", "k.pem", "-subj", "/CN=test", "-out", "csr.pem",
    ]);
    s.openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        "rsa.pem",
    ]);
    s.openssl(&["pkey", "-in", "rsa.pem", "-pubout", "-out", "rsapub.pem"]);
    s.openssl(&[
        "rsa",
        "-in",
        "rsa.pem",
        "-RSAPublicKey_out",
        "-out",
        "rsapub1.pem",
    ]);
    let public = s.read("pub.pem");
    expect_code(&public, ErrorCode::KeyIsPublic, "spki pem");
    expect_code(&pem_body(&public), ErrorCode::KeyIsPublic, "spki body");
    expect_code(&s.read("rsapub.pem"), ErrorCode::KeyIsPublic, "rsa spki");
    expect_code(
        &s.read("rsapub1.pem"),
        ErrorCode::KeyIsPublic,
        "rsa pkcs1 public",
    );
    let cert = s.read("cert.pem");
    expect_code(&cert, ErrorCode::KeyIsCertificate, "certificate");
    expect_code(
        &pem_body(&cert),
        ErrorCode::KeyIsCertificate,
        "certificate body",
    );
    expect_code(&s.read("csr.pem"), ErrorCode::KeyIsCertificate, "csr");
    expect_code(
        &pem_body(&s.read("csr.pem")),
        ErrorCode::KeyIsCertificate,
        "csr body",
    );
}

#[test]
fn truncated_keys() {
    let secret = random_secret();
    let apple = apple_p8(&secret);
    let body = pem_body(&apple);
    let end = apple.find("-----END").unwrap();
    expect_code(&apple[..end], ErrorCode::KeyTruncated, "no end line");
    expect_code(&apple[..end + 12], ErrorCode::KeyTruncated, "end line cut");
    expect_code("-----BEGIN PRIV", ErrorCode::KeyTruncated, "begin cut");
    expect_code("-----BEG", ErrorCode::KeyTruncated, "begin cut early");
    expect_code(
        "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
        ErrorCode::KeyTruncated,
        "empty block",
    );
    expect_code(
        &apple[apple.find('\n').unwrap()..],
        ErrorCode::KeyTruncated,
        "no begin line",
    );
    // Every cut of the base64 body, inside the armour and alone.
    for cut in 1..body.len() {
        let armoured = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            &body[..cut]
        );
        expect_code(&armoured, ErrorCode::KeyTruncated, "armoured cut");
        if cut >= 4 {
            expect_code(&body[..cut], ErrorCode::KeyTruncated, "bare cut");
        }
    }
}

#[test]
fn corrupt_keys() {
    let secret = random_secret();
    let der = apple_der(&secret);
    let apple = pem("PRIVATE KEY", &der);
    expect_code(
        &apple.replace("-----END PRIVATE KEY-----", "-----END PUBLIC KEY-----"),
        ErrorCode::KeyCorrupt,
        "mismatched end",
    );
    expect_code(
        &apple.replacen('\n', "\n!!", 2),
        ErrorCode::KeyCorrupt,
        "bad characters",
    );
    let mut extra = der.clone();
    extra.extend_from_slice(&[0, 0, 0]);
    expect_code(
        &pem("PRIVATE KEY", &extra),
        ErrorCode::KeyCorrupt,
        "trailing bytes",
    );
    let mut wrong_tag = der.clone();
    wrong_tag[0] = 0x31;
    expect_code(
        &pem("PRIVATE KEY", &wrong_tag),
        ErrorCode::KeyCorrupt,
        "not a sequence",
    );
    let mut bad_version = der.clone();
    // The SEC1 version INTEGER inside: 30 81 93 02 01 00 30 13 ... 04 79 30 77 02 01 [01].
    let pos = 3 + 3 + 21 + 2 + 2 + 2;
    assert_eq!(bad_version[pos], 1);
    bad_version[pos] = 7;
    expect_code(
        &pem("PRIVATE KEY", &bad_version),
        ErrorCode::KeyCorrupt,
        "sec1 version",
    );
    // A PRIVATE KEY block holding something that is not PKCS#8.
    expect_code(
        &pem("PRIVATE KEY", &tlv(0x30, &tlv(0x04, &[1, 2]))),
        ErrorCode::KeyCorrupt,
        "garbage sequence",
    );
}

#[test]
fn invalid_scalars_and_mismatched_public_keys() {
    let secret = random_secret();
    let other = random_secret();
    let zero = [0u8; 32];
    expect_code(
        &b64(&pkcs8_der_parts(&zero, None, true)),
        ErrorCode::KeyInvalid,
        "zero scalar",
    );
    // The group order n of P-256.
    let order: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    expect_code(
        &b64(&pkcs8_der_parts(&order, None, true)),
        ErrorCode::KeyInvalid,
        "scalar = n",
    );
    expect_code(
        &b64(&pkcs8_der_parts(&[0xff; 32], None, true)),
        ErrorCode::KeyInvalid,
        "scalar > n",
    );
    expect_code(
        &b64(&pkcs8_der_parts(&[1u8; 33], None, true)),
        ErrorCode::KeyInvalid,
        "33-byte scalar",
    );
    let mismatched = pkcs8_der_parts(&secret.to_bytes(), Some(&public_point(&other)), true);
    expect_code(
        &pem("PRIVATE KEY", &mismatched),
        ErrorCode::KeyInvalid,
        "other public key",
    );
}

#[test]
fn odd_inputs_never_panic() {
    let secret = random_secret();
    let apple = apple_p8(&secret);
    let big_a = "A".repeat(1 << 20);
    assert_eq!(
        PrivateKey::parse(&big_a).unwrap_err().code,
        ErrorCode::KeyNotPem
    );
    let _ = PrivateKey::parse(&"M".repeat(1 << 20));
    let _ = PrivateKey::parse(&format!(
        "-----BEGIN PRIVATE KEY-----\n{big_a}\n-----END PRIVATE KEY-----"
    ));
    let _ = PrivateKey::parse(&"-----BEGIN ".repeat(10_000));
    let _ = PrivateKey::parse(&"\\".repeat(10_000));
    let _ = PrivateKey::parse("\u{0}\u{1}\u{7f}é漢字🙂");
    let _ = PrivateKey::parse(&b64(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]));
    let _ = PrivateKey::parse(&b64(&[0x30, 0x80, 0x00, 0x00]));
    let _ = PrivateKey::parse(&b64(&[0x3f, 0x01, 0x00]));
    // Every prefix of the whole PEM text: an error or (near the end) the right key.
    for cut in 0..apple.len() {
        match PrivateKey::parse(&apple[..cut]) {
            Ok(key) => assert!(key.public_key_sec1() == public_point(&secret)),
            Err(e) => assert_no_leak(&e.message, &pem_body(&apple)),
        }
    }
    // Random bytes, as text and as base64, and random mutations of a good key.
    for round in 0..300 {
        let mut bytes = vec![0u8; 1 + round % 200];
        getrandom::fill(&mut bytes).unwrap();
        let _ = PrivateKey::parse(&String::from_utf8_lossy(&bytes));
        let _ = PrivateKey::parse(&b64(&bytes));
        let mut der = apple_der(&secret);
        let mut r = [0u8; 3];
        getrandom::fill(&mut r).unwrap();
        let at = usize::from(r[0]) % der.len();
        der[at] ^= r[1] | 1;
        if let Err(e) = PrivateKey::parse(&b64(&der)) {
            assert_no_leak(&e.message, &b64(&der));
        }
    }
}
