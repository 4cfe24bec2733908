// The write actions through the Node gateway against the sandbox (the oracle: it checks bodies against Apple's
// request schemas on its own and applies the changes in memory). For every write in operations(): a valid flat
// body and a valid raw body reach the sandbox as the same Apple document and the change shows in a later read;
// every invalid body is refused with every problem and nothing is forwarded. Faults: a change stored and the
// connection dropped → UPSTREAM_OUTCOME_UNKNOWN and exactly one change; 401 then success → exactly two requests
// and one change; 500 → no retry. Hostile bodies: each refused, nothing forwarded.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { operations } from 'asc-connector-wasm';
import { callUpstream } from '../src/upstream.js';
import { newAppleKey, serverKeyEnv, startStack, writeCases } from './helpers/gateway.js';

const WRITES = operations().filter((o) => o.write);
const JSON_TYPE = { 'Content-Type': 'application/json' };

/** The raw form of a flat body, written by hand from Apple's JSON:API rules (not by the gateway's builder). */
function rawOf(op, flat, store) {
  const relType = (name) => ({ review: 'customerReviews', betaGroups: 'betaGroups', builds: 'builds', betaTesters: 'betaTesters', app: 'apps', betaTester: 'betaTesters' })[name];
  if (op.kind === 'addRelationship' || op.kind === 'removeRelationship') {
    return { data: flat.betaTesters.map((id) => ({ type: 'betaTesters', id })) };
  }
  const type = op.path.split('/')[2];
  const attributes = {};
  const relationships = {};
  for (const [k, v] of Object.entries(flat)) {
    if (relType(k)) relationships[k] = { data: Array.isArray(v) ? v.map((id) => ({ type: relType(k), id })) : { type: relType(k), id: v } };
    else attributes[k] = v;
  }
  const data = { type };
  if (Object.keys(attributes).length) data.attributes = attributes;
  if (Object.keys(relationships).length) data.relationships = relationships;
  assert.ok(store);
  return { data };
}

/** A stack whose gateway counts what it forwards. */
async function countingStack(options = {}) {
  const key = newAppleKey();
  const forwarded = [];
  const stack = await startStack({
    keys: [key.sandboxKey],
    env: serverKeyEnv(key),
    deps: {
      fetch: (url, init) => {
        forwarded.push({ url: String(url), method: init?.method ?? 'GET', body: init?.body ?? null });
        return fetch(url, init);
      },
      ...(options.deps ?? {}),
    },
  });
  stack.forwarded = forwarded;
  stack.send = (method, path, body, headers = {}) => stack.get(path, { ...(body === undefined ? {} : JSON_TYPE), ...headers }, { method, ...(body === undefined ? {} : { body }) });
  return stack;
}

