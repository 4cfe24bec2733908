// POST /v1/request end to end: gateway → sandbox, with the sandbox as the oracle (it reads Apple's
// full spec itself; nothing here uses the planner to build expectations).
//
// - 200 operations sampled deterministically across the whole spec (every method kind, with and
//   without path ids): a valid request reaches the sandbox unchanged (method, path, query, body);
//   one bad query parameter and one bad body field each give 400 naming it, and nothing is sent.
// - The answer: Apple's status and document, `shape: true` flat records, 204 without a body,
//   X-Rate-Limit passed through, the route's own refusals (method, query string, size, auth).
// - The retry rules: a write that may have reached Apple is sent once (5xx, reset, cut-off answer,
//   timeout → UPSTREAM_OUTCOME_UNKNOWN); 401 and 429 are retried; a GET keeps the read policy.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, newAppleKey, serverKeyEnv, fetchJson } from './helpers/gateway.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPEC = JSON.parse(fs.readFileSync(path.join(ROOT, 'spec', 'app-store-connect-openapi-4.4.1.json'), 'utf8'));
const ID = 'Ab-9_z.~1';

function resolve(s) {
  let out = s;
  while (out && out.$ref) out = SPEC.components.schemas[out.$ref.split('/').pop()];
  return out ?? {};
}

/** A minimal valid value of a schema: required properties only, first enum values, one array item. */
function minimal(schema) {
  const s = resolve(schema);
  if (s.oneOf) return minimal(s.oneOf[0]);
  switch (s.type) {
    case 'object': {
      const out = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) if ((s.required ?? []).includes(k)) out[k] = minimal(v);
      return out;
    }
    case 'array': return [minimal(s.items)];
    case 'string':
      if (s.enum) return s.enum[0];
      return { date: '2025-01-31', 'date-time': '2025-01-31T12:00:00Z', email: 'ada@example.com' }[s.format] ?? 'text-1';
    case 'integer': return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'number': return 1.5;
    case 'boolean': return true;
    default: return {};
  }
}

/** A valid value of a query parameter in Apple's text form, and a bad one. */
function paramValues(p) {
  const s = p.schema;
  if (s.type === 'integer') return ['1', 'many'];
  if (s.type === 'boolean') return ['true', 'maybe'];
  const values = s.type === 'array' ? s.items?.enum : s.enum;
  return values ? [values[0], 'NOT_A_VALUE'] : ['v-1', ''];
}

/** RFC 3986 unreserved kept, everything else %XX. */
const enc = (text) => [...new TextEncoder().encode(text)].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** 200 operations spread evenly over Apple's order, starting at the fourth (deterministic). */
function sample() {
  const all = [];
  for (const [template, item] of Object.entries(SPEC.paths)) {
    for (const method of ['get', 'post', 'patch', 'delete']) if (item[method]) all.push({ method: method.toUpperCase(), template, op: item[method] });
  }
  assert.equal(all.length, 1263);
  return Array.from({ length: 200 }, (_, i) => {
    const { method, template, op } = all[(Math.floor((i * all.length) / 200) + 3) % all.length];
    const params = (op.parameters ?? []).filter((p) => p.in === 'query');
    const query = {};
    params.forEach((p, n) => {
      if (n === 0 || p.required) query[p.name] = paramValues(p)[0];
    });
    const badParam = params.length > 0 ? [params[0].name, paramValues(params[0])[1]] : ['bogus', '1'];
    const schema = op.requestBody?.content?.['application/json']?.schema;
    return { method, template, path: template.replaceAll('{id}', ID), query, badParam, body: schema ? minimal(schema) : undefined };
  });
}

/** The sandbox requests, recorded as they arrive (method, path, query, body text). */
function recordSandbox(sandbox) {
  const seen = [];
  const original = sandbox.handle;
  sandbox.handle = async (request) => {
    const url = new URL(request.url);
    const entry = { method: request.method, path: url.pathname, query: url.search.slice(1), body: await request.clone().text() };
    seen.push(entry);
    const response = await original(request);
    entry.status = response.status;
    return response;
  };
  return seen;
}

let stack;
let seen;
const post = (envelope, headers = {}) => fetchJson(`${stack.gw.url}/v1/request`,
  { 'X-API-Key': stack.apiKey, 'Content-Type': 'application/json', ...headers },
  { method: 'POST', body: typeof envelope === 'string' ? envelope : JSON.stringify(envelope) });

before(async () => {
  const key = newAppleKey();
  stack = await startStack({ keys: [key.sandboxKey], env: serverKeyEnv(key), deps: { upstream: { attemptTimeoutMs: 1500, budgetMs: 6000, backoffBaseMs: 5, backoffCapMs: 50 } } });
  seen = recordSandbox(stack.sandbox);
});
after(() => stack.close());

/** An email no earlier test of this file has used. */
let emailSeq = 0;
function uniqueEmail(name) {
  emailSeq += 1;
  return `${name}.${emailSeq}@example.com`;
}

