//! Decodes a token WITHOUT trusting it and lists every way it breaks Apple's rules.
//!
//! Apple answers every bad token with the same 401 `NOT_AUTHORIZED`, so this module is the place
//! that says WHICH rule a token breaks: shape, encoding, header, claims, times and signature
//! encoding, all at once rather than the first only. When a public key is given the signature is
//! verified too. Nothing here needs the token to be valid, and messages never contain the token,
//! its signature or its claim strings (only numbers derived from the times, and well-known
//! algorithm names).
//!
//! Time rules, with `now` the inspector's clock in seconds since 1970:
//! - `exp − iat` must be at most 1200 s and positive; `exp − now` at most 1200 s; `exp > now`.
//! - `iat` may not be after `now` at all ([`IAT_FUTURE_LEEWAY_SECONDS`] is 0): Apple answers 401
//!   to clocks only seconds fast (rorkai/App-Store-Connect-CLI#2083), and tokens minted by this
//!   crate backdate `iat` by 60 s, so they never trip it.
use crate::b64::decode_strict;
use crate::error::{Detail, ErrorCode};
use crate::key::parse_public_key;
use crate::token::{
    check_scope_entry, is_uuid_shaped, is_valid_key_id, AUDIENCE, MAX_LIFETIME_SECONDS,
};
use p256::ecdsa::signature::Verifier as _;
use serde_json::{Map, Value};

/// How far `iat` may be after `now` before it is reported: none (see the module docs).
pub const IAT_FUTURE_LEEWAY_SECONDS: i64 = 0;

/// How the signature part is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureEncoding {
    /// 64 bytes, `r ‖ s`: what JWS ES256 requires.
    Raw,
    /// An ASN.1 DER `SEQUENCE { r, s }`: what Node's `crypto.sign`, OpenSSL and Apple's
    /// `SecKeyCreateSignature` produce by default; Apple rejects it.
    Der,
    /// Missing, undecodable, or neither of the above.
    Unknown,
}

impl SignatureEncoding {
    /// `"raw"`, `"der"` or `"unknown"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureEncoding::Raw => "raw",
            SignatureEncoding::Der => "der",
            SignatureEncoding::Unknown => "unknown",
        }
    }
}

/// What [`inspect_token`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    /// The decoded header, when it decodes.
    pub header: Option<serde_json::Value>,
    /// The decoded payload, when it decodes.
    pub payload: Option<serde_json::Value>,
    /// Every problem found; empty when Apple should accept the token.
    pub problems: Vec<Detail>,
    /// `iat`, when it is a number.
    pub issued_at: Option<i64>,
    /// `exp`, when it is a number.
    pub expires_at: Option<i64>,
    /// `exp − iat`, when both are numbers.
    pub lifetime_seconds: Option<i64>,
    /// How the signature is encoded.
    pub signature_encoding: SignatureEncoding,
    /// Whether the signature verifies as JWS ES256 with the public key given; `None` without a
    /// usable key. A DER signature is never valid JWS ES256, so it gives `Some(false)`.
    pub signature_verified: Option<bool>,
}

impl Inspection {
    /// True when no problem was found.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The codes of the problems, in the order found.
    #[must_use]
    pub fn codes(&self) -> Vec<ErrorCode> {
        self.problems.iter().map(|p| p.code).collect()
    }
}

/// Collects problems.
struct Problems(Vec<Detail>);

impl Problems {
    fn add(&mut self, code: ErrorCode, parameter: Option<&str>, message: impl Into<String>) {
        self.0.push(Detail {
            code,
            message: message.into(),
            parameter: parameter.map(str::to_string),
        });
    }
}

/// Algorithm names that are safe to repeat back (they are not secrets).
const KNOWN_ALGS: [&str; 15] = [
    "none", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES384", "ES512", "ES256K", "EdDSA", "Ed25519",
];

