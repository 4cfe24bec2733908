//! Reads the ES256 signing key from whatever shape people paste it in.
//!
//! Apple hands out one file per key, `AuthKey_<KEYID>.p8`: a PKCS#8 PEM holding an EC P-256 key.
//! By the time it reaches us it has often been through an environment variable, a CI secret, a
//! JSON document or an HTTP header, so [`PrivateKey::parse`] accepts:
//!
//! - the `.p8` exactly as shipped (`-----BEGIN PRIVATE KEY-----`), with LF or CRLF line ends;
//! - literal `\n`, `\r\n`, `\r` and `\t` escapes instead of real line breaks (and `\/` for `/`);
//! - surrounding single, double or back quotes and surrounding whitespace;
//! - the PEM folded onto one line (spaces instead of newlines, as headers and env files do);
//! - the base64 body alone, without the BEGIN/END lines (whitespace inside is ignored);
//! - base64 of the whole `.p8` file (the "double-encoded" form some CI tools ask for);
//! - SEC1 (`-----BEGIN EC PRIVATE KEY-----`, what `openssl ec` writes) as PEM or base64 DER.
//!
//! Everything else is rejected with a specific `KEY_*` code saying what was recognised and what
//! to do instead. The PEM label is classified first; DER is then walked with a tiny bounds-checked
//! reader so that every rejection can name what it found (RSA, another curve, Ed25519, an encrypted
//! key, a public key, a certificate, a truncated or corrupt file) and no input can panic.
//!
//! Error messages describe only the SHAPE of the input; they never contain any part of it.
use crate::error::{Error, ErrorCode, Result};
use p256::ecdsa::{SigningKey, VerifyingKey};

/// A parsed P-256 private key. Its `Debug` output never shows key material.
#[derive(Clone)]
pub struct PrivateKey {
    inner: SigningKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

impl PrivateKey {
    /// Parses a private key from text in any accepted shape (see the module documentation).
    ///
    /// # Errors
    /// A `KEY_*` error saying what was given and what is accepted: `KEY_EMPTY`, `KEY_NOT_PEM`,
    /// `KEY_CORRUPT`, `KEY_TRUNCATED`, `KEY_RSA`, `KEY_WRONG_CURVE`, `KEY_UNSUPPORTED_ALGORITHM`,
    /// `KEY_ENCRYPTED`, `KEY_IS_PUBLIC`, `KEY_IS_CERTIFICATE` or `KEY_INVALID`.
    pub fn parse(input: &str) -> Result<PrivateKey> {
        match decode_text(input, 0)? {
            Decoded::Private(inner) => Ok(PrivateKey { inner }),
            Decoded::Public(_) => Err(is_public()),
        }
    }

    /// The signing key.
    #[must_use]
    pub fn signing_key(&self) -> &SigningKey {
        &self.inner
    }

    /// The verifying (public) key that belongs to this private key.
    #[must_use]
    pub fn verifying_key(&self) -> &VerifyingKey {
        self.inner.verifying_key()
    }

    /// The public key as an uncompressed SEC1 point (65 bytes, `0x04 ‖ X ‖ Y`).
    #[must_use]
    pub fn public_key_sec1(&self) -> Vec<u8> {
        self.verifying_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec()
    }

