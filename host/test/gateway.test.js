// End-to-end tests of the gateway through its Node entry (startGateway) against the local sandbox
// on loopback: routing, caller auth, key selection, token reuse and re-mint, retries, timeouts,
// Apple errors, configuration errors and log hygiene. Keys are generated per test run.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { jwtVerify, importSPKI } from 'jose';
import { errorCodes, operations } from 'asc-connector-wasm';
import { specTables } from '../src/sandbox/spec.js';
import { loadConfig } from '../src/config.js';
import { GatewayError } from '../src/errors.js';
import { MinterCache, keyFingerprint } from '../src/minters.js';
import { parseRetryAfter, callUpstream } from '../src/upstream.js';
import { PLAN_CACHE_SIZE, constantTimeEqual, handle } from '../src/handler.js';
import { run as serve } from '../src/commands/serve.js';
import { KEEP_ALIVE_TIMEOUT_MS, startGateway } from '../src/node.js';
import {
  newAppleKey, serverKeyEnv, callerKeyHeaders, leakedSecrets, rawRequest, startStack, examplePath,
} from './helpers/gateway.js';

const allLogLines = [];
const secrets = {};
const remember = (stack) => stack && allLogLines.push(...stack.log.lines);

function assertErrorShape(res, status, code) {
  assert.equal(res.status, status, `status for ${code}: ${res.text.slice(0, 300)}`);
  assert.ok(res.json && res.json.error, 'error document');
  assert.equal(res.json.error.status, status);
  assert.equal(res.json.error.code, code);
  assert.equal(typeof res.json.error.message, 'string');
  assert.ok(res.json.error.message.length > 10);
  assert.match(res.headers.get('content-type'), /^application\/json; charset=utf-8$/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
}

describe('gateway with a server key', () => {
  const team = newAppleKey();
  const caller = newAppleKey();
  let stack;
  const seenTokens = [];
  before(async () => {
    secrets.teamPem = team.pem;
    secrets.callerPem = caller.pem;
    stack = await startStack({
      keys: [team.sandboxKey, caller.sandboxKey],
      env: serverKeyEnv(team),
      deps: {
        fetch: (url, init) => {
          seenTokens.push(init.headers.Authorization.slice('Bearer '.length));
          return fetch(url, init);
        },
      },
    });
    secrets.apiKey = stack.apiKey;
  });
  after(async () => {
    remember(stack);
    await stack?.close();
  });

  test('GET /healthz answers without authentication', async () => {
    const res = await fetch(`${stack.gw.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('List Apps follows nextLink over every page, always on the gateway origin', async () => {
    const before = stack.sandbox.stats.requests;
    let next = `${stack.gw.url}/v1/apps?limit=7`;
    const ids = [];
    let pages = 0;
    let total;
    while (next) {
      assert.ok(next.startsWith(`${stack.gw.url}/v1/apps?`), `nextLink on the gateway: ${next}`);
      assert.ok(!next.includes(stack.sb.url.replace('http://', '')) || stack.sb.url === stack.gw.url);
      const res = await stack.get(next.slice(stack.gw.url.length));
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.ok(Array.isArray(res.json.value));
      assert.ok(res.json.value.length <= 7);
      for (const r of res.json.value) {
        assert.equal(r.type, 'apps');
        assert.equal(typeof r.name, 'string');
        ids.push(r.id);
      }
      total = res.json.total;
      next = res.json.nextLink;
      pages += 1;
      assert.ok(pages <= 10, 'bounded paging');
    }
    assert.equal(pages, 5);
    assert.equal(ids.length, 30);
    assert.equal(new Set(ids).size, 30);
    assert.equal(total, 30);
    assert.equal(stack.sandbox.stats.requests - before, 5);
  });

  test('include resolves related records', async () => {
    const res = await stack.get('/v1/apps?include=appStoreVersions&limit=3&limit[appStoreVersions]=2');
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.json.value.length, 3);
    for (const r of res.json.value) {
      assert.ok(Array.isArray(r.appStoreVersions), 'appStoreVersions resolved to an array');
      assert.ok(r.appStoreVersions.length >= 1 && r.appStoreVersions.length <= 2);
      for (const v of r.appStoreVersions) {
        assert.equal(v.type, 'appStoreVersions');
        assert.equal(typeof v.versionString, 'string');
      }
    }
  });

  test('filters and sort reach Apple and shape the result', async () => {
    const app = stack.sandbox.catalogue.apps[4];
    const res = await stack.get(`/v1/apps?filter[bundleId]=${encodeURIComponent(app.attributes.bundleId)}`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.deepEqual(res.json.value.map((r) => r.id), [app.id]);
    assert.equal(res.json.value[0].bundleId, app.attributes.bundleId);

    const sorted = await stack.get('/v1/apps?sort=-name&limit=30&fields[apps]=name');
    assert.equal(sorted.status, 200, sorted.text.slice(0, 300));
    const names = sorted.json.value.map((r) => r.name);
    assert.equal(names.length, 30);
    const expected = [...names].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    assert.deepEqual(names, expected);
  });

  test('Read App Information returns one record; X-ASC-Format: raw returns Apple\'s document', async () => {
    const app = stack.sandbox.catalogue.apps[0];
    const one = await stack.get(`/v1/apps/${app.id}`);
    assert.equal(one.status, 200, one.text.slice(0, 300));
    assert.equal(one.json.id, app.id);
    assert.equal(one.json.name, app.attributes.name);
    const raw = await stack.get(`/v1/apps/${app.id}`, { 'X-ASC-Format': 'raw' });
    assert.equal(raw.status, 200);
    assert.equal(raw.json.data.id, app.id);
    assert.equal(raw.json.data.attributes.name, app.attributes.name);
  });

  test("Apple's 404 comes back in the error shape", async () => {
    const notFound = await stack.get('/v1/apps/9999999999');
    assertErrorShape(notFound, 404, 'UPSTREAM_NOT_FOUND');
    assert.match(notFound.headers.get('x-rate-limit'), /user-hour-lim:\d+;user-hour-rem:\d+;/);
  });

  test('caller keys are refused when the gateway has its own key (and nothing is forwarded)', async () => {
    const before = stack.sandbox.stats.requests;
    const res = await stack.get('/v1/apps', callerKeyHeaders(caller));
    assertErrorShape(res, 403, 'CALLER_KEYS_NOT_ALLOWED');
    assert.equal(stack.sandbox.stats.requests, before);
  });

  test('one token is reused across requests and verifies independently (jose)', async () => {
    const pinned = stack.gw.handler.minters.pinned.get('server').minter;
    const mintsBefore = pinned.mintCount;
    seenTokens.length = 0;
    for (let i = 0; i < 3; i += 1) {
      const res = await stack.get('/v1/apps?limit=1');
      assert.equal(res.status, 200);
    }
    assert.equal(new Set(seenTokens).size, 1, 'same token on every upstream call');
    assert.equal(pinned.mintCount, mintsBefore, 'no new mint');
    assert.ok(pinned.mintCount >= 1);
    const key = await importSPKI(team.publicPem, 'ES256');
    const { payload, protectedHeader } = await jwtVerify(seenTokens[0], key, { audience: 'appstoreconnect-v1', issuer: team.issuerId });
    assert.equal(protectedHeader.kid, team.kid);
    assert.ok(payload.exp - payload.iat <= 1200);
    secrets.token = seenTokens[0];
  });

  test('the 401 retry re-mints once and succeeds', async () => {
    const pinned = stack.gw.handler.minters.pinned.get('server').minter;
    const before = pinned.mintCount;
    const logBefore = stack.log.lines.length;
    const seenBefore = stack.sandbox.stats.tokensSeen;
    stack.sandbox.faults.next({ rejectToken: true });
    const res = await stack.get('/v1/apps?limit=2');
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(pinned.mintCount, before + 1);
    // The retry carried a different token, even within the same second (deterministic ES256
    // would otherwise re-sign the refused token byte for byte).
    assert.equal(stack.sandbox.stats.tokensSeen, seenBefore + 1, 'the retry sent a token Apple had not seen');
    const entry = JSON.parse(stack.log.lines[logBefore]);
    assert.equal(entry.retries, 1);
    assert.equal(entry.minted, true);
    assert.equal(entry.upstreamStatus, 200);
  });

  test('429 bursts are retried after Retry-After and counted in the log', async () => {
    const logBefore = stack.log.lines.length;
    stack.sandbox.faults.next({ rateLimitBurst: 2, retryAfter: 1 });
    const res = await stack.get('/v1/apps?limit=2');
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.json.value.length, 2);
    const entry = JSON.parse(stack.log.lines[logBefore]);
    assert.equal(entry.retries, 2);
    assert.ok(entry.durationMs >= 2000, `waited for Retry-After twice (${entry.durationMs} ms)`);
  });

  test('bad and missing X-API-Key are refused before anything is forwarded', async () => {
    const before = stack.sandbox.stats.requests;
    const wrong = await stack.get('/v1/apps', { 'X-API-Key': `${stack.apiKey}x` });
    assertErrorShape(wrong, 401, 'UNAUTHENTICATED');
    const res = await fetch(`${stack.gw.url}/v1/apps`);
    const missing = { status: res.status, headers: res.headers, text: await res.text() };
    missing.json = JSON.parse(missing.text);
    assertErrorShape(missing, 401, 'UNAUTHENTICATED');
    assert.ok(!wrong.text.includes(stack.apiKey));
    assert.equal(stack.sandbox.stats.requests, before);
  });

  test('unknown paths, methods and request-target tricks are refused and never forwarded', async () => {
    const before = stack.sandbox.stats.requests;
    assertErrorShape(await stack.get('/v1/bananas'), 404, 'ROUTE_NOT_FOUND');
    assertErrorShape(await stack.get('/v1/apps/123/builds'), 404, 'ROUTE_NOT_FOUND');
    assertErrorShape(await stack.get('/'), 404, 'ROUTE_NOT_FOUND');
    assertErrorShape(await stack.get('/v1/apps', {}, { method: 'POST', body: '{}' }), 405, 'METHOD_NOT_ALLOWED');
    assertErrorShape(await stack.get('/v1/apps/1', {}, { method: 'DELETE' }), 405, 'METHOD_NOT_ALLOWED');
    assertErrorShape(await stack.get('/v1/apps?foo=1'), 400, 'REQUEST_INVALID');
    const raw = async (target) => {
      const r = await rawRequest(stack.gw.url, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${stack.apiKey}\r\n\r\n`);
      r.json = JSON.parse(r.body);
      return r;
    };
    for (const target of [
      `${stack.sb.url}/v1/apps`,
      'http://evil.example/v1/apps',
      '/v1/apps/../apps',
      '/v1/./apps',
      '/v1/apps/%2e%2e/x',
      '/v1/apps%2f1',
      '/v1/apps\\1',
    ]) {
      const r = await raw(target);
      assert.equal(r.status, 400, `${target} → ${r.status} ${r.body.slice(0, 200)}`);
      assert.equal(r.json.error.code, 'REQUEST_TARGET_INVALID', target);
    }
    // An empty segment is no route (the planner's one rule, src/operations/mod.rs).
    for (const target of ['//v1/apps', '/v1//apps']) assert.equal((await raw(target)).json.error.code, 'ROUTE_NOT_FOUND', target);
    assert.equal(stack.sandbox.stats.requests, before, 'nothing reached the sandbox');
  });

  test('malformed and oversized headers are refused with HEADER_INVALID', async () => {
    const before = stack.sandbox.stats.requests;
    const big = await stack.get('/v1/apps', { 'X-ASC-Key-Id': 'A'.repeat(200) });
    assertErrorShape(big, 400, 'HEADER_INVALID');
    for (const bad of ['AB\x01CD', 'AB\rCD', 'AB\tCD']) {
      const r = await rawRequest(stack.gw.url, `GET /v1/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${stack.apiKey}\r\nX-ASC-Key-Id: ${bad}\r\n\r\n`);
      assert.equal(r.status, 400, `control character → 400 (${JSON.stringify(bad)})`);
      assert.equal(JSON.parse(r.body).error.code, 'HEADER_INVALID', JSON.stringify(bad));
    }
    const huge = await rawRequest(stack.gw.url, `GET /v1/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(40_000)}\r\n\r\n`);
    assert.equal(huge.status, 431);
    assert.equal(JSON.parse(huge.body).error.code, 'REQUEST_TOO_LARGE');
    const noHost = await rawRequest(stack.gw.url, `GET /v1/apps HTTP/1.1\r\nX-API-Key: ${stack.apiKey}\r\n\r\n`);
    assert.equal(JSON.parse(noHost.body).error.code, 'HOST_NOT_ALLOWED');
    const fmt = await stack.get('/v1/apps', { 'X-ASC-Format': 'xml' });
    assertErrorShape(fmt, 400, 'HEADER_INVALID');
    assert.equal(stack.sandbox.stats.requests, before);
  });
});


