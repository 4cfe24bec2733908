//! The JavaScript surface of the crate: the only file that knows about `wasm_bindgen` and `JsValue`.
//!
//! Everything here is a thin conversion: read JS values defensively (wrong types become
//! `OPTIONS_INVALID` errors, never traps), call the pure core, and turn results into plain JS
//! objects. Errors cross the boundary in one place, [`to_js_error`], as real `Error` objects with
//! `code`, `status` and `details` set. The clock is read only here, and only when the caller did not
//! pass a time.

#[cfg(feature = "json")]
use js_sys::JSON;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
#[cfg(feature = "gateway")]
use wasm_bindgen::JsCast;

use crate::error::{Detail, Error, ErrorCode};
#[cfg(feature = "inspect")]
use crate::inspect::inspect_token;
use crate::key::PrivateKey;
#[cfg(feature = "gateway")]
use crate::operations::{plan_request, table_json};
#[cfg(feature = "gateway")]
use crate::shape::{shape_response, ShapeContext};
use crate::token::{self, KeyType, TokenOptions, DEFAULT_LIFETIME_SECONDS};

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
}

/** The caller-facing answer built by `shapeResponse`. */
export interface ShapedResponse {
  status: number;
  /** JSON text. */
  body: string;
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
    to_js_error(&Error::new(ErrorCode::OptionsInvalid, message))
}

/// Parses JSON made by this crate into a JS value.
#[cfg(feature = "json")]
fn json_to_js(value: &serde_json::Value) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|_| {
        to_js_error(&Error::new(
            ErrorCode::Internal,
            "could not encode a result",
        ))
    })?;
    JSON::parse(&text)
}

/// Seconds since 1970: the caller's value, or the host clock when none was given.
fn now_seconds(now: &JsValue) -> Result<u64, JsValue> {
    if now.is_undefined() || now.is_null() {
        return Ok((js_sys::Date::now() / 1000.0).floor() as u64);
    }
    match now.as_f64() {
        Some(n) if (0.0..1e12).contains(&n) => Ok(n.floor() as u64),
        _ => Err(to_js_error(&Error::new(
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
    let key_type = match (issuer_id, individual) {
        (Some(_), true) => {
            return Err(to_js_error(&Error::new(
                ErrorCode::KeyTypeConflict,
                "an individual key has no issuer ID: leave issuerId out when individual is true",
            )))
        }
        (Some(issuer_id), false) => KeyType::Team { issuer_id },
        (None, true) => KeyType::Individual,
        (None, false) => {
            return Err(to_js_error(&Error::new(
                ErrorCode::KeyTypeConflict,
                "say whose key this is: give issuerId for a team key, or individual: true for an individual key",
            )))
        }
    };
    let token_options = TokenOptions {
        key_id,
        key_type,
        lifetime_seconds,
        scope,
    };
    // Validate the cheap options before parsing the key, so option mistakes are reported first.
    token_options.validate().map_err(|e| to_js_error(&e))?;
    let key = PrivateKey::parse(&private_key).map_err(|e| to_js_error(&e))?;
    Ok((key, token_options))
}

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
    token::mint_token(&key, &options, now).map_err(|e| to_js_error(&e))
}

/// Keeps one token and re-mints it shortly before it expires.
#[wasm_bindgen(js_name = TokenMinter)]
pub struct JsTokenMinter {
    inner: token::TokenMinter,
}

#[wasm_bindgen(js_class = TokenMinter)]
impl JsTokenMinter {
    /// Parses the key and checks the options once.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TokenOptions")] options: JsValue,
    ) -> Result<JsTokenMinter, JsValue> {
        let (key, options) = read_options(&options)?;
        let inner = token::TokenMinter::new(key, options).map_err(|e| to_js_error(&e))?;
        Ok(JsTokenMinter { inner })
    }

    /// The cached token, or a fresh one when it is close to expiry. `nowSeconds` defaults to the clock.
    pub fn token(
        &mut self,
        #[wasm_bindgen(js_name = nowSeconds, unchecked_param_type = "number | undefined")]
        now_seconds_arg: JsValue,
    ) -> Result<String, JsValue> {
        let now = now_seconds(&now_seconds_arg)?;
        self.inner.token(now).map_err(|e| to_js_error(&e))
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
    let value = serde_json::to_value(&inspection).map_err(|_| {
        to_js_error(&Error::new(
            ErrorCode::Internal,
            "could not encode the inspection",
        ))
    })?;
    json_to_js(&value)
}

/// The SPKI PEM of a private key's public half (what Apple and verifiers need; not secret).
#[wasm_bindgen(js_name = publicKeyPem)]
pub fn public_key_pem(
    #[wasm_bindgen(js_name = privateKey)] private_key: JsValue,
) -> Result<String, JsValue> {
    let text = string_arg(&private_key, "privateKey")?;
    let key = PrivateKey::parse(&text).map_err(|e| to_js_error(&e))?;
    Ok(key.public_key_pem())
}

#[cfg(feature = "gateway")]
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
    let plan = plan_request(&method, &path, &raw_query).map_err(|e| to_js_error(&e))?;
    let value = serde_json::to_value(&plan).map_err(|_| {
        to_js_error(&Error::new(
            ErrorCode::Internal,
            "could not encode the plan",
        ))
    })?;
    json_to_js(&value)
}

#[cfg(feature = "gateway")]
/// Turns Apple's answer into the caller's answer (flat records, or the error shape). String in, string out.
#[wasm_bindgen(js_name = shapeResponse, unchecked_return_type = "ShapedResponse")]
pub fn shape(
    #[wasm_bindgen(js_name = operationId)] operation_id: JsValue,
    #[wasm_bindgen(js_name = upstreamStatus)] upstream_status: JsValue,
    #[wasm_bindgen(js_name = upstreamBody, unchecked_param_type = "string | Uint8Array")]
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
    // The body may come as text or as the raw bytes of the answer (no decode/re-encode in JS).
    let body = match upstream_body.dyn_ref::<js_sys::Uint8Array>() {
        Some(bytes) => match String::from_utf8(bytes.to_vec()) {
            Ok(text) => text,
            Err(_) => {
                let shaped = crate::shape::error_response(&Error::new(
                    ErrorCode::UpstreamBadResponse,
                    "App Store Connect answered with a body that is not valid UTF-8 text",
                ));
                return Ok(shaped_to_js(shaped.status, shaped.body));
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
    };
    let shaped = shape_response(&ctx, status, &body);
    Ok(shaped_to_js(shaped.status, shaped.body))
}

/// `{ status, body }` for JavaScript.
#[cfg(feature = "gateway")]
fn shaped_to_js(status: u16, body: String) -> JsValue {
    let result = Object::new();
    let _ = Reflect::set(&result, &"status".into(), &JsValue::from(status));
    let _ = Reflect::set(&result, &"body".into(), &JsValue::from(body));
    result.into()
}

#[cfg(feature = "gateway")]
/// The operation table: every operation with its path, method and parameters.
#[wasm_bindgen(js_name = operations, unchecked_return_type = "Array<Record<string, unknown>>")]
pub fn operations() -> Result<JsValue, JsValue> {
    json_to_js(&table_json())
}

/// Every error code with the HTTP status the gateway answers with.
#[cfg(feature = "json")]
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "Array<{ code: string; status: number }>")]
pub fn error_codes() -> Result<JsValue, JsValue> {
    let list: Vec<serde_json::Value> = ErrorCode::ALL
        .iter()
        .map(|code| serde_json::json!({ "code": code.as_str(), "status": code.http_status() }))
        .collect();
    json_to_js(&serde_json::Value::Array(list))
}
