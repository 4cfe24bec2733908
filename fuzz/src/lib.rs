//! Fuzz targets for asc-connector as plain functions, so that the same code runs under libFuzzer
//! (`fuzz_targets/*.rs`, `cargo +nightly fuzz run <target>`) and as an ordinary test over the
//! committed seed corpus plus deterministic mutations (`cargo test`, see `tests/smoke.rs`).
//!
//! Each target feeds arbitrary bytes to one entry point and checks invariants that must hold for
//! every input: no panic, errors with stable codes, output that is valid JSON, no echoed secrets.

use asc_connector::key::PrivateKey;
use asc_connector::operations::plan_request;
use asc_connector::shape::{shape_response, ShapeContext};

/// The longest run of base64 characters in `s` (the part of a key that must never be echoed).
fn longest_base64_run(s: &str) -> &str {
    let mut best = "";
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        let is_b64 = c.is_ascii_alphanumeric() || c == '+' || c == '/';
        match (is_b64, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                if let Some(run) = s.get(st..i) {
                    if run.len() > best.len() {
                        best = run;
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
    best
}

/// `PrivateKey::parse` on the input as (lossy) UTF-8: never panics; errors are `KEY_*` codes
/// whose message never contains the input's base64 material; parsed keys print no material.
pub fn key_parser(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    match PrivateKey::parse(&input) {
        Ok(key) => {
            assert_eq!(format!("{key:?}"), "PrivateKey(..)");
            let pem = key.public_key_pem();
            assert!(pem.is_empty() || pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        }
        Err(e) => {
            assert!(e.code.as_str().starts_with("KEY_"), "code {}", e.code);
            assert_eq!(e.http_status(), 400);
            let run = longest_base64_run(&input);
            if run.len() >= 40 {
                assert!(!e.message.contains(run), "the error echoes the input");
                assert!(e.details.iter().all(|d| !d.message.contains(run)));
            }
        }
    }
}

/// `plan_request` with method, path and query taken from the input's first, second and
/// remaining lines: never panics; a plan is canonical (planning it again gives the same plan);
/// errors carry a 4xx status.
pub fn planner(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let mut lines = input.splitn(3, '\n');
    let method = lines.next().unwrap_or("");
    let path = lines.next().unwrap_or("");
    let query = lines.next().unwrap_or("");
    match plan_request(method, path, query) {
        Ok(plan) => {
            assert!(
                plan.upstream_path.starts_with("/v1/"),
                "{}",
                plan.upstream_path
            );
            for q in [&plan.upstream_query, &plan.paging_query] {
                assert!(
                    !q.chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == '#'),
                    "query not canonical: {q:?}"
                );
            }
            assert!(
                !plan
                    .paging_query
                    .split('&')
                    .any(|p| p.starts_with("cursor=")),
                "paging query keeps the cursor"
            );
            let again = plan_request(method, &plan.upstream_path, &plan.upstream_query);
            match again {
                Ok(p2) => {
                    assert_eq!(p2.upstream_path, plan.upstream_path);
                    assert_eq!(
                        p2.upstream_query, plan.upstream_query,
                        "planning is not idempotent"
                    );
                    assert_eq!(p2.paging_query, plan.paging_query);
                }
                Err(e) => panic!("a canonical plan was rejected on replanning: {e}"),
            }
        }
        Err(e) => {
            assert!((400..=499).contains(&e.http_status()), "{e}");
            assert!(!e.message.is_empty());
        }
    }
}

/// The statuses the first input byte selects (anything beyond comes from the next two bytes).
const STATUSES: [u16; 16] = [
    200, 200, 200, 201, 204, 400, 401, 403, 404, 406, 429, 500, 503, 302, 100, 0,
];

/// The shaping options the `shaper` target reads from its second byte: raw (bit 0), the operation
/// (bit 1), a query (bit 2) and an outcome hint (bit 3).
pub fn shaper_context(flags: u8) -> ShapeContext {
    ShapeContext {
        operation_id: if flags & 2 == 0 { "ListApps" } else { "GetApp" }.into(),
        base_url: "https://gw.example.com".into(),
        path: "/v1/apps".into(),
        query: if flags & 4 == 0 { "limit=2" } else { "" }.into(),
        upstream_origin: "https://api.appstoreconnect.apple.com".into(),
        raw: flags & 1 == 1,
        outcome_hint: if flags & 8 == 0 { "" } else { "read it back" }.into(),
    }
}

/// `shape_response` with a status and options from the first two bytes and the rest as body:
/// never panics; the body is always JSON; errors are the gateway's error document with the status
/// it answers with; success only for upstream 2xx; nextLink only on the gateway's base URL.
pub fn shaper(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(2));
    let selector = head.first().copied().unwrap_or(0);
    let flags = head.get(1).copied().unwrap_or(0);
    let status = match STATUSES.get(usize::from(selector & 0x1f)) {
        Some(s) => *s,
        None => u16::from(selector).wrapping_mul(3) ^ (u16::from(flags) << 8),
    };
    let ctx = shaper_context(flags);
    let body = String::from_utf8_lossy(body);
    let out = shape_response(&ctx, status, &body);
    let v: serde_json::Value = match serde_json::from_str(&out.body) {
        Ok(v) => v,
        Err(e) => panic!("output is not JSON ({e})"),
    };
    assert!((200..=599).contains(&out.status), "status {}", out.status);
    if (200..=299).contains(&out.status) {
        assert!(
            (200..=299).contains(&status),
            "success from upstream {status}"
        );
        if !ctx.raw {
            if let Some(link) = v.get("nextLink") {
                let link = link.as_str().unwrap_or("");
                assert!(
                    link.starts_with("https://gw.example.com/v1/apps?"),
                    "{link}"
                );
                assert!(link.contains("cursor="), "{link}");
            }
        }
    } else {
        let err = &v["error"];
        assert!(err["code"].is_string(), "no error code: {}", out.body);
        assert_eq!(err["status"].as_u64(), Some(u64::from(out.status)));
        assert!(err["message"].is_string());
    }
}

/// A small deterministic pseudo-random generator (xorshift64*), for the smoke test's mutations.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Byte strings that often matter to parsers.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"null",
    b"\\u0000",
    b"\\",
    b"%",
    b"%25",
    b"%FF",
    b"&",
    b"=",
    b"?",
    b"#",
    b"\n",
    b"\r\n",
    b"\\n",
    b"-----",
    b"BEGIN",
    b"END",
    b"PRIVATE KEY",
    b"cursor=",
    b"include=",
    b"limit=",
    b"filter[",
    b"fields[apps]=",
    b"data",
    b"included",
    b"relationships",
    b"attributes",
    b"links",
    b"next",
    b"https://evil.example.com/",
    b"1e999",
    b"-0",
    b"18446744073709551616",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3\xa9",
];

/// One deterministic mutation of `seed` (bit flips, byte changes, token insertion, deletion,
/// duplication, truncation or splicing with `other`).
pub fn mutate(seed: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = seed.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = out.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                if let Some(b) = out.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                let i = rng.below(len);
                if let Some(b) = out.get_mut(i) {
                    *b = (rng.next() & 0xff) as u8;
                }
            }
            2 => {
                let i = rng.below(len + 1);
                let t = TOKENS.get(rng.below(TOKENS.len())).copied().unwrap_or(b"");
                out.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                out.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let chunk: Vec<u8> = out.get(i..i + n).map(<[u8]>::to_vec).unwrap_or_default();
                let at = rng.below(len + 1);
                out.splice(at..at, chunk);
            }
            5 => {
                let n = rng.below(len + 1);
                out.truncate(n);
            }
            6 if !other.is_empty() => {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                out.truncate(cut);
                out.extend_from_slice(other.get(from..).unwrap_or(b""));
            }
            _ => {
                let i = rng.below(len + 1);
                out.insert(i, (rng.next() & 0xff) as u8);
            }
        }
    }
    out
}

