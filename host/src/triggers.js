// The gateway's trigger routes (docs/TRIGGERS.md): subscribe and unsubscribe an instant trigger (one
// Apple webhook that posts straight to the flow's callback) and poll for new customer reviews. The
// decisions (which reviews are new, the watermark, the webhook document, which webhooks are ours, the
// callback checks, the errors) live in the wasm core; this file does the I/O around them through an
// injected `callApple(method, path, query, body)` and signs the self-authorising unsubscribe URL.
// Runtime-agnostic: fetch-API globals only (crypto.subtle, crypto.getRandomValues, TextEncoder).
//
// Routes (matchTriggerRoute):
//   POST   /v1/apps/{appId}/triggers/{family}               subscribe (X-API-Key as usual)
//   DELETE /v1/apps/{appId}/triggers/{family}/{webhookId}?sig=<HMAC>  unsubscribe (the sig authorises)
//   GET    /trigger/v1/apps/{appId}/customerReviews?since=&rating=&territory=   review poll
import * as policy from 'asc-connector-wasm';
// The trigger decisions are a wasm module of their own, kept out of the main one (only the gateway needs them).
import * as triggerPolicy from 'asc-connector-wasm/triggers';
import { GatewayError } from './errors.js';

/** Largest subscribe body read (the callback plus a label fit in far less). */
export const MAX_SUBSCRIBE_BODY_BYTES = 16 * 1024;
/** Longest X-MS-APIM-Referrer-Prefix used as the Location base. */
const MAX_PREFIX_CHARS = 1024;
/** Label under which the Location key is derived from the gateway's API key. */
export const LOCATION_KEY_LABEL = 'asc-connector/trigger-location/v1';
/** The fixed key material of a local-sandbox gateway without an API key (nothing to protect). */
const LOCAL_SANDBOX_MATERIAL = 'asc-connector/local-sandbox';
/** Most Apple requests one review poll makes (the core stops at 25 pages; this is a backstop). */
const MAX_POLL_REQUESTS = 30;
/** Query parameters the review poll accepts. */
const POLL_PARAMETERS = ['since', 'rating', 'territory'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SEGMENT = '([^/]+)';

/** The trigger routes (built once: this runs on every gateway request). */
const TRIGGER_ROUTES = [
  { kind: 'subscribe', method: 'POST', re: new RegExp(`^/v1/apps/${SEGMENT}/triggers/${SEGMENT}$`), names: ['appId', 'family'] },
  { kind: 'unsubscribe', method: 'DELETE', re: new RegExp(`^/v1/apps/${SEGMENT}/triggers/${SEGMENT}/${SEGMENT}$`), names: ['appId', 'family', 'webhookId'] },
  { kind: 'reviews', method: 'GET', re: new RegExp(`^/trigger/v1/apps/${SEGMENT}/customerReviews$`), names: ['appId'] },
];

/**
 * Recognises a trigger route. Returns null for other paths, else
 * { kind: 'subscribe'|'unsubscribe'|'reviews', appId, family?, webhookId?, selfAuthorizing }.
 * `selfAuthorizing` is true for unsubscribe: its `sig` replaces the X-API-Key check (the platform
 * may send that DELETE without the connector's headers). A known path with the wrong method throws
 * METHOD_NOT_ALLOWED.
 */
export function matchTriggerRoute(method, path) {
  for (const route of TRIGGER_ROUTES) {
    const m = route.re.exec(path);
    if (!m) continue;
    if (method !== route.method) {
      throw new GatewayError('METHOD_NOT_ALLOWED', `${path.startsWith('/trigger/') ? 'The review poll' : 'This trigger route'} answers ${route.method} only.`);
    }
    const out = { kind: route.kind, selfAuthorizing: route.kind === 'unsubscribe' };
    route.names.forEach((name, i) => {
      out[name] = decodeSegment(m[i + 1]);
    });
    return out;
  }
  return null;
}

function decodeSegment(raw) {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function base64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function hmac(keyBytes, message) {
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

/**
 * The key that signs unsubscribe URLs, as raw bytes, chosen in this order:
 *   1. `config.triggerSecret` (an optional setting the gateway may add; used as given);
 *   2. HMAC-SHA-256(GATEWAY_API_KEY, LOCATION_KEY_LABEL): no new setting; rotating the API key
 *      invalidates outstanding unsubscribe URLs (their webhooks are then removed by hand);
 *   3. on a local-sandbox gateway without an API key, a fixed key (such a gateway is open anyway).
 * Throws INTERNAL when none applies (loadConfig makes that impossible).
 */
export async function locationKeyBytes(config) {
  if (typeof config.triggerSecret === 'string' && config.triggerSecret !== '') {
    return encoder.encode(config.triggerSecret);
  }
  if (typeof config.apiKey === 'string' && config.apiKey !== '') {
    return hmac(encoder.encode(config.apiKey), LOCATION_KEY_LABEL);
  }
  if (config.localSandbox) return hmac(encoder.encode(LOCAL_SANDBOX_MATERIAL), LOCATION_KEY_LABEL);
  throw new GatewayError('INTERNAL', 'The gateway has no key to sign unsubscribe URLs with.');
}

/** The message an unsubscribe signature covers: app, family and webhook, one per line. */
function locationMessage(appId, family, webhookId) {
  return `${appId}\n${family}\n${webhookId}`;
}

/** base64url HMAC-SHA-256 of (appId, family, webhookId) under the Location key (43 characters). */
export async function signLocation(keyBytes, appId, family, webhookId) {
  return base64url(await hmac(keyBytes, locationMessage(appId, family, webhookId)));
}

/** Checks a signature in constant time (both sides are hashed to a fixed length first). */
export async function verifyLocation(keyBytes, appId, family, webhookId, sig) {
  if (typeof sig !== 'string' || sig.length === 0 || sig.length > 128) return false;
  const want = await signLocation(keyBytes, appId, family, webhookId);
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(want)),
    crypto.subtle.digest('SHA-256', encoder.encode(sig)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i += 1) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * The base of the unsubscribe URL: the X-MS-APIM-Referrer-Prefix request header when it is a clean
 * https URL (the connector's own URL in API Hub, so the DELETE re-enters the connector), else
 * PUBLIC_URL, else the request's origin. Never ends with a slash.
 */
export function locationBase(headers, config, requestUrl) {
  const prefix = headers?.get?.('x-ms-apim-referrer-prefix');
  if (prefix && prefix.length <= MAX_PREFIX_CHARS && !/[\s\u0000-\u001f\u007f]/.test(prefix)) {
    try {
      const url = new URL(prefix);
      if (url.protocol === 'https:' && !url.username && !url.password && !url.search && !url.hash && !prefix.includes('?') && !prefix.includes('#')) {
        return url.href.replace(/\/+$/, '');
      }
    } catch {
      // not a URL: fall back
    }
  }
  if (config.publicUrl) return String(config.publicUrl).replace(/\/+$/, '');
  return new URL(requestUrl).origin;
}

/** Bytes or text of an Apple answer as text. */
function text(body) {
  if (body == null) return '';
  return typeof body === 'string' ? body : decoder.decode(body);
}

/** The caller-facing error for an Apple failure (Rust shapes it, as for every other operation). */
function appleFailure(status, body) {
  const shaped = policy.shapeResponse('trigger', status, text(body), { baseUrl: '', path: '', query: '', upstreamOrigin: '' });
  return { status: shaped.status, body: shaped.body };
}

const ok = (status) => status >= 200 && status <= 299;

/** Checks an app id with the operation table's rule for apps (throws ID_INVALID). */
function checkAppId(appId) {
  if (typeof appId !== 'string' || appId === '' || /[/?#%]/.test(appId)) {
    throw new GatewayError('ID_INVALID', 'The app id in the path is not valid: App IDs are the numeric Apple ID shown in App Store Connect.');
  }
  policy.planRequest('GET', `/v1/apps/${appId}`, '');
}

function checkFamily(family) {
  const known = triggerPolicy.triggerFamilies();
  const found = known.find((f) => f.family === family);
  if (!found) {
    throw new GatewayError('TRIGGER_FAMILY_UNKNOWN', `There is no trigger for this event family; accepted: ${known.map((f) => f.family).join(', ')}.`);
  }
  return found;
}

/** 32 random bytes from crypto.getRandomValues. */
function defaultRandomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * The trigger handlers for one gateway config. `deps.randomBytes(n)` (default
 * crypto.getRandomValues) makes webhook secrets; `deps.now()` gives seconds since 1970. Each handler
 * takes the request's `callApple(method, path, query, bodyText?) → Promise<{ status, body }>` (body
 * a string or bytes; the lead's wiring signs with the request's Apple key and never retries a POST
 * or DELETE) and resolves to { status, headers?, body } or throws a GatewayError / wasm error
 * (describeError turns both into the error shape). Nothing is sent to Apple before the input is
 * checked.
 */
export function createTriggerHandlers(config, deps = {}) {
  const randomBytes = deps.randomBytes ?? defaultRandomBytes;
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  let keyPromise = null;
  const key = () => {
    keyPromise ??= locationKeyBytes(config);
    return keyPromise;
  };

  /** The app's webhooks (Apple's list body as text), or an Apple failure answer. */
  async function listWebhooks(callApple, appId) {
    const up = await callApple('GET', `/v1/apps/${appId}/webhooks`, 'limit=200', undefined);
    return { ok: ok(up.status), status: up.status, body: text(up.body) };
  }

  /**
   * POST /v1/apps/{appId}/triggers/{family} with body {"callbackUrl", "name"?}. Answers 201 with
   * `Location` (the signed unsubscribe URL) and {webhookId, appId, family, eventTypes, reused}.
   */
  async function subscribe({ appId, family, bodyText, headers, requestUrl, callApple }) {
    checkAppId(appId);
    const fam = checkFamily(family);
    const body = triggerPolicy.readSubscribeBody(typeof bodyText === 'string' ? bodyText : text(bodyText), Boolean(config.localSandbox));
    const list = await listWebhooks(callApple, appId);
    if (!list.ok) return appleFailure(list.status, list.body);
    const secret = hex(randomBytes(32));
    const plan = triggerPolicy.planSubscribe(appId, family, body.callbackUrl, body.name, list.body, secret);
    let webhookId;
    if (plan.action === 'reuse') {
      webhookId = plan.webhookId;
    } else {
      const created = await callApple('POST', '/v1/webhooks', '', plan.document);
      if (created.status === 409) {
        // Apple refused (perhaps at its limit because a webhook was added meanwhile): plan again
        // on a fresh list, which either finds a webhook to reuse or throws WEBHOOK_LIMIT_REACHED.
        const again = await listWebhooks(callApple, appId);
        if (again.ok) {
          const replan = triggerPolicy.planSubscribe(appId, family, body.callbackUrl, body.name, again.body, secret);
          if (replan.action === 'reuse') webhookId = replan.webhookId;
        }
      }
      if (webhookId === undefined && !ok(created.status)) return appleFailure(created.status, created.body);
      webhookId ??= triggerPolicy.createdWebhookId(text(created.body));
    }
    const sig = await signLocation(await key(), appId, family, webhookId);
    const location = `${locationBase(headers, config, requestUrl)}/v1/apps/${encodeURIComponent(appId)}/triggers/${encodeURIComponent(family)}/${encodeURIComponent(webhookId)}?sig=${sig}`;
    return {
      status: 201,
      headers: { location },
      body: JSON.stringify({ webhookId, appId, family, eventTypes: fam.eventTypes, reused: plan.action === 'reuse' }),
    };
  }

  /**
   * DELETE /v1/apps/{appId}/triggers/{family}/{webhookId}?sig=... Verifies the signature first
   * (nothing reaches Apple otherwise), deletes only a webhook of this connector on that app, and
   * treats "already gone" (not listed, or Apple's 404) as done: 200 {webhookId, deleted}.
   */
  async function unsubscribe({ appId, family, webhookId, rawQuery, callApple }) {
    const params = new URLSearchParams(rawQuery ?? '');
    const sigs = params.getAll('sig');
    const extra = [...params.keys()].filter((k) => k !== 'sig');
    if (sigs.length !== 1 || extra.length > 0 || !(await verifyLocation(await key(), appId, family, webhookId, sigs[0]))) {
      throw new GatewayError('TRIGGER_SIGNATURE_INVALID', 'This unsubscribe URL is not one this gateway issued (its sig is missing or does not match); use the Location of the subscribe answer as is.');
    }
    checkAppId(appId);
    checkFamily(family);
    const list = await listWebhooks(callApple, appId);
    if (list.status === 404) return { status: 200, body: JSON.stringify({ webhookId, deleted: false }) };
    if (!list.ok) return appleFailure(list.status, list.body);
    const plan = triggerPolicy.planUnsubscribe(webhookId, list.body);
    if (plan === 'gone') return { status: 200, body: JSON.stringify({ webhookId, deleted: false }) };
    const del = await callApple('DELETE', `/v1/webhooks/${encodeURIComponent(webhookId)}`, '', undefined);
    if (del.status === 404) return { status: 200, body: JSON.stringify({ webhookId, deleted: false }) };
    if (!ok(del.status)) return appleFailure(del.status, del.body);
    return { status: 200, body: JSON.stringify({ webhookId, deleted: true }) };
  }

  /**
   * GET /trigger/v1/apps/{appId}/customerReviews?since=&rating=&territory=. Answers 200
   * {"value": [new reviews, newest first], "watermark": "..."}; the platform's pollingtrigger policy
   * fires one run per item and passes `watermark` back as `since`.
   */
  async function pollReviews({ appId, rawQuery, callApple }) {
    checkAppId(appId);
    const params = new URLSearchParams(rawQuery ?? '');
    const details = [];
    const seen = new Set();
    for (const name of params.keys()) {
      if (!POLL_PARAMETERS.includes(name)) {
        details.push({ code: 'PARAMETER_UNKNOWN', message: `Unknown parameter ${name.slice(0, 64)}; the review poll accepts ${POLL_PARAMETERS.join(', ')}.`, parameter: name.slice(0, 64) });
      } else if (seen.has(name)) {
        details.push({ code: 'PARAMETER_REPEATED', message: `${name} was given more than once.`, parameter: name });
      }
      seen.add(name);
    }
    if (details.length) {
      throw new GatewayError('REQUEST_INVALID', details.length === 1 ? details[0].message : `The review poll has ${details.length} invalid parameters.`, details);
    }
    const request = { appId, nowSeconds: now() };
    for (const name of POLL_PARAMETERS) if (params.has(name)) request[name] = params.get(name);
    if (deps.reviewPageSize) request.pageSize = deps.reviewPageSize;
    const pages = [];
    for (let i = 0; i <= MAX_POLL_REQUESTS; i += 1) {
      const step = triggerPolicy.reviewPoll(request, pages);
      if (step.done) return { status: 200, body: step.done.body, skipped: step.done.skipped, requests: pages.length };
      const up = await callApple('GET', step.fetch.path, step.fetch.query, undefined);
      if (!ok(up.status)) return appleFailure(up.status, up.body);
      pages.push(text(up.body));
    }
    throw new GatewayError('INTERNAL', 'The review poll did not finish within its page budget.');
  }

  return { subscribe, unsubscribe, pollReviews, locationKey: key };
}
