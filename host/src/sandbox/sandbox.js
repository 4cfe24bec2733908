// The sandbox: a local stand-in for App Store Connect, serving every path of the vendored spec subset (the
// connector's operations: lists, reads, related lists and related reads, and the writes), for `make demo`, tests and trying flows
// without an Apple account. Routes, parameter tables and relationships come from Apple's spec at start-up
// (spec.js), never from the gateway's table. It checks bearer tokens the way Apple does (verify.js, WebCrypto
// only, independent of our signer), serves deterministic realistic data (data.js) with Apple's paging, include,
// filter, sort and sparse-fieldset behaviour, and answers errors with Apple's bodies (docs/API_NOTES.md#errors).
// Runtime-agnostic: WHATWG fetch types and crypto.subtle only, so it runs under Node, workerd or Deno alike.
//
// createSandbox({ keys, apps = 30, now = () => Date.now() / 1000, seed, rateLimitPerHour = 3600 })
//   keys: [{ kid, publicKeyPem (SPKI PEM), issuerId }]          team key
//         [{ kid, publicKeyPem, individual: true }]              individual key
//         either may add `forbidden: true` → every request with that key gets Apple's 403 FORBIDDEN_ERROR.
// → { handle(request) → Promise<Response>, faults, stats, addKey(key), catalogue, webhooks, addReview,
//     setVersionState, setBuildUploadState, setExternalBetaState, addFeedback }
//   The trigger controls (docs/TRIGGERS.md): webhooks is Apple's webhooks resource (webhooks.js, served
//   after authentication); setVersionState / setBuildUploadState / setExternalBetaState / addFeedback change
//   a state or add feedback and POST Apple's payload, signed with x-apple-signature, to every matching
//   webhook; addReview(appId, fields?) adds a customer review now (reviews.js).
//
// Choices where Apple is silent (docs/API_NOTES.md#undocumented), documented so nobody mistakes them for Apple facts:
//   - default page size when `limit` is absent: 50 (Apple's default is undocumented);
//   - default `limit[...]` of an included to-many relationship: 10;
//   - a future `iat` is tolerated up to 5 s (verify.js); exp has no leeway;
//   - cursor = base64url("o:<offset>") + "." + base64url(4-byte checksum); a cursor that does not decode or whose
//     checksum is wrong → 400 PARAMETER_ERROR.INVALID on `cursor`;
//   - unknown `filter[x]` → 400 PARAMETER_ERROR.INVALID "'x' is not a valid filter type" (Apple's own example);
//     any other unknown parameter → 400 PARAMETER_ERROR.ILLEGAL; a parameter given twice → 400 INVALID;
//   - `include` of a relationship the catalogue has no data for is accepted and gets empty linkage (or null);
//   - filter[x] matches: x = id → the id; x an attribute → its value (as text); x a relationship → the related
//     ids; x = rel.attr → an attribute of a related resource; a relationship without data matches nothing;
//   - exists[x]: x an attribute → non-null; x a relationship, or the relationship x ends with (publishedResponse →
//     response) → has related data; a relationship the catalogue has no data for never exists;
//   - sort keys are attributes (nulls last) or to-one relationships (by related id); ties keep catalogue order;
//   - GET of a to-one relationship that is empty (a review without a response) → 404 NOT_FOUND;
//   - a 404 NOT_FOUND names the type as Apple does for apps: 'AppsV1' for apps, 'CustomerReviewsV1' for reviews;
//   - X-Rate-Limit is counted per key id over a rolling hour of the injected clock; only authenticated requests
//     count; 401 answers carry the header with the key's current remainder (or the full limit for unknown keys).
//
// Fault injection — `sandbox.faults`:
//   faults.next(spec)   queue a fault; each request takes the head of the queue; `count: n` (default 1) makes the
//                       fault apply to the next n requests. Returns `faults` for chaining.
//   faults.clear()      drop all queued faults;   faults.pending → requests still affected.
//   spec options (combine freely):
//     { status: 503, retryAfter: 1 }  answer with that status (JSON error body, Retry-After header if given);
//                                     500 → Apple-style UNEXPECTED_ERROR body; `body` overrides the body text
//     { rateLimitBurst: n }           the next n requests get 429 RATE_LIMIT_EXCEEDED + user-hour-rem:0
//     { latencyMs: 200 }              wait that long, then answer normally (or with the other options)
//     { truncate: true }              normal status and headers, body cut in the middle of the JSON
//     { reset: true }                 network error: handle() returns Response.error(); the Node server destroys
//                                     the socket without answering
//     { bodyBytes: N }                normal answer padded with trailing whitespace to N bytes (valid JSON, huge)
//     { html: true }                  an HTML error page (text/html), status 502 unless `status` is given
//     { rejectToken: true }           Apple's 401 even for a good token (stats.lastRejection = 'FAULT_REJECT_TOKEN')
//     { nextLinkHost: 'evil.example' } links.next points at that host instead of the sandbox's own origin
//     { apply: true, ... }            serve the request first (a write is applied), then answer as the other options
//                                     say: { apply: true, reset: true } stores the change and drops the connection,
//                                     { apply: true, status: 500 } stores it and answers 500
//
// Writes (writes.js): create, delete and relationship changes checked against Apple's request schemas and applied
// to the in-memory catalogue, so later reads show them; `stats.changes` counts applied changes.
//
// `sandbox.stats` (plain object, read it any time):
//   requests, byPath { '/v1/apps': n, ... }, tokensSeen (distinct bearer tokens, counted by SHA-256 hash only —
//   the tokens themselves are never stored), acceptedTokens (requests that passed verification), rejectedTokens,
//   lastRejection (reason code for test diagnostics; never sent in a body), faultsServed, rateLimited.

