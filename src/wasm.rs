//! The JavaScript surface of the crate: the only file that knows about `wasm_bindgen` and `JsValue`.
//!
//! Everything here is a thin conversion: read JS values defensively (wrong types become
//! `OPTIONS_INVALID` errors, never traps), call the pure core, and turn results into plain JS
//! objects. Errors cross the boundary in one place, `From<Error> for JsValue`, as real `Error` objects with
//! `code`, `status` and `details` set. The clock is read only here, and only when the caller did not
//! pass a time.

// The any-request module (`--features any-request-only`, pkg/any-request/) exports only
// loadSpecPack and planAnyRequest, and the triggers module (`--features triggers-only`,
// pkg/triggers/) only the trigger bindings; the helpers of the other exports are unused there.
#![cfg_attr(
    any(feature = "any-request-only", feature = "triggers-only"),
    allow(dead_code, unused_imports)
)]

#[cfg(feature = "json")]
use js_sys::JSON;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
#[cfg(feature = "gateway")]
use wasm_bindgen::JsCast;

#[cfg(feature = "gateway")]
use crate::error::error_document;
use crate::error::{Detail, Error, ErrorCode};
#[cfg(feature = "inspect")]
use crate::inspect::inspect_token;
use crate::key::PrivateKey;
#[cfg(feature = "gateway")]
use crate::operations::{plan_request, table_json};
#[cfg(feature = "gateway")]
use crate::shape::{shape_response, ShapeContext};
use crate::token::{self, TokenOptions, DEFAULT_LIFETIME_SECONDS};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options for `mintToken` and `TokenMinter`. */
export interface TokenOptions {
  /** The key ID shown next to the key in App Store Connect (the XXXX in AuthKey_XXXX.p8). */
  keyId: string;
  /** The issuer ID (UUID-shaped) of a team key. Leave out for individual keys. */
  issuerId?: string;
  /** True for an individual key: the token gets `sub: "user"` and no `iss`. */
  individual?: boolean;
  /** The .p8 contents, in any accepted shape (PEM, one line, literal \n, base64 of the file, SEC1...). */
  privateKey: string;
  /** exp − iat in seconds: 240 to 1200, default 900. */
  lifetimeSeconds?: number;
  /** Optional scope entries such as "GET /v1/apps". */
  scope?: string[];
}

/** One problem found in a token or a request. */
export interface Problem {
  code: string;
  message: string;
  parameter?: string;
}

/** Errors thrown by this module. */
export interface AscConnectorError extends Error {
  code: string;
  status: number;
  details: Problem[];
}
"#;

#[cfg(feature = "json")]
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES_FULL: &'static str = r#"
/** What `inspectToken` found. */
export interface TokenInspection {
  header: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  problems: Problem[];
  issuedAt: number | null;
  expiresAt: number | null;
  lifetimeSeconds: number | null;
  signatureEncoding: "raw" | "der" | "unknown";
  signatureVerified: boolean | null;
}

/** The upstream request planned by `planRequest`. */
export interface RequestPlan {
  operationId: string;
  upstreamPath: string;
  upstreamQuery: string;
  pagingQuery: string;
  cursor: string | null;
  deprecations: Problem[];
}

/** What `shapeResponse` needs to know about the request. */
export interface ShapeOptions {
  /** The gateway's public base URL, without a trailing slash. */
  baseUrl: string;
  /** `RequestPlan.upstreamPath`. */
  path: string;
  /** `RequestPlan.pagingQuery`. */
  query: string;
  /** The origin of ASC_BASE_URL; next links elsewhere are dropped. */
  upstreamOrigin: string;
  /** Return Apple's JSON:API document instead of flat records. */
  raw?: boolean;
  /** For a write: how to check whether it was applied; added to Apple's 5xx answers. */
  outcomeHint?: string;
  /** Return the body as its UTF-8 bytes (a Uint8Array) instead of a string, for a host that writes bytes. */
  bytes?: boolean;
}

/** The caller-facing answer built by `shapeResponse`. */
export interface ShapedResponse {
  status: number;
  /** JSON text; its UTF-8 bytes when the options asked for `bytes: true`. */
  body: string | Uint8Array;
}
"#;

/// Turns a core error into a thrown JS `Error` with `code`, `status` and `details`.
fn to_js_error(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.message);
    js.set_name("AscConnectorError");
    // Reflect::set only fails on frozen objects; a fresh Error is not frozen.
    let _ = Reflect::set(&js, &"code".into(), &error.code.as_str().into());
    let _ = Reflect::set(&js, &"status".into(), &JsValue::from(error.http_status()));
    let _ = Reflect::set(&js, &"details".into(), &details_to_js(&error.details));
    js.into()
}