/// Inspects a token WITHOUT trusting it, at time `now` (seconds since 1970), optionally verifying
/// its signature with a PEM public key.
///
/// Surrounding whitespace and a leading `Bearer ` are ignored. A `public_key_pem` that cannot be
/// read is reported as a problem (with its `KEY_*` code and parameter `publicKey`), never a panic;
/// any private key shape accepted by [`crate::key::PrivateKey::parse`] also works (its public
/// half is used).
#[must_use]
pub fn inspect_token(jwt: &str, now: u64, public_key_pem: Option<&str>) -> Inspection {
    let mut problems = Problems(Vec::new());
    let text = jwt.trim();
    let text = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .unwrap_or(text)
        .trim();
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        let what = if text.is_empty() {
            "The token is empty.".to_string()
        } else {
            format!("The token has {} dot-separated parts.", parts.len())
        };
        problems.add(
            ErrorCode::TokenMalformed,
            None,
            format!("{what} A JWT is three base64url parts, header.payload.signature."),
        );
    } else {
        for (part, name) in parts.iter().zip(["header", "payload", "signature"]) {
            if part.is_empty() {
                problems.add(
                    ErrorCode::TokenMalformed,
                    Some(name),
                    format!(
                        "The {name} part is empty. A JWT is three non-empty base64url parts, \
                         header.payload.signature."
                    ),
                );
            }
        }
    }

    let header = parts
        .first()
        .filter(|p| !p.is_empty())
        .and_then(|p| decode_json(p, "header", &mut problems));
    let payload = parts
        .get(1)
        .filter(|p| !p.is_empty())
        .and_then(|p| decode_json(p, "payload", &mut problems));

    if let Some(h) = &header {
        check_header(h, &mut problems);
    }
    let mut times = Times::default();
    if let Some(p) = &payload {
        times = check_payload(p, now, &mut problems);
    }

    let (encoding, verified) = match (parts.len(), parts.get(2)) {
        (3, Some(sig)) if !sig.is_empty() => {
            check_signature(text, sig, public_key_pem, &mut problems)
        }
        _ => {
            if let Some(pem) = public_key_pem {
                // Still report a key that cannot be read, so it can be fixed in one go.
                if let Err(e) = parse_public_key(pem) {
                    problems.add(e.code, Some("publicKey"), e.message);
                }
            }
            (SignatureEncoding::Unknown, None)
        }
    };

    Inspection {
        header: header.map(Value::Object),
        payload: payload.map(Value::Object),
        problems: problems.0,
        issued_at: times.iat,
        expires_at: times.exp,
        lifetime_seconds: match (times.iat, times.exp) {
            (Some(i), Some(e)) => Some(e.saturating_sub(i)),
            _ => None,
        },
        signature_encoding: encoding,
        signature_verified: verified,
    }
}

/// Decodes one base64url part. Standard base64 is reported but still decoded, so the other
/// checks can run.
fn decode_part(part: &str, name: &str, problems: &mut Problems) -> Option<Vec<u8>> {
    if let Some(bytes) = decode_strict(part, true, false) {
        return Some(bytes);
    }
    let standard_chars = part.contains(['+', '/', '=']);
    if standard_chars {
        // Either alphabet, `=` padding optional.
        let decoded = decode_strict(part, false, true).or_else(|| decode_strict(part, true, true));
        problems.add(
            ErrorCode::TokenBase64Invalid,
            Some(name),
            format!(
                "The {name} part uses standard base64 characters (+, / or = padding). JWTs use \
                 base64url: replace + with -, / with _, and drop the = padding."
            ),
        );
        return decoded;
    }
    problems.add(
        ErrorCode::TokenBase64Invalid,
        Some(name),
        format!(
            "The {name} part is not valid base64url (only A-Z, a-z, 0-9, - and _ are allowed, \
             with no padding, and the length must be a whole number of bytes)."
        ),
    );
    None
}

/// Whether `part` is base64url exactly as a JWT must carry it: only `A-Z a-z 0-9 - _`, no
/// padding, and decodable (no impossible length, no stray bits).
fn is_canonical_base64url(part: &str) -> bool {
    decode_strict(part, true, false).is_some()
}

