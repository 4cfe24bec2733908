// POST /v1/request: any App Store Connect request, checked against Apple's whole spec before it is
// signed and sent. The caller's JSON body `{"method", "path", "query"?, "body"?, "shape"?}` goes as
// raw bytes to the wasm `planAnyRequest` (strict JSON: duplicate keys refused; the path must fit
// one of Apple's templates; every query parameter and body field checked, all problems at once),
// and only the planned request is sent, only to ASC_BASE_URL. GETs use the read retry policy
// (upstream.js); writes are sent once (write-policy.js). The answer is Apple's status and document,
// or with `"shape": true` the flat records of the named actions (the same shaper, which needs only
// the document).
//
// The spec pack (≈350 KB of text) is read once per process or isolate, on the first call of this
// route, so a gateway that never serves it pays nothing at start-up. The planner is its own wasm
// module (`asc-connector-wasm/any-request`), kept out of the main one; this file is the one place
// that names it.
import * as anyRequestModule from 'asc-connector-wasm/any-request';
import { GatewayError } from './errors.js';
import { callUpstream } from './upstream.js';
import { readRequestBody } from './request-body.js';
import { sendWriteOnce } from './write-policy.js';

/** The route's path. Apple has no path `/v1/request`, so it cannot hide one of Apple's. */
export const ANY_REQUEST_PATH = '/v1/request';
/** Largest request body read: the planner's envelope cap (64 KiB body + 16 KiB for the rest). */
export const MAX_ENVELOPE_BYTES = 80 * 1024;

let planner = null;

/** `planAnyRequest`, once the spec pack is loaded (loaded on first use, then shared). */
export function anyRequestPlanner() {
  planner ??= import('asc-connector-wasm/spec-pack').then((m) => {
    anyRequestModule.loadSpecPack(m.default);
    return anyRequestModule.planAnyRequest;
  });
  // A failed load is not cached: the next request tries again.
  planner.catch(() => {
    planner = null;
  });
  return planner;
}

function tooLarge() {
  return new GatewayError('BODY_TOO_LARGE', `The request body may have at most ${MAX_ENVELOPE_BYTES} bytes (the JSON:API body inside it at most 65536).`);
}

/**
 * Reads the request body as bytes, at most MAX_ENVELOPE_BYTES (request-body.js, which refuses a
 * declared Content-Length over the cap before reading).
 */
async function readEnvelope(request) {
  const read = await readRequestBody(request, MAX_ENVELOPE_BYTES);
  if (read.over) throw tooLarge();
  return read.bytes;
}

/**
 * Builds the route for one handler. `ctx` = { config, deps, upstreamPolicy, upstreamOrigin, policy
 * (the main wasm module, for shapeResponse), passThrough(up) → extra headers, deprecatedNames }.
 * Returns `serve(request, meta, state, getToken, url, rawQuery)` → { status, body, extra }.
 */
export function createAnyRequestRoute(ctx) {
  const { config, deps, upstreamPolicy, upstreamOrigin, policy, passThrough, deprecatedNames } = ctx;

  return async function serveAnyRequest(request, meta, state, getToken, url, rawQuery) {
    if (request.method !== 'POST') {
      throw new GatewayError('METHOD_NOT_ALLOWED', `${ANY_REQUEST_PATH} answers POST only, with a JSON body {"method", "path", "query", "body", "shape"}.`);
    }
    if (rawQuery !== '') {
      throw new GatewayError('REQUEST_TARGET_INVALID', `${ANY_REQUEST_PATH} takes no query string; put Apple's query parameters in the body's "query" member.`);
    }
    const envelope = await readEnvelope(request);
    const planAnyRequest = await anyRequestPlanner();
    const plan = planAnyRequest(envelope);
    state.operation = plan.operationId;
    state.deprecated = deprecatedNames(plan.deprecations);

    const target = `${config.baseUrl}${plan.path}${plan.query ? `?${plan.query}` : ''}`;
    if (!/^\/v\d+\//.test(plan.path) || new URL(target).origin !== upstreamOrigin) {
      // The planner only emits paths of Apple's templates; this guards the invariant that matters most.
      throw new GatewayError('INTERNAL', 'The planned upstream request left ASC_BASE_URL; it was not sent.');
    }
    const write = plan.method !== 'GET';
    const up = write
      ? await sendWriteOnce({ url: target, method: plan.method, body: plan.body, getToken, deps, policy: upstreamPolicy })
      : await callUpstream({ url: target, getToken, deps, policy: upstreamPolicy });
    state.upstreamStatus = up.status;
    state.retries = up.retries;
    state.minted = up.minted;
    const extra = passThrough(up);

    if (up.status >= 200 && up.status < 300 && up.body.byteLength === 0) {
      // 204 (deletes, relationship changes) and other empty successes: the status alone.
      return { status: up.status, body: null, extra };
    }
    if (up.status >= 200 && up.status < 300 && !plan.shape) {
      const text = decodeJson(up.body);
      if (text === null) {
        throw new GatewayError('UPSTREAM_BAD_RESPONSE', `App Store Connect answered ${up.status} with a body that is not JSON text; the gateway passes on JSON documents only.`);
      }
      return { status: up.status, body: text, extra };
    }
    // Errors always, and successes with shape: the shaper (Apple's details kept, 5xx → 502).
    const shaped = policy.shapeResponse(plan.operationId, up.status, up.body, {
      baseUrl: config.publicUrl ?? url.origin,
      path: plan.path,
      query: plan.query.split('&').filter((p) => p !== '' && !p.startsWith('cursor=')).join('&'),
      upstreamOrigin,
      raw: false,
    });
    return { status: shaped.status, body: shaped.body, extra };
  };
}

/** The body as text when it is UTF-8 JSON, else null. */
function decodeJson(bytes) {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    JSON.parse(text);
    return text;
  } catch {
    return null;
  }
}