// ---- every operation of the table ----------------------------------------------------------------

/** A valid value for one table parameter. */
function validValue(p) {
  if (p.type === 'integer') return String(p.maximum ?? 1);
  if (p.type === 'boolean') return 'true';
  return p.enum?.[0] ?? 'x';
}

describe('every operation in operations(): auth, bad input, parameters, paging, include, fields, 404', () => {
  const team = newAppleKey();
  let stack;
  const forwarded = [];
  const sentHeaders = [];
  const OPS = operations();
  // The sandbox's own idea of each path (read from Apple's spec), to pick ids from its catalogue.
  const sandboxOps = new Map(specTables().operations.map((o) => [`${o.method} ${o.path}`, o]));
  const pathFor = (op) => examplePath(op, stack.sandbox.catalogue, [...sandboxOps.values()]).path;
  before(async () => {
    stack = await startStack({
      keys: [team.sandboxKey],
      env: serverKeyEnv(team),
      deps: { fetch: (url, init) => { forwarded.push(String(url)); sentHeaders.push(init.headers); return fetch(url, init); } },
    });
  });
  after(async () => {
    remember(stack);
    await stack?.close();
  });

  test('the table has the operations of the operation list, each with a kind and id rules', () => {
    const list = JSON.parse(readFileSync(new URL('../../src/operations/operations.json', import.meta.url), 'utf8'));
    assert.deepEqual(OPS.map((o) => o.id), list.operations.map((o) => o.id));
    for (const op of OPS) {
      assert.ok(['list', 'get', 'relatedList', 'relatedGet', 'create', 'delete', 'addRelationship', 'removeRelationship'].includes(op.kind), op.id);
      assert.equal(op.write, !['list', 'get', 'relatedList', 'relatedGet'].includes(op.kind), op.id);
      assert.equal(op.pageable, op.kind === 'list' || op.kind === 'relatedList');
      for (const pp of op.pathParameters) assert.match(pp.example, new RegExp(pp.pattern), op.id);
    }
  });

  // The reads; the writes have their own suite (writes.test.js).
  for (const op of OPS.filter((o) => !o.write)) {
    describe(`${op.id} (${op.method} ${op.path})`, () => {
      test('no or a wrong X-API-Key, unknown and bad parameters, bad ids → refused, nothing forwarded', async () => {
        const path = pathFor(op);
        const before = forwarded.length;
        const res = await fetch(`${stack.gw.url}${path}`);
        assert.equal(res.status, 401);
        assertErrorShape(await stack.get(path, { 'X-API-Key': 'wrong' }), 401, 'UNAUTHENTICATED');
        const unknown = await stack.get(`${path}?surprise=1`);
        assertErrorShape(unknown, 400, 'REQUEST_INVALID');
        assert.equal(unknown.json.error.details[0].parameter, 'surprise');
        for (const p of op.parameters) {
          const bad = p.type === 'integer' ? String((p.maximum ?? 0) + 1) : p.type === 'boolean' ? 'yes' : p.enum ? 'NOT_A_VALUE' : '';
          const r = await stack.get(`${path}?${encodeURIComponent(p.name)}=${bad}`);
          assertErrorShape(r, 400, 'REQUEST_INVALID');
          assert.equal(r.json.error.details[0].parameter, p.name);
        }
        if (!op.pageable) assertErrorShape(await stack.get(`${path}?cursor=abc`), 400, 'REQUEST_INVALID');
        for (const pp of op.pathParameters) {
          const r = await stack.get(op.path.replace(`{${pp.name}}`, 'has_underscore'));
          assertErrorShape(r, 400, 'ID_INVALID');
          assert.ok(r.json.error.message.includes(pp.help));
        }
        assert.equal(forwarded.length, before, 'nothing reached the sandbox');
      });

      test('every valid parameter is forwarded to Apple as given', async () => {
        const path = pathFor(op);
        for (const p of op.parameters) {
          const before = forwarded.length;
          const value = validValue(p);
          const r = await stack.get(`${path}?${encodeURIComponent(p.name)}=${encodeURIComponent(value)}`);
          assert.equal(r.status, 200, `${p.name}=${value}: ${r.text.slice(0, 300)}`);
          assert.equal(forwarded.length, before + 1);
          const sent = new URL(forwarded.at(-1));
          assert.equal(sent.pathname, path);
          assert.equal(sent.searchParams.get(p.name), value, p.name);
        }
      });

      if (op.pageable) {
        test('paging through nextLink visits every record once', async () => {
          const first = await stack.get(`${pathFor(op)}?limit=2`);
          assert.equal(first.status, 200, first.text.slice(0, 300));
          const total = first.json.total;
          assert.ok(total >= 3, `${op.id} has more than one page of data (${total})`);
          const ids = first.json.value.map((r) => r.id);
          let next = first.json.nextLink;
          for (let pages = 1; next; pages += 1) {
            assert.ok(next.startsWith(`${stack.gw.url}${pathFor(op)}?`), next);
            assert.ok(pages < 200);
            const r = await stack.get(next.slice(stack.gw.url.length));
            assert.equal(r.status, 200, r.text.slice(0, 300));
            ids.push(...r.json.value.map((x) => x.id));
            next = r.json.nextLink;
          }
          assert.equal(ids.length, total);
          assert.equal(new Set(ids).size, total);
        });
      }

      const include = op.parameters.find((p) => p.name === 'include');
      if (include) {
        test('include resolves every includable relationship inside the records', async () => {
          const r = await stack.get(`${pathFor(op)}?include=${include.enum.join(',')}`);
          assert.equal(r.status, 200, r.text.slice(0, 300));
          const records = op.pageable ? r.json.value : [r.json];
          assert.ok(records.length > 0);
          for (const rec of records) {
            for (const rel of include.enum) {
              const value = rel in rec ? rec[rel] : rec[`${rel}Relationship`];
              assert.ok(value !== undefined, `${op.id}: ${rel} present`);
              assert.ok(value === null || Array.isArray(value) || typeof value.id === 'string', `${op.id} ${rel}: ${JSON.stringify(value)}`);
            }
          }
        });
      }

      const fields = op.parameters.find((p) => p.name.startsWith('fields[') && p.enum?.length > 2);
      test('fields limits the attributes Apple returns', async () => {
        const sop = sandboxOps.get(`${op.method} ${op.path}`);
        const own = op.parameters.find((p) => p.name === `fields[${sop.type}]`) ?? fields;
        const [keep, drop] = own.enum;
        const r = await stack.get(`${pathFor(op)}?${encodeURIComponent(own.name)}=${keep}`);
        assert.equal(r.status, 200, r.text.slice(0, 300));
        const rec = op.pageable ? r.json.value[0] : r.json;
        if (own.name === `fields[${sop.type}]`) {
          assert.ok(keep in rec, `${op.id}: ${keep} kept`);
          assert.ok(!(drop in rec), `${op.id}: ${drop} dropped`);
        }
      });

      test('a picker-only header (X-Picker-App-Id) is accepted and never sent to Apple', async () => {
        const r = await stack.get(pathFor(op), { 'X-Picker-App-Id': stack.sandbox.catalogue.apps[0].id });
        assert.equal(r.status, 200, r.text.slice(0, 300));
        const sent = Object.keys(sentHeaders.at(-1)).map((k) => k.toLowerCase()).sort();
        assert.deepEqual(sent, ['accept', 'authorization']);
      });

      if (op.pathParameters.length > 0) {
        test("Apple's 404 for an id that does not exist", async () => {
          let path = op.path;
          for (const pp of op.pathParameters) path = path.replace(`{${pp.name}}`, pp.example.replace(/[0-9]/g, '7'));
          const r = await stack.get(path);
          assertErrorShape(r, 404, 'UPSTREAM_NOT_FOUND');
        });
      }
    });
  }
});

