//! Base64: the two encodings a token and a PEM need, the lenient decoder key intake uses (either
//! alphabet, padding optional, stray trailing bits ignored) and the strict one token inspection and
//! review watermarks use.
//!
//! Written here rather than taken from the `base64` crate so the wasm modules stay small (the
//! crate's general engine is ~6 KiB of code); the tests check every function against the crate.

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

/// Decodes base64 without padding: the bytes, and whether no bits were left over after the last
/// whole byte. `alphabet` is `Some(true)` for base64url only, `Some(false)` for the standard
/// alphabet only, `None` for either. `None` for a character outside the alphabet. The one decoding
/// loop of [`decode_strict`] and [`decode_lenient`].
fn decode_bits(text: &str, alphabet: Option<bool>) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match (c, alphabet) {
            (b'+' | b'/', Some(true)) | (b'-' | b'_', Some(false)) => return None,
            _ => value(c)?,
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some((out, acc == 0))
}

/// Decodes base64 strictly, as the `base64` crate's engines without trailing bits do: every
/// character from one alphabet (base64url when `url`, else standard), no bits left over after the
/// last whole byte, no impossible length, and `=` padding only when `padding` (then none, or no
/// more than the canonical count: `AB`, `AB=` and `AB==` are all read). `None` when anything is
/// off.
#[cfg(any(test, feature = "inspect", feature = "gateway"))]
pub(crate) fn decode_strict(text: &str, url: bool, padding: bool) -> Option<Vec<u8>> {
    let body = if padding {
        text.trim_end_matches('=')
    } else {
        text
    };
    let pads = text.len() - body.len();
    let rest = body.len() % 4;
    let max_pads = match rest {
        2 => 2,
        3 => 1,
        0 => 0,
        _ => return None,
    };
    if pads > max_pads {
        return None;
    }
    let (out, clean) = decode_bits(body, Some(url))?;
    clean.then_some(out)
}

/// Decodes base64 without padding in either alphabet; bits left over after the last whole byte
/// are ignored. `None` for a character outside both alphabets (the caller checks the alphabet
/// and the length first, so that does not happen there).
pub(crate) fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    decode_bits(text, None).map(|(out, _)| out)
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

    /// `decode_strict` accepts and rejects exactly what the crate's engines do (base64url without
    /// padding, and each alphabet with padding optional), over every string of up to 6 characters
    /// from a small alphabet and a spread of longer ones.
    #[test]
    fn strict_decoding_matches_the_base64_crate() {
        use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode};
        let indifferent = base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent);
        let cases: [(GeneralPurpose, bool, bool); 4] = [
            (
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
                true,
                false,
            ),
            (
                base64::engine::general_purpose::STANDARD_NO_PAD,
                false,
                false,
            ),
            (
                GeneralPurpose::new(&base64::alphabet::STANDARD, indifferent),
                false,
                true,
            ),
            (
                GeneralPurpose::new(&base64::alphabet::URL_SAFE, indifferent),
                true,
                true,
            ),
        ];
        // Characters chosen to hit both alphabets, padding, stray bits (Q has low bits 0, R not)
        // and bytes outside both alphabets.
        let chars = [
            b'A', b'Q', b'R', b'g', b'/', b'_', b'+', b'-', b'=', b' ', b'.',
        ];
        let mut texts: Vec<String> = vec![String::new()];
        let mut level: Vec<String> = vec![String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for t in &level {
                for c in chars {
                    next.push(format!("{t}{}", char::from(c)));
                }
            }
            texts.extend(next.iter().cloned());
            level = next;
        }
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let t: String = (0..len)
                .map(|i| char::from(chars[((x >> (i % 60)) as usize + i) % chars.len()]))
                .collect();
            texts.push(t);
        }
        for t in &texts {
            for (engine, url, padding) in &cases {
                assert_eq!(
                    decode_strict(t, *url, *padding),
                    engine.decode(t).ok(),
                    "{t:?} url={url} padding={padding}"
                );
            }
        }
    }
}