/// Lets `?` carry the crate's errors across the boundary as thrown JS errors (`to_js_error`).
impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        to_js_error(&error)
    }
}

/// `[{ code, message, parameter? }]`, built directly (the signer module has no JSON library).
fn details_to_js(details: &[Detail]) -> Array {
    details
        .iter()
        .map(|detail| {
            let item = Object::new();
            let _ = Reflect::set(&item, &"code".into(), &detail.code.as_str().into());
            let _ = Reflect::set(&item, &"message".into(), &detail.message.as_str().into());
            if let Some(parameter) = &detail.parameter {
                let _ = Reflect::set(&item, &"parameter".into(), &parameter.as_str().into());
            }
            JsValue::from(item)
        })
        .collect()
}

fn options_error(message: impl Into<String>) -> JsValue {
    Error::new(ErrorCode::OptionsInvalid, message).into()
}

/// Any serialisable result of the core as a plain JS value (through JSON text, which is faster
/// than walking the value from Rust).
#[cfg(feature = "json")]
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|_| Error::new(ErrorCode::Internal, "could not encode a result"))?;
    JSON::parse(&text)
}

/// Seconds since 1970: the caller's value, or the host clock when none was given.
fn now_seconds(now: &JsValue) -> Result<u64, JsValue> {
    if now.is_undefined() || now.is_null() {
        return Ok((js_sys::Date::now() / 1000.0).floor() as u64);
    }
    match now.as_f64() {
        Some(n) if (0.0..1e12).contains(&n) => Ok(n.floor() as u64),
        _ => Err(JsValue::from(Error::new(
            ErrorCode::TimeInvalid,
            "nowSeconds must be a number of seconds since 1970 (for example Math.floor(Date.now() / 1000)), or left out to use the clock",
        ))),
    }
}

/// A string argument, or an `OPTIONS_INVALID` error naming it (never its value).
fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| options_error(format!("{name} must be a string")))
}

const OPTION_NAMES: [&str; 6] = [
    "keyId",
    "issuerId",
    "individual",
    "privateKey",
    "lifetimeSeconds",
    "scope",
];

fn get(obj: &JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
    let value = Reflect::get(obj, &key.into())
        .map_err(|_| options_error(format!("could not read option {key}")))?;
    Ok(if value.is_undefined() || value.is_null() {
        None
    } else {
        Some(value)
    })
}

/// Reads `{ keyId, issuerId?, individual?, privateKey, lifetimeSeconds?, scope? }`.
fn read_options(options: &JsValue) -> Result<(PrivateKey, TokenOptions), JsValue> {
    if !options.is_object() || Array::is_array(options) {
        return Err(options_error(
            "options must be an object like { keyId, issuerId, privateKey } (or { keyId, individual: true, privateKey })",
        ));
    }
    for key in Object::keys(&Object::from(options.clone())).iter() {
        let name = key.as_string().unwrap_or_default();
        if !OPTION_NAMES.contains(&name.as_str()) {
            let hint = OPTION_NAMES
                .iter()
                .find(|known| known.eq_ignore_ascii_case(&name))
                .map(|known| format!(" (did you mean {known}?)"))
                .unwrap_or_default();
            return Err(options_error(format!(
                "unknown option {name}{hint}; accepted options are {}",
                OPTION_NAMES.join(", ")
            )));
        }
    }
    let key_id = match get(options, "keyId")? {
        Some(v) => string_arg(&v, "keyId")?,
        None => String::new(),
    };
    let issuer_id = match get(options, "issuerId")? {
        Some(v) => Some(string_arg(&v, "issuerId")?),
        None => None,
    };
    let individual = match get(options, "individual")? {
        Some(v) => v
            .as_bool()
            .ok_or_else(|| options_error("individual must be true or false"))?,
        None => false,
    };
    let private_key = match get(options, "privateKey")? {
        Some(v) => string_arg(&v, "privateKey")?,
        None => String::new(),
    };
    let lifetime_seconds = match get(options, "lifetimeSeconds")? {
        Some(v) => match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n < 1e9 => n as u64,
            _ => {
                return Err(options_error(
                    "lifetimeSeconds must be a whole number of seconds (240 to 1200)",
                ))
            }
        },
        None => DEFAULT_LIFETIME_SECONDS,
    };
    let scope = match get(options, "scope")? {
        Some(v) if Array::is_array(&v) => {
            let mut entries = Vec::new();
            for item in Array::from(&v).iter() {
                entries.push(item.as_string().ok_or_else(|| {
                    options_error("scope must be an array of strings such as \"GET /v1/apps\"")
                })?);
            }
            entries
        }
        Some(_) => {
            return Err(options_error(
                "scope must be an array of strings such as \"GET /v1/apps\"",
            ))
        }
        None => Vec::new(),
    };
    // The team/individual rule lives in TokenOptions::from_parts only.
    let mut token_options = TokenOptions::from_parts(key_id, issuer_id.as_deref(), individual)?;
    token_options.lifetime_seconds = lifetime_seconds;
    token_options.scope = scope;
    // Validate the cheap options before parsing the key, so option mistakes are reported first.
    token_options.validate()?;
    let key = PrivateKey::parse(&private_key)?;
    Ok((key, token_options))
}