describe('gateway plans and connections', () => {
  const team = newAppleKey();
  let stack;
  const upstreamUrls = [];
  before(async () => {
    stack = await startStack({
      keys: [team.sandboxKey],
      env: serverKeyEnv(team),
      deps: {
        fetch: (url, init) => {
          upstreamUrls.push(String(url));
          return fetch(url, init);
        },
      },
    });
  });
  after(async () => {
    remember(stack);
    await stack?.close();
  });

  test('plans are remembered per request line, never across lines, frozen, refusals never, and at most PLAN_CACHE_SIZE', async () => {
    const cache = stack.gw.handler.planCache;
    const from = upstreamUrls.length;
    for (const limit of [3, 3, 4, 3]) {
      const res = await stack.get(`/v1/apps?limit=${limit}`);
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.equal(res.json.value.length, limit);
    }
    // Each request still goes to Apple with its own query (nothing but the plan is reused).
    assert.deepEqual(upstreamUrls.slice(from).map((u) => new URL(u).search), ['?limit=3', '?limit=3', '?limit=4', '?limit=3']);
    const plan = cache.get('GET /v1/apps?limit=3');
    assert.ok(plan, 'the plan of a served line is remembered');
    assert.ok(Object.isFrozen(plan));
    assert.equal(plan.upstreamQuery, 'limit=3');
    assert.equal(cache.get('GET /v1/apps?limit=4').upstreamQuery, 'limit=4');
    // A refused request line is planned again every time, and never remembered.
    const size = cache.size;
    for (let i = 0; i < 2; i++) {
      const res = await stack.get('/v1/apps?limit=3&colour=red');
      assertErrorShape(res, 400, 'REQUEST_INVALID');
      assert.match(res.text, /colour/);
    }
    assert.equal(cache.size, size);
    // Bounded: more distinct lines than the cache holds keeps only the most recent ones.
    for (let limit = 1; limit <= 200; limit++) {
      for (const fields of ['', '&fields%5Bapps%5D=name']) {
        const res = await stack.get(`/v1/apps?limit=${limit}${fields}`);
        assert.equal(res.status, 200, res.text.slice(0, 300));
      }
    }
    assert.equal(cache.size, PLAN_CACHE_SIZE);
    assert.ok(cache.has('GET /v1/apps?limit=200&fields%5Bapps%5D=name'));
    assert.ok(!cache.has('GET /v1/apps?limit=4'), 'the oldest lines are forgotten first');
  });

  test('an idle keep-alive connection stays open longer than Node\'s 5 s default', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const u = new URL(stack.gw.url);
    const once = () => new Promise((resolve, reject) => {
      const req = http.get({ host: u.hostname, port: u.port, path: '/healthz', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, port: req.socket.localPort, reused: req.reusedSocket }));
      });
      req.on('error', reject);
    });
    try {
      const first = await once();
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const second = await once();
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.equal(second.reused, true, 'the second request went over the first one\'s connection');
      assert.equal(second.port, first.port);
    } finally {
      agent.destroy();
    }
    assert.equal(stack.gw.server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
    assert.ok(KEEP_ALIVE_TIMEOUT_MS > 60_000);
  });
});

