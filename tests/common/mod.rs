//! Test helpers: throwaway keys made at test time (never committed) and a scratch directory
//! for the `openssl` CLI. Nothing here prints key material.
#![allow(dead_code, clippy::unwrap_used)]

use base64::Engine as _;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn unb64url(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

/// A fresh random P-256 secret key.
pub fn random_secret() -> p256::SecretKey {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).unwrap();
        if let Ok(key) = p256::SecretKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// PKCS#8 PEM as p256 writes it.
pub fn pkcs8_pem(secret: &p256::SecretKey) -> String {
    secret.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

/// SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`).
pub fn sec1_pem(secret: &p256::SecretKey) -> String {
    secret.to_sec1_pem(LineEnding::LF).unwrap().to_string()
}

/// SEC1 DER.
pub fn sec1_der(secret: &p256::SecretKey) -> Vec<u8> {
    secret.to_sec1_der().unwrap().to_vec()
}

/// The uncompressed public point (65 bytes).
pub fn public_point(secret: &p256::SecretKey) -> Vec<u8> {
    secret.public_key().to_sec1_bytes().to_vec()
}

pub const OID_EC: [u8; 9] = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub const OID_P256: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// DER TLV with a short or long length.
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(value);
    out
}

/// PKCS#8 DER built by hand with a given scalar field and optional embedded public key,
/// with the curve named inside the SEC1 structure too (the layout of Apple's .p8 files).
pub fn pkcs8_der_parts(scalar: &[u8], public: Option<&[u8]>, inner_curve: bool) -> Vec<u8> {
    let mut sec1 = tlv(0x02, &[1]);
    sec1.extend(tlv(0x04, scalar));
    if inner_curve {
        sec1.extend(tlv(0xa0, &OID_P256));
    }
    if let Some(point) = public {
        let mut bits = vec![0u8];
        bits.extend_from_slice(point);
        sec1.extend(tlv(0xa1, &tlv(0x03, &bits)));
    }
    let sec1 = tlv(0x30, &sec1);
    let mut alg = OID_EC.to_vec();
    alg.extend_from_slice(&OID_P256);
    let mut body = tlv(0x02, &[0]);
    body.extend(tlv(0x30, &alg));
    body.extend(tlv(0x04, &sec1));
    tlv(0x30, &body)
}

/// The 147-byte PKCS#8 DER Apple ships: curve named inside and public key embedded.
pub fn apple_der(secret: &p256::SecretKey) -> Vec<u8> {
    pkcs8_der_parts(&secret.to_bytes(), Some(&public_point(secret)), true)
}

/// PEM armour with 64-character lines and a final newline.
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = b64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The .p8 text as Apple ships it.
pub fn apple_p8(secret: &p256::SecretKey) -> String {
    pem("PRIVATE KEY", &apple_der(secret))
}

/// The base64 body of a PEM (all lines between BEGIN and END, joined).
pub fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .map(str::trim)
        .collect()
}

/// A scratch directory for `openssl`, removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Scratch {
    pub fn new() -> Scratch {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "asc-connector-test-{}-{}-{}",
            std::process::id(),
            n,
            std::thread::current()
                .name()
                .unwrap_or("t")
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs `openssl` with `args` in the scratch directory; panics (without output) on failure.
    pub fn openssl(&self, args: &[&str]) {
        let status = Command::new(openssl_bin())
            .args(args)
            .current_dir(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "openssl {} failed",
            args.first().unwrap_or(&"")
        );
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    pub fn read_bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    pub fn write(&self, name: &str, contents: &[u8]) {
        std::fs::write(self.path(name), contents).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl_bin() -> &'static Path {
    let p = Path::new("/usr/bin/openssl");
    if p.exists() {
        p
    } else {
        Path::new("openssl")
    }
}
