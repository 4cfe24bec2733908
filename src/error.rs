//! One error type for the whole crate: a stable [`ErrorCode`], a message a person can act on, and
//! optional per-item [`Detail`]s (for example every bad query parameter of one request).
//!
//! Codes are the contract: the gateway maps each one to an HTTP status through
//! [`ErrorCode::http_status`], JavaScript callers switch on `error.code`, and the README has a row
//! for each. Messages describe what was wrong and what is accepted; they never contain key
//! material or token contents.

use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = ($code:literal, $status:literal) ),+ $(,)?) => {
        /// Every failure this crate (and the gateway built on it) can report.
        ///
        /// The string form (`as_str`) is stable and SCREAMING_SNAKE_CASE.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The stable string form, e.g. `KEY_WRONG_CURVE`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )+ }
            }

            /// The HTTP status the gateway answers with when this error ends a request.
            #[must_use]
            pub const fn http_status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )+ }
            }

            /// Looks a code up by its string form (a walk over [`Self::ALL`]: a `match` on the
            /// strings compiled to 6 KB of comparisons; the lookup is not on a hot path).
            #[must_use]
            pub fn from_str_code(code: &str) -> Option<ErrorCode> {
                Self::ALL.iter().copied().find(|c| c.as_str() == code)
            }
        }
    };
}

