//! Mints and caches App Store Connect tokens.
//!
//! A token is an ES256 JWT: header `{"alg":"ES256","kid":…,"typ":"JWT"}`, then the claims, in
//! this fixed order: `iss` (team keys) or `sub: "user"` (individual keys, never both), `iat`,
//! `exp`, `aud: "appstoreconnect-v1"` and the optional `scope`. The signature is the raw 64-byte
//! `r ‖ s` (not ASN.1 DER), base64url without padding. Signing uses RFC 6979 deterministic
//! nonces, so a fixed key, options and time always give the same token.
//!
//! Times are seconds since 1970 passed in by the caller; nothing here reads a clock.
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::key::PrivateKey;
use p256::ecdsa::signature::Signer as _;

/// `iat` is set this many seconds before `now`.
///
/// Apple answers 401 to a token whose `iat` is ahead of its own clock, and nothing in the answer
/// points at the clock; CI runners and resumed VMs often run a few seconds fast. Backdating by a
/// minute absorbs that (rorkai/App-Store-Connect-CLI#2083, fastlane/fastlane#21583).
pub const IAT_BACKDATE_SECONDS: u64 = 60;

/// The longest lifetime (`exp − iat`) Apple accepts for the apps resources: 20 minutes.
///
/// Apple also rejects a token whose `exp` is more than 20 minutes after ITS clock.
pub const MAX_LIFETIME_SECONDS: u64 = 1200;

/// The default lifetime (`exp − iat`): 15 minutes.
///
/// With `iat = now − 60`, `exp` lands 14 minutes after our clock, which leaves about 6 minutes of
/// margin under Apple's 20-minute limit on `exp` for clocks that run fast: a 20-minute token was
/// rejected from a machine 34 s ahead of Apple while 15 and 19 minutes passed (Cap-go/capgo.app#2840).
pub const DEFAULT_LIFETIME_SECONDS: u64 = 900;

/// The shortest lifetime accepted: 4 minutes.
///
/// A token is valid for `lifetime − 60` seconds after minting (because `iat` is backdated) and
/// the cache replaces it [`REFRESH_MARGIN_SECONDS`] before `exp`, so 240 s still leaves a minute
/// of reuse; anything shorter would re-mint on nearly every request.
pub const MIN_LIFETIME_SECONDS: u64 = 240;

/// [`TokenMinter`] re-mints when this many seconds or fewer remain before `exp`.
///
/// Two minutes covers a slow request plus a client clock a minute behind Apple's, so a cached
/// token does not expire in flight (AvdLee/appstoreconnect-swift-sdk#131 saw 401s near expiry).
pub const REFRESH_MARGIN_SECONDS: u64 = 120;

/// How far (in seconds) [`TokenMinter`] may move `iat` further back so that a token re-minted
/// after [`TokenMinter::invalidate`] differs from the one it replaces.
///
/// ES256 with RFC 6979 is deterministic: the same key, claims and second give the same token, so
/// a "fresh" token minted in the same second as the one Apple just refused with 401 would be the
/// very same string. Each such re-mint steps `iat` (and `exp`) back one more second, at most this
/// far behind the usual backdate; the token stays valid and its lifetime unchanged.
pub const MAX_REMINT_STEP_BACK_SECONDS: u64 = 30;

/// The `aud` claim Apple requires.
pub const AUDIENCE: &str = "appstoreconnect-v1";

/// The longest key ID accepted (1 to 32 upper-case ASCII letters and digits).
pub const MAX_KEY_ID_LENGTH: usize = 32;

/// The longest scope entry accepted, in bytes.
pub const MAX_SCOPE_ENTRY_LENGTH: usize = 2048;

/// The most scope entries accepted.
pub const MAX_SCOPE_ENTRIES: usize = 100;

/// The earliest usable `now`: 2001-09-09. Anything earlier is a clock that was never set (for
/// example `Date.now()` at the top level of a Cloudflare worker is 0).
pub const MIN_NOW_SECONDS: u64 = 1_000_000_000;

/// The latest usable `now`: the year 3000. Anything later is almost surely milliseconds passed
/// where seconds were expected.
pub const MAX_NOW_SECONDS: u64 = 32_503_680_000;