/// Seeds that are made at run time instead of committed. For `key_parser` these are key-shaped
/// inputs (PKCS#8 and SEC1 structures around a fresh random scalar, and the mangled shapes people
/// paste), so that no private key, not even a throwaway one, lives in the repository. Other targets
/// have none. `tests/smoke.rs` adds them to the committed seeds; `make fuzz` writes them into the
/// (ignored) corpus folder with `cargo run --example generated_seeds -- <target> <dir>`.
pub fn generated_seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "key_parser" => key_seeds(&mut Rng::new(random_seed())),
        _ => Vec::new(),
    }
}

/// 64 bits that differ from run to run (std's per-process random hash keys), for throwaway keys.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

fn random_bytes<const N: usize>(rng: &mut Rng) -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(8) {
        let word = rng.next().to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    out
}

/// DER `SEQUENCE`/`OCTET STRING`/... with a definite length (short or one/two-byte long form).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n <= 0xff => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_PRIME256V1: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// SEC1 `ECPrivateKey`: version 1, the scalar, optionally the curve and an (uncompressed) point.
fn sec1(scalar: &[u8; 32], curve: bool, point: Option<&[u8; 64]>) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x01];
    body.extend(der(0x04, scalar));
    if curve {
        body.extend(der(0xa0, OID_PRIME256V1));
    }
    if let Some(xy) = point {
        let mut bits = vec![0x00, 0x04];
        bits.extend_from_slice(xy);
        body.extend(der(0xa1, &der(0x03, &bits)));
    }
    der(0x30, &body)
}