#[cfg(not(any(feature = "any-request-only", feature = "triggers-only")))]
/// Mints one signed App Store Connect token.
///
/// `nowSeconds` defaults to the host clock.
#[wasm_bindgen(js_name = mintToken)]
pub fn mint_token(
    #[wasm_bindgen(unchecked_param_type = "TokenOptions")] options: JsValue,
    #[wasm_bindgen(js_name = nowSeconds, unchecked_param_type = "number | undefined")]
    now_seconds_arg: JsValue,
) -> Result<String, JsValue> {
    let now = now_seconds(&now_seconds_arg)?;
    let (key, options) = read_options(&options)?;
    Ok(token::mint_token(&key, &options, now)?)
}

#[cfg(not(any(feature = "any-request-only", feature = "triggers-only")))]
/// Keeps one token and re-mints it shortly before it expires.
#[wasm_bindgen(js_name = TokenMinter)]
pub struct JsTokenMinter {
    inner: token::TokenMinter,
}

#[cfg(not(any(feature = "any-request-only", feature = "triggers-only")))]
#[wasm_bindgen(js_class = TokenMinter)]
impl JsTokenMinter {
    /// Parses the key and checks the options once.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TokenOptions")] options: JsValue,
    ) -> Result<JsTokenMinter, JsValue> {
        let (key, options) = read_options(&options)?;
        let inner = token::TokenMinter::new(key, options)?;
        Ok(JsTokenMinter { inner })
    }

    /// The cached token, or a fresh one when it is close to expiry. `nowSeconds` defaults to the clock.
    pub fn token(
        &mut self,
        #[wasm_bindgen(js_name = nowSeconds, unchecked_param_type = "number | undefined")]
        now_seconds_arg: JsValue,
    ) -> Result<String, JsValue> {
        let now = now_seconds(&now_seconds_arg)?;
        Ok(self.inner.token(now)?)
    }

    /// `exp` of the cached token in seconds since 1970, if one is cached.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Option<f64> {
        self.inner.expires_at().map(|exp| exp as f64)
    }

    /// How many tokens this minter has signed.
    #[wasm_bindgen(getter, js_name = mintCount)]
    pub fn mint_count(&self) -> f64 {
        self.inner.mint_count() as f64
    }

    /// Forgets the cached token, e.g. after Apple answered 401.
    pub fn invalidate(&mut self) {
        self.inner.invalidate();
    }
}

#[cfg(not(any(feature = "any-request-only", feature = "triggers-only")))]
/// Decodes a token WITHOUT trusting it and lists every way it breaks Apple's rules.
///
/// The signature is checked only when `publicKeyPem` is given.
#[cfg(feature = "inspect")]
#[wasm_bindgen(js_name = inspectToken, unchecked_return_type = "TokenInspection")]
pub fn inspect(
    jwt: JsValue,
    #[wasm_bindgen(js_name = nowSeconds, unchecked_param_type = "number | undefined")]
    now_seconds_arg: JsValue,
    #[wasm_bindgen(js_name = publicKeyPem, unchecked_param_type = "string | undefined")]
    public_key_pem: JsValue,
) -> Result<JsValue, JsValue> {
    let jwt = string_arg(&jwt, "the token")?;
    let now = now_seconds(&now_seconds_arg)?;
    let pem = if public_key_pem.is_undefined() || public_key_pem.is_null() {
        None
    } else {
        Some(string_arg(&public_key_pem, "publicKeyPem")?)
    };
    let inspection = inspect_token(&jwt, now, pem.as_deref());
    to_js(&inspection)
}

#[cfg(not(any(feature = "any-request-only", feature = "triggers-only")))]
/// The SPKI PEM of a private key's public half (what Apple and verifiers need; not secret).
#[wasm_bindgen(js_name = publicKeyPem)]
pub fn public_key_pem(
    #[wasm_bindgen(js_name = privateKey)] private_key: JsValue,
) -> Result<String, JsValue> {
    let text = string_arg(&private_key, "privateKey")?;
    let key = PrivateKey::parse(&text)?;
    Ok(key.public_key_pem())
}

