// The gateway's own errors and the one error shape every caller sees:
// {"error":{"status","code","message","details"}}. Codes and their HTTP statuses come from the one
// table in src/error.rs, through the wasm `errorCodes()`; nothing here restates them.
// Runtime-agnostic: fetch API types only.
import { errorCodes } from 'asc-connector-wasm';

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