    /// The public key as SubjectPublicKeyInfo DER (91 bytes).
    #[must_use]
    pub fn public_key_der(&self) -> Vec<u8> {
        let mut der = Vec::with_capacity(SPKI_P256_PREFIX.len() + 65);
        der.extend_from_slice(&SPKI_P256_PREFIX);
        der.extend_from_slice(&self.public_key_sec1());
        der
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`, LF line ends, final newline).
    #[must_use]
    pub fn public_key_pem(&self) -> String {
        let mut body = String::new();
        crate::b64::encode_standard(&self.public_key_der(), &mut body);
        let mut pem = String::with_capacity(body.len() + 64);
        pem.push_str("-----BEGIN PUBLIC KEY-----\n");
        let mut rest = body.as_str();
        while !rest.is_empty() {
            let (line, tail) = rest.split_at(rest.len().min(64));
            pem.push_str(line);
            pem.push('\n');
            rest = tail;
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }
}

/// Reads a P-256 public key for verifying signatures: SPKI PEM (`-----BEGIN PUBLIC KEY-----`),
/// its base64 DER, or any private key shape [`PrivateKey::parse`] accepts (its public half is used).
/// The same tolerance for escapes, quotes and folding applies.
///
/// # Errors
/// A `KEY_*` error as for [`PrivateKey::parse`]; `KEY_IS_CERTIFICATE` for a certificate.
pub fn parse_public_key(input: &str) -> Result<VerifyingKey> {
    match decode_text(input, 0)? {
        Decoded::Private(key) => Ok(*key.verifying_key()),
        Decoded::Public(Some((alg, bits))) => decode_spki(&alg, &bits),
        Decoded::Public(None) => Err(is_rsa()),
    }
}

/// DER prefix of a P-256 SubjectPublicKeyInfo up to the 65-byte point:
/// `SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) ... }`.
const SPKI_P256_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// What a piece of text turned out to hold.
enum Decoded {
    Private(SigningKey),
    /// A public key, decoded only by [`parse_public_key`] (so the signer carries no point
    /// decompression): an SPKI's algorithm and bit string, or `None` for a PKCS#1 RSA key.
    Public(Option<(Vec<u8>, Vec<u8>)>),
}

/// Where to get the right file; appended to most rejections.
const USE_THE_P8: &str = "Use the AuthKey_<KEYID>.p8 file downloaded from App Store Connect \
(Users and Access > Integrations), which starts with a 'BEGIN PRIVATE KEY' line.";

fn err(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(code, message)
}

fn is_public() -> Error {
    err(
        ErrorCode::KeyIsPublic,
        format!("This is a public key; signing needs the private key. {USE_THE_P8}"),
    )
}

fn is_certificate(what: &str) -> Error {
    err(
        ErrorCode::KeyIsCertificate,
        format!("This is {what}, not a private key. {USE_THE_P8}"),
    )
}

fn is_rsa() -> Error {
    err(
        ErrorCode::KeyRsa,
        format!(
            "This is an RSA key; App Store Connect keys are EC P-256 (ES256) keys. {USE_THE_P8}"
        ),
    )
}

fn is_encrypted() -> Error {
    err(
        ErrorCode::KeyEncrypted,
        format!(
            "This private key is encrypted (password protected). Use the unencrypted .p8 from \
             Apple as downloaded, or export it without a password (for example \
             `openssl pkcs8 -topk8 -nocrypt -in encrypted.pem -out key.p8`). {USE_THE_P8}"
        ),
    )
}

fn truncated(what: &str) -> Error {
    err(
        ErrorCode::KeyTruncated,
        format!(
            "The key data ends early ({what}); part of the key is missing. Paste the whole file, \
             from its 'BEGIN PRIVATE KEY' line to its 'END PRIVATE KEY' line."
        ),
    )
}

fn corrupt(what: &str) -> Error {
    err(
        ErrorCode::KeyCorrupt,
        format!("The key data is damaged ({what}). {USE_THE_P8}"),
    )
}

fn not_pem(what: &str) -> Error {
    err(
        ErrorCode::KeyNotPem,
        format!(
            "This is not a private key: {what}. Accepted: the .p8 PEM text (also with literal \\n \
             escapes, quotes or folded onto one line), its base64 body, base64 of the whole file, \
             or a SEC1 EC PRIVATE KEY."
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Text layer: escapes, quotes, PEM armour, base64.

/// Undoes the usual damage of env vars, JSON and headers: a BOM, surrounding whitespace and
/// quotes, and literal backslash escapes (`\n`, `\r`, `\t`, `\/`, also doubly escaped).
fn normalise(input: &str) -> String {
    let trimmed = input.trim_matches(|c: char| {
        c.is_whitespace() || c == '"' || c == '\'' || c == '`' || c == '\u{feff}'
    });
    let mut out = String::with_capacity(trimmed.len());
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        while chars.peek() == Some(&'\\') {
            chars.next();
        }
        match chars.peek() {
            Some('n' | 'r' | 't') => {
                chars.next();
                out.push('\n');
            }
            Some('/') => {
                chars.next();
                out.push('/');
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// A byte buffer that is overwritten with zeros when dropped (it may hold key material).
struct Wipe(Vec<u8>);

impl Drop for Wipe {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&self.0);
    }
}