/// Whose key this is: a team key (with its issuer ID) or an individual key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyType {
    /// A team key; tokens carry `iss`.
    Team {
        /// The issuer ID (UUID-shaped).
        issuer_id: String,
    },
    /// An individual key; tokens carry `sub: "user"` and no `iss`.
    Individual,
}

/// What goes into a token besides the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOptions {
    /// The key ID (`kid`).
    pub key_id: String,
    /// Team or individual.
    pub key_type: KeyType,
    /// `exp - iat` in seconds.
    pub lifetime_seconds: u64,
    /// Optional `scope` entries, `METHOD /v1/...`.
    pub scope: Vec<String>,
}

impl TokenOptions {
    /// Options for a team key with the default lifetime and no scope.
    #[must_use]
    pub fn team(key_id: impl Into<String>, issuer_id: impl Into<String>) -> TokenOptions {
        TokenOptions {
            key_id: key_id.into(),
            key_type: KeyType::Team {
                issuer_id: issuer_id.into(),
            },
            lifetime_seconds: DEFAULT_LIFETIME_SECONDS,
            scope: Vec::new(),
        }
    }

    /// Options for an individual key with the default lifetime and no scope.
    #[must_use]
    pub fn individual(key_id: impl Into<String>) -> TokenOptions {
        TokenOptions {
            key_id: key_id.into(),
            key_type: KeyType::Individual,
            lifetime_seconds: DEFAULT_LIFETIME_SECONDS,
            scope: Vec::new(),
        }
    }

    /// Options from loosely typed parts, as they arrive from JavaScript or the environment:
    /// an issuer ID (empty or absent for none) and an `individual` flag.
    ///
    /// # Errors
    /// `KEY_TYPE_CONFLICT` when an issuer ID is given for an individual key, or when there is
    /// neither an issuer ID nor `individual`.
    pub fn from_parts(
        key_id: impl Into<String>,
        issuer_id: Option<&str>,
        individual: bool,
    ) -> Result<TokenOptions> {
        let issuer = issuer_id.map(clean).filter(|s| !s.is_empty());
        match (issuer, individual) {
            (Some(_), true) => Err(Error::new(
                ErrorCode::KeyTypeConflict,
                "An issuer ID was given for an individual key. Individual keys sign tokens with \
                 sub \"user\" and no issuer: leave the issuer ID empty, or turn off `individual` \
                 if this is a team key.",
            )),
            (None, false) => Err(Error::new(
                ErrorCode::KeyTypeConflict,
                "Neither an issuer ID nor `individual` was given. A team key needs its issuer ID \
                 (App Store Connect > Users and Access > Integrations); an individual key needs \
                 `individual: true`.",
            )),
            (Some(issuer), false) => Ok(TokenOptions::team(key_id, issuer)),
            (None, true) => Ok(TokenOptions::individual(key_id)),
        }
    }

    /// Sets the lifetime (`exp − iat`) in seconds.
    #[must_use]
    pub fn with_lifetime(mut self, seconds: u64) -> TokenOptions {
        self.lifetime_seconds = seconds;
        self
    }

    /// Sets the scope entries.
    #[must_use]
    pub fn with_scope<I, S>(mut self, scope: I) -> TokenOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scope = scope.into_iter().map(Into::into).collect();
        self
    }

    /// Checks the options. Key and issuer IDs are judged after trimming whitespace and quotes.
    ///
    /// # Errors
    /// The first problem found: `KEY_ID_INVALID`, `ISSUER_ID_INVALID`, `LIFETIME_TOO_LONG`,
    /// `LIFETIME_TOO_SHORT` or `SCOPE_INVALID` (with one detail per bad entry).
    pub fn validate(&self) -> Result<()> {
        self.normalized().map(|_| ())
    }

    /// The options as they go into tokens: IDs trimmed of whitespace and quotes, everything
    /// checked as in [`TokenOptions::validate`].
    ///
    /// # Errors
    /// As for [`TokenOptions::validate`].
    pub fn normalized(&self) -> Result<TokenOptions> {
        let key_id = clean(&self.key_id);
        check_key_id(key_id)?;
        let key_type = match &self.key_type {
            KeyType::Team { issuer_id } => {
                let issuer_id = clean(issuer_id);
                check_issuer_id(issuer_id)?;
                KeyType::Team {
                    issuer_id: issuer_id.to_string(),
                }
            }
            KeyType::Individual => KeyType::Individual,
        };
        check_lifetime(self.lifetime_seconds)?;
        check_scope(&self.scope)?;
        Ok(TokenOptions {
            key_id: key_id.to_string(),
            key_type,
            lifetime_seconds: self.lifetime_seconds,
            scope: self.scope.clone(),
        })
    }
}