#[cfg(all(
    feature = "gateway",
    not(any(feature = "any-request-only", feature = "triggers-only"))
))]
/// Matches a request to an operation and validates its query against Apple's parameters.
///
/// Throws `ROUTE_NOT_FOUND`, `METHOD_NOT_ALLOWED` or `REQUEST_INVALID` (with one detail per problem).
#[wasm_bindgen(js_name = planRequest, unchecked_return_type = "RequestPlan")]
pub fn plan(
    method: JsValue,
    path: JsValue,
    #[wasm_bindgen(js_name = rawQuery)] raw_query: JsValue,
) -> Result<JsValue, JsValue> {
    let method = string_arg(&method, "method")?;
    let path = string_arg(&path, "path")?;
    let raw_query = if raw_query.is_undefined() || raw_query.is_null() {
        String::new()
    } else {
        string_arg(&raw_query, "rawQuery")?
    };
    let plan = plan_request(&method, &path, &raw_query)?;
    to_js(&plan)
}

#[cfg(all(
    feature = "gateway",
    not(any(feature = "any-request-only", feature = "triggers-only"))
))]
/// Turns Apple's answer into the caller's answer (flat records, or the error shape). The body comes
/// as text, as its bytes, or as the list of byte chunks it arrived in (copied straight into one
/// buffer here, so the host never joins them); the answer is JSON text.
#[wasm_bindgen(js_name = shapeResponse, unchecked_return_type = "ShapedResponse")]
pub fn shape(
    #[wasm_bindgen(js_name = operationId)] operation_id: JsValue,
    #[wasm_bindgen(js_name = upstreamStatus)] upstream_status: JsValue,
    #[wasm_bindgen(
        js_name = upstreamBody,
        unchecked_param_type = "string | Uint8Array | Uint8Array[]"
    )]
    upstream_body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ShapeOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let operation_id = string_arg(&operation_id, "operationId")?;
    let status = match upstream_status.as_f64() {
        Some(n) if (100.0..=599.0).contains(&n) && n.fract() == 0.0 => n as u16,
        _ => {
            return Err(options_error(
                "upstreamStatus must be an HTTP status (100 to 599)",
            ))
        }
    };
    // With `bytes: true` the answer's body is its UTF-8 bytes, which the host writes as they are.
    let as_bytes = options.is_object()
        && get(&options, "bytes")?
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
    // The body may come as text or as the raw bytes of the answer (no decode/re-encode in JS).
    let bytes = if let Some(bytes) = upstream_body.dyn_ref::<js_sys::Uint8Array>() {
        Some(bytes.to_vec())
    } else if Array::is_array(&upstream_body) {
        Some(join_chunks(upstream_body.unchecked_ref::<Array>())?)
    } else {
        None
    };
    let body = match bytes {
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                let shaped = crate::shape::error_response(&Error::new(
                    ErrorCode::UpstreamBadResponse,
                    "App Store Connect answered with a body that is not valid UTF-8 text",
                ));
                return Ok(shaped_to_js(shaped.status, shaped.body, as_bytes));
            }
        },
        None => string_arg(&upstream_body, "upstreamBody")?,
    };
    if !options.is_object() {
        return Err(options_error(
            "options must be an object like { baseUrl, path, query, upstreamOrigin, raw }",
        ));
    }
    let text = |key: &str| -> Result<String, JsValue> {
        match get(&options, key)? {
            Some(v) => string_arg(&v, key),
            None => Ok(String::new()),
        }
    };
    let ctx = ShapeContext {
        operation_id,
        base_url: text("baseUrl")?,
        path: text("path")?,
        query: text("query")?,
        upstream_origin: text("upstreamOrigin")?,
        raw: get(&options, "raw")?
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        outcome_hint: text("outcomeHint")?,
    };
    let shaped = shape_response(&ctx, status, &body);
    Ok(shaped_to_js(shaped.status, shaped.body, as_bytes))
}