describe('every write through the gateway: flat and raw bodies, the change shows in a later read', () => {
  let flat;
  let raw;
  before(async () => {
    flat = await countingStack();
    raw = await countingStack();
  });
  after(async () => {
    await flat?.close();
    await raw?.close();
  });

  test('the operation list has the writes (the seven of issue 12 and DeleteWebhook), each taking a body exactly when Apple requires one', () => {
    assert.deepEqual(WRITES.map((o) => o.id).sort(), ['AddBetaTestersToGroup', 'CreateBetaTester', 'CreateCustomerReviewResponse', 'DeleteBetaTester', 'DeleteCustomerReviewResponse', 'DeleteWebhook', 'RemoveBetaTestersFromGroup', 'SendBetaTesterInvitation']);
    for (const op of WRITES) {
      assert.equal(op.takesBody, op.method === 'POST' || op.kind === 'removeRelationship', op.id);
      assert.ok(operations().some((o) => o.id === op.checkWith && !o.write), op.id);
    }
  });

  for (const op of WRITES) {
    test(`${op.id}: flat and raw reach Apple as the same document; the change shows; invalid bodies refused, nothing forwarded`, async () => {
      const cf = writeCases(flat.sandbox.catalogue.resources)[op.id];
      const cr = writeCases(raw.sandbox.catalogue.resources)[op.id];
      assert.ok(cf, `a case for ${op.id}`);
      // Invalid bodies first (the state is untouched): every problem listed, nothing forwarded.
      for (const [body, want] of cf.invalid) {
        const before = flat.forwarded.length;
        const requests = flat.sandbox.stats.requests;
        const r = await flat.send(op.method, cf.path, JSON.stringify(body));
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.error.code, 'BODY_INVALID');
        const got = r.json.error.details.map((d) => [d.code, d.parameter]);
        for (const w of want) assert.ok(got.some((g) => g[0] === w[0] && g[1] === w[1]), `${op.id}: ${JSON.stringify(w)} in ${JSON.stringify(got)}`);
        assert.equal(got.length, want.length, `${op.id}: exactly the problems ${JSON.stringify(got)}`);
        assert.equal(flat.forwarded.length, before);
        assert.equal(flat.sandbox.stats.requests, requests);
      }
      const changes = [flat.sandbox.stats.changes, raw.sandbox.stats.changes];
      const bodyFlat = cf.flat === null ? undefined : JSON.stringify(cf.flat);
      const bodyRaw = cr.flat === null ? undefined : JSON.stringify(rawOf(op, cr.flat, raw.sandbox.catalogue.resources));
      const a = await flat.send(op.method, cf.path, bodyFlat);
      const b = await raw.send(op.method, cr.path, bodyRaw, { 'X-ASC-Format': 'raw' });
      assert.equal(a.status, cf.status, a.text);
      assert.equal(b.status, cr.status, b.text);
      if (cf.status === 204) {
        assert.equal(a.text, '');
        assert.equal(b.text, '');
      } else {
        // Flat: the created resource as a record; raw: Apple's document.
        assert.equal(typeof a.json.id, 'string');
        assert.equal(a.json.type, op.path.split('/')[2]);
        assert.equal(b.json.data.id, a.json.id);
      }
      if (cf.flat !== null) assert.deepEqual(flat.sandbox.stats.lastWrite, raw.sandbox.stats.lastWrite, `${op.id}: the same Apple document`);
      assert.equal(flat.forwarded.at(-1).method, op.method);
      assert.deepEqual([flat.sandbox.stats.changes, raw.sandbox.stats.changes], [changes[0] + 1, changes[1] + 1]);
      const [readPath, shows] = cf.read;
      const seen = await flat.get(readPath);
      assert.ok(shows(seen), `${op.id}: ${readPath} → ${seen.status} ${seen.text.slice(0, 300)}`);
    });
  }
});

describe('retries never write twice (counted at the sandbox)', () => {
  let s;
  before(async () => {
    s = await countingStack({ deps: { upstream: { attemptTimeoutMs: 300, budgetMs: 3000, maxRetries: 2, backoffBaseMs: 5, backoffCapMs: 50 } } });
  });
  after(async () => s?.close());
  const review = (n) => [...s.sandbox.catalogue.resources.get('customerReviews').values()].filter((r) => !r.relationships.response)[n];
  const create = (n) => s.send('POST', '/v1/customerReviewResponses', JSON.stringify({ review: review(n).id, responseBody: `reply ${n}` }));

  test('stored then the connection dropped → 502 UPSTREAM_OUTCOME_UNKNOWN naming the read; exactly one change, one request', async () => {
    const [req, ch] = [s.sandbox.stats.requests, s.sandbox.stats.changes];
    s.sandbox.faults.next({ apply: true, reset: true });
    const id = review(10).id;
    const r = await s.send('POST', '/v1/customerReviewResponses', JSON.stringify({ review: id, responseBody: 'dropped' }));
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.error.code, 'UPSTREAM_OUTCOME_UNKNOWN');
    assert.match(r.json.error.message, /may have been applied/);
    assert.match(r.json.error.message, /GetCustomerReviewResponse/);
    assert.equal(s.sandbox.stats.requests - req, 1);
    assert.equal(s.sandbox.stats.changes - ch, 1);
    const shown = await s.get(`/v1/customerReviews/${id}/response`);
    assert.equal(shown.json.responseBody, 'dropped');
  });

  test('401 on the first attempt, then success → exactly two requests upstream and one change', async () => {
    const [req, ch] = [s.sandbox.stats.requests, s.sandbox.stats.changes];
    s.sandbox.faults.next({ rejectToken: true });
    const r = await create(1);
    assert.equal(r.status, 201, r.text);
    assert.equal(s.sandbox.stats.requests - req, 2);
    assert.equal(s.sandbox.stats.changes - ch, 1);
  });

  test('Apple 500 (stored or not) → passed on in the error shape, no retry', async () => {
    for (const [fault, changed] of [[{ apply: true, status: 500 }, 1], [{ status: 500 }, 0], [{ status: 503, retryAfter: 0 }, 0]]) {
      const [req, ch] = [s.sandbox.stats.requests, s.sandbox.stats.changes];
      s.sandbox.faults.next(fault);
      const r = await create(2 + changed + (fault.status === 503 ? 5 : 0));
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.error.code, 'UPSTREAM_SERVER_ERROR');
      assert.match(r.json.error.message, /may have been applied.*GetCustomerReviewResponse/);
      assert.equal(s.sandbox.stats.requests - req, 1, JSON.stringify(fault));
      assert.equal(s.sandbox.stats.changes - ch, changed);
    }
  });

  test('Apple answered 201 but the body is cut off → 502 saying the change was made; one request, one change', async () => {
    const [req, ch] = [s.sandbox.stats.requests, s.sandbox.stats.changes];
    s.sandbox.faults.next({ truncate: true });
    const r = await create(8);
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.error.code, 'UPSTREAM_BAD_RESPONSE');
    assert.match(r.json.error.message, /answered 201, so the change was made.*GetCustomerReviewResponse/);
    assert.equal(s.sandbox.stats.requests - req, 1);
    assert.equal(s.sandbox.stats.changes - ch, 1);
  });

  test('429 is waited out as for reads: Apple refused it unread, one change in the end', async () => {
    const [req, ch] = [s.sandbox.stats.requests, s.sandbox.stats.changes];
    s.sandbox.faults.next({ status: 429, retryAfter: 0 });
    const r = await create(4);
    assert.equal(r.status, 201, r.text);
    assert.equal(s.sandbox.stats.requests - req, 2);
    assert.equal(s.sandbox.stats.changes - ch, 1);
  });

  test('stored, then no answer in time → 504 UPSTREAM_OUTCOME_UNKNOWN, not sent again', async () => {
    const [req, ch] = [s.sandbox.stats.requests, s.sandbox.stats.changes];
    s.sandbox.faults.next({ apply: true, latencyMs: 600 });
    const r = await create(6);
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.error.code, 'UPSTREAM_OUTCOME_UNKNOWN');
    assert.equal(r.json.error.status, 504);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(s.sandbox.stats.requests - req, 1);
    assert.equal(s.sandbox.stats.changes - ch, 1);
  });
});

