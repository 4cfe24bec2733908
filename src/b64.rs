//! Base64 for key intake and minting: the two encodings a token and a PEM need, and the lenient
//! decoder key intake uses (either alphabet, padding optional, stray trailing bits ignored).
//!
//! Written here rather than taken from the `base64` crate so the signer module stays small (the
//! crate's general engine is ~6 KiB of code); token inspection, which only the full module has,
//! still uses the crate's strict decoders.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Appends base64url without padding (JWS) of `bytes` to `out`.
pub(crate) fn encode_url(bytes: &[u8], out: &mut String) {
    encode(bytes, URL_SAFE, false, out);
}

/// Appends standard base64 with `=` padding (PEM) of `bytes` to `out`.
pub(crate) fn encode_standard(bytes: &[u8], out: &mut String) {
    encode(bytes, STANDARD, true, out);
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool, out: &mut String) {
    let sextet = |n: u32, shift: u32| char::from(alphabet[((n >> shift) & 63) as usize]);
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        out.push(sextet(n, 18));
        out.push(sextet(n, 12));
        if chunk.len() > 1 {
            out.push(sextet(n, 6));
        } else if pad {
            out.push('=');
        }
        if chunk.len() > 2 {
            out.push(sextet(n, 0));
        } else if pad {
            out.push('=');
        }
    }
}

/// The value of one base64 character in either alphabet (`+`/`-` are 62, `/`/`_` are 63).
fn value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    }))
}

/// Decodes base64 without padding in either alphabet; bits left over after the last whole byte
/// are ignored. `None` for a character outside both alphabets (the caller checks the alphabet
/// and the length first, so that does not happen there).
pub(crate) fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in text.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn matches_the_base64_crate_for_every_length_and_both_alphabets() {
        let engines = [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 151 + len * 7) as u8).collect();
            let mut url = String::new();
            encode_url(&bytes, &mut url);
            assert_eq!(url, engines[1].encode(&bytes));
            let mut standard = String::new();
            encode_standard(&bytes, &mut standard);
            assert_eq!(
                standard,
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            );
            for engine in engines {
                let text = engine.encode(&bytes);
                assert_eq!(decode_lenient(&text).as_deref(), Some(bytes.as_slice()));
            }
        }
        assert_eq!(decode_lenient("ab=c"), None);
        // Stray trailing bits are ignored: "QR" and "QQ" both decode to "A".
        assert_eq!(decode_lenient("QR").as_deref(), Some(&b"A"[..]));
    }
}