error_codes! {
    // ---- Private key (src/key.rs) ----
    /// Nothing was given where a private key was expected.
    KeyEmpty = ("KEY_EMPTY", 400),
    /// The text is neither PEM nor base64 of a key.
    KeyNotPem = ("KEY_NOT_PEM", 400),
    /// The PEM or DER structure is damaged (bad base64, wrong lengths, trailing bytes).
    KeyCorrupt = ("KEY_CORRUPT", 400),
    /// The data ends early: part of the key is missing.
    KeyTruncated = ("KEY_TRUNCATED", 400),
    /// An RSA key was given; App Store Connect keys are EC P-256.
    KeyRsa = ("KEY_RSA", 400),
    /// An EC key on a curve other than P-256 (e.g. P-384, secp256k1).
    KeyWrongCurve = ("KEY_WRONG_CURVE", 400),
    /// Another key algorithm (Ed25519, DSA, ...).
    KeyUnsupportedAlgorithm = ("KEY_UNSUPPORTED_ALGORITHM", 400),
    /// An encrypted PKCS#8 key (password protected).
    KeyEncrypted = ("KEY_ENCRYPTED", 400),
    /// A public key was given instead of the private key.
    KeyIsPublic = ("KEY_IS_PUBLIC", 400),
    /// A certificate was given instead of the private key.
    KeyIsCertificate = ("KEY_IS_CERTIFICATE", 400),
    /// The private scalar is zero or not below the curve order, or does not match the embedded public key.
    KeyInvalid = ("KEY_INVALID", 400),

    // ---- Token options (src/token.rs) ----
    /// The key ID is missing or not shaped like Apple's (10 upper-case letters/digits for team keys).
    KeyIdInvalid = ("KEY_ID_INVALID", 400),
    /// The issuer ID is missing or not UUID-shaped.
    IssuerIdInvalid = ("ISSUER_ID_INVALID", 400),
    /// An issuer ID was given for an individual key, or neither issuer nor individual was chosen.
    KeyTypeConflict = ("KEY_TYPE_CONFLICT", 400),
    /// Requested lifetime above 1200 seconds.
    LifetimeTooLong = ("LIFETIME_TOO_LONG", 400),
    /// Requested lifetime too short to be useful (below the refresh margin).
    LifetimeTooShort = ("LIFETIME_TOO_SHORT", 400),
    /// A scope entry is not `METHOD /v1/...`.
    ScopeInvalid = ("SCOPE_INVALID", 400),
    /// The options object itself is malformed (wrong type, unknown field).
    OptionsInvalid = ("OPTIONS_INVALID", 400),
    /// The time given is not a usable number of seconds since 1970.
    TimeInvalid = ("TIME_INVALID", 400),

    // ---- Token inspection (src/inspect.rs) ----
    /// The token is not three dot-separated base64url parts.
    TokenMalformed = ("TOKEN_MALFORMED", 400),
    /// A token part is not valid base64url.
    TokenBase64Invalid = ("TOKEN_BASE64_INVALID", 400),
    /// The header or payload is not a JSON object.
    TokenJsonInvalid = ("TOKEN_JSON_INVALID", 400),
    /// `alg` is not ES256.
    TokenAlgNotEs256 = ("TOKEN_ALG_NOT_ES256", 400),
    /// `typ` is present and not JWT.
    TokenTypNotJwt = ("TOKEN_TYP_NOT_JWT", 400),
    /// `kid` is missing or malformed.
    TokenKidInvalid = ("TOKEN_KID_INVALID", 400),
    /// `aud` is not `appstoreconnect-v1`.
    TokenAudInvalid = ("TOKEN_AUD_INVALID", 400),
    /// `iat` missing or not a number.
    TokenIatMissing = ("TOKEN_IAT_MISSING", 400),
    /// `exp` missing or not a number.
    TokenExpMissing = ("TOKEN_EXP_MISSING", 400),
    /// `exp - iat` above 1200 seconds.
    TokenLifetimeTooLong = ("TOKEN_LIFETIME_TOO_LONG", 400),
    /// `exp` is more than 1200 seconds after now (Apple checks against its own clock).
    TokenExpTooFar = ("TOKEN_EXP_TOO_FAR", 400),
    /// `exp` is not after `iat`.
    TokenExpBeforeIat = ("TOKEN_EXP_BEFORE_IAT", 400),
    /// `iat` is in the future.
    TokenIatInFuture = ("TOKEN_IAT_IN_FUTURE", 400),
    /// The token has expired.
    TokenExpired = ("TOKEN_EXPIRED", 400),
    /// Both `iss` and `sub` are present.
    TokenIssAndSub = ("TOKEN_ISS_AND_SUB", 400),
    /// Neither `iss` nor `sub` is present.
    TokenNoIssOrSub = ("TOKEN_NO_ISS_OR_SUB", 400),
    /// `iss` is not UUID-shaped.
    TokenIssInvalid = ("TOKEN_ISS_INVALID", 400),
    /// `sub` is present but not `user`.
    TokenSubInvalid = ("TOKEN_SUB_INVALID", 400),
    /// `scope` is not an array of `METHOD /v1/...` strings.
    TokenScopeInvalid = ("TOKEN_SCOPE_INVALID", 400),
    /// The signature is ASN.1 DER; ES256 in a JWT needs raw 64-byte r‖s.
    TokenSignatureDer = ("TOKEN_SIGNATURE_DER", 400),
    /// The signature is not 64 bytes.
    TokenSignatureLength = ("TOKEN_SIGNATURE_LENGTH", 400),
    /// The signature does not verify against the public key given.
    TokenSignatureInvalid = ("TOKEN_SIGNATURE_INVALID", 400),

    // ---- Request planning (src/operations.rs) ----
    /// The request has one or more invalid query parameters (see details).
    RequestInvalid = ("REQUEST_INVALID", 400),
    /// A query parameter name that no operation knows.
    ParameterUnknown = ("PARAMETER_UNKNOWN", 400),
    /// A parameter that exists in Apple's API but not for this operation.
    ParameterNotAllowed = ("PARAMETER_NOT_ALLOWED", 400),
    /// A value outside the parameter's list of allowed values.
    ParameterEnumInvalid = ("PARAMETER_ENUM_INVALID", 400),
    /// A number outside the allowed range.
    ParameterOutOfRange = ("PARAMETER_OUT_OF_RANGE", 400),
    /// A value of the wrong type (not an integer, not true/false).
    ParameterTypeInvalid = ("PARAMETER_TYPE_INVALID", 400),
    /// An empty value or an empty item in a comma-separated list.
    ParameterEmpty = ("PARAMETER_EMPTY", 400),
    /// The same parameter given twice.
    ParameterRepeated = ("PARAMETER_REPEATED", 400),
    /// A deprecated parameter or value was used: a warning in `Plan::deprecations`, never an error by itself.
    ParameterDeprecated = ("PARAMETER_DEPRECATED", 400),
    /// The query string is not valid percent-encoded UTF-8.
    QueryMalformed = ("QUERY_MALFORMED", 400),
    /// The resource id in the path is empty or malformed.
    IdInvalid = ("ID_INVALID", 400),
    /// No operation has this path.
    RouteNotFound = ("ROUTE_NOT_FOUND", 404),
    /// The path exists but not with this method.
    MethodNotAllowed = ("METHOD_NOT_ALLOWED", 405),

    // ---- Request bodies and any request (src/body/, src/anyrequest/) ----
    /// A query parameter Apple marks required is missing.
    ParameterRequired = ("PARAMETER_REQUIRED", 400),
    /// The body is not one UTF-8 JSON object (invalid JSON, BOM, not UTF-8, array at the root).
    BodyMalformed = ("BODY_MALFORMED", 400),
    /// The body is larger than the cap (64 KiB).
    BodyTooLarge = ("BODY_TOO_LARGE", 413),
    /// The body nests arrays and objects deeper than the cap.
    BodyTooDeep = ("BODY_TOO_DEEP", 400),
    /// The same key appears twice in one JSON object.
    BodyDuplicateKey = ("BODY_DUPLICATE_KEY", 400),
    /// The body does not fit the operation's request schema (see details).
    BodyInvalid = ("BODY_INVALID", 400),
    /// The operation needs a body and none was given.
    BodyRequired = ("BODY_REQUIRED", 400),
    /// A body was given to an operation that takes none.
    BodyNotAllowed = ("BODY_NOT_ALLOWED", 400),
    /// A required body field is missing.
    FieldRequired = ("FIELD_REQUIRED", 400),
    /// A body field the schema does not have.
    FieldUnknown = ("FIELD_UNKNOWN", 400),
    /// A body field of the wrong JSON type.
    FieldTypeInvalid = ("FIELD_TYPE_INVALID", 400),
    /// A body field whose value is not one of the accepted values.
    FieldEnumInvalid = ("FIELD_ENUM_INVALID", 400),
    /// A body number, string length or item count outside its limits.
    FieldOutOfRange = ("FIELD_OUT_OF_RANGE", 400),
    /// A body string that is not in its format (date, date-time, email).
    FieldFormatInvalid = ("FIELD_FORMAT_INVALID", 400),
    /// A relationship names a resource of the wrong type.
    RelationshipTypeInvalid = ("RELATIONSHIP_TYPE_INVALID", 400),
    /// A relationship's list of ids is empty.
    IdListEmpty = ("ID_LIST_EMPTY", 400),
    /// The spec pack is damaged or of another format version.
    SpecPackInvalid = ("SPEC_PACK_INVALID", 500),
    /// No spec pack was loaded before planning a request against it.
    SpecPackNotLoaded = ("SPEC_PACK_NOT_LOADED", 500),

    // ---- Upstream answers (src/shape.rs) ----
    /// Apple rejected the request as invalid (400).
    UpstreamBadRequest = ("UPSTREAM_BAD_REQUEST", 400),
    /// Apple did not accept the token (401).
    UpstreamUnauthorized = ("UPSTREAM_UNAUTHORIZED", 401),
    /// Apple refused the request for this key (403).
    UpstreamForbidden = ("UPSTREAM_FORBIDDEN", 403),
    /// Apple has no such resource (404).
    UpstreamNotFound = ("UPSTREAM_NOT_FOUND", 404),
    /// Apple's other 4xx answers (405, 406, 409, 410, 422, ...).
    UpstreamRejected = ("UPSTREAM_REJECTED", 400),
    /// Apple's hourly rate limit for this key is used up (429).
    UpstreamRateLimited = ("UPSTREAM_RATE_LIMITED", 429),
    /// Apple answered with a server error (5xx).
    UpstreamServerError = ("UPSTREAM_SERVER_ERROR", 502),
    /// Apple's answer was empty, not JSON, truncated or not the expected shape.
    UpstreamBadResponse = ("UPSTREAM_BAD_RESPONSE", 502),
    /// Apple's answer was larger than the gateway accepts.
    UpstreamTooLarge = ("UPSTREAM_TOO_LARGE", 502),
    /// Apple did not answer in time.
    UpstreamTimeout = ("UPSTREAM_TIMEOUT", 504),
    /// Apple could not be reached (connection refused or reset, DNS).
    UpstreamUnreachable = ("UPSTREAM_UNREACHABLE", 502),
    /// A write may have reached Apple but no answer came (reset, truncated answer; 504 when it timed
    /// out): the change may have been applied, so it is not retried.
    UpstreamOutcomeUnknown = ("UPSTREAM_OUTCOME_UNKNOWN", 502),

    // ---- Gateway (host/) ----
    /// Missing or wrong `X-API-Key`.
    Unauthenticated = ("UNAUTHENTICATED", 401),
    /// The caller sent Apple key headers but this gateway does not accept them.
    CallerKeysNotAllowed = ("CALLER_KEYS_NOT_ALLOWED", 403),
    /// No Apple key is configured and the caller sent none.
    CredentialsMissing = ("CREDENTIALS_MISSING", 401),
    /// A write's body is not sent as JSON (`Content-Type` other than `application/json`).
    ContentTypeUnsupported = ("CONTENT_TYPE_UNSUPPORTED", 415),
    /// A request header is malformed (control characters, too long, contradictory).
    HeaderInvalid = ("HEADER_INVALID", 400),
    /// The request line, query or headers are larger than the gateway accepts.
    RequestTooLarge = ("REQUEST_TOO_LARGE", 431),
    /// The request target or Host is not acceptable (absolute URL, other host, path tricks).
    RequestTargetInvalid = ("REQUEST_TARGET_INVALID", 400),
    /// The `Host` header names a host this server does not answer to (not PUBLIC_URL, the listen
    /// address, a loopback name or GATEWAY_ALLOWED_HOSTS); 421 Misdirected Request.
    HostNotAllowed = ("HOST_NOT_ALLOWED", 421),
    /// The request carries a body (`Content-Length` above 0 or `Transfer-Encoding`) but the
    /// operation takes none.
    RequestBodyNotAllowed = ("REQUEST_BODY_NOT_ALLOWED", 400),
    /// An unexpected failure inside the gateway.
    Internal = ("INTERNAL", 500),

    // ---- Triggers (src/triggers/) ----
    /// The trigger route names an event family this connector does not offer.
    TriggerFamilyUnknown = ("TRIGGER_FAMILY_UNKNOWN", 404),
    /// The subscribe body is not a JSON object with the accepted properties.
    TriggerBodyInvalid = ("TRIGGER_BODY_INVALID", 400),
    /// The callback URL is unusable (see details for every problem).
    CallbackUrlInvalid = ("CALLBACK_URL_INVALID", 400),
    /// The callback URL is not https (loopback http only on a local-sandbox gateway).
    CallbackUrlNotHttps = ("CALLBACK_URL_NOT_HTTPS", 400),
    /// The callback URL is longer than the gateway accepts.
    CallbackUrlTooLong = ("CALLBACK_URL_TOO_LONG", 400),
    /// The callback URL has a user name or password, a fragment, spaces, control characters or no host.
    CallbackUrlMalformed = ("CALLBACK_URL_MALFORMED", 400),
    /// The app already has Apple's maximum of webhooks (10); details list this connector's.
    WebhookLimitReached = ("WEBHOOK_LIMIT_REACHED", 409),
    /// The webhook was not created by this connector, or belongs to another app.
    WebhookNotOurs = ("WEBHOOK_NOT_OURS", 403),
    /// The unsubscribe URL's signature is missing or does not match.
    TriggerSignatureInvalid = ("TRIGGER_SIGNATURE_INVALID", 401),
    /// The polling watermark (`since`) is not one this gateway issued.
    WatermarkInvalid = ("WATERMARK_INVALID", 400),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item of an error that has several parts, e.g. one bad query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "json", derive(serde::Serialize))]
