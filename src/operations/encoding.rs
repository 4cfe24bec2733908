//! Percent-decoding of request paths and query strings, and the one percent-encoding rule used for
//! everything the planner sends upstream.
//!
//! Decoding: `%XX` (two hex digits, either case) becomes the byte; in query names and values `+` is
//! a space (HTML form encoding); the bytes must be UTF-8. Encoding: RFC 3986 unreserved characters
//! (`A-Z a-z 0-9 - . _ ~`) are kept, every other byte becomes `%XX` with upper-case hex.
//!
//! The one percent-encoding module of the crate: the planner (paths, queries) and the shaper (the
//! `cursor` of Apple's next links and the gateway's own `nextLink`) both use it. Public only for
//! the tests (hidden from the documentation).

/// Why a piece of text could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A `%` not followed by two hex digits, at this byte offset.
    BadEscape(usize),
    /// The decoded bytes are not UTF-8 (includes overlong forms and lone surrogates).
    NotUtf8,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `raw`; with `plus_as_space`, `+` becomes a space.
pub fn decode(raw: &str, plus_as_space: bool) -> Result<String, DecodeError> {
    let bytes = raw.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (plus_as_space && b == b'+'))
    {
        return Ok(raw.to_owned());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(DecodeError::BadEscape(i)),
                }
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError::NotUtf8)
}

/// Whether `b` is an RFC 3986 unreserved character.
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `s` percent-encoded (unreserved kept, everything else `%XX`, upper-case hex).
pub(crate) fn encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// `s` percent-encoded (unreserved kept, everything else `%XX`, upper-case hex).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(s, &mut out);
    out
}

/// `s` for an error message: at most 60 characters, control and odd characters escaped, quoted.
pub(crate) fn show(s: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::from("'");
    for (n, c) in s.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c == '\'' {
            out.push_str("\\'");
        } else {
            out.extend(c.escape_debug());
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_encodes() {
        assert_eq!(
            decode("filter%5BbundleId%5d", true).as_deref(),
            Ok("filter[bundleId]")
        );
        assert_eq!(decode("a+b%20c", true).as_deref(), Ok("a b c"));
        assert_eq!(decode("a+b", false).as_deref(), Ok("a+b"));
        assert_eq!(decode("%zz", true), Err(DecodeError::BadEscape(0)));
        assert_eq!(decode("ab%", true), Err(DecodeError::BadEscape(2)));
        assert_eq!(decode("ab%4", true), Err(DecodeError::BadEscape(2)));
        assert_eq!(decode("%C0%AF", true), Err(DecodeError::NotUtf8));
        assert_eq!(decode("%ED%A0%80", true), Err(DecodeError::NotUtf8));
        assert_eq!(encode("a b,[é]~"), "a%20b%2C%5B%C3%A9%5D~");
        assert_eq!(show("x'\n"), "'x\\'\\n'");
        assert_eq!(show(&"a".repeat(100)).chars().count(), 63);
    }
}
