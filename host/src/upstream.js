// Upstream policy in one place: every call to Apple has a per-attempt timeout and the whole request a
// total budget that fits inside Power Platform's 120 s; GET is retried on 429/503 with capped
// exponential backoff and jitter (honouring Retry-After); after a 401 the token is re-minted and the
// request retried once; bodies larger than the cap are refused. Runtime-agnostic (fetch API only).
//
// Writes are never sent twice. A write is retried only when Apple cannot have acted on it: after its
// 401 (re-mint, once), its 429 (within the budget, as reads), or a connection that failed before the
// request was sent (refused, name not resolved). Once it may have reached Apple (timeout, reset,
// an answer cut off) the caller gets UPSTREAM_OUTCOME_UNKNOWN (504 after a timeout, else 502) with
// the read that shows whether it was applied; Apple's own 5xx answer is passed on, not retried.
import { GatewayError } from './errors.js';

/** Defaults; each can be overridden through the gateway config (tests shorten them). */
export const UPSTREAM_DEFAULTS = Object.freeze({
  /** One attempt (connect + headers + body) may take this long. */
  attemptTimeoutMs: 30_000,
  /** All attempts and waits together stay under Power Platform's 120 s request limit. */
  budgetMs: 100_000,
  /** Largest upstream body read; Apple's largest List Apps page with includes is far below. */
  maxBodyBytes: 8 * 1024 * 1024,
  /** Retries after 429/503 (the 401 re-mint retry is separate). */
  maxRetries: 4,
  /** First backoff step when Apple sends no Retry-After. */
  backoffBaseMs: 500,
  /** Longest single wait, whether from backoff or Retry-After. */
  backoffCapMs: 20_000,
});

/** Statuses worth retrying for a GET. */
const RETRYABLE = new Set([429, 503]);
/** Statuses worth retrying for a write: only Apple's "too many requests", which it refused unread. */
const RETRYABLE_WRITE = new Set([429]);

/**
 * Error codes of a connection that failed before any byte of the request was sent (Node's and
 * undici's names; looked for on the error and its causes). Anything else may have reached Apple.
 */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether a fetch failure certainly happened before the request was sent. */
export function failedBeforeSending(err) {
  let e = err;
  for (let i = 0; i < 5 && e; i += 1) {
    if (typeof e.code === 'string' && NOT_SENT.has(e.code)) return true;
    e = e.cause;
  }
  return false;
}

/** The error for a write that may have been applied: 504 after a timeout, else 502. */
export function outcomeUnknown(write, why, timedOut) {
  const err = new GatewayError(
    'UPSTREAM_OUTCOME_UNKNOWN',
    `${write.operationId} may have been applied by App Store Connect, but no complete answer came (${why}); the gateway did not send it again. To check: ${write.outcomeHint}.`,
  );
  if (timedOut) err.status = 504;
  return err;
}

/**
 * Parses Retry-After (delta seconds or an HTTP date) into milliseconds, or null when absent or
 * unusable. `nowMs` is the wall clock used for the date form.
 */