pub struct Detail {
    /// The specific code of this item.
    pub code: ErrorCode,
    /// What is wrong with this item and what is accepted.
    pub message: String,
    /// The query parameter (or option) concerned, when there is one.
    #[cfg_attr(feature = "json", serde(skip_serializing_if = "Option::is_none"))]
    pub parameter: Option<String>,
}

#[cfg(feature = "json")]
impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An error with a stable code, a human message and optional details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong and what is accepted. Never contains secrets.
    pub message: String,
    /// Per-item problems, when the error has several parts.
    pub details: Vec<Detail>,
}

impl Error {
    /// An error with no details.
    #[must_use]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// An error with details.
    #[must_use]
    pub fn with_details(code: ErrorCode, message: impl Into<String>, details: Vec<Detail>) -> Self {
        Error {
            code,
            message: message.into(),
            details,
        }
    }

    /// The HTTP status for this error.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The gateway's error document:
    /// `{"error": {"status": 400, "code": "...", "message": "...", "details": [...]}}`.
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_document(&self) -> serde_json::Value {
        self.to_document_with_status(self.http_status())
    }

    /// The error document with an explicit HTTP status (e.g. to keep Apple's status).
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_document_with_status(&self, status: u16) -> serde_json::Value {
        let details = serde_json::to_value(&self.details).unwrap_or(serde_json::Value::Null);
        error_document(status, self.code.as_str(), &self.message, details)
    }
}