/// Decodes base64 text (whitespace ignored). `Ok(None)` when the text is not base64 at all.
fn decode_base64(text: &str) -> Result<Option<Wipe>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Ok(None);
    }
    let body = compact.trim_end_matches('=');
    let std_alpha = body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    let url_alpha = body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !std_alpha && !url_alpha {
        return Ok(None);
    }
    if body.len() % 4 == 1 {
        return Err(truncated("the base64 text stops in the middle of a byte"));
    }
    crate::b64::decode_lenient(body)
        .map(|v| Some(Wipe(v)))
        .ok_or_else(|| corrupt("the base64 text is not valid"))
}

/// Turns text in any accepted shape into a key. `depth` limits base64-of-PEM nesting.
fn decode_text(input: &str, depth: u8) -> Result<Decoded> {
    if input.trim().is_empty() {
        return Err(err(
            ErrorCode::KeyEmpty,
            format!("No private key was given (the text is empty). {USE_THE_P8}"),
        ));
    }
    let text = normalise(input);
    if text.is_empty() {
        return Err(err(
            ErrorCode::KeyEmpty,
            format!("No private key was given (the text holds only quotes). {USE_THE_P8}"),
        ));
    }
    if text.contains("-----BEGIN") || text.contains("-----END") {
        return decode_pem(&text);
    }
    if text.starts_with("-----") {
        return Err(truncated("the BEGIN line is cut off"));
    }
    if looks_like_jwt(&text) {
        return Err(not_pem(
            "the text looks like a signed token (JWT), not the key that signs tokens",
        ));
    }
    match decode_base64(&text)? {
        Some(bytes) => {
            if bytes.0.first() == Some(&0x30) {
                return decode_der(&bytes.0, DerHint::Any);
            }
            if depth == 0 {
                if let Ok(inner) = std::str::from_utf8(&bytes.0) {
                    if inner.contains("-----BEGIN") || inner.contains("-----END") {
                        return decode_text(inner, depth + 1);
                    }
                }
            }
            Err(not_pem(
                "the text is base64 but decodes to neither a DER key nor a PEM file",
            ))
        }
        None => Err(not_pem("the text has no BEGIN line and is not base64")),
    }
}

fn looks_like_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3 && parts.first().is_some_and(|p| p.starts_with("eyJ"))
}

/// What a PEM label says the block holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    Pkcs8,
    Sec1,
    Encrypted,
    Rsa,
    Public,
    Certificate,
    CertificateRequest,
    EcParameters,
    OpenSsh,
    Dsa,
    Other,
}

fn classify_label(label: &str) -> Label {
    match label.trim() {
        "PRIVATE KEY" => Label::Pkcs8,
        "EC PRIVATE KEY" => Label::Sec1,
        "ENCRYPTED PRIVATE KEY" => Label::Encrypted,
        "RSA PRIVATE KEY" => Label::Rsa,
        "PUBLIC KEY" | "EC PUBLIC KEY" | "RSA PUBLIC KEY" | "DSA PUBLIC KEY" => Label::Public,
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" | "X509 CRL" => {
            Label::Certificate
        }
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Label::CertificateRequest,
        "EC PARAMETERS" => Label::EcParameters,
        "OPENSSH PRIVATE KEY" => Label::OpenSsh,
        "DSA PRIVATE KEY" => Label::Dsa,
        _ => Label::Other,
    }
}

/// One `-----BEGIN X----- ... -----END X-----` block.
struct Block<'a> {
    label: Label,
    body: &'a str,
}