describe('200 operations sampled across Apple\'s spec', () => {
  const cases = sample();

  test('the sample has every method kind, with and without path ids', () => {
    for (const m of ['GET', 'POST', 'PATCH', 'DELETE']) {
      assert.ok(cases.some((c) => c.method === m && c.template.includes('{id}')), `${m} with id`);
      if (m === 'GET' || m === 'POST') assert.ok(cases.some((c) => c.method === m && !c.template.includes('{id}')), `${m} without id`);
    }
    assert.ok(cases.some((c) => c.body !== undefined) && cases.some((c) => Object.keys(c.query).length > 0));
  });

  test('a valid request reaches the sandbox unchanged, and Apple\'s status comes back', async () => {
    for (const c of cases) {
      const what = `${c.method} ${c.template}`;
      const before = seen.length;
      const res = await post({ method: c.method, path: c.path, query: c.query, body: c.body });
      assert.equal(seen.length, before + 1, `${what}: one request upstream (${res.text.slice(0, 200)})`);
      const got = seen[seen.length - 1];
      const expectedQuery = Object.entries(c.query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${enc(v)}`).join('&');
      assert.deepEqual(
        { method: got.method, path: got.path, query: got.query, body: got.body },
        { method: c.method, path: c.path, query: expectedQuery, body: c.body === undefined ? '' : JSON.stringify(c.body) },
        what,
      );
      assert.ok(got.status < 500, `${what}: sandbox answered ${got.status}`);
      assert.equal(res.status, got.status, `${what}: ${res.text.slice(0, 200)}`);
    }
  });

  test('one bad query parameter: 400 naming it, nothing sent', async () => {
    for (const c of cases) {
      const before = stack.sandbox.stats.requests;
      const query = { ...c.query, [c.badParam[0]]: c.badParam[1] };
      const res = await post({ method: c.method, path: c.path, query, body: c.body });
      assert.equal(res.status, 400, `${c.method} ${c.template}: ${res.text}`);
      assert.equal(res.json.error.code, 'REQUEST_INVALID');
      assert.deepEqual(res.json.error.details.map((d) => d.parameter), [c.badParam[0]], `${c.method} ${c.template}`);
      assert.equal(stack.sandbox.stats.requests, before, 'nothing sent');
    }
  });

  test('one bad body field (or a body where none is taken): 400 naming it, nothing sent', async () => {
    for (const c of cases) {
      let body;
      let field;
      if (c.body !== undefined) {
        body = structuredClone(c.body);
        if (Array.isArray(body.data)) {
          body.data[0].type = 'notAType';
          field = 'data[0].type';
        } else {
          body.data.type = 'notAType';
          field = 'data.type';
        }
      } else {
        body = { data: {} };
        field = 'body';
      }
      const before = stack.sandbox.stats.requests;
      const res = await post({ method: c.method, path: c.path, query: c.query, body });
      assert.equal(res.status, 400, `${c.method} ${c.template}: ${res.text}`);
      assert.deepEqual(res.json.error.details.map((d) => d.parameter), [field], `${c.method} ${c.template}: ${res.text}`);
      assert.equal(stack.sandbox.stats.requests, before, 'nothing sent');
    }
  });
});

describe('the answer', () => {
  // A new tester each time: the sandbox, like Apple, refuses a second tester with the same email (422).
  const tester = (email) => ({ data: { type: 'betaTesters', attributes: { email, firstName: 'Ada' } } });
  const email = uniqueEmail('ada');

  test('Apple\'s document and status by default; shape:true gives flat records like the named actions', async () => {
    const raw = await post({ method: 'GET', path: '/v1/apps', query: { limit: 2 } });
    assert.equal(raw.status, 200);
    assert.equal(raw.json.data.length, 2);
    assert.equal(raw.json.data[0].type, 'apps');
    assert.match(raw.headers.get('x-rate-limit'), /^user-hour-lim:\d+;user-hour-rem:\d+;$/);
    const shaped = await post({ method: 'GET', path: '/v1/apps', query: { limit: 2 }, shape: true });
    assert.equal(shaped.status, 200);
    assert.deepEqual(shaped.json.value.map((r) => r.id), raw.json.data.map((r) => r.id));
    assert.equal(shaped.json.value[0].name, raw.json.data[0].attributes.name);
    // The named action answers the same records.
    const named = await stack.get('/v1/apps?limit=2');
    assert.deepEqual(shaped.json.value, named.json.value);
  });

  test('a create answers 201 with the new resource (shape:true: one record); a delete answers 204 without a body', async () => {
    const created = await post({ method: 'POST', path: '/v1/betaTesters', body: tester(email) });
    assert.equal(created.status, 201);
    assert.equal(created.json.data.type, 'betaTesters');
    assert.equal(created.json.data.attributes.email, email);
    const record = await post({ method: 'POST', path: '/v1/betaTesters', body: tester(uniqueEmail('ada')), shape: true });
    assert.equal(record.status, 201);
    assert.equal(record.json.type, 'betaTesters');
    assert.equal(record.json.firstName, 'Ada');
    const deleted = await post({ method: 'DELETE', path: `/v1/betaTesters/${created.json.data.id}` });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
  });

  test('routing errors: 404 with the nearest paths, 405 naming the methods, duplicate keys refused; nothing sent', async () => {
    const before = stack.sandbox.stats.requests;
    const nf = await post({ method: 'GET', path: '/v1/appz' });
    assert.equal(nf.status, 404);
    assert.equal(nf.json.error.code, 'ROUTE_NOT_FOUND');
    assert.match(nf.json.error.message, /\/v1\/apps/);
    const na = await post({ method: 'PATCH', path: '/v1/apps' });
    assert.equal(na.status, 405);
    assert.equal(na.json.error.code, 'METHOD_NOT_ALLOWED');
    const dup = await post('{"method":"GET","path":"/v1/apps","path":"/v1/users"}');
    assert.equal(dup.json.error.code, 'BODY_DUPLICATE_KEY');
    const shape = await post({ method: 'GET', path: '/v1/apps', shape: 'yes' });
    assert.deepEqual(shape.json.error.details.map((d) => d.parameter), ['shape']);
    assert.equal(stack.sandbox.stats.requests, before);
  });

  test('the route itself: POST only, no query string, a size cap, the API key', async () => {
    const before = stack.sandbox.stats.requests;
    const get = await stack.get('/v1/request');
    assert.equal(get.status, 405);
    assert.equal(get.json.error.code, 'METHOD_NOT_ALLOWED');
    const q = await fetch(`${stack.gw.url}/v1/request?path=/v1/apps`, { method: 'POST', headers: { 'X-API-Key': stack.apiKey }, body: '{"method":"GET","path":"/v1/apps"}' });
    assert.equal(q.status, 400);
    assert.equal((await q.json()).error.code, 'REQUEST_TARGET_INVALID');
    const big = await post({ method: 'POST', path: '/v1/betaTesters', body: { data: { type: 'betaTesters', attributes: { email: 'x'.repeat(90 * 1024) } } } });
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'BODY_TOO_LARGE');
    const anon = await post({ method: 'GET', path: '/v1/apps' }, { 'X-API-Key': 'wrong' });
    assert.equal(anon.status, 401);
    assert.equal(anon.json.error.code, 'UNAUTHENTICATED');
    assert.equal(stack.sandbox.stats.requests, before);
  });
});

describe('nothing that may have reached Apple is sent twice', () => {
  const upstream = async (fault, envelope) => {
    stack.sandbox.faults.clear();
    if (fault) stack.sandbox.faults.next(fault);
    const before = stack.sandbox.stats.requests;
    const res = await post(envelope);
    stack.sandbox.faults.clear();
    return { res, sent: stack.sandbox.stats.requests - before };
  };
  // A new tester at every send (the sandbox refuses a second tester with the same email).
  const write = { method: 'POST', path: '/v1/betaTesters', get body() { return { data: { type: 'betaTesters', attributes: { email: uniqueEmail('grace') } } }; } };

  for (const [name, fault] of [
    ['a 500', { status: 500 }],
    ['a 503 with Retry-After', { status: 503, retryAfter: 0 }],
    ['a reset connection', { reset: true }],
    ['a cut-off answer', { truncate: true }],
    ['no answer in time', { latencyMs: 2500 }],
  ]) {
    test(`a write after ${name}: UPSTREAM_OUTCOME_UNKNOWN, sent once`, async () => {
      const { res, sent } = await upstream(fault, write);
      assert.equal(sent, 1);
      // 504 when Apple did not answer in time, 502 otherwise (README, "Writes are never sent twice").
      assert.equal(res.status, fault.latencyMs ? 504 : 502, res.text);
      assert.equal(res.json.error.status, res.status);
      assert.equal(res.json.error.code, 'UPSTREAM_OUTCOME_UNKNOWN');
      assert.match(res.json.error.message, /did not send it again/);
    });
  }

  test('a write refused with 401 is re-minted and sent once more; a 429 is waited out', async () => {
    let r = await upstream({ rejectToken: true }, write);
    assert.equal(r.sent, 2);
    assert.equal(r.res.status, 201);
    r = await upstream({ status: 429, retryAfter: 0 }, write);
    assert.equal(r.sent, 2);
    assert.equal(r.res.status, 201);
  });

  test('a GET keeps the read policy: retried after a 503', async () => {
    const { res, sent } = await upstream({ status: 503, retryAfter: 0 }, { method: 'GET', path: '/v1/apps', query: { limit: 1 } });
    assert.equal(sent, 2);
    assert.equal(res.status, 200);
  });
});