#[cfg(all(
    feature = "gateway",
    not(any(feature = "any-request-only", feature = "triggers-only"))
))]
/// Checks the body of a write and returns the JSON:API document to send to Apple, or `null` when
/// the operation takes no body and none was given.
///
/// `body` is the request body's bytes (or text); `raw` is true for `X-ASC-Format: raw` (Apple's
/// own document), false for the flat form. Throws `BODY_NOT_ALLOWED`, `BODY_REQUIRED`,
/// `BODY_MALFORMED`, `BODY_TOO_LARGE`, `BODY_TOO_DEEP`, `BODY_DUPLICATE_KEY` or `BODY_INVALID`
/// (one detail per problem).
#[wasm_bindgen(js_name = prepareBody, unchecked_return_type = "string | null")]
pub fn prepare_body(
    #[wasm_bindgen(js_name = operationId)] operation_id: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] body: JsValue,
    raw: JsValue,
) -> Result<JsValue, JsValue> {
    let operation_id = string_arg(&operation_id, "operationId")?;
    let bytes = match body.dyn_ref::<js_sys::Uint8Array>() {
        Some(b) => b.to_vec(),
        None if body.is_undefined() || body.is_null() => Vec::new(),
        None => string_arg(&body, "body")?.into_bytes(),
    };
    let form = if raw.as_bool().unwrap_or(false) {
        crate::write::BodyForm::Raw
    } else {
        crate::write::BodyForm::Flat
    };
    match crate::write::prepare_body(&operation_id, &bytes, form) {
        Ok(Some(document)) => Ok(JsValue::from(document)),
        Ok(None) => Ok(JsValue::NULL),
        Err(e) => Err(e.into()),
    }
}

/// The chunks of a body (each a `Uint8Array`) copied, in order, into one buffer of their total size.
/// Anything else in the list is refused; so is a chunk whose length changed while the list was read
/// (an index getter may run JavaScript), rather than copied short or past the buffer.
#[cfg(all(
    feature = "gateway",
    not(any(feature = "any-request-only", feature = "triggers-only"))
))]
fn join_chunks(list: &Array) -> Result<Vec<u8>, JsValue> {
    let refused =
        || options_error("upstreamBody must be a string, a Uint8Array or an array of Uint8Array");
    let mut chunks = Vec::with_capacity(list.length() as usize);
    let mut total = 0usize;
    for chunk in list.iter() {
        let chunk: js_sys::Uint8Array = chunk.dyn_into().map_err(|_| refused())?;
        total = total
            .checked_add(chunk.length() as usize)
            .ok_or_else(refused)?;
        chunks.push(chunk);
    }
    let mut bytes = vec![0u8; total];
    let mut at = 0usize;
    for chunk in &chunks {
        let end = at
            .checked_add(chunk.length() as usize)
            .ok_or_else(refused)?;
        chunk.copy_to(bytes.get_mut(at..end).ok_or_else(refused)?);
        at = end;
    }
    if at != total {
        return Err(refused());
    }
    Ok(bytes)
}

/// `{ status, body }` for JavaScript: the body as text, or as a `Uint8Array` of its UTF-8 bytes
/// (no decoding to a string here and encoding back to bytes when the host writes it).
#[cfg(all(
    feature = "gateway",
    not(any(feature = "any-request-only", feature = "triggers-only"))
))]
fn shaped_to_js(status: u16, body: String, as_bytes: bool) -> JsValue {
    let result = Object::new();
    let body = if as_bytes {
        js_sys::Uint8Array::from(body.as_bytes()).into()
    } else {
        JsValue::from(body)
    };
    let _ = Reflect::set(&result, &"status".into(), &JsValue::from(status));
    let _ = Reflect::set(&result, &"body".into(), &body);
    result.into()
}

#[cfg(all(
    feature = "gateway",
    not(any(feature = "any-request-only", feature = "triggers-only"))
))]
/// The operation table: every operation with its path, method and parameters.
#[wasm_bindgen(js_name = operations, unchecked_return_type = "Array<Record<string, unknown>>")]
pub fn operations() -> Result<JsValue, JsValue> {
    to_js(&table_json())
}

#[cfg(all(
    feature = "gateway",
    not(any(feature = "any-request-only", feature = "triggers-only"))
))]
/// The error document `{"error": {status, code, message, details?}}` as JSON text, built by the
/// crate's one builder (`error::error_document`). The status comes from the code's row in
/// `errorCodes()`, or from `status` when the caller answers with another one (an HTTP error status,
/// 400 to 599: `UPSTREAM_OUTCOME_UNKNOWN` is 504 after a timeout); an unknown code is reported as
/// `INTERNAL` (500) with a fixed message.
#[wasm_bindgen(js_name = errorBody)]
pub fn error_body(
    code: JsValue,
    message: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "Array<{ code: string; message: string; parameter?: string }> | undefined"
    )]
    details: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | undefined")] status: JsValue,
) -> Result<String, JsValue> {
    let code = code.as_string().and_then(|c| ErrorCode::from_str_code(&c));
    let message = message.as_string().unwrap_or_default();
    let (code, message, status) = match code {
        Some(code) => {
            let status = status
                .as_f64()
                .filter(|s| s.fract() == 0.0 && (400.0..=599.0).contains(s))
                .map_or(code.http_status(), |s| s as u16);
            (code, message, status)
        }
        None => (ErrorCode::Internal, "The gateway failed unexpectedly while serving this request; the request id identifies it in the gateway log.".to_owned(), ErrorCode::Internal.http_status()),
    };
    let details = if Array::is_array(&details) {
        let text = JSON::stringify(&details)
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    } else {
        serde_json::Value::Null
    };
    Ok(crate::error::json_text(&error_document(
        status,
        code.as_str(),
        &message,
        details,
    )))
}