/// Splits PEM text into blocks. Errors for armour that is cut off or does not pair up.
fn pem_blocks(text: &str) -> Result<Vec<Block<'_>>> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    loop {
        let Some(start) = rest.find(BEGIN) else {
            if blocks.is_empty() {
                return Err(truncated(
                    "there is an END line but no BEGIN line before it",
                ));
            }
            return Ok(blocks);
        };
        if blocks.is_empty() && rest.get(..start).is_some_and(|p| p.contains("-----END")) {
            return Err(truncated(
                "there is an END line before the first BEGIN line",
            ));
        }
        let after_begin = rest.get(start + BEGIN.len()..).unwrap_or("");
        let Some(label_end) = after_begin.find("-----") else {
            return Err(truncated("the BEGIN line is cut off"));
        };
        let label_text = after_begin.get(..label_end).unwrap_or("");
        if label_text.len() > 64 || label_text.contains('\n') {
            return Err(corrupt("the BEGIN line is malformed"));
        }
        let label = classify_label(label_text);
        let body_and_rest = after_begin.get(label_end + 5..).unwrap_or("");
        let end_marker = format!("-----END {}-----", label_text.trim());
        let Some(end) = body_and_rest.find(&end_marker) else {
            if let Some(at) = body_and_rest.find("-----END") {
                let tail = body_and_rest.get(at..).unwrap_or("").trim_end();
                if end_marker.starts_with(tail) {
                    return Err(truncated("the END line is cut off"));
                }
                return Err(corrupt("the END line does not match the BEGIN line"));
            }
            if body_and_rest.contains(BEGIN) {
                return Err(corrupt("a PEM block has no END line"));
            }
            return Err(truncated("the END line is missing"));
        };
        let body = body_and_rest.get(..end).unwrap_or("");
        if body.contains(BEGIN) {
            return Err(corrupt("a PEM block has no END line"));
        }
        blocks.push(Block { label, body });
        rest = body_and_rest.get(end + end_marker.len()..).unwrap_or("");
    }
}

/// Decodes PEM text: picks the private key block if there is one, else explains what is there.
fn decode_pem(text: &str) -> Result<Decoded> {
    let blocks = pem_blocks(text)?;
    let chosen = blocks
        .iter()
        .find(|b| matches!(b.label, Label::Pkcs8 | Label::Sec1))
        .or_else(|| blocks.iter().find(|b| b.label != Label::EcParameters))
        .or_else(|| blocks.first());
    let Some(block) = chosen else {
        return Err(not_pem("the text holds no PEM block"));
    };
    let hint = match block.label {
        Label::Pkcs8 => DerHint::Pkcs8,
        Label::Sec1 => DerHint::Sec1,
        Label::Encrypted => return Err(is_encrypted()),
        Label::Rsa => return Err(is_rsa()),
        Label::Public => DerHint::Public,
        Label::Certificate => return Err(is_certificate("a certificate (a 'BEGIN CERTIFICATE' block)")),
        Label::CertificateRequest => {
            return Err(is_certificate("a certificate signing request"))
        }
        Label::EcParameters => {
            return Err(not_pem(
                "the text holds only EC PARAMETERS, not the private key itself",
            ))
        }
        Label::OpenSsh => {
            return Err(err(
                ErrorCode::KeyUnsupportedAlgorithm,
                format!("This is an OpenSSH private key; an EC P-256 key in PKCS#8 form is needed. {USE_THE_P8}"),
            ))
        }
        Label::Dsa => {
            return Err(err(
                ErrorCode::KeyUnsupportedAlgorithm,
                format!("This is a DSA key; App Store Connect keys are EC P-256 (ES256) keys. {USE_THE_P8}"),
            ))
        }
        Label::Other => {
            return Err(not_pem(
                "the text is a PEM block of another kind (its label is not PRIVATE KEY)",
            ))
        }
    };
    if block.body.contains("Proc-Type:") || block.body.contains("DEK-Info:") {
        if block.body.contains("ENCRYPTED") {
            return Err(is_encrypted());
        }
        return Err(corrupt("the PEM block has unexpected header lines"));
    }
    match decode_base64(block.body)? {
        Some(der) => decode_der(&der.0, hint),
        None => {
            if block.body.trim().is_empty() {
                Err(truncated("the PEM block between BEGIN and END is empty"))
            } else {
                Err(corrupt("the text between BEGIN and END is not base64"))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DER layer.

/// A minimal, bounds-checked DER reader: enough to walk PKCS#8, SEC1, SPKI and certificates.
struct Der<'a> {
    data: &'a [u8],
}

/// Why a DER element could not be read.
enum DerFault {
    /// The length runs past the end of the data.
    Short,
    /// Not DER (bad length encoding, multi-byte tag, ...).
    Bad,
}

impl<'a> Der<'a> {
    fn new(data: &'a [u8]) -> Self {
        Der { data }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Reads one tag-length-value, returning the tag and the contents.
    fn read(&mut self) -> std::result::Result<(u8, &'a [u8]), DerFault> {
        let tag = *self.data.first().ok_or(DerFault::Short)?;
        if tag & 0x1f == 0x1f {
            return Err(DerFault::Bad);
        }
        let first = *self.data.get(1).ok_or(DerFault::Short)?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2usize)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(DerFault::Bad);
            }
            let bytes = self.data.get(2..2 + n).ok_or(DerFault::Short)?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, 2 + n)
        };
        let end = header.checked_add(len).ok_or(DerFault::Bad)?;
        let value = self.data.get(header..end).ok_or(DerFault::Short)?;
        self.data = self.data.get(end..).unwrap_or(&[]);
        Ok((tag, value))
    }

    /// Reads an element that must carry `tag`.
    fn expect(&mut self, tag: u8, what: &str) -> Result<&'a [u8]> {
        match self.read() {
            Ok((t, v)) if t == tag => Ok(v),
            Ok(_) => Err(corrupt(what)),
            Err(_) => Err(corrupt(what)),
        }
    }
}

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_CONTEXT_0: u8 = 0xa0;
const TAG_CONTEXT_1: u8 = 0xa1;
const TAG_CONTEXT_1_PRIMITIVE: u8 = 0x81;