describe('gateway with caller keys', () => {
  const server = newAppleKey();
  const caller = newAppleKey();
  const individual = newAppleKey({ individual: true });
  const forbidden = newAppleKey({ forbidden: true });
  let open;
  let allowing;
  before(async () => {
    secrets.callerPem2 = caller.pem;
    secrets.individualPem = individual.pem;
    const keys = [server.sandboxKey, caller.sandboxKey, individual.sandboxKey, forbidden.sandboxKey];
    open = await startStack({ keys });
    allowing = await startStack({ keys, env: { ...serverKeyEnv(server), GATEWAY_ALLOW_CALLER_KEYS: '1', PUBLIC_URL: 'https://gw.example.com/asc/' } });
  });
  after(async () => {
    remember(open);
    remember(allowing);
    await open?.close();
    await allowing?.close();
  });

  test('a gateway without a server key signs with the caller key (team and individual)', async () => {
    const res = await open.get('/v1/apps?limit=3', callerKeyHeaders(caller));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.json.value.length, 3);
    const base64Only = { ...callerKeyHeaders(individual), 'X-ASC-Private-Key': individual.pem.replace(/-----[^-]+-----|\s+/g, '') };
    const ind = await open.get('/v1/apps?limit=1', base64Only);
    assert.equal(ind.status, 200, ind.text.slice(0, 300));
    const entry = open.log.entries().at(-1);
    assert.equal(entry.keySource, 'caller');
    assert.equal(open.gw.handler.minters.entries.size, 2);
  });

  test('without any key the answer is CREDENTIALS_MISSING; partial headers are HEADER_INVALID', async () => {
    const before = open.sandbox.stats.requests;
    assertErrorShape(await open.get('/v1/apps'), 401, 'CREDENTIALS_MISSING');
    const partial = await open.get('/v1/apps', { 'X-ASC-Key-Id': caller.kid });
    assertErrorShape(partial, 400, 'HEADER_INVALID');
    assert.ok(partial.json.error.details.some((d) => d.parameter === 'X-ASC-Private-Key'));
    const conflict = await open.get('/v1/apps', { ...callerKeyHeaders(individual), 'X-ASC-Issuer-Id': caller.issuerId });
    assertErrorShape(conflict, 400, 'HEADER_INVALID');
    const badKey = await open.get('/v1/apps', { ...callerKeyHeaders(caller), 'X-ASC-Private-Key': 'not a key' });
    assert.equal(badKey.status, 400);
    assert.match(badKey.json.error.code, /^KEY_/);
    assert.equal(open.sandbox.stats.requests, before);
  });

  test('Apple\'s 403 for a key without permission is passed on in the error shape', async () => {
    const res = await open.get('/v1/apps', callerKeyHeaders(forbidden));
    assertErrorShape(res, 403, 'UPSTREAM_FORBIDDEN');
  });

  test('GATEWAY_ALLOW_CALLER_KEYS=1 accepts caller keys next to the server key', async () => {
    const res = await allowing.get('/v1/apps?limit=1', callerKeyHeaders(caller));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(allowing.log.entries().at(-1).keySource, 'caller');
    const own = await allowing.get('/v1/apps?limit=1');
    assert.equal(own.status, 200);
    assert.ok(own.json.nextLink.startsWith('https://gw.example.com/asc/v1/apps?'), 'PUBLIC_URL is the base of nextLink');
    assert.equal(allowing.log.entries().at(-1).keySource, 'server');
  });
});

