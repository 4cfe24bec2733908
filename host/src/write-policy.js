// Sending a write (POST, PATCH, DELETE) to Apple at most once. A request that may have reached
// Apple and changed something is never sent again: the only retries are those where Apple
// certainly did nothing — a 401 (the token was refused; re-mint and retry once), a 429 (the rate
// limit refused it; wait within the budget, honouring Retry-After) and a connection that failed
// before any byte was sent (refused, name not resolved; retried once). Anything after the request
// may have left — a timeout, a reset, a cut-off or oversized answer, a 5xx — ends the request with
// UPSTREAM_OUTCOME_UNKNOWN, and the caller is told to look before trying again.
//
// One function, `sendWriteOnce`, for every write the gateway sends (POST /v1/request today; the
// named write actions are meant to call the same one). GETs keep upstream.js's `callUpstream`.
// Runtime-agnostic (fetch API only).
import { GatewayError } from './errors.js';
import { UPSTREAM_DEFAULTS, backoffDelayMs, parseRetryAfter, readCapped } from './upstream.js';

/**
 * Error codes (Node's `err.code`, undici's `err.cause.code`) meaning the connection was never
 * made, so the request cannot have reached Apple.
 */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** True when a fetch rejection says the connection was never made (nothing was sent). */
export function failedBeforeSending(err) {
  const code = err?.code ?? err?.cause?.code;
  return typeof code === 'string' && NOT_SENT.has(code);
}

/** The error for a write whose outcome cannot be known; `what` says what happened. */
export function outcomeUnknown(what) {
  return new GatewayError(
    'UPSTREAM_OUTCOME_UNKNOWN',
    `${what}. The request may have reached App Store Connect and changed something, so the gateway did not send it again; check the resource in App Store Connect before trying again.`,
  );
}

function inWords(ms) {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** True when a 2xx body is present and not JSON text (a cut-off answer). */
function unreadable(bytes) {
  if (bytes.byteLength === 0) return false;
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return false;
  } catch {
    return true;
  }
}

/**
 * Sends one write under the rule above. `getToken({ fresh })` returns { token, minted, invalidate };
 * `body` is JSON text or null; `deps` has fetch, clockMs, wallMs, random, sleep, setTimer,
 * clearTimer; `policy` overrides UPSTREAM_DEFAULTS. Resolves to { status, headers, body (bytes),
 * retries, minted } for a status below 500 (a 429 that could not be waited out is returned as Apple
 * sent it); throws UPSTREAM_OUTCOME_UNKNOWN (502) once the request may have reached Apple and no
 * usable answer came back, UPSTREAM_UNREACHABLE (502) when the connection could not be made twice,
 * and UPSTREAM_TIMEOUT (504) when the budget ran out before anything was sent.
 */
export async function sendWriteOnce({ url, method, body, getToken, deps, policy }) {
  const p = { ...UPSTREAM_DEFAULTS, ...policy };
  const started = deps.clockMs();
  let retries = 0;
  let backoffs = 0;
  let reminted = false;
  let reconnected = false;
  let tok = await getToken({ fresh: false });
  let minted = tok.minted;
  for (;;) {
    const remaining = p.budgetMs - (deps.clockMs() - started);
    if (remaining <= 0) {
      // Only reached after answers that changed nothing (401, 429, no connection).
      throw new GatewayError('UPSTREAM_TIMEOUT', `App Store Connect could not take the request within the gateway's budget of ${inWords(p.budgetMs)}; nothing was changed, try again later.`);
    }
    const timeoutMs = Math.max(1, Math.min(p.attemptTimeoutMs, remaining));
    const controller = new AbortController();
    let timedOut = false;
    const timer = deps.setTimer(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let response;
    let bytes;
    try {
      const headers = { Authorization: `Bearer ${tok.token}`, Accept: 'application/json' };
      if (body !== null && body !== undefined) headers['Content-Type'] = 'application/json';
      try {
        response = await deps.fetch(url, { method, headers, body: body ?? undefined, redirect: 'manual', signal: controller.signal });
      } catch (err) {
        if (!timedOut && failedBeforeSending(err)) {
          if (!reconnected) {
            reconnected = true;
            retries += 1;
            continue;
          }
          throw new GatewayError('UPSTREAM_UNREACHABLE', 'App Store Connect could not be reached (connection refused or name not resolved); nothing was sent, try again later.');
        }
        throw outcomeUnknown(timedOut ? `App Store Connect did not answer within ${inWords(timeoutMs)}` : 'The connection to App Store Connect failed after the request was sent');
      }
      try {
        bytes = await readCapped(response, p.maxBodyBytes);
      } catch (err) {
        if (err instanceof GatewayError && err.code === 'UPSTREAM_TOO_LARGE') throw outcomeUnknown(`App Store Connect answered ${response.status} with more than ${p.maxBodyBytes} bytes`);
        throw outcomeUnknown(timedOut ? `App Store Connect's answer did not arrive within ${inWords(timeoutMs)}` : `App Store Connect's answer (status ${response.status}) was cut off`);
      }
    } finally {
      deps.clearTimer(timer);
    }
    const status = response.status;
    if (status === 401 && !reminted) {
      // Apple's 401 never says why; the request was refused, so one fresh token may be tried.
      reminted = true;
      retries += 1;
      tok.invalidate();
      tok = await getToken({ fresh: true });
      minted = minted || tok.minted;
      continue;
    }
    if (status === 429 && backoffs < p.maxRetries) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), deps.wallMs());
      const wait = retryAfter != null
        ? retryAfter + Math.round(Math.min(250, retryAfter * 0.1) * deps.random())
        : backoffDelayMs(backoffs, p, deps.random);
      if (wait <= p.backoffCapMs && deps.clockMs() - started + wait < p.budgetMs) {
        backoffs += 1;
        retries += 1;
        await deps.sleep(wait);
        continue;
      }
    }
    if (status >= 500) throw outcomeUnknown(`App Store Connect answered ${status}`);
    if (status >= 200 && status < 300 && unreadable(bytes)) throw outcomeUnknown(`App Store Connect answered ${status} with a body that is not complete JSON`);
    return { status, headers: response.headers, body: bytes, retries, minted };
  }
}