#[cfg(not(any(feature = "any-request-only", feature = "triggers-only")))]
/// Every error code with the HTTP status the gateway answers with.
#[cfg(feature = "json")]
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "Array<{ code: string; status: number }>")]
pub fn error_codes() -> Result<JsValue, JsValue> {
    let list: Vec<serde_json::Value> = ErrorCode::ALL
        .iter()
        .map(|code| serde_json::json!({ "code": code.as_str(), "status": code.http_status() }))
        .collect();
    to_js(&list)
}

// ---- Any request, checked against the spec pack (src/anyrequest/, src/body/) ----------------------

#[cfg(all(feature = "anyrequest", not(feature = "triggers-only")))]
#[wasm_bindgen(typescript_custom_section)]
const TS_ANY_REQUEST: &'static str = r#"
/** The request `planAnyRequest` checks: any operation of Apple's spec. */
export interface AnyRequest {
  /** GET, POST, PATCH or DELETE (any case). */
  method: string;
  /** Apple's path with ids filled in, e.g. "/v1/apps/6446998023/appInfos". */
  path: string;
  /** A raw query string, or name → string (Apple's form: "a,b", "10") | number | boolean | array. */
  query?: string | Record<string, string | number | boolean | Array<string | number | boolean> | null>;
  /** The JSON:API document (or its JSON text) for operations that take a body. */
  body?: unknown;
  /** Ask for flat records instead of Apple's document (checked to be a boolean; see AnyRequestPlan.shape). */
  shape?: boolean;
}

/** What to send upstream, from `planAnyRequest`. */
export interface AnyRequestPlan {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The upstream path (ids percent-encoded). */
  path: string;
  /** The canonical query without "?" (may be empty). */
  query: string;
  /** The body to send (compact JSON text), or null. */
  body: string | null;
  /** Apple's operationId. */
  operationId: string;
  /** The matched path template. */
  template: string;
  /** Deprecated parameters that were used (warnings). */
  deprecations: Problem[];
  /** Present (true) when the request asked for `shape: true`. */
  shape?: true;
}
"#;

#[cfg(all(feature = "anyrequest", not(feature = "triggers-only")))]
static SPEC_PACK: std::sync::OnceLock<crate::anyrequest::SpecPack> = std::sync::OnceLock::new();

#[cfg(all(feature = "anyrequest", not(feature = "triggers-only")))]
/// Reads the spec pack (the default export of `asc-connector-wasm/spec-pack`) for `planAnyRequest`.
///
/// The first pack loaded is kept for the life of the module; later calls return its summary.
#[wasm_bindgen(js_name = loadSpecPack, unchecked_return_type = "{ spec: string; operations: number }")]
pub fn load_spec_pack(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<JsValue, JsValue> {
    if SPEC_PACK.get().is_none() {
        let text = string_arg(&text, "the spec pack")?;
        let pack = crate::anyrequest::SpecPack::parse(&text)?;
        let _ = SPEC_PACK.set(pack);
    }
    let (spec, count) = SPEC_PACK
        .get()
        .map_or(("", 0), |p| (p.spec_version(), p.operations().len()));
    to_js(&serde_json::json!({ "spec": spec, "operations": count }))
}

#[cfg(all(feature = "anyrequest", not(feature = "triggers-only")))]
/// Checks any request of Apple's spec against the loaded spec pack and returns what to send.
///
/// `request` is an object `{method, path, query?, body?}` or its JSON text/bytes (duplicate keys
/// refused). Throws `SPEC_PACK_NOT_LOADED`, `REQUEST_TARGET_INVALID`, `ROUTE_NOT_FOUND` (nearest
/// paths in the message), `METHOD_NOT_ALLOWED`, `ID_INVALID`, `BODY_*`, or `REQUEST_INVALID` with one
/// detail per query parameter or body field (its name or JSON path in `parameter`).
#[wasm_bindgen(js_name = planAnyRequest, unchecked_return_type = "AnyRequestPlan")]
pub fn plan_any_request(
    #[wasm_bindgen(unchecked_param_type = "AnyRequest | string | Uint8Array")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let Some(pack) = SPEC_PACK.get() else {
        return Err(Error::new(
            ErrorCode::SpecPackNotLoaded,
            "call loadSpecPack(specPack) first, with the default export of asc-connector-wasm/spec-pack",
        )
        .into());
    };
    let bytes = if let Some(b) = request.dyn_ref::<js_sys::Uint8Array>() {
        b.to_vec()
    } else if let Some(s) = request.as_string() {
        s.into_bytes()
    } else if request.is_object() && !Array::is_array(&request) {
        JSON::stringify(&request)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| options_error("the request could not be read as JSON"))?
            .into_bytes()
    } else {
        return Err(options_error(
            "the request must be an object {method, path, query, body}, or its JSON text",
        ));
    };
    let plan = pack.plan_json(&bytes)?;
    to_js(&plan)
}