describe('gateway clock, limits and upstream failures', () => {
  const key = newAppleKey();
  let clock = 1_800_000_000;
  let stack;
  before(async () => {
    secrets.clockPem = key.pem;
    stack = await startStack({
      keys: [key.sandboxKey],
      env: serverKeyEnv(key),
      sandbox: { now: () => clock },
      deps: { now: () => clock, upstream: { attemptTimeoutMs: 400, budgetMs: 1500, maxBodyBytes: 256 * 1024, maxRetries: 1, backoffBaseMs: 10 } },
    });
  });
  after(async () => {
    remember(stack);
    await stack?.close();
  });

  test('the token is re-minted near expiry (injected clock)', async () => {
    const minter = stack.gw.handler.minters.pinned.get('server').minter;
    assert.equal((await stack.get('/v1/apps?limit=1')).status, 200);
    const first = minter.mintCount;
    const exp = minter.expiresAt;
    clock += 300;
    assert.equal((await stack.get('/v1/apps?limit=1')).status, 200);
    assert.equal(minter.mintCount, first, 'still fresh after 5 minutes');
    clock = exp - 60;
    assert.equal((await stack.get('/v1/apps?limit=1')).status, 200);
    assert.equal(minter.mintCount, first + 1, 're-minted with a minute left');
    assert.ok(minter.expiresAt > exp);
    assert.equal(stack.sandbox.stats.tokensSeen >= 2, true);
    assert.equal(stack.log.entries().at(-1).minted, true);
  });

  test('an upstream that does not answer in time → 504 UPSTREAM_TIMEOUT', async () => {
    stack.sandbox.faults.next({ latencyMs: 3000 });
    const t0 = Date.now();
    const res = await stack.get('/v1/apps?limit=1');
    assertErrorShape(res, 504, 'UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - t0 < 2900, 'gave up before the upstream answered');
    stack.sandbox.faults.clear();
  });

  test('an oversized upstream body → 502 UPSTREAM_TOO_LARGE', async () => {
    stack.sandbox.faults.next({ bodyBytes: 1024 * 1024 });
    assertErrorShape(await stack.get('/v1/apps?limit=1'), 502, 'UPSTREAM_TOO_LARGE');
  });

  test('a connection reset → 502 UPSTREAM_UNREACHABLE', async () => {
    stack.sandbox.faults.next({ reset: true });
    assertErrorShape(await stack.get('/v1/apps?limit=1'), 502, 'UPSTREAM_UNREACHABLE');
  });

  test('429 beyond the retry allowance is passed on with X-Rate-Limit', async () => {
    stack.sandbox.faults.next({ rateLimitBurst: 3 });
    const res = await stack.get('/v1/apps?limit=1');
    assertErrorShape(res, 429, 'UPSTREAM_RATE_LIMITED');
    assert.match(res.headers.get('x-rate-limit'), /user-hour-lim:\d+;user-hour-rem:0;/);
    stack.sandbox.faults.clear();
  });
});

describe('gateway units', () => {
  test('gateway error codes match the wasm errorCodes() table', () => {
    const table = new Map(errorCodes().map((e) => [e.code, e.status]));
    // Every code the gateway raises anywhere in its sources exists in the table, with its status.
    const src = new URL('../src/', import.meta.url);
    const raised = new Set();
    for (const name of readdirSync(src)) {
      if (!name.endsWith('.js')) continue;
      for (const m of readFileSync(new URL(name, src), 'utf8').matchAll(/new GatewayError\(\s*'([A-Z_]+)'/g)) raised.add(m[1]);
    }
    assert.ok(raised.size >= 10, `codes raised: ${[...raised]}`);
    for (const code of raised) {
      assert.ok(table.has(code), `${code} is not in errorCodes()`);
      assert.equal(new GatewayError(code, 'm').status, table.get(code), code);
    }
  });

  test('constantTimeEqual compares by digest', async () => {
    assert.equal(await constantTimeEqual('abc', 'abc'), true);
    assert.equal(await constantTimeEqual('abc', 'abd'), false);
    assert.equal(await constantTimeEqual('abc', 'abcabc'), false);
    assert.equal(await constantTimeEqual('', ''), true);
  });

  test('Retry-After: seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3', 0), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(parseRetryAfter('soon', 0), null);
    assert.equal(parseRetryAfter(null, 0), null);
  });

  test('503 without Retry-After backs off exponentially with injected sleep', async () => {
    const sleeps = [];
    const answers = [503, 503, 200];
    const res = await callUpstream({
      url: 'https://upstream.invalid/v1/apps',
      getToken: async () => ({ token: 't', minted: false, invalidate() {} }),
      deps: {
        fetch: async () => new Response('{}', { status: answers.shift() }),
        sleep: async (ms) => { sleeps.push(ms); },
        clockMs: () => 0, wallMs: () => 0, random: () => 0.5,
        setTimer: setTimeout, clearTimer: clearTimeout,
      },
      policy: { backoffBaseMs: 100 },
    });
    assert.equal(res.status, 200);
    assert.equal(res.retries, 2);
    assert.deepEqual(sleeps, [100, 200]);
  });

  test('a Retry-After beyond the budget is not waited for', async () => {
    let calls = 0;
    const res = await callUpstream({
      url: 'https://upstream.invalid/v1/apps',
      getToken: async () => ({ token: 't', minted: false, invalidate() {} }),
      deps: {
        fetch: async () => { calls += 1; return new Response('{}', { status: 429, headers: { 'Retry-After': '90' } }); },
        sleep: async () => assert.fail('must not sleep'),
        clockMs: () => 0, wallMs: () => 0, random: () => 0.5,
        setTimer: setTimeout, clearTimer: clearTimeout,
      },
      policy: { budgetMs: 10_000 },
    });
    assert.equal(res.status, 429);
    assert.equal(calls, 1);
  });

  test('MinterCache: LRU eviction frees minters; concurrent callers share one mint', async () => {
    const freed = [];
    let mints = 0;
    class FakeMinter {
      constructor(o) { this.o = o; this.mintCount = 0; }
      token() { mints += 1; this.mintCount += 1; return `tok-${this.o.keyId}`; }
      invalidate() {}
      free() { freed.push(this.o.keyId); }
    }
    const cache = new MinterCache({ TokenMinter: FakeMinter, capacity: 2 });
    const k = (id) => ({ keyId: id, issuerId: 'i', privateKey: `pk-${id}` });
    const a = await cache.entryFor(k('A'));
    const [t1, t2] = await Promise.all([cache.tokenFrom(a, 1), cache.tokenFrom(a, 1)]);
    assert.equal(t1.token, t2.token);
    assert.equal(mints, 1);
    assert.deepEqual([t1.minted, t2.minted], [true, false]);
    await cache.entryFor(k('B'));
    await cache.entryFor(k('A')); // A becomes most recent
    await cache.entryFor(k('C')); // evicts B
    assert.deepEqual(freed, ['B']);
    assert.equal(cache.entries.size, 2);
    for (const key of cache.entries.keys()) assert.match(key, /^[0-9a-f]{64}$/);
    assert.notEqual(await keyFingerprint(k('A')), await keyFingerprint({ ...k('A'), individual: true, issuerId: undefined }));
  });

  test('handle(request, env) builds one handler per env; a bad env answers 500 and logs the problems once', async () => {
    const logs = [];
    const bad = { GATEWAY_API_KEY: 'k', ASC_BASE_URL: 'http://127.0.0.1:9', ASC_KEY_ID: 'ABCDE12345' };
    for (let i = 0; i < 2; i += 1) {
      const res = await handle(new Request('http://gw.test/v1/apps'), bad, { log: (e) => logs.push(e) });
      assert.equal(res.status, 500);
      const body = await res.json();
      assert.equal(body.error.code, 'INTERNAL');
      assert.ok(!/ASC_/.test(body.error.message), 'callers do not see configuration details');
    }
    assert.equal(logs.length, 1);
    assert.equal(logs[0].event, 'config_invalid');
    assert.match(logs[0].problems[0], /partly configured/);
    const good = { GATEWAY_API_KEY: 'k', ASC_BASE_URL: 'http://127.0.0.1:9' };
    const ok = await handle(new Request('http://gw.test/healthz'), good, { log: () => {} });
    assert.equal(ok.status, 200);
  });

  test('the handler and what it imports use no node: modules', () => {
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(new URL(file, import.meta.url), 'utf8');
      assert.ok(!/from\s+['"]node:|import\(\s*['"]node:|require\(/.test(text), `${file} imports node:`);
      for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) visit(new URL(m[1], new URL(file, import.meta.url)).href);
    };
    visit('../src/handler.js');
    assert.ok(seen.size >= 6);
  });
});