describe('Apple refusing a write (the sandbox\'s 404/409/422): passed on with Apple\'s details, sent once, nothing changed', () => {
  let s;
  before(async () => {
    s = await countingStack();
  });
  after(async () => s?.close());

  test('an email that exists → 422, a group that does not → 409, a tester that does not → 404', async () => {
    const taken = [...s.sandbox.catalogue.resources.get('betaTesters').values()][0].attributes.email;
    const rows = [
      ['POST', '/v1/betaTesters', { email: taken }, 422, /already exists/],
      ['POST', '/v1/betaTesters', { email: 'new.person@example.com', betaGroups: ['no-such-group'] }, 409, /no-such-group/],
      ['DELETE', '/v1/betaTesters/no-such-tester', undefined, 404, /no-such-tester/],
    ];
    for (const [method, path, body, status, detail] of rows) {
      const [req, ch] = [s.sandbox.stats.requests, s.sandbox.stats.changes];
      const r = await s.send(method, path, body === undefined ? undefined : JSON.stringify(body));
      assert.equal(r.status, status, r.text);
      assert.match(r.json.error.code, /^UPSTREAM_/);
      assert.match(JSON.stringify(r.json.error.details), detail);
      assert.doesNotMatch(r.json.error.message, /may have been applied/);
      assert.equal(s.sandbox.stats.requests - req, 1);
      assert.equal(s.sandbox.stats.changes - ch, 0);
    }
  });
});

describe('callUpstream for a write: connection failures before and after sending', () => {
  const deps = { clockMs: () => 0, wallMs: () => 0, random: () => 0.5, sleep: async () => {}, setTimer: (fn, ms) => setTimeout(fn, ms), clearTimer: (t) => clearTimeout(t) };
  const write = { operationId: 'CreateBetaTester', outcomeHint: 'look the tester up with ListBetaTesters' };
  const getToken = async () => ({ token: 't', minted: false, invalidate() {} });
  const failing = (code) => Object.assign(new TypeError('fetch failed'), { cause: { code } });

  test('refused before sending → tried again; reset after sending → outcome unknown after one attempt', async () => {
    let calls = 0;
    const refusedOnce = async () => {
      calls += 1;
      if (calls === 1) throw failing('ECONNREFUSED');
      return new Response('{"data":{"type":"betaTesters","id":"x"}}', { status: 201 });
    };
    const ok = await callUpstream({ url: 'https://api.example/v1/betaTesters', method: 'POST', body: '{}', write, getToken, deps: { ...deps, fetch: refusedOnce }, policy: {} });
    assert.equal(ok.status, 201);
    assert.equal(calls, 2);
    for (const code of ['ECONNRESET', 'EPIPE', undefined]) {
      let n = 0;
      const reset = async () => {
        n += 1;
        throw failing(code);
      };
      await assert.rejects(
        callUpstream({ url: 'https://api.example/v1/betaTesters', method: 'POST', body: '{}', write, getToken, deps: { ...deps, fetch: reset }, policy: {} }),
        (err) => err.code === 'UPSTREAM_OUTCOME_UNKNOWN' && err.status === 502 && /ListBetaTesters/.test(err.message),
      );
      assert.equal(n, 1, String(code));
    }
    // A read keeps its rules: a reset is UPSTREAM_UNREACHABLE.
    await assert.rejects(
      callUpstream({ url: 'https://api.example/v1/apps', getToken, deps: { ...deps, fetch: async () => { throw failing('ECONNRESET'); } }, policy: {} }),
      (err) => err.code === 'UPSTREAM_UNREACHABLE',
    );
  });
});