// ---- Triggers (src/triggers/, docs/TRIGGERS.md) ----
// One block, appended here so that it merges cleanly with edits at the top of this file.

#[wasm_bindgen(typescript_custom_section)]
#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
const TS_TRIGGER_TYPES: &'static str = r#"
/** One instant trigger: a route segment, its connector operation and Apple's event types. */
export interface TriggerFamily {
  family: string;
  operationId: string;
  eventTypes: string[];
}

/** What `planSubscribe` decided: reuse a webhook, or POST this document to /v1/webhooks. */
export type SubscribePlan =
  | { action: "reuse"; webhookId: string }
  | { action: "create"; document: string };

/** One review poll's parameters (GET /trigger/v1/apps/{id}/customerReviews). */
export interface ReviewPollRequest {
  appId: string;
  since?: string;
  rating?: string;
  territory?: string;
  /** 1 to 200 (default 200): Apple's page size and the most reviews one poll fires. */
  pageSize?: number;
  nowSeconds?: number;
}

/** The next step of a review poll. */
export type ReviewPollStep =
  | { fetch: { path: string; query: string } }
  | { done: { body: string; watermark: string; count: number; skipped: boolean } };
"#;

#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
fn bool_arg(value: &JsValue) -> bool {
    value.as_bool().unwrap_or(false)
}

#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
/// The instant-trigger families: `[{ family, operationId, eventTypes }]`.
#[wasm_bindgen(js_name = triggerFamilies, unchecked_return_type = "TriggerFamily[]")]
pub fn trigger_families() -> Result<JsValue, JsValue> {
    use crate::triggers::Family;
    let list: Vec<serde_json::Value> = Family::ALL
        .iter()
        .map(|f| {
            serde_json::json!({
                "family": f.slug(),
                "operationId": f.operation_id(),
                "eventTypes": f.event_types(),
            })
        })
        .collect();
    to_js(&serde_json::Value::Array(list))
}

#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
/// Reads the subscribe body (JSON text): `{ callbackUrl, name }`; throws `TRIGGER_BODY_INVALID` or `CALLBACK_URL_*`.
#[wasm_bindgen(js_name = readSubscribeBody, unchecked_return_type = "{ callbackUrl: string; name: string | null }")]
pub fn read_subscribe_body_js(
    body: JsValue,
    #[wasm_bindgen(js_name = allowLoopbackHttp, unchecked_param_type = "boolean | undefined")]
    allow_loopback_http: JsValue,
) -> Result<JsValue, JsValue> {
    let body = string_arg(&body, "body")?;
    let req = crate::triggers::read_subscribe_body(&body, bool_arg(&allow_loopback_http))?;
    to_js(&serde_json::json!({ "callbackUrl": req.callback_url, "name": req.name }))
}

#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
/// Decides how to subscribe from Apple's list of the app's webhooks (JSON text); throws
/// `TRIGGER_FAMILY_UNKNOWN`, `WEBHOOK_LIMIT_REACHED` (details list this connector's webhooks) or
/// `UPSTREAM_BAD_RESPONSE`.
#[wasm_bindgen(js_name = planSubscribe, unchecked_return_type = "SubscribePlan")]
pub fn plan_subscribe_js(
    #[wasm_bindgen(js_name = appId)] app_id: JsValue,
    family: JsValue,
    #[wasm_bindgen(js_name = callbackUrl)] callback_url: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] name: JsValue,
    #[wasm_bindgen(js_name = listBody)] list_body: JsValue,
    secret: JsValue,
) -> Result<JsValue, JsValue> {
    use crate::triggers::{plan_subscribe, Family, SubscribePlan, SubscribeRequest};
    let app_id = string_arg(&app_id, "appId")?;
    let family = Family::from_slug(&string_arg(&family, "family")?)?;
    let request = SubscribeRequest {
        callback_url: string_arg(&callback_url, "callbackUrl")?,
        name: name.as_string(),
    };
    let list_body = string_arg(&list_body, "listBody")?;
    let secret = string_arg(&secret, "secret")?;
    let plan = plan_subscribe(&app_id, family, &request, &list_body, &secret)?;
    to_js(&match plan {
        SubscribePlan::Reuse { webhook_id } => {
            serde_json::json!({ "action": "reuse", "webhookId": webhook_id })
        }
        SubscribePlan::Create { document } => {
            serde_json::json!({ "action": "create", "document": crate::error::json_text(&document) })
        }
    })
}