/// Trims whitespace and surrounding quotes, which CI secrets and `.env` files often add.
fn clean(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'')
}

/// Whether `key_id` is acceptable as a `kid`: 1 to 32 upper-case ASCII letters and digits.
///
/// Apple's team key IDs are 10 such characters (`2X9R4HXF34`, the `AuthKey_<KEYID>.p8` file
/// name); individual key IDs have been reported slightly longer, so the length is not pinned to
/// 10. Lower case, dashes, spaces and anything else are rejected: they always mean something else
/// was pasted (the issuer ID, the file name, a quoted value).
#[must_use]
pub(crate) fn is_valid_key_id(key_id: &str) -> bool {
    (1..=MAX_KEY_ID_LENGTH).contains(&key_id.len())
        && key_id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn check_key_id(key_id: &str) -> Result<()> {
    if is_valid_key_id(key_id) {
        return Ok(());
    }
    let hint = if key_id.is_empty() {
        "The key ID is empty."
    } else if key_id.starts_with("AuthKey_") {
        "The key ID is the part of the file name between AuthKey_ and .p8, not the file name."
    } else if is_uuid_shaped(key_id) {
        "This looks like the issuer ID; the key ID is the short code shown next to the key."
    } else if key_id.len() > MAX_KEY_ID_LENGTH {
        "The key ID is too long."
    } else if key_id.bytes().any(|b| b.is_ascii_lowercase()) {
        "The key ID has lower-case letters; Apple's key IDs are upper case."
    } else {
        "The key ID has characters other than A-Z and 0-9."
    };
    Err(Error::new(
        ErrorCode::KeyIdInvalid,
        format!(
            "{hint} Use the key ID from App Store Connect (Users and Access > Integrations): \
             1 to {MAX_KEY_ID_LENGTH} upper-case letters and digits, for team keys 10 (e.g. \
             2X9R4HXF34)."
        ),
    ))
}

/// Whether `value` has the shape of a UUID: 8-4-4-4-12 hexadecimal digits, either case.
///
/// Only the shape is checked: Apple's issuer IDs (and the example in its docs,
/// `57246542-96fe-1a63-e053-0824d011072a`) do not carry RFC 4122 version/variant bits.
#[must_use]
pub(crate) fn is_uuid_shaped(value: &str) -> bool {
    let groups = [8usize, 4, 4, 4, 12];
    let mut parts = value.split('-');
    for len in groups {
        match parts.next() {
            Some(p) if p.len() == len && p.bytes().all(|b| b.is_ascii_hexdigit()) => {}
            _ => return false,
        }
    }
    parts.next().is_none()
}

fn check_issuer_id(issuer_id: &str) -> Result<()> {
    if is_uuid_shaped(issuer_id) {
        return Ok(());
    }
    let hint = if issuer_id.is_empty() {
        "The issuer ID is empty."
    } else if is_valid_key_id(issuer_id) {
        "This looks like a key ID, not the issuer ID."
    } else {
        "The issuer ID is not shaped like a UUID."
    };
    Err(Error::new(
        ErrorCode::IssuerIdInvalid,
        format!(
            "{hint} Use the issuer ID shown above the team keys in App Store Connect (Users and \
             Access > Integrations): 8-4-4-4-12 hexadecimal digits, e.g. \
             57246542-96fe-1a63-e053-0824d011072a. Individual keys have no issuer ID."
        ),
    ))
}

fn check_lifetime(seconds: u64) -> Result<()> {
    if seconds > MAX_LIFETIME_SECONDS {
        return Err(Error::new(
            ErrorCode::LifetimeTooLong,
            format!(
                "The token lifetime is {seconds} s; Apple accepts at most {MAX_LIFETIME_SECONDS} \
                 s (20 minutes) for these requests. Use {MIN_LIFETIME_SECONDS} to \
                 {MAX_LIFETIME_SECONDS} s; the default {DEFAULT_LIFETIME_SECONDS} s leaves room \
                 for clock skew."
            ),
        ));
    }
    if seconds < MIN_LIFETIME_SECONDS {
        return Err(Error::new(
            ErrorCode::LifetimeTooShort,
            format!(
                "The token lifetime is {seconds} s; the shortest useful lifetime is \
                 {MIN_LIFETIME_SECONDS} s (tokens are re-minted {REFRESH_MARGIN_SECONDS} s before \
                 they expire). Use {MIN_LIFETIME_SECONDS} to {MAX_LIFETIME_SECONDS} s."
            ),
        ));
    }
    Ok(())
}

/// HTTP methods accepted at the start of a scope entry.
const SCOPE_METHODS: [&str; 6] = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"];

/// Checks one scope entry: `METHOD /vN/path[?query]`.
///
/// `METHOD` is one of GET, POST, PATCH, DELETE, PUT, HEAD (upper case), followed by exactly one
/// space and a path that starts with `/v` + digits + `/` and has at least one more character;
/// an optional `?query` follows. No whitespace or control characters anywhere else, at most
/// [`MAX_SCOPE_ENTRY_LENGTH`] bytes.
///
/// # Errors
/// A short reason, without echoing the entry.
pub(crate) fn check_scope_entry(entry: &str) -> std::result::Result<(), &'static str> {
    if entry.is_empty() {
        return Err("it is empty");
    }
    if entry.len() > MAX_SCOPE_ENTRY_LENGTH {
        return Err("it is too long");
    }
    let Some((method, target)) = entry.split_once(' ') else {
        return Err("there is no space between the method and the path");
    };
    if !SCOPE_METHODS.contains(&method) {
        return Err(
            if SCOPE_METHODS.iter().any(|m| m.eq_ignore_ascii_case(method)) {
                "the method must be upper case"
            } else {
                "the method is not one of GET, POST, PATCH, DELETE, PUT, HEAD"
            },
        );
    }
    if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace or control characters after the method");
    }
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let Some(rest) = path.strip_prefix("/v") else {
        return Err("the path does not start with /v1/ (or another /vN/)");
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after = rest.get(digits..).unwrap_or("");
    if digits == 0 || !after.starts_with('/') || after.len() < 2 {
        return Err("the path does not start with /v1/ (or another /vN/) followed by a resource");
    }
    Ok(())
}