// Object identifiers, as their DER content bytes.
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]; // rsaEncryption
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a]; // RSASSA-PSS

/// Other named curves we can name in `KEY_WRONG_CURVE`.
const OTHER_CURVES: &[(&[u8], &str)] = &[
    (&[0x2b, 0x81, 0x04, 0x00, 0x22], "P-384 (secp384r1)"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x23], "P-521 (secp521r1)"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x21], "P-224 (secp224r1)"),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01],
        "P-192 (prime192v1)",
    ),
    (
        &[0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07],
        "brainpoolP256r1",
    ),
    (
        &[0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b],
        "brainpoolP384r1",
    ),
    (
        &[0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d],
        "brainpoolP512r1",
    ),
    (&[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d], "SM2"),
];

/// Other key algorithms we can name in `KEY_UNSUPPORTED_ALGORITHM`.
const OTHER_ALGORITHMS: &[(&[u8], &str)] = &[
    (&[0x2b, 0x65, 0x70], "Ed25519"),
    (&[0x2b, 0x65, 0x71], "Ed448"),
    (&[0x2b, 0x65, 0x6e], "X25519"),
    (&[0x2b, 0x65, 0x6f], "X448"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01], "DSA"),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x03, 0x01],
        "Diffie-Hellman",
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3e, 0x02, 0x01],
        "Diffie-Hellman (X9.42)",
    ),
    (
        &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x11],
        "ML-DSA-44",
    ),
    (
        &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12],
        "ML-DSA-65",
    ),
    (
        &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x13],
        "ML-DSA-87",
    ),
];

/// What the PEM label (if any) told us to expect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DerHint {
    Any,
    Pkcs8,
    Sec1,
    Public,
}