describe('hostile write bodies: each refused, nothing forwarded', () => {
  let s;
  before(async () => {
    s = await countingStack();
  });
  after(async () => s?.close());
  const deep = (n) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const RR = '/v1/customerReviewResponses';
  const ADD = '/v1/betaGroups/g-1/relationships/betaTesters';
  const rev = '{"review":"r-1","responseBody":';
  const rawDoc = (inner) => `{"data":{"type":"customerReviewResponses","attributes":{"responseBody":"hi"},"relationships":{"review":{"data":${inner}}}}}`;
  // [name, method, path, body (string | Buffer | undefined), extra headers, status, code]
  const ROWS = [
    ['deep nesting (flat)', 'POST', RR, `${rev}${deep(200)}}`, {}, 400, 'BODY_TOO_DEEP'],
    ['deep nesting (raw)', 'POST', RR, `{"data":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`, { 'X-ASC-Format': 'raw' }, 400, 'BODY_TOO_DEEP'],
    ['a 1 MB string', 'POST', RR, `${rev}"${'x'.repeat(1024 * 1024)}","review":"r"}`, {}, 413, 'BODY_TOO_LARGE'],
    ['64 KiB + 1 of spaces', 'POST', RR, ' '.repeat(64 * 1024 + 1), {}, 413, 'BODY_TOO_LARGE'],
    ['duplicate keys', 'POST', RR, `${rev}"a","responseBody":"b"}`, {}, 400, 'BODY_DUPLICATE_KEY'],
    ['duplicate keys spelled with an escape', 'POST', RR, `${rev}"a","\\u0072esponseBody":"b"}`, {}, 400, 'BODY_DUPLICATE_KEY'],
    ['duplicate keys nested (raw)', 'POST', RR, rawDoc('{"type":"customerReviews","id":"a","id":"b"}'), { 'X-ASC-Format': 'raw' }, 400, 'BODY_DUPLICATE_KEY'],
    ['invalid UTF-8', 'POST', RR, Buffer.concat([Buffer.from(`${rev}"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), {}, 400, 'BODY_MALFORMED'],
    ['UTF-16 text', 'POST', RR, Buffer.from(`${rev}"a"}`, 'utf16le'), {}, 400, 'BODY_MALFORMED'],
    ['a byte-order mark', 'POST', RR, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${rev}"a"}`)]), {}, 400, 'BODY_MALFORMED'],
    ['Content-Type text/plain', 'POST', RR, `${rev}"a"}`, { 'Content-Type': 'text/plain' }, 415, 'CONTENT_TYPE_UNSUPPORTED'],
    ['Content-Type form', 'POST', RR, 'review=r-1&responseBody=a', { 'Content-Type': 'application/x-www-form-urlencoded' }, 415, 'CONTENT_TYPE_UNSUPPORTED'],
    ['JSON in another charset', 'POST', RR, `${rev}"a"}`, { 'Content-Type': 'application/json; charset=iso-8859-1' }, 415, 'CONTENT_TYPE_UNSUPPORTED'],
    ['an array at the root', 'POST', RR, '[{"review":"r-1"}]', {}, 400, 'BODY_MALFORMED'],
    ['a number at the root', 'POST', RR, '42', {}, 400, 'BODY_MALFORMED'],
    ['a string at the root', 'POST', RR, '"review"', {}, 400, 'BODY_MALFORMED'],
    ['null at the root', 'POST', RR, 'null', {}, 400, 'BODY_MALFORMED'],
    ['__proto__ key', 'POST', RR, `{"__proto__":{"admin":true},"review":"r-1","responseBody":"a"}`, {}, 400, 'BODY_INVALID'],
    ['constructor key', 'POST', RR, `{"constructor":{"prototype":1},"review":"r-1","responseBody":"a"}`, {}, 400, 'BODY_INVALID'],
    ['__proto__ inside the raw document', 'POST', RR, rawDoc('{"type":"customerReviews","id":"r","__proto__":{}}'), { 'X-ASC-Format': 'raw' }, 400, 'BODY_INVALID'],
    ['a number too large for a double', 'POST', RR, `${rev}1e400}`, {}, 400, 'BODY_MALFORMED'],
    ['a huge integer where text belongs', 'POST', RR, `${rev}123456789012345678901234567890}`, {}, 400, 'BODY_INVALID'],
    ['NUL in a string', 'POST', RR, `${rev}"a\\u0000b"}`, {}, 400, 'BODY_INVALID'],
    ['an id list of 10,000 items', 'POST', ADD, JSON.stringify({ betaTesters: Array.from({ length: 10000 }, (_, i) => i.toString(36)) }), {}, 400, 'BODY_INVALID'],
    ['a body on a DELETE that takes none', 'DELETE', '/v1/betaTesters/t-1', '{"id":"t-1"}', {}, 400, 'REQUEST_BODY_NOT_ALLOWED'],
    ['no body where one is required', 'POST', RR, undefined, {}, 400, 'BODY_REQUIRED'],
    ['only whitespace', 'POST', RR, ' \n\t ', {}, 400, 'BODY_REQUIRED'],
    ['truncated JSON', 'POST', RR, `${rev}"a`, {}, 400, 'BODY_MALFORMED'],
    ['trailing garbage', 'POST', RR, `${rev}"a"} x`, {}, 400, 'BODY_MALFORMED'],
    ['two objects', 'POST', RR, `${rev}"a"}{}`, {}, 400, 'BODY_MALFORMED'],
    ['comments', 'POST', RR, `{/* c */"review":"r-1","responseBody":"a"}`, {}, 400, 'BODY_MALFORMED'],
    ['NaN', 'POST', RR, `${rev}NaN}`, {}, 400, 'BODY_MALFORMED'],
    ['a lone surrogate escape', 'POST', RR, `${rev}"\\ud800"}`, {}, 400, 'BODY_MALFORMED'],
    ['an id that climbs the path', 'POST', RR, '{"review":"../../v1/apps","responseBody":"a"}', {}, 400, 'BODY_INVALID'],
    ['an id with a line break', 'POST', ADD, '{"betaTesters":["a\\nb"]}', {}, 400, 'BODY_INVALID'],
    ['a relationship to the wrong type (raw)', 'POST', RR, rawDoc('{"type":"apps","id":"r"}'), { 'X-ASC-Format': 'raw' }, 400, 'BODY_INVALID'],
    ['a flat body sent as raw', 'POST', RR, '{"review":"r-1","responseBody":"a"}', { 'X-ASC-Format': 'raw' }, 400, 'BODY_INVALID'],
    ['a raw document sent as flat', 'POST', RR, rawDoc('{"type":"customerReviews","id":"r"}'), {}, 400, 'BODY_INVALID'],
    ['an empty id list', 'POST', ADD, '{"betaTesters":[]}', {}, 400, 'BODY_INVALID'],
    ['a bad X-ASC-Format', 'POST', RR, `${rev}"a"}`, { 'X-ASC-Format': 'xml' }, 400, 'HEADER_INVALID'],
    ['a write without the API key', 'POST', RR, `${rev}"a"}`, { 'X-API-Key': '' }, 401, 'UNAUTHENTICATED'],
    ['a write to a path id that breaks its rule', 'DELETE', '/v1/betaTesters/a%20b', undefined, {}, 400, 'ID_INVALID'],
  ];

  test(`${ROWS.length} rows`, () => assert.ok(ROWS.length >= 30));
  for (const [name, method, path, body, headers, status, code] of ROWS) {
    test(name, async () => {
      const before = s.forwarded.length;
      const requests = s.sandbox.stats.requests;
      const r = await s.get(path, { ...JSON_TYPE, ...headers }, { method, ...(body === undefined ? {} : { body }) });
      assert.equal(r.status, status, r.text.slice(0, 300));
      assert.equal(r.json.error.code, code, r.text.slice(0, 300));
      assert.equal(r.json.error.status, status);
      assert.equal(s.forwarded.length, before, 'nothing forwarded');
      assert.equal(s.sandbox.stats.requests, requests, 'nothing reached the sandbox');
    });
  }
});
