// The gateway's own errors and the one error shape every caller sees:
// {"error":{"status","code","message","details"}}. Codes and their HTTP statuses come from the one
// table in src/error.rs, through the wasm `errorCodes()`, and the document itself from the crate's
// one builder, through the wasm `errorBody()`; nothing here restates either.
// Runtime-agnostic: fetch API types only.
import { errorBody, errorCodes } from 'asc-connector-wasm';

/** HTTP status of every error code (src/error.rs). */
export const STATUS_OF = new Map(errorCodes().map(({ code, status }) => [code, status]));

/** An error that ends a request with a known code. `details` is `[{code, message, parameter?}]`. */
export class GatewayError extends Error {
  constructor(code, message, details = []) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = STATUS_OF.get(code) ?? 500;
    this.details = details;
  }
}

/**
 * The headers every gateway answer carries, with its X-Request-Id, as a new plain object of
 * lower-case name → value (the caller may add to it). Plain, so the Node entry never builds a fetch
 * `Headers`: the first one loads Node's fetch implementation (undici), ~1.8 MB of live heap, which
 * moves the gateway's old generation past V8's threshold for starting major GCs (BENCHMARKS.md,
 * gateway CPU). A literal, not a spread of a constant plus the id: the request path builds no object
 * as `{ ...a, more }` (upstream.js, callUpstream's return).
 */
export function baseHeaders(requestId) {
  return {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-request-id': requestId,
  };
}

export { errorBody };

/**
 * Turns anything thrown while serving a request into { status, code, body }. Errors with one of
 * our stable codes and a numeric `.status` (ours and the wasm package's) keep them; anything else becomes
 * INTERNAL with a fixed message, so unexpected text (which could carry request data) never leaks.
 */
export function describeError(err) {
  if (err && typeof err.code === 'string' && STATUS_OF.has(err.code) && Number.isInteger(err.status) && err.status >= 400 && err.status <= 599) {
    const details = Array.isArray(err.details) ? err.details.map(cleanDetail) : [];
    const message = typeof err.message === 'string' && err.message ? err.message : err.code;
    // The status the caller gets (UPSTREAM_OUTCOME_UNKNOWN is 504 after a timeout) is the document's.
    const body = errorBody(err.code, message, details, err.status);
    return { status: err.status, code: err.code, body };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    body: errorBody('INTERNAL', 'The gateway failed unexpectedly while serving this request; the request id identifies it in the gateway log.'),
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
  const headers = new Headers(baseHeaders(requestId));
  if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
  return { response: new Response(body, { status, headers }), status, code };
}