#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
/// Apple's id of the webhook it just created; throws `UPSTREAM_BAD_RESPONSE`.
#[wasm_bindgen(js_name = createdWebhookId)]
pub fn created_webhook_id_js(body: JsValue) -> Result<String, JsValue> {
    let body = string_arg(&body, "body")?;
    Ok(crate::triggers::created_webhook_id(&body)?)
}

#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
/// `"delete"` or `"gone"` for a webhook, from Apple's list of the app's webhooks; throws
/// `WEBHOOK_NOT_OURS` for a webhook this connector did not create.
#[wasm_bindgen(js_name = planUnsubscribe, unchecked_return_type = "\"delete\" | \"gone\"")]
pub fn plan_unsubscribe_js(
    #[wasm_bindgen(js_name = webhookId)] webhook_id: JsValue,
    #[wasm_bindgen(js_name = listBody)] list_body: JsValue,
) -> Result<String, JsValue> {
    use crate::triggers::{plan_unsubscribe, UnsubscribePlan};
    let webhook_id = string_arg(&webhook_id, "webhookId")?;
    let list_body = string_arg(&list_body, "listBody")?;
    match plan_unsubscribe(&webhook_id, &list_body)? {
        UnsubscribePlan::Delete => Ok("delete".to_owned()),
        UnsubscribePlan::AlreadyGone => Ok("gone".to_owned()),
    }
}

#[cfg(all(feature = "triggers", not(feature = "any-request-only")))]
/// One step of a review poll: call it with the Apple pages read so far (none at first) until it
/// answers `{ done }`; `{ fetch: { path, query } }` names the next Apple request.
#[wasm_bindgen(js_name = reviewPoll, unchecked_return_type = "ReviewPollStep")]
pub fn review_poll_js(
    #[wasm_bindgen(unchecked_param_type = "ReviewPollRequest")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] pages: JsValue,
) -> Result<JsValue, JsValue> {
    use crate::triggers::{review_poll, PollStep, ReviewPollRequest};
    if !request.is_object() {
        return Err(options_error(
            "request must be an object like { appId, since, rating, territory, pageSize }",
        ));
    }
    let text = |key: &str| -> Result<Option<String>, JsValue> {
        match get(&request, key)? {
            Some(v) => Ok(Some(string_arg(&v, key)?)),
            None => Ok(None),
        }
    };
    let page_size = match get(&request, "pageSize")? {
        None => 0,
        Some(v) => match v.as_f64() {
            Some(n) if (1.0..=200.0).contains(&n) && n.fract() == 0.0 => n as u32,
            _ => {
                return Err(options_error(
                    "pageSize must be a whole number from 1 to 200",
                ))
            }
        },
    };
    let now = now_seconds(&get(&request, "nowSeconds")?.unwrap_or(JsValue::UNDEFINED))?;
    let req = ReviewPollRequest {
        app_id: text("appId")?.unwrap_or_default(),
        since: text("since")?,
        rating: text("rating")?,
        territory: text("territory")?,
        page_size,
        now: i64::try_from(now).unwrap_or(i64::MAX),
    };
    if !Array::is_array(&pages) {
        return Err(options_error(
            "pages must be an array of Apple's answer bodies (strings)",
        ));
    }
    let mut bodies = Vec::new();
    for page in Array::from(&pages).iter() {
        bodies.push(
            page.as_string()
                .ok_or_else(|| options_error("pages must be an array of strings"))?,
        );
    }
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let step = review_poll(&req, &refs)?;
    to_js(&match step {
        PollStep::Fetch { path, query } => {
            serde_json::json!({ "fetch": { "path": path, "query": query } })
        }
        PollStep::Done(done) => serde_json::json!({ "done": {
            "body": crate::error::json_text(&done.body()),
            "watermark": done.watermark,
            "count": done.value.len(),
            "skipped": done.skipped,
        }}),
    })
}
