//! The flow's callback URL (`x-ms-notification-url`), checked before it becomes an Apple webhook.
//!
//! Apple posts events straight to this URL, so it must be a URL Apple can reach safely:
//! - `https` only; plain `http` only to a loopback host, and only when the gateway runs as a local
//!   sandbox (the tests' emulator listens on 127.0.0.1);
//! - at most [`MAX_CALLBACK_URL_BYTES`] (Power Automate's URLs are 250 to 500 characters);
//! - no user name or password, no fragment, no spaces, control or non-ASCII characters, a host.
//!
//! The URL is kept byte-exact otherwise (its query carries the flow's signature). Messages never
//! repeat the URL: that signature is what lets anyone start the flow.

use crate::error::{Detail, Error, ErrorCode, Result};

/// Longest callback URL accepted, in bytes.
pub const MAX_CALLBACK_URL_BYTES: usize = 4096;

/// Whether a host (lower-case, IPv6 in brackets) is loopback-only.
fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts[0] == "127"
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .iter()
            .all(|p| p.parse::<u16>().is_ok_and(|n| n <= 255))
}

/// Checks a callback URL. `allow_loopback_http` is true only on a local-sandbox gateway.
///
/// # Errors
/// One specific code when there is one problem (`CALLBACK_URL_NOT_HTTPS`, `CALLBACK_URL_TOO_LONG`,
/// `CALLBACK_URL_MALFORMED`), `CALLBACK_URL_INVALID` with a detail per problem when there are
/// several.
pub fn check_callback_url(url: &str, allow_loopback_http: bool) -> Result<()> {
    let mut problems: Vec<(ErrorCode, String)> = Vec::new();
    let malformed = |why: &str| (ErrorCode::CallbackUrlMalformed, why.to_owned());
    if url.is_empty() {
        problems.push(malformed("the callback URL is empty"));
        return Err(build(problems));
    }
    if url.len() > MAX_CALLBACK_URL_BYTES {
        problems.push((
            ErrorCode::CallbackUrlTooLong,
            format!(
                "the callback URL has {} bytes; at most {MAX_CALLBACK_URL_BYTES} are accepted",
                url.len()
            ),
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        problems.push(malformed(
            "the callback URL contains spaces or control characters",
        ));
    } else if !url.is_ascii() {
        problems.push(malformed(
            "the callback URL contains non-ASCII characters (percent-encode them)",
        ));
    }
    if url.contains('#') {
        problems.push(malformed("the callback URL has a fragment (#...)"));
    }
    if url.contains('\\') {
        problems.push(malformed("the callback URL contains a backslash"));
    }
    match url.split_once("://") {
        None => problems.push((
            ErrorCode::CallbackUrlNotHttps,
            "the callback URL must be an absolute https:// URL".to_owned(),
        )),
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = &rest[..end];
            let mut host = String::new();
            if authority.contains('@') {
                problems.push(malformed(
                    "the callback URL contains a user name or password (user@host)",
                ));
            } else {
                let (h, port) = if let Some(v6) = authority.strip_prefix('[') {
                    match v6.split_once(']') {
                        Some((inside, after)) => (format!("[{inside}]"), after.strip_prefix(':')),
                        None => (String::new(), None),
                    }
                } else {
                    match authority.split_once(':') {
                        Some((h, p)) => (h.to_owned(), Some(p)),
                        None => (authority.to_owned(), None),
                    }
                };
                host = h.to_ascii_lowercase();
                if host.is_empty() || host == "[]" {
                    problems.push(malformed("the callback URL has no host"));
                }
                if let Some(p) = port {
                    if p.is_empty()
                        || p.len() > 5
                        || !p.bytes().all(|b| b.is_ascii_digit())
                        || p.parse::<u32>().map_or(true, |n| n == 0 || n > 65_535)
                    {
                        problems.push(malformed("the callback URL's port is not 1 to 65535"));
                    }
                }
            }
            let scheme = scheme.to_ascii_lowercase();
            let ok = scheme == "https"
                || (scheme == "http" && allow_loopback_http && is_loopback(&host));
            if !ok {
                let why = if allow_loopback_http {
                    "the callback URL must use https (plain http is accepted only for a loopback host such as 127.0.0.1 on this local-sandbox gateway)"
                } else {
                    "the callback URL must use https (Apple posts events to it over the internet)"
                };
                problems.push((ErrorCode::CallbackUrlNotHttps, why.to_owned()));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(build(problems))
    }
}

fn build(problems: Vec<(ErrorCode, String)>) -> Error {
    let details: Vec<Detail> = problems
        .iter()
        .map(|(code, message)| Detail {
            code: *code,
            message: format!("{message}."),
            parameter: Some("callbackUrl".to_owned()),
        })
        .collect();
    if details.len() == 1 {
        let d = &details[0];
        return Error::with_details(d.code, d.message.clone(), details);
    }
    let list: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
    Error::with_details(
        ErrorCode::CallbackUrlInvalid,
        format!(
            "The callback URL is not usable ({} problems): {}.",
            problems.len(),
            list.join("; ")
        ),
        details,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PA: &str = "https://prod-12.westeurope.logic.azure.com:443/workflows/0a1b/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbC-123_x";

    fn code(url: &str, local: bool) -> Option<ErrorCode> {
        check_callback_url(url, local).err().map(|e| e.code)
    }

    #[test]
    fn accepts_platform_callbacks() {
        assert_eq!(code(PA, false), None);
        assert_eq!(code("HTTPS://example.com", false), None);
        assert_eq!(code("http://127.0.0.1:39001/cb?x=1", true), None);
        assert_eq!(code("http://[::1]:8080/cb", true), None);
        assert_eq!(code("http://localhost/cb", true), None);
    }

    #[test]
    fn refuses_each_problem_with_its_code() {
        use ErrorCode::*;
        assert_eq!(
            code("http://127.0.0.1/cb", false),
            Some(CallbackUrlNotHttps)
        );
        assert_eq!(
            code("http://example.com/cb", true),
            Some(CallbackUrlNotHttps)
        );
        assert_eq!(
            code("http://127.0.0.1.evil.com/", true),
            Some(CallbackUrlNotHttps)
        );
        assert_eq!(code("ftp://example.com/", false), Some(CallbackUrlNotHttps));
        assert_eq!(code("example.com/cb", false), Some(CallbackUrlNotHttps));
        let long = format!("https://example.com/{}", "a".repeat(MAX_CALLBACK_URL_BYTES));
        assert_eq!(code(&long, false), Some(CallbackUrlTooLong));
        assert_eq!(
            code("https://user:pw@example.com/", false),
            Some(CallbackUrlMalformed)
        );
        assert_eq!(
            code("https://example.com/#frag", false),
            Some(CallbackUrlMalformed)
        );
        assert_eq!(
            code("https://exa mple.com/", false),
            Some(CallbackUrlMalformed)
        );
        assert_eq!(
            code("https://example.com/\n", false),
            Some(CallbackUrlMalformed)
        );
        assert_eq!(code("https:///path", false), Some(CallbackUrlMalformed));
        assert_eq!(
            code("https://example.com:99999/", false),
            Some(CallbackUrlMalformed)
        );
        assert_eq!(
            code("https://exämple.com/", false),
            Some(CallbackUrlMalformed)
        );
        assert_eq!(code("", false), Some(CallbackUrlMalformed));
    }

    #[test]
    fn several_problems_at_once_and_no_echo() {
        let url = format!("http://user@example.com/{}#f?sig=SECRET", "x".repeat(5000));
        let err = check_callback_url(&url, false).unwrap_err();
        assert_eq!(err.code, ErrorCode::CallbackUrlInvalid);
        let codes: Vec<ErrorCode> = err.details.iter().map(|d| d.code).collect();
        assert!(codes.contains(&ErrorCode::CallbackUrlTooLong));
        assert!(codes.contains(&ErrorCode::CallbackUrlNotHttps));
        assert!(codes.contains(&ErrorCode::CallbackUrlMalformed));
        assert!(!err.message.contains("SECRET") && !err.message.contains("example.com"));
    }
}
