// The gateway's own errors and the one error shape every caller sees:
// {"error":{"status","code","message","details"}}. Codes and statuses mirror src/error.rs (the wasm
// `errorCodes()` table); a test checks that every code used here exists there with the same status.
// Runtime-agnostic: fetch API types only.

/** Codes the gateway raises itself, with their HTTP status (same as src/error.rs). */
export const GATEWAY_CODES = Object.freeze({
  UNAUTHENTICATED: 401,
  CALLER_KEYS_NOT_ALLOWED: 403,
  CREDENTIALS_MISSING: 401,
  HEADER_INVALID: 400,
  REQUEST_TOO_LARGE: 431,
  REQUEST_TARGET_INVALID: 400,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UPSTREAM_TOO_LARGE: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_UNREACHABLE: 502,
  INTERNAL: 500,
});

/** An error that ends a request with a known code. `details` is `[{code, message, parameter?}]`. */
export class GatewayError extends Error {
  constructor(code, message, details = []) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = GATEWAY_CODES[code] ?? 500;
    this.details = details;
  }
}

/** Headers every gateway answer carries. */
export function baseHeaders(requestId) {
  const headers = new Headers();
  headers.set('Content-Type', 'application/json; charset=utf-8');
  headers.set('Cache-Control', 'no-store');
  headers.set('X-Content-Type-Options', 'nosniff');
  if (requestId) headers.set('X-Request-Id', requestId);
  return headers;
}

/** The error document for a code, message and optional details. */
export function errorBody(status, code, message, details) {
  const error = { status, code, message };
  if (Array.isArray(details) && details.length > 0) error.details = details;
  return JSON.stringify({ error });
}

/**
 * Turns anything thrown while serving a request into { status, code, body }. Errors with a stable
 * `.code` and numeric `.status` (ours and the wasm package's) keep them; anything else becomes
 * INTERNAL with a fixed message, so unexpected text (which could carry request data) never leaks.
 */
export function describeError(err) {
  if (err && typeof err.code === 'string' && Number.isInteger(err.status) && err.status >= 400 && err.status <= 599) {
    const details = Array.isArray(err.details) ? err.details.map(cleanDetail) : [];
    const message = typeof err.message === 'string' && err.message ? err.message : err.code;
    return { status: err.status, code: err.code, body: errorBody(err.status, err.code, message, details) };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    body: errorBody(500, 'INTERNAL', 'The gateway failed unexpectedly while serving this request; the request id identifies it in the gateway log.'),
  };
}

function cleanDetail(d) {
  const out = { code: String(d && d.code), message: String(d && d.message) };
  if (d && typeof d.parameter === 'string') out.parameter = d.parameter;
  return out;
}

/** A Response in the error shape. */
export function errorResponse(err, requestId, extraHeaders) {
  const { status, code, body } = describeError(err);
  const headers = baseHeaders(requestId);
  if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
  return { response: new Response(body, { status, headers }), status, code };
}