import { generateCatalogue } from './data.js';
import { createFaults } from './faults.js';
import { genericAnswer } from './generic.js';
import { createReviewFeed } from './reviews.js';
import { createWebhooks } from './webhooks.js';
import { specTables } from './spec.js';
import { importPublicKey, verifyBearer } from './verify.js';
import { createWrites } from './writes.js';

/** Page size used when a request has no `limit` (Apple's default is undocumented). */
export const DEFAULT_PAGE_SIZE = 50;
/** Related items per app when `include` has no matching `limit[...]`. */
export const DEFAULT_INCLUDED_LIMIT = 10;

const APPLE_401 = {
  status: '401',
  code: 'NOT_AUTHORIZED',
  title: 'Authentication credentials are missing or invalid.',
  detail:
    'Provide a properly configured and signed bearer token, and make sure that it has not expired. Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens',
};
const APPLE_429 = {
  status: '429',
  code: 'RATE_LIMIT_EXCEEDED',
  title: 'The request rate limit has been reached.',
  detail: "We've received too many requests for this API. Please wait and try again or slow down your request rate.",
};

function errorBody(error, withId = true) {
  const e = withId ? { id: crypto.randomUUID(), ...error } : error;
  return JSON.stringify({ errors: [e] });
}

function invalidParam(parameter, detail) {
  return {
    status: 400,
    error: { status: '400', code: 'PARAMETER_ERROR.INVALID', title: 'A parameter has an invalid value', detail, source: { parameter } },
  };
}

function illegalParam(parameter) {
  return {
    status: 400,
    error: {
      status: '400',
      code: 'PARAMETER_ERROR.ILLEGAL',
      title: 'A parameter is not allowed for this request',
      detail: `The parameter '${parameter}' can not be used with this request`,
      source: { parameter },
    },
  };
}