fn check_scope(scope: &[String]) -> Result<()> {
    if scope.len() > MAX_SCOPE_ENTRIES {
        return Err(Error::new(
            ErrorCode::ScopeInvalid,
            format!("The scope has more than {MAX_SCOPE_ENTRIES} entries."),
        ));
    }
    let details: Vec<Detail> = scope
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| {
            check_scope_entry(entry).err().map(|why| Detail {
                code: ErrorCode::ScopeInvalid,
                message: format!(
                    "scope[{i}] is not a valid scope entry: {why}. Use `METHOD /v1/path` with an \
                     optional `?query`, e.g. `GET /v1/apps`."
                ),
                parameter: Some(format!("scope[{i}]")),
            })
        })
        .collect();
    match details.first() {
        None => Ok(()),
        Some(first) => Err(Error::with_details(
            ErrorCode::ScopeInvalid,
            if details.len() == 1 {
                first.message.clone()
            } else {
                format!(
                    "{} scope entries are invalid; the first: {}",
                    details.len(),
                    first.message
                )
            },
            details,
        )),
    }
}

/// Checks that `now` is a usable time in seconds since 1970.
///
/// # Errors
/// `TIME_INVALID` before [`MIN_NOW_SECONDS`] (a clock that was never set) or after
/// [`MAX_NOW_SECONDS`] (probably milliseconds).
pub(crate) fn check_now(now: u64) -> Result<()> {
    if now < MIN_NOW_SECONDS {
        return Err(Error::new(
            ErrorCode::TimeInvalid,
            "The current time is before 2001, so the clock is not set (or 0 was passed). Pass \
             the current time in seconds since 1970.",
        ));
    }
    if now > MAX_NOW_SECONDS {
        return Err(Error::new(
            ErrorCode::TimeInvalid,
            "The current time is after the year 3000; it is probably in milliseconds. Pass \
             seconds since 1970 (e.g. Math.floor(Date.now() / 1000)).",
        ));
    }
    Ok(())
}