/// The one builder of the error document every caller sees:
/// `{"error": {"status", "code", "message", "details"?}}`, with `details` left out when it is not a
/// non-empty array. [`Error::to_document`] and the JavaScript host (wasm `errorBody`) both use it.
#[must_use]
#[cfg(feature = "json")]
pub fn error_document(
    status: u16,
    code: &str,
    message: &str,
    details: serde_json::Value,
) -> serde_json::Value {
    let mut inner = serde_json::Map::new();
    inner.insert("status".into(), status.into());
    inner.insert("code".into(), code.into());
    inner.insert("message".into(), message.into());
    if details.as_array().is_some_and(|d| !d.is_empty()) {
        inner.insert("details".into(), details);
    }
    let mut outer = serde_json::Map::new();
    outer.insert("error".into(), serde_json::Value::Object(inner));
    serde_json::Value::Object(outer)
}

/// `value` as compact JSON text: what `value.to_string()` gives, written with `serde_json::to_string`
/// so the wasm module carries one instance of serde_json's writer (`Display for Value` is a
/// second, ~4 KB). Use it instead of `to_string()`/`{}` on a `Value`.
#[must_use]
#[cfg(feature = "json")]
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(ErrorCode::from_str_code(code.as_str()), Some(*code));
            assert!(code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
            let status = code.http_status();
            assert!((400..=599).contains(&status), "{code} has status {status}");
        }
    }

    #[cfg(feature = "json")]
    #[test]
    fn document_shape() {
        let e = Error::with_details(
            ErrorCode::RequestInvalid,
            "2 problems",
            vec![Detail {
                code: ErrorCode::ParameterUnknown,
                message: "m".into(),
                parameter: Some("foo".into()),
            }],
        );
        let doc = e.to_document();
        assert_eq!(doc["error"]["status"], 400);
        assert_eq!(doc["error"]["code"], "REQUEST_INVALID");
        assert_eq!(doc["error"]["details"][0]["code"], "PARAMETER_UNKNOWN");
        assert_eq!(doc["error"]["details"][0]["parameter"], "foo");
        assert!(Error::new(ErrorCode::Internal, "x").to_document()["error"]
            .get("details")
            .is_none());
    }
}