function b64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function b64urlDecode(text) {
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** FNV-1a over text, as 4 bytes: the cursor checksum (tamper detection, not security). */
function checksum(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return new Uint8Array([h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255]);
}

/** Sorted, percent-encoded query string (Apple echoes parameters sorted by name, brackets encoded). */
function encodeQuery(pairs) {
  return [...pairs]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** The members of `obj` named in `names`, in the object's own order (as Apple keeps it). */
function pick(obj, names) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) if (names.includes(k)) out[k] = v;
  return out;
}

/** Builds the sandbox. See the comment block at the top of this file. */
export function createSandbox({ keys = [], apps = 30, now = () => Date.now() / 1000, seed = 1, rateLimitPerHour = 3600 } = {}) {
  const catalogue = generateCatalogue({ apps, seed });
  const tables = specTables();
  const store = catalogue.resources;
  const cursorSecret = `asc-sandbox:${String(seed)}`;
  const keyTable = new Map();
  const usage = new Map(); // kid → timestamps (seconds) of counted requests within the last hour
  const tokenHashes = new Set();
  const stats = {
    requests: 0,
    byPath: {},
    tokensSeen: 0,
    acceptedTokens: 0,
    rejectedTokens: 0,
    lastRejection: null,
    faultsServed: 0,
    rateLimited: 0,
    changes: 0,
    lastWrite: null,
  };
  const faults = createFaults(() => {
    stats.faultsServed += 1;
  });
  // Apple's webhooks resource and deliveries (webhooks.js), and reviews arriving over time (reviews.js).
  const webhooks = createWebhooks({ appExists: (id) => store.get('apps')?.has(id) ?? false, now, store });
  // Webhooks another tool made on the first apps (disabled, so nothing is ever delivered to them): the
  // data ListAppWebhooks pages through. The platform and trigger tests use later apps.
  let seeded = 0;
  for (const app of catalogue.apps.slice(0, 2)) {
    for (const [n, types] of [['Release bot', ['APP_STORE_VERSION_APP_VERSION_STATE_UPDATED']], ['Build watcher', ['BUILD_UPLOAD_STATE_UPDATED']], ['Beta desk', ['BETA_FEEDBACK_CRASH_SUBMISSION_CREATED']], ['QA alerts', ['BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED']]]) {
      seeded += 1;
      webhooks.seed({ id: `0000000${seeded}-5eed-4000-8000-000000000000`, appId: app.id, name: n, url: `https://hooks.example.com/${app.id}/${n.toLowerCase().replace(/ /g, '-')}`, eventTypes: types, secret: `seeded-${app.id}` });
    }
  }
  const reviews = createReviewFeed(store, { now });

  /**
   * Changes an App Store version's state in the catalogue and delivers
   * APP_STORE_VERSION_APP_VERSION_STATE_UPDATED to the app's webhooks. Resolves to the deliveries.
   */
  function setVersionState(versionId, newValue) {
    const version = store.get('appStoreVersions')?.get(versionId);
    if (!version) throw new TypeError(`the sandbox has no App Store version ${versionId}`);
    const oldValue = version.attributes.appVersionState;
    version.attributes = { ...version.attributes, appVersionState: newValue };
    return webhooks.appStoreVersionStateChanged(version.relationships.app, versionId, oldValue, newValue);
  }

  function addKey(key) {
    if (!key || typeof key.kid !== 'string' || key.kid.length === 0) throw new TypeError('sandbox key needs a kid');
    if (typeof key.publicKeyPem !== 'string') throw new TypeError(`sandbox key ${key.kid}: publicKeyPem (SPKI PEM) is required`);
    if (!key.individual && typeof key.issuerId !== 'string') {
      throw new TypeError(`sandbox key ${key.kid}: give issuerId for a team key or individual: true`);
    }
    if (key.individual && key.issuerId !== undefined) throw new TypeError(`sandbox key ${key.kid}: an individual key has no issuerId`);
    const cryptoKey = importPublicKey(key.publicKeyPem);
    cryptoKey.catch(() => {}); // a bad PEM surfaces as a failed verification, not an unhandled rejection
    keyTable.set(key.kid, {
      kid: key.kid,
      issuerId: key.individual ? undefined : key.issuerId,
      individual: Boolean(key.individual),
      forbidden: Boolean(key.forbidden),
      cryptoKey,
    });
  }
  for (const key of keys) addKey(key);

  function windowFor(kid, t) {
    const list = usage.get(kid) ?? [];
    while (list.length > 0 && list[0] <= t - 3600) list.shift();
    usage.set(kid, list);
    return list;
  }

  function rateHeader(kid, t) {
    const used = kid && keyTable.has(kid) ? windowFor(kid, t).length : 0;
    return `user-hour-lim:${rateLimitPerHour};user-hour-rem:${Math.max(0, rateLimitPerHour - used)};`;
  }

  function json(status, body, rate, extra = {}) {
    return { status, body, headers: { 'content-type': 'application/json', 'x-rate-limit': rate, ...extra } };
  }

  function makeCursor(offset) {
    const payload = `o:${offset}`;
    return `${b64url(new TextEncoder().encode(payload))}.${b64url(checksum(`${cursorSecret}|${payload}`))}`;
  }

  function readCursor(cursor) {
    const [p, c, extra] = cursor.split('.');
    if (!p || !c || extra !== undefined) return null;
    const bytes = b64urlDecode(p);
    const sum = b64urlDecode(c);
    if (!bytes || !sum) return null;
    const payload = new TextDecoder().decode(bytes);
    const m = /^o:(\d{1,9})$/.exec(payload);
    if (!m) return null;
    if (b64url(sum) !== b64url(checksum(`${cursorSecret}|${payload}`))) return null;
    return Number(m[1]);
  }

  /** Validates the query against the operation's parameter table; returns { params } or an error result. */
  function parseQuery(url, table, isList) {
    const params = new Map();
    for (const [name, value] of url.searchParams) {
      if (params.has(name)) return invalidParam(name, `The parameter '${name}' was given more than once`);
      params.set(name, value);
    }
    for (const [name, value] of params) {
      if (name === 'cursor' && isList) continue;
      const def = table[name];
      if (!def) {
        const f = /^filter\[(.*)\]$/.exec(name);
        if (f) return invalidParam(name, `'${f[1]}' is not a valid filter type`);
        return illegalParam(name);
      }
      if (def.type === 'integer') {
        const n = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
        if (!Number.isInteger(n) || n < 1 || (def.max !== undefined && n > def.max)) {
          return invalidParam(name, `'${value}' is not a valid value for '${name}'; give an integer from 1 to ${def.max}`);
        }
      } else if (def.type === 'boolean') {
        if (value !== 'true' && value !== 'false') return invalidParam(name, `'${value}' is not a valid value for '${name}'; give true or false`);
      } else {
        const items = value.split(',');
        for (const item of items) {
          if (item === '') return invalidParam(name, `'${name}' has an empty value`);
          if (def.enum && !def.enum.includes(item)) return invalidParam(name, `'${item}' is not a valid value for '${name}'`);
        }
      }
    }
    return { params };
  }

  const list = (params, name) => (params.has(name) ? params.get(name).split(',') : null);
  const find = (type, id) => store.get(type)?.get(id) ?? null;
  const idsOf = (rec, name) => {
    const v = rec.relationships[name];
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  };

  /**
   * One resource as Apple renders it: attributes, relationships (links per the spec; data when included) and its
   * own link. `include` is the list of relationships to give data for; `included` collects the related records.
   */
  function render(rec, origin, params, include, included, seen) {
    const shape = tables.resources.get(rec.type);
    const fields = list(params, `fields[${rec.type}]`);
    const rels = {};
    for (const r of shape.relationships) {
      const isIncluded = include.includes(r.name);
      if (r.links.length === 0 && !isIncluded) continue;
      const out = {};
      if (r.links.length > 0) {
        out.links = {};
        if (r.links.includes('self')) out.links.self = `${origin}/v1/${rec.type}/${rec.id}/relationships/${r.name}`;
        if (r.links.includes('related')) out.links.related = `${origin}/v1/${rec.type}/${rec.id}/${r.name}`;
      }
      if (isIncluded && r.cardinality) {
        let ids = idsOf(rec, r.name).filter((id) => find(r.relatedType, id));
        if (r.cardinality === 'many') {
          const limit = params.has(`limit[${r.name}]`) ? Number(params.get(`limit[${r.name}]`)) : DEFAULT_INCLUDED_LIMIT;
          out.meta = { paging: { total: ids.length, limit } };
          ids = ids.slice(0, limit);
          out.data = ids.map((id) => ({ type: r.relatedType, id }));
        } else {
          out.data = ids.length > 0 ? { type: r.relatedType, id: ids[0] } : null;
        }
        for (const id of ids) {
          const key = `${r.relatedType}/${id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          included.push(render(find(r.relatedType, id), origin, params, [], null, seen));
        }
      }
      rels[r.name] = out;
    }
    let attributes = rec.attributes;
    let relOut = rels;
    if (fields) {
      attributes = pick(attributes, fields);
      relOut = pick(rels, fields);
    }
    const out = { type: rec.type, id: rec.id };
    if (Object.keys(attributes).length > 0) out.attributes = attributes;
    if (Object.keys(relOut).length > 0) out.relationships = relOut;
    out.links = { self: `${origin}/v1/${rec.type}/${rec.id}` };
    return out;
  }

  /** Renders records plus their `included` resources per include / fields / limit[...] parameters. */
  function renderAll(records, params, origin) {
    const include = list(params, 'include') ?? [];
    const included = [];
    const seen = new Set();
    const data = records.map((rec) => render(rec, origin, params, include, included, seen));
    return { data, included: include.length > 0 ? included : undefined };
  }

  /** The values a filter or sort key reads from a record: an attribute, a relationship's ids, or rel.attr. */
  function valuesOf(rec, key) {
    if (key === 'id') return [rec.id];
    const shape = tables.resources.get(rec.type);
    if (shape.attributes.includes(key)) {
      const v = rec.attributes[key];
      return v === null || v === undefined ? [] : [String(v)];
    }
    const [relName, ...rest] = key.split('.');
    const r = shape.relationships.find((x) => x.name === relName);
    if (!r || !r.cardinality) return [];
    const ids = idsOf(rec, relName);
    if (rest.length === 0) return ids;
    return ids.flatMap((id) => {
      const other = find(r.relatedType, id);
      return other ? valuesOf(other, rest.join('.')) : [];
    });
  }

  function exists(rec, key) {
    const shape = tables.resources.get(rec.type);
    if (shape.attributes.includes(key)) return rec.attributes[key] !== null && rec.attributes[key] !== undefined;
    const r = shape.relationships.find((x) => x.name === key)
      ?? shape.relationships.find((x) => key.toLowerCase().endsWith(x.name.toLowerCase()));
    return r ? idsOf(rec, r.name).length > 0 : false;
  }

  function filterAndSort(records, params) {
    let result = records;
    for (const [name, value] of params) {
      const f = /^filter\[(.+)\]$/.exec(name);
      if (f) {
        const wanted = value.split(',');
        result = result.filter((rec) => valuesOf(rec, f[1]).some((v) => wanted.includes(v)));
      }
      const e = /^exists\[(.+)\]$/.exec(name);
      if (e) result = result.filter((rec) => exists(rec, e[1]) === (value === 'true'));
    }
    const sort = list(params, 'sort');
    if (sort) {
      const order = new Map(result.map((r, i) => [r, i]));
      result = [...result].sort((x, y) => {
        for (const key of sort) {
          const desc = key.startsWith('-');
          const attr = desc ? key.slice(1) : key;
          const a = x.attributes[attr] ?? valuesOf(x, attr)[0] ?? null;
          const b = y.attributes[attr] ?? valuesOf(y, attr)[0] ?? null;
          if (a === b) continue;
          if (a === null) return 1;
          if (b === null) return -1;
          return (a < b ? -1 : 1) * (desc ? -1 : 1);
        }
        return order.get(x) - order.get(y);
      });
    }
    return result;
  }

  function notFound(type, id) {
    return {
      status: 404,
      error: {
        status: '404',
        code: 'NOT_FOUND',
        title: 'The specified resource does not exist',
        detail: `There is no resource of type '${type[0].toUpperCase()}${type.slice(1)}V1' with id '${id}'`,
      },
    };
  }

  function selfLink(url, params) {
    const pairs = [...params];
    return `${url.origin}${url.pathname}${pairs.length ? `?${encodeQuery(pairs)}` : ''}`;
  }

  function page(url, records, params, fault) {
    const origin = url.origin;
    let offset = 0;
    if (params.has('cursor')) {
      const decoded = readCursor(params.get('cursor'));
      if (decoded === null) return invalidParam('cursor', `'${params.get('cursor')}' is not a valid cursor for this request`);
      offset = decoded;
    }
    const limit = params.has('limit') ? Number(params.get('limit')) : DEFAULT_PAGE_SIZE;
    const matching = filterAndSort(records, params);
    const { data, included } = renderAll(matching.slice(offset, offset + limit), params, origin);
    const pairs = [...params];
    const links = { self: selfLink(url, params) };
    if (offset + limit < matching.length) {
      const nextPairs = pairs.filter(([k]) => k !== 'cursor');
      nextPairs.push(['cursor', makeCursor(offset + limit)]);
      const nextOrigin = fault?.nextLinkHost ? `${url.protocol}//${fault.nextLinkHost}` : origin;
      links.next = `${nextOrigin}${url.pathname}?${encodeQuery(nextPairs)}`;
    }
    const body = { data };
    if (included) body.included = included;
    body.links = links;
    body.meta = { paging: { total: matching.length, limit } };
    return { status: 200, body };
  }

  function one(url, rec, params) {
    const { data, included } = renderAll([rec], params, url.origin);
    const body = { data: data[0] };
    if (included) body.included = included;
    body.links = { self: selfLink(url, params) };
    return { status: 200, body };
  }

  const applyWrite = createWrites({
    store,
    find,
    stats,
    one: (url, rec) => one(url, rec, new Map()).body,
    nowIso: () => new Date(Math.floor(now()) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });

  /** Serves one operation of the spec tables with validated parameters. */
  function serve(op, url, ids, params, fault) {
    if (op.kind === 'list') return page(url, [...(store.get(op.type)?.values() ?? [])], params, fault);
    const ownType = op.kind === 'get' ? op.type : op.parentType;
    const rec = find(ownType, ids[0]);
    if (!rec) return notFound(ownType, ids[0]);
    if (op.kind === 'get') return one(url, rec, params);
    const related = idsOf(rec, op.relationship).map((id) => find(op.type, id)).filter(Boolean);
    if (op.kind === 'relatedList') return page(url, related, params, fault);
    if (related.length === 0) return notFound(op.type, `${ids[0]}/${op.relationship}`);
    return one(url, related[0], params);
  }

  /** The operation whose path fits, and the decoded values of its `{...}` segments. */
  function route(pathname) {
    const segments = pathname.split('/').slice(1);
    const fits = [];
    for (const op of tables.operations) {
      if (op.segments.length !== segments.length) continue;
      const ids = [];
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        if (op.segments[i].startsWith('{')) {
          if (segments[i] === '') ok = false;
          else {
            try {
              ids.push(decodeURIComponent(segments[i]));
            } catch {
              ids.push(segments[i]); // keep the raw segment; it will not match any resource
            }
          }
        } else if (op.segments[i] !== segments[i]) ok = false;
      }
      if (ok) fits.push({ op, ids });
    }
    return fits;
  }

  /** Everything after the fault layer: authenticate, rate-limit, route, answer. Returns a plain response spec. */
  async function answer(request, url, fault, t) {
    const authorization = request.headers.get('authorization');
    const bearer = /^Bearer\s+(\S+)$/i.exec((authorization ?? '').trim());
    if (bearer) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(bearer[1])));
      const hash = b64url(digest);
      if (!tokenHashes.has(hash)) {
        tokenHashes.add(hash);
        stats.tokensSeen = tokenHashes.size;
      }
    }
    const verdict = fault?.rejectToken
      ? { ok: false, reason: 'FAULT_REJECT_TOKEN' }
      : await verifyBearer(authorization, {
        method: request.method,
        path: url.pathname,
        query: url.search.slice(1),
        now: t,
        keyFor: (kid) => keyTable.get(kid),
      });
    if (!verdict.ok) {
      stats.rejectedTokens += 1;
      stats.lastRejection = verdict.reason;
      return json(401, errorBody(APPLE_401, false), rateHeader(verdict.kid, t));
    }
    stats.acceptedTokens += 1;
    const key = verdict.key;
    const window = windowFor(key.kid, t);
    if (window.length >= rateLimitPerHour) {
      stats.rateLimited += 1;
      return json(429, errorBody(APPLE_429, false), rateHeader(key.kid, t));
    }
    window.push(t);
    const rate = rateHeader(key.kid, t);
    if (key.forbidden) {
      return json(
        403,
        errorBody({
          status: '403',
          code: 'FORBIDDEN_ERROR',
          title: 'This request is forbidden for security reasons',
          detail: 'The API key in use does not allow this request',
        }),
        rate,
      );
    }

    // The webhooks resource has its own routes (create, list, read, delete, pings).
    // GET of an app's webhooks is served by the generic route below (the catalogue mirrors them).
    const appWebhooks = request.method === 'GET' && /^\/v1\/apps\/[^/]+\/webhooks$/.test(url.pathname);
    const hooked = appWebhooks ? null : webhooks.route(request, url);
    if (hooked) {
      const r = await hooked;
      // A webhook created or deleted is an applied change, like the writes (stats.changes).
      if (request.method !== 'GET' && r.status >= 200 && r.status < 300 && url.pathname !== '/v1/webhookPings') stats.changes += 1;
      return { status: r.status, body: r.body, headers: { ...r.headers, 'x-rate-limit': rate } };
    }

    const path = url.pathname;
    const fits = route(path);
    // Every other operation of Apple's full spec: a generated, well-formed answer (generic.js).
    const generic = fits.some((f) => f.op.method === request.method) ? null : await genericAnswer(request, url);
    if (generic) return json(generic.status, generic.body, rate, { 'content-type': generic.contentType });
    if (fits.length === 0) {
      return json(
        404,
        errorBody({
          status: '404',
          code: 'PATH_ERROR',
          title: 'The URL path is not valid',
          detail: 'The path provided does not match a defined resource type.',
        }),
        rate,
      );
    }
    const fit = fits.find((f) => f.op.method === request.method);
    if (!fit) {
      const allowed = [...new Set(fits.map((f) => f.op.method))].join(', ');
      return json(
        405,
        errorBody({
          status: '405',
          code: 'METHOD_NOT_ALLOWED',
          title: 'The request method is not valid for the resource path.',
          detail: `The request method '${request.method}' is not valid for the resource path '${path}'. Allowed: ${allowed}`,
        }),
        rate,
        { allow: allowed },
      );
    }
    const pageable = fit.op.kind === 'list' || fit.op.kind === 'relatedList';
    const parsed = parseQuery(url, fit.op.params, pageable);
    if (parsed.params && fit.op.requestSchema !== undefined) {
      // A write (writes.js): the change lands in the store; later reads show it.
      const w = await applyWrite(fit.op, fit.ids, request, url);
      if (w.notFound) return json(404, errorBody(notFound(...w.notFound).error), rate);
      if (w.errors) return json(w.status, JSON.stringify({ errors: w.errors }), rate);
      return json(w.status, w.body === null ? null : JSON.stringify(w.body), rate);
    }
    const result = parsed.params ? serve(fit.op, url, fit.ids, parsed.params, fault) : parsed;
    if (result.error) return json(result.status, errorBody(result.error), rate);
    return json(result.status, JSON.stringify(result.body), rate);
  }

  async function handle(request) {
    const url = new URL(request.url);
    stats.requests += 1;
    stats.byPath[url.pathname] = (stats.byPath[url.pathname] ?? 0) + 1;
    const fault = faults.take();
    if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    const t = now();
    // `apply`: the request is served (a write lands in the store) before the fault decides the answer.
    if (fault?.apply) await answer(request, url, null, t);
    if (fault?.reset) return Response.error();
    const extra = fault?.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};

    if (fault?.html) {
      const status = fault.status ?? 502;
      const page = `<!DOCTYPE html><html><head><title>${status} Error</title></head><body><h1>${status} Error</h1><p>The server encountered a temporary error.</p></body></html>`;
      return new Response(fault.body ?? page, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...extra } });
    }
    if (fault?.status !== undefined) {
      const status = fault.status;
      let body;
      if (fault.body !== undefined) body = fault.body;
      else if (status === 429) body = errorBody(APPLE_429, false);
      else if (status === 500) {
        body = errorBody({
          status: '500',
          code: 'UNEXPECTED_ERROR',
          title: 'An unexpected error occurred.',
          detail: 'An unexpected error occurred on the server side. If this issue continues, contact us at https://developer.apple.com/contact/.',
        });
      } else {
        body = errorBody({ status: String(status), code: status >= 500 ? 'SERVICE_UNAVAILABLE' : 'SANDBOX_FAULT', title: 'Injected fault', detail: `The sandbox was told to answer ${status}.` });
      }
      const rate = status === 429 ? `user-hour-lim:${rateLimitPerHour};user-hour-rem:0;` : `user-hour-lim:${rateLimitPerHour};user-hour-rem:${rateLimitPerHour};`;
      return new Response(body, { status, headers: { 'content-type': 'application/json', 'x-rate-limit': rate, ...extra } });
    }

    const spec = await answer(request, url, fault, t);
    let body = spec.body;
    if (body === null) return new Response(null, { status: spec.status, headers: { ...spec.headers, ...extra } });
    if (fault?.truncate) body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
    if (fault?.bodyBytes) {
      const size = new TextEncoder().encode(body).length;
      if (fault.bodyBytes > size) body += ' '.repeat(fault.bodyBytes - size);
    }
    return new Response(body, { status: spec.status, headers: { ...spec.headers, ...extra } });
  }

  return {
    handle,
    faults,
    stats,
    addKey,
    catalogue,
    webhooks,
    /** Adds a customer review to an app now (or at `seconds`); see reviews.js. */
    addReview: reviews.add,
    setVersionState,
    /** A build upload's state changed (BuildUploadState values); delivers BUILD_UPLOAD_STATE_UPDATED. */
    setBuildUploadState: (appId, buildUploadId, oldState, newState) => webhooks.buildUploadStateChanged(appId, buildUploadId, oldState, newState),
    /** A build's external TestFlight state changed; delivers BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED. */
    setExternalBetaState: (appId, buildBetaDetailId, oldState, newState) => webhooks.externalBetaStateChanged(appId, buildBetaDetailId, oldState, newState),
    /** A tester sent feedback, kind 'screenshot' or 'crash'; delivers the matching BETA_FEEDBACK_* event. */
    addFeedback: (appId, kind, submissionId) => webhooks.feedbackCreated(appId, kind, submissionId),
  };
}
