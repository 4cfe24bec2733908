// The runtime-agnostic gateway handler: authenticate the caller, plan the request with the wasm
// policy module (only paths in its operation table are ever forwarded, and only to ASC_BASE_URL;
// POST /v1/request takes any path of Apple's spec, checked by the spec pack: anyrequest-route.js),
// get a token for the chosen Apple key, call Apple under the upstream policy and shape the answer.
// Uses WHATWG fetch API types only (Request, Response, Headers, URL, crypto.subtle), so the same
// code serves Node, Cloudflare Workers and Deno. No `node:` imports here or in what it imports.
import * as policy from 'asc-connector-wasm';
import { triggerFamilies as listTriggerFamilies } from 'asc-connector-wasm/triggers';
import { loadConfig } from './config.js';
import { GatewayError, baseHeaders, describeError, errorResponse } from './errors.js';
import { consoleLog, queryParameterNames, requestLogEntry } from './log.js';
import { MinterCache, DEFAULT_MINTER_CAPACITY } from './minters.js';
import { callUpstream } from './upstream.js';
import { readRequestBody } from './request-body.js';
import { ANY_REQUEST_PATH, createAnyRequestRoute } from './anyrequest-route.js';
import { MAX_SUBSCRIBE_BODY_BYTES, createTriggerHandlers, matchTriggerRoute } from './triggers.js';

/** Caller headers the gateway reads, each with its size cap in bytes. */
const HEADER_CAPS = Object.freeze({
  'x-api-key': 512,
  'x-asc-issuer-id': 128,
  'x-asc-key-id': 128,
  'x-asc-key-type': 32,
  'x-asc-private-key': 16 * 1024,
  'x-asc-format': 32,
});

/** HEADER_CAPS as [name, cap] pairs (read on every request). */
const HEADER_LIST = Object.entries(HEADER_CAPS);

/** Largest write body read (src/body's cap; a larger one is refused as BODY_TOO_LARGE unread). */
const MAX_BODY_BYTES = 64 * 1024;

const CONTROL = /[\u0000-\u001f\u007f]/;
/** Distinct request lines whose plans are remembered, and the longest one remembered (bytes). */
export const PLAN_CACHE_SIZE = 256;
const PLAN_CACHE_KEY_MAX = 2048;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The Apple paths the trigger routes may call (docs/TRIGGERS.md): an app's webhooks and customer
 * reviews, creating a webhook and deleting one. Every one is a path of Apple's spec.
 */