/// Decodes a part to a JSON object.
fn decode_json(part: &str, name: &str, problems: &mut Problems) -> Option<Map<String, Value>> {
    let bytes = decode_part(part, name, problems)?;
    // UTF-8 first, then the text parser: what from_slice accepts, without a second instantiation
    // of serde_json's Value parser (for byte input) in the wasm module.
    let parsed = std::str::from_utf8(&bytes).map(serde_json::from_str::<Value>);
    match parsed {
        Ok(Ok(Value::Object(map))) => Some(map),
        Ok(Ok(_)) => {
            problems.add(
                ErrorCode::TokenJsonInvalid,
                Some(name),
                format!(
                    "The {name} decodes to JSON that is not an object; it must be a JSON object."
                ),
            );
            None
        }
        Ok(Err(_)) | Err(_) => {
            problems.add(
                ErrorCode::TokenJsonInvalid,
                Some(name),
                format!(
                    "The {name} does not decode to valid JSON; it must be a UTF-8 JSON object."
                ),
            );
            None
        }
    }
}

fn check_header(header: &Map<String, Value>, problems: &mut Problems) {
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "ES256" => {}
        other => {
            let what = match other {
                None => "The header has no alg.".to_string(),
                Some(Value::String(alg)) => match KNOWN_ALGS.iter().find(|a| *a == alg) {
                    Some(known) => format!("The header's alg is {known}."),
                    None => "The header's alg is not ES256.".to_string(),
                },
                Some(_) => "The header's alg is not a string.".to_string(),
            };
            problems.add(
                ErrorCode::TokenAlgNotEs256,
                Some("alg"),
                format!(
                    "{what} App Store Connect only accepts \"alg\": \"ES256\" (ECDSA P-256 with \
                     SHA-256), signed with the .p8 key."
                ),
            );
        }
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t == "JWT" => {}
        Some(_) => problems.add(
            ErrorCode::TokenTypNotJwt,
            Some("typ"),
            "The header's typ is not \"JWT\". Set \"typ\": \"JWT\" (or leave it out).",
        ),
    }
    match header.get("kid") {
        Some(Value::String(kid)) if is_valid_key_id(kid) => {}
        other => {
            let what = match other {
                None => "The header has no kid.",
                Some(Value::String(_)) => {
                    "The header's kid is not shaped like an App Store Connect key ID."
                }
                Some(_) => "The header's kid is not a string.",
            };
            problems.add(
                ErrorCode::TokenKidInvalid,
                Some("kid"),
                format!(
                    "{what} Set kid to the key ID of the .p8 used to sign (AuthKey_<KEYID>.p8): \
                     upper-case letters and digits, 10 for team keys, with no spaces or quotes."
                ),
            );
        }
    }
}

#[derive(Default)]
struct Times {
    iat: Option<i64>,
    exp: Option<i64>,
}