/// A freshly signed token and its times. `Debug` does not show the token.
#[derive(Clone, PartialEq, Eq)]
pub struct MintedToken {
    /// The compact JWT.
    pub token: String,
    /// Its `iat` (now − [`IAT_BACKDATE_SECONDS`]).
    pub issued_at: u64,
    /// Its `exp` (`iat` + lifetime).
    pub expires_at: u64,
}

impl std::fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedToken")
            .field("token", &"..")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The JOSE header, compact JSON: `{"alg":"ES256","kid":…,"typ":"JWT"}`.
fn header_json(key_id: &str) -> String {
    let mut out = String::with_capacity(40 + key_id.len());
    out.push_str(r#"{"alg":"ES256","kid":"#);
    push_json_string(&mut out, key_id);
    out.push_str(r#","typ":"JWT"}"#);
    out
}

/// The claims, compact JSON in the fixed order of the module docs. Written by hand rather than
/// with serde_json so the signer-only module carries no JSON library; the bytes are the same as
/// serde_json's (tests/token.rs compares them).
fn claims_json(options: &TokenOptions, issued_at: u64, expires_at: u64) -> String {
    let scope_len: usize = options.scope.iter().map(|s| s.len() + 3).sum();
    let mut out = String::with_capacity(128 + scope_len);
    match &options.key_type {
        KeyType::Team { issuer_id } => {
            out.push_str(r#"{"iss":"#);
            push_json_string(&mut out, issuer_id);
        }
        KeyType::Individual => out.push_str(r#"{"sub":"user""#),
    }
    out.push_str(r#","iat":"#);
    push_decimal(&mut out, issued_at);
    out.push_str(r#","exp":"#);
    push_decimal(&mut out, expires_at);
    out.push_str(r#","aud":"#);
    push_json_string(&mut out, AUDIENCE);
    if !options.scope.is_empty() {
        out.push_str(r#","scope":["#);
        for (i, entry) in options.scope.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_string(&mut out, entry);
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// Appends `value` as a JSON string, escaped as serde_json does: `"`, `\` and control
/// characters (short forms where JSON has them, else `\u00xx`); everything else verbatim.
fn push_json_string(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `n` in decimal (without the formatting machinery).
fn push_decimal(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n;
    loop {
        if let Some(slot) = digits.get_mut(len) {
            *slot = b'0' + (rest % 10) as u8;
        }
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for d in digits.iter().take(len).rev() {
        out.push(char::from(*d));
    }
}

/// Mints one signed token, returning it with its `iat` and `exp`.
///
/// # Errors
/// Option errors as for [`TokenOptions::validate`], and `TIME_INVALID` for an unusable `now`.
pub fn mint(key: &PrivateKey, options: &TokenOptions, now: u64) -> Result<MintedToken> {
    let options = options.normalized()?;
    mint_normalized(key, &options, now)
}

/// Mints with options already normalized.
fn mint_normalized(key: &PrivateKey, options: &TokenOptions, now: u64) -> Result<MintedToken> {
    check_now(now)?;
    let issued_at = now - IAT_BACKDATE_SECONDS;
    let expires_at = issued_at + options.lifetime_seconds;
    let header_json = header_json(&options.key_id);
    let claims_json = claims_json(options, issued_at, expires_at);
    let mut token = String::with_capacity(96 + 4 * (header_json.len() + claims_json.len()) / 3);
    crate::b64::encode_url(header_json.as_bytes(), &mut token);
    token.push('.');
    crate::b64::encode_url(claims_json.as_bytes(), &mut token);
    let signature: p256::ecdsa::Signature = key.signing_key().sign(token.as_bytes());
    token.push('.');
    crate::b64::encode_url(&signature.to_bytes(), &mut token);
    Ok(MintedToken {
        token,
        issued_at,
        expires_at,
    })
}

/// Mints one signed token.
///
/// # Errors
/// Option errors (`KEY_ID_INVALID`, `ISSUER_ID_INVALID`, `LIFETIME_TOO_LONG`, ...) and
/// `TIME_INVALID`.
pub fn mint_token(key: &PrivateKey, options: &TokenOptions, now: u64) -> Result<String> {
    mint(key, options, now).map(|m| m.token)
}

/// Caches one token and re-mints it shortly before it expires.
///
/// The cached token is reused while more than [`REFRESH_MARGIN_SECONDS`] remain before its
/// `exp` (at exactly the margin it is replaced), and while `now` is not before its `iat` (a clock
/// that jumped back more than the backdate gets a fresh token rather than one from its future).
/// `Debug` does not show the token.
pub struct TokenMinter {
    key: PrivateKey,
    options: TokenOptions,
    cached: Option<MintedToken>,
    mints: u64,
    /// `iat` of the last token signed (kept across `invalidate`).
    last_issued_at: Option<u64>,
    /// The latest `iat` ever signed.
    newest_issued_at: Option<u64>,
}

impl std::fmt::Debug for TokenMinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenMinter")
            .field("key", &self.key)
            .field("options", &self.options)
            .field("cached", &self.cached)
            .field("mints", &self.mints)
            .finish()
    }
}

impl TokenMinter {
    /// Validates the options and makes a minter.
    ///
    /// # Errors
    /// Option errors, as for [`mint_token`].
    pub fn new(key: PrivateKey, options: TokenOptions) -> Result<TokenMinter> {
        let options = options.normalized()?;
        Ok(TokenMinter {
            key,
            options,
            cached: None,
            mints: 0,
            last_issued_at: None,
            newest_issued_at: None,
        })
    }

    /// The cached token, or a fresh one when less than the refresh margin remains.
    ///
    /// # Errors
    /// `TIME_INVALID` when `now` is unusable.
    pub fn token(&mut self, now: u64) -> Result<String> {
        self.minted(now).map(|m| m.token.clone())
    }

    /// Like [`TokenMinter::token`], returning the token with its times.
    ///
    /// # Errors
    /// `TIME_INVALID` when `now` is unusable.
    pub fn minted(&mut self, now: u64) -> Result<&MintedToken> {
        check_now(now)?;
        let reusable = self.cached.as_ref().is_some_and(|c| {
            now >= c.issued_at && c.expires_at.saturating_sub(now) > REFRESH_MARGIN_SECONDS
        });
        if !reusable {
            let at = self.signing_time(now);
            let fresh = mint_normalized(&self.key, &self.options, at)?;
            self.mints += 1;
            self.last_issued_at = Some(fresh.issued_at);
            self.newest_issued_at = self.newest_issued_at.max(Some(fresh.issued_at));
            self.cached = Some(fresh);
        }
        self.cached.as_ref().ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                "The token cache is unexpectedly empty.",
            )
        })
    }

    /// The time to sign at: `now`, or earlier when `now` would give an `iat` that was already
    /// signed (see [`MAX_REMINT_STEP_BACK_SECONDS`]).
    fn signing_time(&self, now: u64) -> u64 {
        let (Some(previous), Some(newest)) = (self.last_issued_at, self.newest_issued_at) else {
            return now;
        };
        let natural = now.saturating_sub(IAT_BACKDATE_SECONDS);
        if natural > newest {
            return now;
        }
        // One second before the last token, but never before the cap nor after `now`'s own iat.
        let issued_at = previous
            .saturating_sub(1)
            .max(natural.saturating_sub(MAX_REMINT_STEP_BACK_SECONDS))
            .min(natural);
        let at = issued_at + IAT_BACKDATE_SECONDS;
        if check_now(at).is_ok() {
            at
        } else {
            now
        }
    }

    /// `exp` of the cached token, if any.
    #[must_use]
    pub fn expires_at(&self) -> Option<u64> {
        self.cached.as_ref().map(|c| c.expires_at)
    }

    /// `iat` of the cached token, if any.
    #[must_use]
    pub fn issued_at(&self) -> Option<u64> {
        self.cached.as_ref().map(|c| c.issued_at)
    }

    /// Forgets the cached token (e.g. after Apple answered 401).
    pub fn invalidate(&mut self) {
        self.cached = None;
    }

    /// How many tokens this minter has signed.
    #[must_use]
    pub fn mint_count(&self) -> u64 {
        self.mints
    }

    /// The options in use (normalized).
    #[must_use]
    pub fn options(&self) -> &TokenOptions {
        &self.options
    }

    /// The key in use.
    #[must_use]
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }
}