/// Decodes DER, working out from its structure which kind of object it is.
fn decode_der(der: &[u8], hint: DerHint) -> Result<Decoded> {
    let mut outer = Der::new(der);
    let body = match outer.read() {
        Ok((TAG_SEQUENCE, body)) => body,
        Ok(_) => return Err(corrupt("the data does not start with an ASN.1 SEQUENCE")),
        Err(DerFault::Short) => return Err(truncated("the outer ASN.1 structure is cut off")),
        Err(DerFault::Bad) => return Err(corrupt("the outer ASN.1 structure is malformed")),
    };
    if !outer.is_empty() {
        return Err(corrupt("there are extra bytes after the key structure"));
    }
    let mut items = Der::new(body);
    let first = items.read();
    let second = items.read();
    match (first, second) {
        (Ok((TAG_INTEGER, v)), Ok((TAG_SEQUENCE, alg))) if v == [0] || v == [1] => {
            decode_pkcs8(alg, body)
        }
        (Ok((TAG_INTEGER, v)), Ok((TAG_OCTET_STRING, _))) if v == [1] => {
            let key = decode_sec1(body, None)?;
            Ok(Decoded::Private(key))
        }
        (Ok((TAG_INTEGER, [0])), Ok((TAG_INTEGER, _))) => Err(is_rsa()),
        (Ok((TAG_INTEGER, _)), Ok((TAG_INTEGER, _))) if items.is_empty() => {
            // PKCS#1 RSAPublicKey: SEQUENCE { modulus, publicExponent }.
            Ok(Decoded::Public(None))
        }
        (Ok((TAG_SEQUENCE, alg)), Ok((TAG_BIT_STRING, bits))) if items.is_empty() => {
            Ok(Decoded::Public(Some((alg.to_vec(), bits.to_vec()))))
        }
        (Ok((TAG_SEQUENCE, alg)), Ok((TAG_OCTET_STRING, _)))
            if Der::new(alg).peek_tag() == Some(TAG_OID) =>
        {
            Err(is_encrypted())
        }
        (Ok((TAG_SEQUENCE, tbs)), Ok((TAG_SEQUENCE, _)))
            if items.peek_tag() == Some(TAG_BIT_STRING) =>
        {
            let mut t = Der::new(tbs);
            if let (Ok((TAG_INTEGER, [0])), Ok((TAG_SEQUENCE, _)), Ok((TAG_SEQUENCE, _))) =
                (t.read(), t.read(), t.read())
            {
                if t.peek_tag() == Some(TAG_CONTEXT_0) || t.is_empty() {
                    return Err(is_certificate("a certificate signing request"));
                }
            }
            Err(is_certificate("a certificate"))
        }
        _ => {
            let what = match hint {
                DerHint::Pkcs8 => "the PRIVATE KEY block does not hold a PKCS#8 structure",
                DerHint::Sec1 => "the EC PRIVATE KEY block does not hold a SEC1 structure",
                DerHint::Public => "the PUBLIC KEY block does not hold a public key structure",
                DerHint::Any => "the data is not a key structure",
            };
            Err(corrupt(what))
        }
    }
}

/// Reads an AlgorithmIdentifier `SEQUENCE { OID, parameters }` and checks it names EC P-256.
/// Returns `Ok(true)` for P-256, `Ok(false)` for id-ecPublicKey without a named curve.
fn check_algorithm(alg: &[u8]) -> Result<bool> {
    let mut a = Der::new(alg);
    let oid = a.expect(TAG_OID, "the algorithm identifier is malformed")?;
    if oid == OID_EC_PUBLIC_KEY {
        return match a.read() {
            Ok((TAG_OID, curve)) => check_curve(curve).map(|()| true),
            Ok((TAG_SEQUENCE, _)) => Err(err(
                ErrorCode::KeyWrongCurve,
                format!(
                    "This EC key spells out explicit curve parameters instead of naming the \
                     P-256 curve; App Store Connect keys name P-256 (prime256v1). {USE_THE_P8}"
                ),
            )),
            Ok((TAG_NULL, _)) => Ok(false),
            Err(DerFault::Short) if a.is_empty() => Ok(false),
            _ => Err(corrupt("the curve of the EC key is malformed")),
        };
    }
    if oid == OID_RSA || oid == OID_RSA_PSS {
        return Err(is_rsa());
    }
    let name = OTHER_ALGORITHMS
        .iter()
        .find(|(o, _)| *o == oid)
        .map_or("an unrecognised algorithm", |(_, n)| *n);
    Err(err(
        ErrorCode::KeyUnsupportedAlgorithm,
        format!(
            "This is a {name} key; App Store Connect keys are EC P-256 (ES256) keys. {USE_THE_P8}"
        ),
    ))
}