/// PKCS#8 `PrivateKeyInfo` for P-256 around a SEC1 key.
fn pkcs8(sec1_key: &[u8]) -> Vec<u8> {
    let mut algorithm = OID_EC_PUBLIC_KEY.to_vec();
    algorithm.extend_from_slice(OID_PRIME256V1);
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend(der(0x30, &algorithm));
    body.extend(der(0x04, sec1_key));
    der(0x30, &body)
}

/// `SubjectPublicKeyInfo` for a P-256 point (what people paste when they take the wrong half).
fn spki(point: &[u8; 64]) -> Vec<u8> {
    let mut algorithm = OID_EC_PUBLIC_KEY.to_vec();
    algorithm.extend_from_slice(OID_PRIME256V1);
    let mut bits = vec![0x00, 0x04];
    bits.extend_from_slice(point);
    let mut body = der(0x30, &algorithm);
    body.extend(der(0x03, &bits));
    der(0x30, &body)
}

fn pem(label: &str, der_bytes: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der_bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn key_seeds(rng: &mut Rng) -> Vec<Vec<u8>> {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let scalar: [u8; 32] = random_bytes(rng);
    let point: [u8; 64] = random_bytes(rng);
    let noise: [u8; 96] = random_bytes(rng);
    let good = pkcs8(&sec1(&scalar, false, None));
    let good_pem = pem("PRIVATE KEY", &good);
    let mut seeds = vec![
        good_pem.clone(),
        // A point that does not belong to the scalar, and scalars that are no key at all.
        pem("PRIVATE KEY", &pkcs8(&sec1(&scalar, false, Some(&point)))),
        pem("PRIVATE KEY", &pkcs8(&sec1(&[0; 32], false, Some(&point)))),
        pem("PRIVATE KEY", &pkcs8(&sec1(&[0xff; 32], false, None))),
        good_pem.replace('\n', "\\n"),
        format!("\"{}\"", good_pem.replace('\n', " ")),
        pem("EC PRIVATE KEY", &sec1(&scalar, true, Some(&point))),
        b64(&good),
        b64(good_pem.as_bytes()),
        good_pem.replace('\n', "\r\n")[..good_pem.len() / 2].to_owned(),
    ];
    seeds.push(pem("RSA PRIVATE KEY", &noise));
    seeds.push(pem("PUBLIC KEY", &spki(&point)));
    seeds.push(pem("CERTIFICATE", &noise));
    seeds.push(pem("ENCRYPTED PRIVATE KEY", &noise));
    seeds.into_iter().map(String::into_bytes).collect()
}