export function parseRetryAfter(value, nowMs) {
  if (value == null) return null;
  const text = String(value).trim();
  if (/^\d{1,7}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/** Backoff before retry number `attempt` (0-based): exponential, capped, with ±25 % jitter. */
export function backoffDelayMs(attempt, { backoffBaseMs, backoffCapMs }, random) {
  const exp = Math.min(backoffCapMs, backoffBaseMs * 2 ** attempt);
  return Math.round(Math.min(backoffCapMs, exp * (0.75 + 0.5 * random())));
}

/** No body at all (204, HEAD, or a runtime that gives no stream). */
const EMPTY = new Uint8Array(0);

/**
 * Reads a body as raw bytes up to `maxBytes`: a Uint8Array (the wasm shaper decodes the UTF-8
 * itself), or with `{ chunks: true }` the list of Uint8Arrays it arrived in, never joined (the wasm
 * shaper takes the list and copies each piece once, straight into its own memory). A declared
 * Content-Length over the cap is refused before reading. A fetch whose body offers
 * `readAll(maxBytes)` (node-fetch.js) is read with it, in one promise; otherwise the stream reader is
 * used, and an unencoded body of a declared length within the cap is read straight into a buffer
 * of that size. Either way reading stops, cancelling the stream, as soon as the cap is passed, so
 * an oversized body is never buffered whole.
 */
export async function readCapped(response, maxBytes, { chunks: asChunks = false } = {}) {
  const header = response.headers.get('content-length');
  const declared = header === null ? NaN : Number(header);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(maxBytes);
  }
  if (!response.body) return asChunks ? [] : EMPTY;
  if (typeof response.body.readAll === 'function') {
    // readAll destroys the stream itself when the cap is passed, and answers null.
    const list = await response.body.readAll(maxBytes);
    if (list === null) throw tooLarge(maxBytes);
    return asChunks ? list : join(list);
  }
  const reader = response.body.getReader();
  // One buffer of the declared size when the length is known and is the length of what we read
  // (with a Content-Encoding it is the compressed size, and the runtime hands over decoded bytes).
  const encoding = response.headers.get('content-encoding');
  const unencoded = encoding === null || /^\s*identity\s*$/i.test(encoding);
  let buffer = !asChunks && Number.isInteger(declared) && declared > 0 && unencoded ? new Uint8Array(declared) : null;
  let chunks = null;
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const end = total + value.byteLength;
    if (end > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    if (buffer !== null && end <= buffer.byteLength) {
      buffer.set(value, total);
    } else {
      // No (or a too small) declared length: collect chunks and join them at the end.
      if (chunks === null) chunks = buffer !== null && total > 0 ? [buffer.subarray(0, total)] : [];
      buffer = null;
      chunks.push(value);
    }
    total = end;
  }
  if (buffer !== null) return total === buffer.byteLength ? buffer : buffer.subarray(0, total);
  if (asChunks) return chunks ?? [];
  return chunks === null ? EMPTY : join(chunks);
}

/** The chunks of a body as one Uint8Array (the chunk itself when there is only one). */
function join(chunks) {
  if (chunks.length === 0) return EMPTY;
  if (chunks.length === 1) return chunks[0];
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

function tooLarge(maxBytes) {
  return new GatewayError('UPSTREAM_TOO_LARGE', `App Store Connect answered with more than ${maxBytes} bytes; the gateway accepts at most that. Ask for fewer records (limit) or fewer related resources (include, limit[...]).`);
}

/**
 * The abort signal of one attempt, for a fetch that says it accepts a plain one (`fetch.plainSignal`,
 * the Node entry's node-fetch.js): `aborted` and one `onabort` callback, without the EventTarget
 * machinery of an AbortController, which costs measurably on every request. Other fetches get a
 * real AbortSignal.
 */
class PlainAbort {
  constructor() {
    this.signal = { plain: true, aborted: false, onabort: null };
  }

  abort() {
    const s = this.signal;
    if (s.aborted) return;
    s.aborted = true;
    if (s.onabort) s.onabort();
  }
}

/**
 * One attempt: fetch with a timeout covering headers and body. Returns { status, headers, body }
 * where body is the raw bytes (a Uint8Array, or with `chunks` the list of them: readCapped).
 * Throws GatewayError UPSTREAM_TIMEOUT / UPSTREAM_UNREACHABLE / UPSTREAM_TOO_LARGE.
 */
export async function attempt({ fetch, url, token, timeoutMs, maxBodyBytes, setTimer, clearTimer, method = 'GET', body = null, chunks = false }) {
  const controller = fetch.plainSignal === true ? new PlainAbort() : new AbortController();
  let timedOut = false;
  let answered = false;
  const timer = setTimer(() => {
    timedOut = true;
    controller.abort();
  }, Math.max(1, timeoutMs));
  try {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    const init = { method, headers, redirect: 'manual', signal: controller.signal };
    if (body !== null) {
      headers['Content-Type'] = 'application/json';
      init.body = body;
    }
    const response = await fetch(url, init);
    answered = true;
    let bytes;
    try {
      bytes = await readCapped(response, maxBodyBytes, { chunks });
    } catch (err) {
      // Too large: Apple did answer, so for a write the request certainly reached it.
      if (err instanceof GatewayError) {
        err.sent = true;
        err.why = `the answer (status ${response.status}) was larger than ${maxBodyBytes} bytes`;
      }
      throw err;
    }
    return { status: response.status, headers: response.headers, body: bytes };
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    // `sent`: the request may have reached Apple (anything but a failure to connect at all).
    const sent = answered || !failedBeforeSending(err);
    if (timedOut) {
      const limit = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
      throw Object.assign(new GatewayError('UPSTREAM_TIMEOUT', `App Store Connect did not answer within ${limit}; try again later.`), { sent: true, why: `no answer within ${limit}` });
    }
    throw Object.assign(new GatewayError('UPSTREAM_UNREACHABLE', 'App Store Connect could not be reached (connection refused, reset or name not resolved); try again later.'), {
      sent,
      why: answered ? 'the answer was cut off' : 'the connection failed or was reset',
    });
  } finally {
    clearTimer(timer);
  }
}

/**
 * Calls Apple for one planned request with the whole policy. `getToken({ fresh })` returns
 * { token, minted, invalidate } (fresh: the previous token was refused). Returns
 * { status, headers, body, retries, minted }, where a 429/503 that could not be retried within the
 * budget is returned as Apple sent it (the shaper turns it into the error shape). `method` and
 * `body` (JSON text or null) are what to send; `write` ({ operationId, outcomeHint }) marks a write,
 * which is never sent again once it may have reached Apple (see the header). With `chunks` the
 * answer's body is the list of Uint8Arrays it arrived in (for the wasm shaper), not one Uint8Array.
 */
export async function callUpstream({ url, method = 'GET', body = null, write = null, getToken, deps, policy, chunks = false }) {
  const p = { ...UPSTREAM_DEFAULTS, ...policy };
  const started = deps.clockMs();
  let retries = 0;
  let backoffs = 0;
  let reminted = false;
  let tok = await getToken({ fresh: false });
  let minted = tok.minted;
  for (;;) {
    const remaining = p.budgetMs - (deps.clockMs() - started);
    if (remaining <= 0) {
      throw new GatewayError('UPSTREAM_TIMEOUT', `App Store Connect did not answer within the gateway's budget of ${Math.round(p.budgetMs / 1000)} s; try again later.`);
    }
    let res;
    try {
      res = await attempt({
        fetch: deps.fetch,
        url,
        method,
        body,
        chunks,
        token: tok.token,
        timeoutMs: Math.min(p.attemptTimeoutMs, remaining),
        maxBodyBytes: p.maxBodyBytes,
        setTimer: deps.setTimer,
        clearTimer: deps.clearTimer,
      });
    } catch (err) {
      if (write === null || !(err instanceof GatewayError) || err.sent === undefined) throw err;
      if (err.sent) throw outcomeUnknown(write, err.why, err.code === 'UPSTREAM_TIMEOUT');
      // Never sent: Apple cannot have acted on it, so it may be tried again within the budget.
      const wait = backoffDelayMs(backoffs, p, deps.random);
      if (backoffs < p.maxRetries && deps.clockMs() - started + wait < p.budgetMs) {
        backoffs += 1;
        retries += 1;
        await deps.sleep(wait);
        continue;
      }
      throw err;
    }
    if (res.status === 401 && !reminted) {
      // Apple's 401 never says why; a transient or stale token is fixed by one fresh mint.
      reminted = true;
      retries += 1;
      tok.invalidate();
      tok = await getToken({ fresh: true });
      minted = minted || tok.minted;
      continue;
    }
    if ((write === null ? RETRYABLE : RETRYABLE_WRITE).has(res.status) && backoffs < p.maxRetries) {
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'), deps.wallMs());
      const wait = retryAfter != null
        ? retryAfter + Math.round(Math.min(250, retryAfter * 0.1) * deps.random())
        : backoffDelayMs(backoffs, p, deps.random);
      const elapsed = deps.clockMs() - started;
      // Give up (and pass Apple's answer on) when the wait is above the cap or would leave no
      // time for the next attempt.
      if (wait <= p.backoffCapMs && elapsed + wait < p.budgetMs) {
        backoffs += 1;
        retries += 1;
        await deps.sleep(wait);
        continue;
      }
    }
    // Named fields, not `{ ...res, retries, minted }`: in V8 11 (Node 20) an object spread followed by
    // more properties makes objects the young-generation GC keeps alive long after they are dropped
    // (here Apple's answer, body chunks included), so every scavenge copied ~0.5–1 MB and major GCs
    // came every few hundred requests (BENCHMARKS.md, "Gateway CPU per request, fifth session").
    return { status: res.status, headers: res.headers, body: res.body, retries, minted };
  }
}