fn check_curve(curve: &[u8]) -> Result<()> {
    if curve == OID_P256 {
        return Ok(());
    }
    let name = OTHER_CURVES
        .iter()
        .find(|(o, _)| *o == curve)
        .map_or("an unrecognised curve", |(_, n)| *n);
    Err(err(
        ErrorCode::KeyWrongCurve,
        format!(
            "This EC key is on {name}; App Store Connect keys are on P-256 (prime256v1, used by \
             ES256). {USE_THE_P8}"
        ),
    ))
}

/// PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (version, algorithm, privateKey, ...).
fn decode_pkcs8(alg: &[u8], body: &[u8]) -> Result<Decoded> {
    let named = check_algorithm(alg)?;
    let mut items = Der::new(body);
    items.expect(TAG_INTEGER, "the PKCS#8 version is malformed")?;
    items.expect(TAG_SEQUENCE, "the PKCS#8 algorithm is malformed")?;
    let inner = items.expect(
        TAG_OCTET_STRING,
        "the PKCS#8 private key field is malformed",
    )?;
    let mut outer_public = None;
    while !items.is_empty() {
        match items.read() {
            Ok((TAG_CONTEXT_0, _)) => {}
            Ok((TAG_CONTEXT_1_PRIMITIVE, bits)) => outer_public = Some(bits),
            Ok(_) => return Err(corrupt("the PKCS#8 structure has an unexpected field")),
            Err(_) => return Err(corrupt("the PKCS#8 structure is malformed")),
        }
    }
    let mut sec1 = Der::new(inner);
    let sec1_body = match sec1.read() {
        Ok((TAG_SEQUENCE, b)) if sec1.is_empty() => b,
        _ => return Err(corrupt("the EC private key inside the PKCS#8 is malformed")),
    };
    let required = if named {
        CurveRequirement::Known
    } else {
        CurveRequirement::MustName
    };
    let key = decode_sec1(sec1_body, Some(required))?;
    if let Some(bits) = outer_public {
        check_public(&key, bits)?;
    }
    Ok(Decoded::Private(key))
}

/// Whether the SEC1 structure must name its curve (because the PKCS#8 wrapper did not).
#[derive(Clone, Copy, PartialEq, Eq)]
enum CurveRequirement {
    Known,
    MustName,
}

/// SEC1 `ECPrivateKey { version 1, privateKey OCTET STRING, [0] curve OPTIONAL, [1] public OPTIONAL }`.
fn decode_sec1(body: &[u8], wrapper: Option<CurveRequirement>) -> Result<SigningKey> {
    let mut items = Der::new(body);
    let version = items.expect(TAG_INTEGER, "the EC private key version is malformed")?;
    if version != [1] {
        return Err(corrupt("the EC private key has an unknown version"));
    }
    let scalar = items.expect(TAG_OCTET_STRING, "the EC private key value is malformed")?;
    let mut curve_named = false;
    let mut public = None;
    while !items.is_empty() {
        match items.read() {
            Ok((TAG_CONTEXT_0, params)) => {
                let mut p = Der::new(params);
                match p.read() {
                    Ok((TAG_OID, curve)) => check_curve(curve)?,
                    Ok((TAG_SEQUENCE, _)) => {
                        return Err(err(
                            ErrorCode::KeyWrongCurve,
                            format!(
                                "This EC key spells out explicit curve parameters instead of \
                                 naming the P-256 curve. {USE_THE_P8}"
                            ),
                        ))
                    }
                    _ => return Err(corrupt("the curve name is malformed")),
                }
                curve_named = true;
            }
            Ok((TAG_CONTEXT_1, wrapped)) => {
                let mut w = Der::new(wrapped);
                public = Some(w.expect(TAG_BIT_STRING, "the embedded public key is malformed")?);
            }
            Ok(_) => return Err(corrupt("the EC private key has an unexpected field")),
            Err(_) => return Err(corrupt("the EC private key is malformed")),
        }
    }
    let must_name = matches!(wrapper, None | Some(CurveRequirement::MustName));
    if must_name && !curve_named {
        if wrapper.is_some() {
            return Err(corrupt("the key does not say which curve it is on"));
        }
        // A bare SEC1 key without [0]: only a 32-byte scalar can be P-256.
        if scalar.len() != 32 {
            return Err(err(
                ErrorCode::KeyWrongCurve,
                format!(
                    "This EC key does not name its curve and its size does not fit P-256. \
                     {USE_THE_P8}"
                ),
            ));
        }
    }
    let key = signing_key_from_scalar(scalar)?;
    if let Some(bits) = public {
        check_public(&key, bits)?;
    }
    Ok(key)
}