/// A JSON number as whole seconds (fractions dropped, huge values clamped).
fn seconds(value: &Value) -> Option<i64> {
    let n = value.as_number()?;
    n.as_i64()
        .or_else(|| n.as_u64().map(|_| i64::MAX))
        .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

fn check_payload(payload: &Map<String, Value>, now: u64, problems: &mut Problems) -> Times {
    match payload.get("aud") {
        Some(Value::String(aud)) if aud == AUDIENCE => {}
        other => {
            let what = match other {
                None => "The payload has no aud.",
                Some(Value::Array(_)) => "The payload's aud is an array.",
                _ => "The payload's aud is not \"appstoreconnect-v1\".",
            };
            problems.add(
                ErrorCode::TokenAudInvalid,
                Some("aud"),
                format!("{what} Set \"aud\": \"{AUDIENCE}\" (a single string)."),
            );
        }
    }

    let iat = payload.get("iat").and_then(seconds);
    let exp = payload.get("exp").and_then(seconds);
    if iat.is_none() {
        problems.add(
            ErrorCode::TokenIatMissing,
            Some("iat"),
            "The payload has no numeric iat. Set iat to the issue time in seconds since 1970 \
             (best a minute in the past, to absorb clock skew).",
        );
    }
    if exp.is_none() {
        problems.add(
            ErrorCode::TokenExpMissing,
            Some("exp"),
            "The payload has no numeric exp. Set exp to the expiry in seconds since 1970, at most \
             20 minutes after iat.",
        );
    }
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let max = i64::try_from(MAX_LIFETIME_SECONDS).unwrap_or(i64::MAX);
    if let (Some(i), Some(e)) = (iat, exp) {
        let lifetime = e.saturating_sub(i);
        if lifetime <= 0 {
            problems.add(
                ErrorCode::TokenExpBeforeIat,
                Some("exp"),
                "exp is not after iat. Set exp = iat + the lifetime (at most 1200 s).",
            );
        } else if lifetime > max {
            problems.add(
                ErrorCode::TokenLifetimeTooLong,
                Some("exp"),
                format!(
                    "exp is {lifetime} s after iat; Apple accepts at most {max} s (20 minutes) \
                     for these resources. Use a lifetime of 15 minutes (900 s) or less."
                ),
            );
        }
    }
    if let Some(e) = exp {
        let left = e.saturating_sub(now);
        if left <= 0 {
            problems.add(
                ErrorCode::TokenExpired,
                Some("exp"),
                format!(
                    "The token expired {} s ago. Mint a new token (tokens live at most 20 \
                     minutes; re-mint a little before exp).",
                    now.saturating_sub(e)
                ),
            );
        } else if left > max {
            problems.add(
                ErrorCode::TokenExpTooFar,
                Some("exp"),
                format!(
                    "exp is {left} s from now; Apple rejects tokens expiring more than {max} s \
                     after its own clock. Keep exp at most 15 minutes after now."
                ),
            );
        }
    }
    if let Some(i) = iat {
        let ahead = i.saturating_sub(now);
        if ahead > IAT_FUTURE_LEEWAY_SECONDS {
            problems.add(
                ErrorCode::TokenIatInFuture,
                Some("iat"),
                format!(
                    "iat is {ahead} s in the future. Apple rejects tokens issued after its own \
                     clock: check this machine's clock and set iat to now minus 60 s."
                ),
            );
        }
    }

    let iss = payload.get("iss");
    let sub = payload.get("sub");
    match (iss, sub) {
        (Some(_), Some(_)) => problems.add(
            ErrorCode::TokenIssAndSub,
            None,
            "The payload has both iss and sub. Team keys use iss (the issuer ID) and no sub; \
             individual keys use sub \"user\" and no iss.",
        ),
        (None, None) => problems.add(
            ErrorCode::TokenNoIssOrSub,
            None,
            "The payload has neither iss nor sub. Team keys need iss (the issuer ID); individual \
             keys need sub \"user\".",
        ),
        _ => {}
    }
    if let Some(iss) = iss {
        if !iss.as_str().is_some_and(is_uuid_shaped) {
            problems.add(
                ErrorCode::TokenIssInvalid,
                Some("iss"),
                "iss is not shaped like an issuer ID. Use the issuer ID from App Store Connect \
                 (Users and Access > Integrations): 8-4-4-4-12 hexadecimal digits, with no spaces \
                 or quotes.",
            );
        }
    }
    if let Some(sub) = sub {
        if sub.as_str() != Some("user") {
            problems.add(
                ErrorCode::TokenSubInvalid,
                Some("sub"),
                "sub is not \"user\". Individual keys need exactly \"sub\": \"user\"; team keys \
                 need no sub.",
            );
        }
    }
    if let Some(scope) = payload.get("scope") {
        check_scope_claim(scope, problems);
    }
    Times { iat, exp }
}

fn check_scope_claim(scope: &Value, problems: &mut Problems) {
    let Value::Array(entries) = scope else {
        problems.add(
            ErrorCode::TokenScopeInvalid,
            Some("scope"),
            "scope is not an array. Use an array of strings like \"GET /v1/apps\", or leave \
             scope out.",
        );
        return;
    };
    if entries.is_empty() {
        problems.add(
            ErrorCode::TokenScopeInvalid,
            Some("scope"),
            "scope is an empty array, which allows no request. Leave scope out, or list entries \
             like \"GET /v1/apps\".",
        );
    }
    for (i, entry) in entries.iter().enumerate() {
        let why = match entry.as_str() {
            Some(s) => check_scope_entry(s).err(),
            None => Some("it is not a string"),
        };
        if let Some(why) = why {
            problems.add(
                ErrorCode::TokenScopeInvalid,
                Some(&format!("scope[{i}]")),
                format!(
                    "scope[{i}] is not a valid scope entry: {why}. Use `METHOD /v1/path` with an \
                     optional `?query`, e.g. `GET /v1/apps`."
                ),
            );
        }
    }
}

/// Checks the signature's encoding and, with a key, verifies it over `header.payload`.
fn check_signature(
    token: &str,
    sig_part: &str,
    public_key_pem: Option<&str>,
    problems: &mut Problems,
) -> (SignatureEncoding, Option<bool>) {
    let key = match public_key_pem {
        Some(pem) => match parse_public_key(pem) {
            Ok(k) => Some(k),
            Err(e) => {
                problems.add(e.code, Some("publicKey"), e.message);
                None
            }
        },
        None => None,
    };
    let Some(bytes) = decode_part(sig_part, "signature", problems) else {
        return (SignatureEncoding::Unknown, key.map(|_| false));
    };
    // Apple reads only canonical base64url (no padding, no + or /, no whitespace): a signature
    // that needed the lenient decoder is never reported as verified, whatever its bytes are
    // (decode_part has already listed TOKEN_BASE64_INVALID for it).
    let canonical = is_canonical_base64url(sig_part);
    let signed = token.rsplit_once('.').map_or("", |(s, _)| s).as_bytes();
    if bytes.len() == 64 {
        let verified = key.map(|k| {
            canonical
                && p256::ecdsa::Signature::from_slice(&bytes)
                    .is_ok_and(|sig| k.verify(signed, &sig).is_ok())
        });
        if verified == Some(false) && canonical {
            problems.add(
                ErrorCode::TokenSignatureInvalid,
                Some("signature"),
                "The signature does not verify with the public key given: the token was signed \
                 with another key, or changed after signing. Sign with the .p8 whose key ID is \
                 the kid.",
            );
        }
        return (SignatureEncoding::Raw, verified);
    }
    if let Some(der) = signature_from_der(&bytes) {
        let der_matches = key.map(|k| k.verify(signed, &der).is_ok());
        let note = match der_matches {
            Some(true) => {
                " It does match the key given once converted, so only the encoding is wrong."
            }
            _ => "",
        };
        problems.add(
            ErrorCode::TokenSignatureDer,
            Some("signature"),
            format!(
                "The signature is ASN.1 DER ({} bytes); ES256 in a JWT needs the raw 64-byte \
                 r||s form (IEEE P1363). In Node use crypto.sign(..., {{ dsaEncoding: \
                 'ieee-p1363' }}), or use a JWT library.{note}",
                bytes.len()
            ),
        );
        if der_matches == Some(false) {
            problems.add(
                ErrorCode::TokenSignatureInvalid,
                Some("signature"),
                "The signature does not verify with the public key given, even read as DER: the \
                 token was signed with another key, or changed after signing.",
            );
        }
        return (SignatureEncoding::Der, key.map(|_| false));
    }
    problems.add(
        ErrorCode::TokenSignatureLength,
        Some("signature"),
        format!(
            "The signature is {} bytes; ES256 needs exactly 64 bytes (r||s, 32 bytes each, \
             left-padded with zeros).",
            bytes.len()
        ),
    );
    (SignatureEncoding::Unknown, key.map(|_| false))
}

/// An ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }` ECDSA signature, read exactly as p256's
/// `Signature::from_der` reads one (short-form lengths, minimal non-negative integers of at most
/// 32 bytes, nothing left over, r and s in 1..n). A few lines here instead of the `der` crate's
/// reader (~7 KB of wasm).
fn signature_from_der(bytes: &[u8]) -> Option<p256::ecdsa::Signature> {
    let [0x30, len, body @ ..] = bytes else {
        return None;
    };
    if *len >= 0x80 || usize::from(*len) != body.len() {
        return None;
    }
    let (r, body) = der_integer(body)?;
    let (s, body) = der_integer(body)?;
    if !body.is_empty() {
        return None;
    }
    let mut raw = [0u8; 64];
    raw.get_mut(32 - r.len()..32)?.copy_from_slice(r);
    raw.get_mut(64 - s.len()..)?.copy_from_slice(s);
    p256::ecdsa::Signature::from_slice(&raw).ok()
}

/// One DER `INTEGER` holding an unsigned number of at most 32 bytes: its big-endian bytes without
/// the sign byte, and what follows it.
fn der_integer(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let [0x02, len, rest @ ..] = bytes else {
        return None;
    };
    if *len >= 0x80 {
        return None;
    }
    let (int, rest) = rest.split_at_checked(usize::from(*len))?;
    let value = match int {
        // Empty, a needless leading zero, or negative.
        [] | [0, 0..=0x7f, ..] | [0x80..=0xff, ..] => return None,
        [0, tail @ ..] if !tail.is_empty() => tail,
        _ => int,
    };
    (value.len() <= 32).then_some((value, rest))
}

#[cfg(test)]
mod tests {
    use super::signature_from_der;
    use p256::ecdsa::Signature;

    /// Reads what p256's DER reader reads, and refuses what it refuses: canonical signatures
    /// with every byte changed, cut short, extended and re-tagged.
    #[test]
    fn der_signatures_read_as_p256_reads_them() {
        let n_minus_1: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2,
            0xfc, 0x63, 0x25, 0x50,
        ];
        let mut scalars: Vec<[u8; 32]> = vec![n_minus_1];
        for (i, lead) in [0x01u8, 0x7f, 0x80, 0xff, 0x00].into_iter().enumerate() {
            let mut a = [0u8; 32];
            for (j, b) in a.iter_mut().enumerate() {
                *b = (j as u8).wrapping_mul(37).wrapping_add(i as u8);
            }
            a[0] = lead;
            scalars.push(a);
            // Short numbers: leading zero bytes, down to a single byte.
            let mut short = [0u8; 32];
            short[31 - i * 7..].copy_from_slice(&a[31 - i * 7..]);
            short[31 - i * 7] = lead | 1;
            scalars.push(short);
        }
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for r in &scalars {
            for s in &scalars {
                let mut raw = [0u8; 64];
                raw[..32].copy_from_slice(r);
                raw[32..].copy_from_slice(s);
                let Ok(sig) = Signature::from_slice(&raw) else {
                    continue;
                };
                let der = sig.to_der().as_bytes().to_vec();
                inputs.push(der.clone());
                for i in 0..der.len() {
                    for v in [0x00u8, 0x01, 0x02, 0x30, 0x7f, 0x80, 0x81, 0xff] {
                        let mut m = der.clone();
                        m[i] = v;
                        inputs.push(m.clone());
                        m.insert(i, v);
                        inputs.push(m);
                    }
                    let mut cut = der.clone();
                    cut.remove(i);
                    inputs.push(cut);
                    inputs.push(der[..i].to_vec());
                }
                let mut longer = der.clone();
                longer.push(0);
                inputs.push(longer);
            }
        }
        // Hand-made corner cases: zero, one-byte and 33-byte integers, long-form lengths.
        inputs.push(vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]);
        inputs.push(vec![0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]);
        inputs.push(vec![0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]);
        inputs.push(vec![0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]);
        inputs.push(vec![0x30, 0x07, 0x02, 0x81, 0x01, 0x01, 0x02, 0x01, 0x01]);
        inputs.push(vec![
            0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00,
        ]);
        let mut big = vec![0x30, 0x26, 0x02, 0x21, 0x01];
        big.extend([0u8; 32]);
        big.extend([0x02, 0x01, 0x01]);
        inputs.push(big);
        for input in &inputs {
            assert_eq!(
                signature_from_der(input).map(|s| s.to_bytes()),
                Signature::from_der(input).ok().map(|s| s.to_bytes()),
                "{input:02x?}"
            );
        }
        assert!(
            inputs
                .iter()
                .filter(|i| Signature::from_der(i).is_ok())
                .count()
                > 100
        );
    }
}