describe('configuration', () => {
  const key = newAppleKey();
  const base = { GATEWAY_API_KEY: 'k'.repeat(24), ASC_BASE_URL: 'http://127.0.0.1:9' };
  const problems = (env, files) => {
    try {
      loadConfig(env, files);
    } catch (err) {
      assert.ok(!leakedSecrets(err.message, { pem: key.pem }).length, 'no key material in config errors');
      return err;
    }
    assert.fail('expected a configuration error');
  };

  test('a valid config is frozen and hides secrets from JSON', () => {
    const c = loadConfig({ ...base, ...serverKeyEnv(key), PUBLIC_URL: 'https://gw.example.com/', PORT: '8080' });
    assert.ok(Object.isFrozen(c));
    assert.equal(c.port, 8080);
    assert.equal(c.publicUrl, 'https://gw.example.com');
    assert.equal(c.serverKey.keyId, key.kid);
    const json = JSON.stringify(c);
    assert.deepEqual(leakedSecrets(json, { pem: key.pem, api: base.GATEWAY_API_KEY }), []);
  });

  test('every problem is listed at once, unknown variables name the nearest valid one', () => {
    const err = problems({ ...base, ASC_ISUER_ID: 'x', GATEWAY_APIKEY: 'y', PORT: '99999', ASC_BASE_URL: 'http://api.example.com', PUBLIC_URL: 'not a url' });
    assert.match(err.message, /ASC_ISUER_ID .*did you mean ASC_ISSUER_ID/);
    assert.match(err.message, /GATEWAY_APIKEY .*did you mean GATEWAY_API_KEY/);
    assert.match(err.message, /PORT must be/);
    assert.match(err.message, /ASC_BASE_URL must use https/);
    assert.match(err.message, /PUBLIC_URL is not an absolute URL/);
    assert.equal(err.problems.length, 5);
  });

  test('key settings: both key sources, partial key, individual with issuer, bad key', () => {
    assert.match(problems({ ...base, ...serverKeyEnv(key), ASC_PRIVATE_KEY_FILE: '/k.p8' }, { privateKeyFile: key.pem }).message, /either ASC_PRIVATE_KEY .* or ASC_PRIVATE_KEY_FILE/);
    const partial = problems({ ...base, ASC_KEY_ID: key.kid });
    assert.match(partial.message, /partly configured: missing ASC_PRIVATE_KEY or ASC_PRIVATE_KEY_FILE, ASC_ISSUER_ID/);
    const conflict = problems({ ...base, ...serverKeyEnv(key), ASC_KEY_TYPE: 'individual' });
    assert.equal(conflict.code, 'KEY_TYPE_CONFLICT');
    const bad = problems({ ...base, ...serverKeyEnv(key), ASC_PRIVATE_KEY: 'garbage' });
    assert.match(bad.code, /^KEY_/);
    const truncated = problems({ ...base, ...serverKeyEnv(key), ASC_PRIVATE_KEY: key.pem.slice(0, 120) });
    assert.match(truncated.code, /^KEY_/);
    assert.match(problems({ ...base, ...serverKeyEnv(key), ASC_KEY_TYPE: 'admin' }).message, /ASC_KEY_TYPE must be/);
  });

  test('an empty API key needs loopback and GATEWAY_LOCAL_SANDBOX=1', () => {
    const env = { ASC_BASE_URL: 'http://127.0.0.1:9' };
    assert.match(problems(env).message, /GATEWAY_API_KEY is required/);
    assert.match(problems({ ...env, HOST: '0.0.0.0', GATEWAY_LOCAL_SANDBOX: '1' }).message, /GATEWAY_API_KEY is required/);
    const ok = loadConfig({ ...env, HOST: '127.0.0.1', GATEWAY_LOCAL_SANDBOX: '1' });
    assert.equal(ok.apiKey, '');
    assert.match(problems({ ...env, GATEWAY_LOCAL_SANDBOX: 'maybe' }).message, /GATEWAY_LOCAL_SANDBOX must be 1 or 0/);
  });

  test('ASC_BASE_URL rules: https anywhere, http only on loopback, no path', () => {
    assert.equal(loadConfig({ ...base, ASC_BASE_URL: 'https://asc.example.com' }).baseUrl, 'https://asc.example.com');
    assert.equal(loadConfig({ ...base, ASC_BASE_URL: 'http://[::1]:8080' }).baseUrl, 'http://[::1]:8080');
    assert.equal(loadConfig({ GATEWAY_API_KEY: 'x' }).baseUrl, 'https://api.appstoreconnect.apple.com');
    assert.match(problems({ ...base, ASC_BASE_URL: 'https://asc.example.com/v1' }).message, /must not contain a path/);
    assert.match(problems({ ...base, ASC_BASE_URL: 'ftp://127.0.0.1' }).message, /scheme must be https/);
  });

  test('startGateway reads ASC_PRIVATE_KEY_FILE; serve exits 1 on bad config and 2 on bad flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-'));
    try {
      const file = join(dir, 'AuthKey.p8');
      writeFileSync(file, key.pem, { mode: 0o600 });
      const env = { ...base, ASC_KEY_ID: key.kid, ASC_ISSUER_ID: key.issuerId, ASC_PRIVATE_KEY_FILE: file };
      const gw = await startGateway({ env, host: '127.0.0.1', port: 0, deps: { log: () => {} } });
      assert.equal(gw.config.serverKey.keyId, key.kid);
      await gw.close();

      const io = () => {
        const out = { stdout: new PassThrough(), stderr: new PassThrough(), text: { stdout: '', stderr: '' } };
        out.stdout.on('data', (c) => { out.text.stdout += c; });
        out.stderr.on('data', (c) => { out.text.stderr += c; });
        return out;
      };
      const a = io();
      assert.equal(await serve(['--port', '0'], { ...a, env: { ASC_KEY_ID: key.kid } }), 1);
      assert.match(a.text.stderr, /Invalid gateway configuration/);
      const open = io();
      assert.equal(await serve(['--port', '0', '--host', '0.0.0.0'], { ...open, env: { ASC_BASE_URL: base.ASC_BASE_URL, GATEWAY_LOCAL_SANDBOX: '1' } }), 1);
      assert.match(open.text.stderr, /GATEWAY_API_KEY is required/, '--host cannot bypass the loopback rule');
      const b = io();
      assert.equal(await serve(['--bogus'], { ...b, env: {} }), 2);
      assert.match(b.text.stderr, /unknown option "--bogus"/);
      const c = io();
      let stop;
      const stopped = new Promise((r) => { stop = r; });
      const running = serve(['--port', '0', '--host', '127.0.0.1'], { ...c, env, stop: stopped });
      for (let i = 0; i < 100 && !/listening on/.test(c.text.stderr); i += 1) await new Promise((r) => setTimeout(r, 20));
      const url = /listening on (http:\/\/\S+)/.exec(c.text.stderr)[1];
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      stop();
      assert.equal(await running, 0);
      assert.match(c.text.stdout, /"path":"\/healthz"/);
      assert.deepEqual(leakedSecrets(c.text.stdout + c.text.stderr, { pem: key.pem, api: base.GATEWAY_API_KEY }), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log hygiene', () => {
  test('one JSON line per request with the agreed fields, and no secret anywhere', () => {
    assert.ok(allLogLines.length >= 40, `captured ${allLogLines.length} lines`);
    for (const line of allLogLines) {
      const e = JSON.parse(line);
      for (const field of ['ts', 'requestId', 'method', 'path', 'operation', 'status', 'upstreamStatus', 'durationMs', 'retries', 'minted', 'keySource']) {
        assert.ok(Object.hasOwn(e, field), `${field} in log line`);
      }
      assert.ok(!/Bearer|BEGIN|PRIVATE/.test(line));
    }
    assert.ok(secrets.token, 'a token was captured to check against');
    assert.deepEqual(leakedSecrets(allLogLines.join('\n'), secrets), []);
  });
});