/// Builds the signing key from the big-endian scalar (leading zeros may be missing or extra).
/// This derives the public key: the one scalar multiplication of a parse.
fn signing_key_from_scalar(scalar: &[u8]) -> Result<SigningKey> {
    let significant = {
        let skip = scalar.iter().take_while(|b| **b == 0).count();
        scalar.get(skip..).unwrap_or(&[])
    };
    if significant.len() > 32 {
        return Err(err(
            ErrorCode::KeyInvalid,
            format!("The private key value is longer than a P-256 key (32 bytes). {USE_THE_P8}"),
        ));
    }
    let mut padded = [0u8; 32];
    if let Some(dst) = padded.get_mut(32 - significant.len()..) {
        dst.copy_from_slice(significant);
    }
    let key = SigningKey::from_slice(&padded);
    padded.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&padded);
    key.map_err(|_| {
        err(
            ErrorCode::KeyInvalid,
            format!(
                "The private key value is not a valid P-256 key (it is zero or not below the \
                 curve order). {USE_THE_P8}"
            ),
        )
    })
}

/// Checks an embedded public key (BIT STRING contents) against the one derived from the scalar.
/// Compares encodings only, so it costs no curve arithmetic.
fn check_public(key: &SigningKey, bits: &[u8]) -> Result<()> {
    let Some((&unused, point)) = bits.split_first() else {
        return Err(corrupt("the embedded public key is empty"));
    };
    if unused != 0 {
        return Err(corrupt("the embedded public key is malformed"));
    }
    let compressed = match point.first() {
        Some(0x04) => false,
        Some(0x02 | 0x03) => true,
        _ => return Err(corrupt("the embedded public key is not an EC point")),
    };
    let derived = key.verifying_key().to_sec1_point(compressed);
    if derived.as_bytes() != point {
        return Err(err(
            ErrorCode::KeyInvalid,
            format!(
                "The public key stored inside the private key file does not match the private \
                 key value, so the file is damaged or was assembled from two keys. {USE_THE_P8}"
            ),
        ));
    }
    Ok(())
}

/// SubjectPublicKeyInfo: says what kind of public key it is; decodes it when it is P-256.
fn decode_spki(alg: &[u8], bits: &[u8]) -> Result<VerifyingKey> {
    // A public key has no inner structure that could name the curve instead, so the algorithm
    // identifier must name P-256 itself (a private key may name it in its SEC1 part).
    if !check_algorithm(alg)? {
        return Err(err(
            ErrorCode::KeyWrongCurve,
            "This EC public key does not name its curve; a P-256 public key (SPKI) names \
             prime256v1 in its algorithm identifier. Export it again, e.g. with \
             `openssl ec -pubout`, or give the .p8 private key instead.",
        ));
    }
    let point = match bits.split_first() {
        Some((0, point)) => point,
        _ => return Err(corrupt("the public key bits are malformed")),
    };
    VerifyingKey::from_sec1_bytes(point).map_err(|_| {
        err(
            ErrorCode::KeyInvalid,
            "The public key is not a valid P-256 point.",
        )
    })
}