const TRIGGER_UPSTREAM = /^\/v1\/(?:apps\/[^/?#]+\/(?:webhooks|customerReviews)|webhooks(?:\/[^/?#]+)?)$/;

/** The default dependencies: real clock, fetch, timers and a JSON-line console log. */
export function defaultDeps() {
  return {
    fetch: (input, init) => globalThis.fetch(input, init),
    now: () => Math.floor(Date.now() / 1000),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: consoleLog,
    clockMs: () => Date.now(),
    wallMs: () => Date.now(),
    random: () => Math.random(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (t) => clearTimeout(t),
  };
}

/** SHA-256 of a string as bytes. */
async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/** Compares two 32-byte digests without an early exit. */
function digestsEqual(x, y) {
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i += 1) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** SHA-256 both sides, then compare the fixed-length digests without an early exit. */
export async function constantTimeEqual(a, b) {
  const [da, db] = await Promise.all([sha256(a), sha256(b)]);
  return digestsEqual(da, db);
}

/**
 * The API-key check for one configured key: its digest is computed once (on first use, inside a
 * request, as Workers require) and each caller key costs one digest, compared in constant time
 * (the digests have a fixed length, so neither the key's length nor the first differing character
 * shows in the timing).
 */
export function apiKeyChecker(apiKey, digest = sha256) {
  let want = null;
  return async function checkApiKey(candidate) {
    const got = await digest(candidate);
    if (want === null) want = await digest(apiKey);
    return digestsEqual(got, want);
  };
}

/**
 * Splits the request target into path and raw query. `rawTarget` is the request line's target when
 * the entry knows it (Node); otherwise the URL's own path and query are used. Nothing is checked
 * here: the wasm planner (`planRequest`) is the one place that checks paths and queries, with one
 * set of caps (absolute-form targets, `\`, encoded slashes or dots, dot segments, control
 * characters and over-long paths or queries are all refused there).
 */
export function splitTarget(rawTarget, url) {
  const target = rawTarget ?? `${url.pathname}${url.search}`;
  const q = target.indexOf('?');
  return q === -1 ? { path: target, rawQuery: '' } : { path: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

/**
 * Refuses a request body on an operation that takes none (`takesBody` false): Content-Length above
 * 0 or any Transfer-Encoding means the caller sent one. The body is never read or forwarded.
 */
export function checkNoBody(headers, takesBody, operationId) {
  if (takesBody) return;
  const length = headers.get('content-length');
  const chunked = headers.get('transfer-encoding');
  if (chunked !== null || (length !== null && length.trim() !== '0')) {
    throw new GatewayError('REQUEST_BODY_NOT_ALLOWED', `${operationId} takes no request body; send the request without one (no Content-Length above 0, no Transfer-Encoding).`);
  }
}

/** Reads and checks the caller headers the gateway uses: size cap, no control characters. */
export function readCallerHeaders(headers) {
  const out = {};
  const details = [];
  for (const [name, cap] of HEADER_LIST) {
    const value = headers.get(name);
    if (value === null) continue;
    // UTF-8 needs 1 to 3 bytes per UTF-16 unit, so only lengths in between need encoding to tell.
    if (value.length > cap || (value.length * 3 > cap && encoder.encode(value).length > cap)) {
      details.push({ code: 'HEADER_INVALID', message: `${canonical(name)} is longer than ${cap} bytes.`, parameter: canonical(name) });
    } else if (CONTROL.test(value)) {
      details.push({ code: 'HEADER_INVALID', message: `${canonical(name)} contains line breaks or other control characters.`, parameter: canonical(name) });
    } else {
      out[name] = value.trim();
    }
  }
  if (details.length) {
    throw new GatewayError('HEADER_INVALID', details.length === 1 ? details[0].message : `${details.length} request headers are malformed.`, details);
  }
  return out;
}

function canonical(name) {
  return name.split('-').map((p) => (p === 'asc' || p === 'api' ? p.toUpperCase() : p[0].toUpperCase() + p.slice(1))).join('-');
}

/** Whether a Content-Type names JSON: application/json, optionally with charset=utf-8. */
export function isJsonContentType(value) {
  if (value === null || value === undefined) return false;
  const [type, ...params] = String(value).split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

/**
 * The body of a write, checked by the wasm policy (flat fields built into Apple's document, or
 * Apple's own document with X-ASC-Format: raw): the JSON text to send, or null when the operation
 * takes none. Throws BODY_TOO_LARGE, CONTENT_TYPE_UNSUPPORTED or the policy's BODY_* errors;
 * nothing is sent when it throws.
 */
export async function writeBody(request, op, raw) {
  const read = await readRequestBody(request, MAX_BODY_BYTES);
  if (read.over) {
    throw new GatewayError('BODY_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes; ${op.id} bodies are far smaller.`);
  }
  if (read.bytes.length > 0 && op.takesBody && !isJsonContentType(request.headers.get('content-type'))) {
    throw new GatewayError('CONTENT_TYPE_UNSUPPORTED', `${op.id} takes a JSON body: send it with Content-Type: application/json (UTF-8).`, [{ code: 'CONTENT_TYPE_UNSUPPORTED', message: 'Accepted: application/json, optionally with charset=utf-8.', parameter: 'Content-Type' }]);
  }
  return policy.prepareBody(op.id, read.bytes, raw);
}

/**
 * Chooses the Apple key for a request: the caller's X-ASC-* headers (when this gateway accepts
 * them) or the server key. Returns { source: 'server'|'caller', key } where key is a TokenMinter
 * description; throws CALLER_KEYS_NOT_ALLOWED, CREDENTIALS_MISSING or HEADER_INVALID.
 */
export function selectKey(config, h) {
  const filled = (n) => h[n] !== undefined && h[n] !== '';
  // The connector always sends X-ASC-Key-Type (and empty X-ASC-* values when a maker leaves the
  // optional fields blank), so only a key id or a private key counts as "the caller sent a key".
  const supplied = filled('x-asc-key-id') || filled('x-asc-private-key');
  if (!supplied) {
    if (config.serverKey) return { source: 'server', key: config.serverKey };
    if (!filled('x-asc-issuer-id') && !filled('x-asc-key-type')) {
      throw new GatewayError('CREDENTIALS_MISSING', 'This gateway has no Apple key of its own: send X-ASC-Key-Id, X-ASC-Private-Key and either X-ASC-Issuer-Id (team key) or X-ASC-Key-Type: individual.');
    }
    // Only an issuer id or a key type: fall through so the caller learns what is missing.
  } else if (config.serverKey && !config.allowCallerKeys) {
    throw new GatewayError('CALLER_KEYS_NOT_ALLOWED', 'This gateway signs with its own Apple key and does not accept X-ASC-* key headers; remove them (or ask the operator to set GATEWAY_ALLOW_CALLER_KEYS=1).');
  }
  const type = (h['x-asc-key-type'] ?? '').toLowerCase();
  const details = [];
  if (type !== '' && type !== 'team' && type !== 'individual') {
    details.push({ code: 'HEADER_INVALID', message: 'X-ASC-Key-Type must be "team" or "individual".', parameter: 'X-ASC-Key-Type' });
  }
  const individual = type === 'individual';
  if (!h['x-asc-key-id']) details.push({ code: 'HEADER_INVALID', message: 'X-ASC-Key-Id is missing.', parameter: 'X-ASC-Key-Id' });
  if (!h['x-asc-private-key']) details.push({ code: 'HEADER_INVALID', message: 'X-ASC-Private-Key is missing.', parameter: 'X-ASC-Private-Key' });
  if (individual && h['x-asc-issuer-id']) {
    details.push({ code: 'HEADER_INVALID', message: 'Individual keys have no issuer: send X-ASC-Issuer-Id or X-ASC-Key-Type: individual, not both.', parameter: 'X-ASC-Issuer-Id' });
  }
  if (!individual && !h['x-asc-issuer-id']) {
    details.push({ code: 'HEADER_INVALID', message: 'X-ASC-Issuer-Id is missing (team keys need it; send X-ASC-Key-Type: individual for an individual key).', parameter: 'X-ASC-Issuer-Id' });
  }
  if (details.length) {
    throw new GatewayError('HEADER_INVALID', `The caller's Apple key headers are incomplete or contradictory (${details.length} problem${details.length === 1 ? '' : 's'}).`, details);
  }
  const key = individual
    ? { keyId: h['x-asc-key-id'], individual: true, privateKey: h['x-asc-private-key'] }
    : { keyId: h['x-asc-key-id'], issuerId: h['x-asc-issuer-id'], privateKey: h['x-asc-private-key'] };
  return { source: 'caller', key };
}

/**
 * The subscribe body as text, at most MAX_SUBSCRIBE_BODY_BYTES (a longer one throws
 * TRIGGER_BODY_INVALID without being buffered whole).
 */
async function readSubscribeBody(request) {
  const read = await readRequestBody(request, MAX_SUBSCRIBE_BODY_BYTES);
  if (read.over) throw new GatewayError('TRIGGER_BODY_INVALID', `The request body is longer than ${MAX_SUBSCRIBE_BODY_BYTES} bytes; send only {"callbackUrl", "name"}.`);
  return decoder.decode(read.bytes);
}

/**
 * Builds the request handler for one validated config. `deps` overrides the defaults of
 * defaultDeps() (tests inject fetch, the clock, sleep and the log sink); `deps.upstream` overrides
 * the upstream policy (timeouts, budget, body cap, backoff); `deps.minterCapacity` the LRU size;
 * `deps.randomBytes(n)` makes webhook secrets and `deps.reviewPageSize` sets the review poll's page
 * size (tests; default 200).
 * Returns `handle(request, { rawTarget }?) → Promise<Response>`; `handle.respond(request, meta)` is
 * the same without the Response (plain { status, headers, body }, for entries that write the answer
 * themselves); `handle.minters` exposes the minter cache and `handle.close()` frees the wasm minters.
 */
export function createHandler(config, deps = {}) {
  const d = { ...defaultDeps(), ...deps };
  const upstreamPolicy = { ...config.upstream, ...(deps.upstream ?? {}) };
  const upstreamOrigin = new URL(config.baseUrl).origin;
  const minters = new MinterCache({ TokenMinter: policy.TokenMinter, capacity: deps.minterCapacity ?? DEFAULT_MINTER_CAPACITY });
  const serverEntry = config.serverKey ? minters.pin('server', config.serverKey) : null;
  // `deps.sha256` (text → digest bytes) lets the Node entry use a synchronous node:crypto hash:
  // WebCrypto's digest costs ~75 µs of CPU per request there (BENCHMARKS.md, gateway profile).
  const apiKeyMatches = config.apiKey ? apiKeyChecker(config.apiKey, deps.sha256) : null;
  const triggers = createTriggerHandlers(config, { now: d.now, randomBytes: deps.randomBytes, reviewPageSize: deps.reviewPageSize });
  const triggerFamilies = listTriggerFamilies();
  // Parameter names the log may show; anything else a caller typed is logged as "(unknown)".
  const knownParams = new Set(['cursor', 'since', 'rating', 'territory', 'sig']);
  // Every operation by id; an operation takes a request body when the table says so (`takesBody`),
  // and every other one refuses a body (checkNoBody).
  const operationsById = new Map();
  for (const op of policy.operations()) {
    operationsById.set(op.id, op);
    for (const p of op.parameters ?? []) knownParams.add(p.name);
  }

  /** X-Rate-Limit (and Retry-After on 429/503) of Apple's answer, when safe to pass on. */
  function passThrough(up) {
    const extra = {};
    const rate = up.headers.get('x-rate-limit');
    if (rate !== null && !CONTROL.test(rate) && rate.length <= 256) extra['X-Rate-Limit'] = rate;
    const retryAfter = up.headers.get('retry-after');
    if ((up.status === 429 || up.status === 503) && retryAfter !== null && /^[\w ,:+-]{1,64}$/.test(retryAfter)) extra['Retry-After'] = retryAfter;
    return extra;
  }
  const serveAnyRequest = createAnyRequestRoute({ config, deps: d, upstreamPolicy, upstreamOrigin, policy, passThrough, deprecatedNames });

  /** The token source for the Apple key this request uses (selectKey decides which). */
  async function tokenGetter(h, state) {
    const { source, key } = selectKey(config, h);
    state.keySource = source;
    let entry = source === 'server' ? serverEntry : await minters.entryFor(key);
    return async () => {
      // Under heavy key churn the LRU may have evicted (and freed) this entry meanwhile.
      if (entry.freed) entry = await minters.entryFor(key);
      const t = await minters.tokenFrom(entry, d.now());
      return { token: t.token, minted: t.minted, invalidate: () => entry.invalidate() };
    };
  }

  /**
   * Serves a trigger route with host/src/triggers.js. Its `callApple` reaches only Apple's host and
   * only the webhook and review paths (TRIGGER_UPSTREAM); the Apple key is chosen on the first
   * call, so every input (and the unsubscribe signature) is checked before. GETs run under the
   * upstream policy (retries on 429/503); a POST or DELETE is sent once and never retried.
   */
  async function serveTrigger(request, url, rawQuery, h, route, state) {
    const family = route.family === undefined ? null : triggerFamilies.find((f) => f.family === route.family);
    state.operation = route.kind === 'reviews' ? 'OnNewCustomerReview' : route.kind === 'unsubscribe' ? 'DeleteTriggerSubscription' : family?.operationId ?? 'SubscribeTrigger';
    checkNoBody(request.headers, route.kind === 'subscribe', state.operation);
    let getToken = null;
    const callApple = async (method, applePath, query, bodyText) => {
      const target = `${config.baseUrl}${applePath}${query ? `?${query}` : ''}`;
      if (!TRIGGER_UPSTREAM.test(applePath) || new URL(target).origin !== upstreamOrigin) {
        throw new GatewayError('INTERNAL', 'The planned upstream request left the webhook and review paths of ASC_BASE_URL; it was not sent.');
      }
      getToken ??= await tokenGetter(h, state);
      // GETs under the upstream policy; a POST or DELETE under the write rule (never sent twice).
      const write = method === 'GET' ? null : { operationId: state.operation, outcomeHint: "list the app's webhooks (ListAppWebhooks) to see whether the change was made" };
      const up = await callUpstream({ url: target, method, body: bodyText ?? null, write, getToken, deps: d, policy: upstreamPolicy });
      state.retries += up.retries;
      state.minted = state.minted || up.minted;
      state.upstreamStatus = up.status;
      return { status: up.status, body: up.body };
    };
    let out;
    if (route.kind === 'subscribe') {
      const bodyText = await readSubscribeBody(request);
      out = await triggers.subscribe({ ...route, bodyText, headers: request.headers, requestUrl: url.href, callApple });
    } else if (route.kind === 'unsubscribe') {
      out = await triggers.unsubscribe({ ...route, rawQuery, callApple });
    } else {
      out = await triggers.pollReviews({ ...route, rawQuery, callApple });
    }
    return { status: out.status, body: out.body, extra: out.headers ?? {} };
  }

  async function serve(request, meta, state) {
    // The URL is parsed only where more than its origin is needed (no raw target, triggers, any request).
    let parsed = null;
    const requestUrl = () => (parsed ??= new URL(request.url));
    const { path, rawQuery } = splitTarget(meta.rawTarget, meta.rawTarget == null ? requestUrl() : null);
    state.path = path.length > 256 ? `${path.slice(0, 256)}…` : path;
    state.queryNames = remembered(queryNamesCache, rawQuery, () => Object.freeze(queryParameterNames(rawQuery, knownParams)));

    if (path === '/healthz') {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new GatewayError('METHOD_NOT_ALLOWED', '/healthz answers GET only.');
      }
      return { status: 200, body: request.method === 'HEAD' ? null : JSON.stringify({ status: 'ok' }) };
    }

    const h = readCallerHeaders(request.headers);
    // The trigger routes (docs/TRIGGERS.md). A wrong method on one of them is reported only after
    // the API-key check, so unauthenticated callers learn nothing about the routes.
    let trigger = null;
    let routeError = null;
    try {
      trigger = matchTriggerRoute(request.method, path);
    } catch (err) {
      routeError = err;
    }
    // The unsubscribe URL authorises itself (its `sig`): the platform may send that DELETE without
    // the connector's headers. Every other route needs the API key.
    if (config.apiKey && !trigger?.selfAuthorizing) {
      if (h['x-api-key'] === undefined || h['x-api-key'] === '') {
        throw new GatewayError('UNAUTHENTICATED', "Send this gateway's API key in the X-API-Key header.");
      }
      if (!(await apiKeyMatches(h['x-api-key']))) {
        throw new GatewayError('UNAUTHENTICATED', "The X-API-Key header does not match this gateway's API key.");
      }
    }

    if (routeError) throw routeError;
    if (trigger) return serveTrigger(request, requestUrl(), rawQuery, h, trigger, state);
    // POST /v1/request: any request of Apple's spec, checked by the spec pack (anyrequest-route.js).
    if (path === ANY_REQUEST_PATH) return serveAnyRequest(request, meta, state, await tokenGetter(h, state), requestUrl(), rawQuery);

    // Only the wasm operation table decides what may be forwarded.
    const plan = planned(request.method, path, rawQuery);
    state.operation = plan.operationId;
    state.deprecated = deprecatedNames(plan.deprecations);
    checkNoBody(request.headers, operationsById.get(plan.operationId)?.takesBody === true, plan.operationId);

    const format = (h['x-asc-format'] ?? '').toLowerCase();
    if (format !== '' && format !== 'raw' && format !== 'records') {
      throw new GatewayError('HEADER_INVALID', 'X-ASC-Format must be "raw" (Apple\'s JSON:API document) or "records" (the default flat records).', [{ code: 'HEADER_INVALID', message: 'Accepted values: raw, records.', parameter: 'X-ASC-Format' }]);
    }

    // A write's body is checked before any key is used; nothing is sent when it is refused.
    const op = operationsById.get(plan.operationId);
    const body = op.write ? await writeBody(request, op, format === 'raw') : null;
    const getToken = await tokenGetter(h, state);

    // Parsed once: checked here and handed to fetch as a URL.
    const target = new URL(`${config.baseUrl}${plan.upstreamPath}${plan.upstreamQuery ? `?${plan.upstreamQuery}` : ''}`);
    if (!plan.upstreamPath.startsWith('/v1/') || target.origin !== upstreamOrigin) {
      // The planner only emits table paths; this guards the one invariant that matters most.
      throw new GatewayError('INTERNAL', 'The planned upstream request left ASC_BASE_URL; it was not sent.');
    }
    const write = op.write ? { operationId: op.id, outcomeHint: op.outcomeHint } : null;
    // The answer's body stays the chunks it arrived in: the wasm shaper copies them into one buffer.
    const up = await callUpstream({ url: target, method: request.method, body, write, getToken, deps: d, policy: upstreamPolicy, chunks: true });
    state.upstreamStatus = up.status;
    state.retries = up.retries;
    state.minted = up.minted;

    const shaped = policy.shapeResponse(plan.operationId, up.status, up.body, {
      baseUrl: config.publicUrl ?? requestUrl().origin,
      path: plan.upstreamPath,
      query: plan.pagingQuery,
      upstreamOrigin,
      raw: format === 'raw',
      outcomeHint: op.outcomeHint,
      // The body as UTF-8 bytes: written as they are, never decoded to a string and encoded back.
      bytes: true,
    });
    return { status: shaped.status, body: shaped.status === 204 ? null : shaped.body, extra: passThrough(up) };
  }

  /**
   * The planner's answer for a request line, remembered for the PLAN_CACHE_SIZE most recent
   * distinct ones: planning is pure (the same method, path and query always give the same plan),
   * and flows repeat the same requests. Refusals are not remembered (they throw, and are cheap).
   * Plans are frozen, so no caller can change one that a later request reuses.
   */
  const planCache = new Map();
  function planned(method, path, rawQuery) {
    return remembered(planCache, `${method} ${path}?${rawQuery}`, () => {
      const plan = policy.planRequest(method, path, rawQuery);
      if (Array.isArray(plan.deprecations)) Object.freeze(plan.deprecations);
      return Object.freeze(plan);
    });
  }
  /** The logged parameter names of a raw query (log.js), remembered the same way (frozen lists). */
  const queryNamesCache = new Map();

  /**
   * Serves one request and logs it. Resolves to { status, headers, body } with `headers` a plain
   * object of lower-case names and `body` JSON text, as a string or as its UTF-8 bytes (a
   * Uint8Array: the shaped answers of the operation routes), or null (HEAD /healthz, 204); never rejects.
   * `request` needs only `url`, `method` and `headers.get(name)`, so an entry may pass a light
   * stand-in for a fetch Request (the Node entry does).
   */
  async function respond(request, meta = {}) {
    const startedMs = d.clockMs();
    const requestId = crypto.randomUUID();
    const state = { path: null, queryNames: [], operation: null, deprecated: [], upstreamStatus: null, retries: 0, minted: false, keySource: null };
    const headers = baseHeaders(requestId);
    let status;
    let body;
    let code = null;
    try {
      const out = await serve(request, meta, state);
      if (out.extra) for (const name of Object.keys(out.extra)) headers[name.toLowerCase()] = out.extra[name];
      status = out.status;
      body = out.body;
      if (status >= 400) code = errorCodeOf(body);
    } catch (err) {
      const r = describeError(err);
      status = r.status;
      code = r.code;
      body = r.body;
    }
    // Apple still honours deprecated parameters; tell the caller which ones (names only).
    if (state.deprecated.length) headers['x-asc-deprecated'] = state.deprecated.join(', ');
    try {
      d.log(requestLogEntry({
        tsMs: d.wallMs(),
        requestId,
        method: request.method,
        path: state.path,
        queryNames: state.queryNames,
        operation: state.operation,
        deprecated: state.deprecated,
        status,
        code,
        upstreamStatus: state.upstreamStatus,
        durationMs: Math.max(0, Math.round(d.clockMs() - startedMs)),
        retries: state.retries,
        minted: state.minted,
        keySource: state.keySource,
      }));
    } catch {
      // A failing log sink must not fail the request.
    }
    return { status, headers, body };
  }

  async function handle(request, meta = {}) {
    const out = await respond(request, meta);
    return new Response(out.body, { status: out.status, headers: out.headers });
  }

  handle.respond = respond;
  handle.planCache = planCache;
  handle.minters = minters;
  handle.config = config;
  handle.close = () => minters.clear();
  return handle;
}

/**
 * `compute()` for `key`, remembered in `cache` (a Map) for the PLAN_CACHE_SIZE most recently added
 * keys of at most PLAN_CACHE_KEY_MAX characters: for pure functions of a request line, which flows
 * repeat. A throwing `compute` remembers nothing.
 */
function remembered(cache, key, compute) {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    if (key.length <= PLAN_CACHE_KEY_MAX) {
      cache.set(key, value);
      if (cache.size > PLAN_CACHE_SIZE) cache.delete(cache.keys().next().value);
    }
  }
  return value;
}

/** Names of the deprecated parameters a plan used, deduplicated and safe for a header value. */
export function deprecatedNames(deprecations) {
  const names = [];
  for (const d of Array.isArray(deprecations) ? deprecations : []) {
    const name = d && typeof d.parameter === 'string' ? d.parameter : '';
    if (/^[\x21-\x2b\x2d-\x7e]{1,128}$/.test(name) && !names.includes(name)) names.push(name);
  }
  return names;
}

function errorCodeOf(body) {
  try {
    const doc = JSON.parse(typeof body === 'string' ? body : decoder.decode(body));
    return doc && doc.error && typeof doc.error.code === 'string' ? doc.error.code : null;
  } catch {
    return null;
  }
}

const perEnv = new WeakMap();

/**
 * Convenience for runtimes that hand over an env object per request (Cloudflare Workers): builds
 * one handler per env object on first use (reading the clock only then, inside a request) and
 * reuses it. A bad configuration answers 500 INTERNAL to callers and logs the problems.
 */
export async function handle(request, env, deps) {
  let cached = perEnv.get(env);
  if (!cached) {
    try {
      cached = { handler: createHandler(loadConfig(env), deps) };
    } catch (err) {
      cached = { error: err };
      try {
        (deps?.log ?? consoleLog)({ ts: new Date().toISOString(), event: 'config_invalid', code: err.code ?? null, problems: (err.problems ?? []).map((p) => p.message) });
      } catch {
        // ignore
      }
    }
    perEnv.set(env, cached);
  }
  if (cached.error) {
    return errorResponse(new GatewayError('INTERNAL', 'The gateway is misconfigured; its operator can find the problems in the gateway log.'), crypto.randomUUID()).response;
  }
  return cached.handler(request);
}
