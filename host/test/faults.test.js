// Upstream faults, injected through the sandbox (run in a child process, so this process's memory
// is the gateway's alone) and, for the two faults the sandbox cannot produce (a body streamed
// without Content-Length, a body that drips), through a tiny streaming upstream. Each fault must
// end in its documented status and code, use no more attempts than the retry policy allows, and
// leave the gateway healthy: after every fault /healthz and a normal List Apps still answer.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startGateway } from '../src/node.js';
import { newAppleKey, serverKeyEnv, captureLog, fetchJson } from './helpers/gateway.js';
import { forkSandbox, rssMiB, startStreamingUpstream } from './helpers/hardening.js';

const MiB = 1024 * 1024;
const POLICY = { attemptTimeoutMs: 500, budgetMs: 4000, maxRetries: 2, backoffBaseMs: 10, backoffCapMs: 2000 };
const API_KEY = `gw-faults-${'x'.repeat(24)}`;

const call = (base, path, headers = {}, init = {}) => fetchJson(`${base}${path}`, { 'X-API-Key': API_KEY, ...headers }, init);

function assertError(res, status, code) {
  assert.equal(res.status, status, `${code}: ${res.text.slice(0, 300)}`);
  assert.equal(res.json?.error?.code, code, res.text.slice(0, 300));
  assert.equal(res.json.error.status, status);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
}

async function gatewayFor(baseUrl, key, log, policy = POLICY) {
  return startGateway({
    env: { GATEWAY_API_KEY: API_KEY, ASC_BASE_URL: baseUrl, ...serverKeyEnv(key) },
    host: '127.0.0.1',
    port: 0,
    deps: { log: log.log, upstream: policy },
  });
}

/** For the 64 MiB bodies: the sandbox child needs a while to build one before it answers. */
const PATIENT = { ...POLICY, attemptTimeoutMs: 15_000, budgetMs: 20_000 };

/** A loopback port with nothing listening on it. */
async function closedPort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

describe('upstream faults through the sandbox', () => {
  const key = newAppleKey();
  const log = captureLog();
  let sb;
  let gw;
  let patient;
  let survived = 0;
  const attemptsOf = async (fn) => {
    const before = (await sb.stats()).requests;
    const out = await fn();
    return { ...out, attempts: (await sb.stats()).requests - before };
  };
  const healthy = async (label) => {
    const h = await call(gw.url, '/healthz');
    assert.equal(h.status, 200, `${label}: /healthz after the fault`);
    const list = await call(gw.url, '/v1/apps?limit=2');
    assert.equal(list.status, 200, `${label}: List Apps after the fault: ${list.text.slice(0, 200)}`);
    assert.equal(list.json.value.length, 2);
    survived += 1;
  };

  before(async () => {
    sb = await forkSandbox({ keys: [key.sandboxKey] });
    gw = await gatewayFor(sb.url, key, log);
    patient = await gatewayFor(sb.url, key, log, PATIENT);
  });
  after(async () => {
    await gw?.close();
    await patient?.close();
    await sb?.close();
  });

  // Each row: fault specs queued on the sandbox, the request, the expected outcome and attempts.
  const ROWS = [
    { name: 'latency past the attempt timeout → 504 UPSTREAM_TIMEOUT', faults: [{ latencyMs: 1500 }], status: 504, code: 'UPSTREAM_TIMEOUT', attempts: 1, maxMs: 1400 },
    { name: 'latency under the timeout → 200', faults: [{ latencyMs: 150 }], status: 200, attempts: 1 },
    { name: 'connection reset → 502 UPSTREAM_UNREACHABLE', faults: [{ reset: true }], status: 502, code: 'UPSTREAM_UNREACHABLE', attempts: 1 },
    { name: 'truncated JSON → 502 UPSTREAM_BAD_RESPONSE', faults: [{ truncate: true }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: 1 },
    { name: 'truncated JSON on Read App Information → 502 UPSTREAM_BAD_RESPONSE', path: '/v1/apps/{id}', faults: [{ truncate: true }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: 1 },
    { name: '500 → 502 UPSTREAM_SERVER_ERROR (not retried)', faults: [{ status: 500 }], status: 502, code: 'UPSTREAM_SERVER_ERROR', attempts: 1 },
    { name: '502 → 502 UPSTREAM_SERVER_ERROR (not retried)', faults: [{ status: 502 }], status: 502, code: 'UPSTREAM_SERVER_ERROR', attempts: 1 },
    { name: '504 from upstream → 502 UPSTREAM_SERVER_ERROR (not retried)', faults: [{ status: 504 }], status: 502, code: 'UPSTREAM_SERVER_ERROR', attempts: 1 },
    { name: 'one 503 is retried → 200', faults: [{ status: 503 }], status: 200, attempts: 2 },
    { name: 'a 503 that persists → 502 UPSTREAM_SERVER_ERROR after 1 + maxRetries attempts, Retry-After passed on', faults: [{ status: 503, count: 10, retryAfter: 0 }], status: 502, code: 'UPSTREAM_SERVER_ERROR', attempts: 3, header: ['retry-after', '0'] },
    { name: '429 storm → retries bounded by the policy, then 429 UPSTREAM_RATE_LIMITED with X-Rate-Limit', faults: [{ rateLimitBurst: 50 }], status: 429, code: 'UPSTREAM_RATE_LIMITED', attempts: 3, header: ['x-rate-limit', /^user-hour-lim:\d+;user-hour-rem:0;$/] },
    { name: '429 with a Retry-After beyond the budget → passed on at once', faults: [{ rateLimitBurst: 5, retryAfter: 60 }], status: 429, code: 'UPSTREAM_RATE_LIMITED', attempts: 1, header: ['retry-after', '60'], maxMs: 1500 },
    { name: '64 MiB body (Content-Length) → 502 UPSTREAM_TOO_LARGE', faults: [{ bodyBytes: 64 * MiB }], status: 502, code: 'UPSTREAM_TOO_LARGE', attempts: 1, patient: true },
    { name: '4 MiB body (under the 8 MiB cap) → 200', faults: [{ bodyBytes: 4 * MiB }], status: 200, attempts: 1, patient: true },
    { name: 'HTML error page with 502 → 502 UPSTREAM_SERVER_ERROR', faults: [{ html: true }], status: 502, code: 'UPSTREAM_SERVER_ERROR', attempts: 1 },
    { name: 'HTML page with 200 → 502 UPSTREAM_BAD_RESPONSE', faults: [{ html: true, status: 200 }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: 1 },
    { name: 'empty body with 200 → 502 UPSTREAM_BAD_RESPONSE', faults: [{ status: 200, body: '' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: 1 },
    { name: 'JSON that is not JSON:API → 502 UPSTREAM_BAD_RESPONSE', faults: [{ status: 200, body: '{"data":5}' }], status: 502, code: 'UPSTREAM_BAD_RESPONSE', attempts: 1 },
    { name: 'non-JSON 400 → 400 UPSTREAM_BAD_REQUEST', faults: [{ status: 400, body: 'nope' }], status: 400, code: 'UPSTREAM_BAD_REQUEST', attempts: 1 },
    { name: 'one 401 → re-mint and retry once → 200', faults: [{ rejectToken: true }], status: 200, attempts: 2 },
    { name: '401 twice → 401 UPSTREAM_UNAUTHORIZED after exactly one re-mint', faults: [{ rejectToken: true, count: 5 }], status: 401, code: 'UPSTREAM_UNAUTHORIZED', attempts: 2 },
  ];

  for (const row of ROWS) {
    test(row.name, async () => {
      await sb.clear();
      for (const f of row.faults) await sb.fault(f);
      let path = row.path ?? '/v1/apps?limit=2';
      if (path.includes('{id}')) path = path.replace('{id}', '1467612649');
      const t0 = Date.now();
      const { res, attempts } = await attemptsOf(async () => ({ res: await call((row.patient ? patient : gw).url, path) }));
      const ms = Date.now() - t0;
      if (row.code) assertError(res, row.status, row.code);
      else assert.equal(res.status, row.status, res.text.slice(0, 300));
      assert.equal(attempts, row.attempts, 'upstream attempts');
      if (row.header) {
        const [name, want] = row.header;
        const got = res.headers.get(name);
        if (want instanceof RegExp) assert.match(got ?? '', want, name);
        else assert.equal(got, want, name);
      }
      if (row.maxMs) assert.ok(ms < row.maxMs, `answered in ${ms} ms`);
      await sb.clear();
      await healthy(row.name);
    });
  }

  test('links.next on another host is never followed or exposed: the page is refused with 502 (shaped and raw)', async () => {
    await sb.fault({ nextLinkHost: 'evil.example', count: 2 });
    const { res: shaped, attempts } = await attemptsOf(async () => ({ res: await call(gw.url, '/v1/apps?limit=2') }));
    // The page is refused (a list that silently stopped early would mislead the flow).
    assert.equal(shaped.status, 502, shaped.text.slice(0, 300));
    assert.equal(shaped.json.error.code, 'UPSTREAM_BAD_RESPONSE');
    assert.match(shaped.json.error.message, /next-page link/);
    assert.equal(attempts, 1, 'one upstream request: the foreign link was not followed');
    assert.ok(!shaped.text.includes('evil.example'), 'the foreign link is not shown');
    const raw = await call(gw.url, '/v1/apps?limit=2', { 'X-ASC-Format': 'raw' });
    assert.equal(raw.status, 502);
    assert.equal(raw.json.error.code, 'UPSTREAM_BAD_RESPONSE');
    assert.ok(!raw.text.includes('evil.example'), 'no foreign link in the raw answer');
    await sb.clear();
    await healthy('foreign next link');
  });

  test('a caller that hangs up while the upstream is slow does not disturb the gateway', async () => {
    await sb.fault({ latencyMs: 300 });
    const logged = log.lines.length;
    await assert.rejects(fetch(`${gw.url}/v1/apps?limit=2`, { headers: { 'X-API-Key': API_KEY }, signal: AbortSignal.timeout(50) }));
    for (let i = 0; i < 100 && log.lines.length === logged; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal(JSON.parse(log.lines[logged]).status, 200, 'the gateway finished the request it had started');
    await healthy('caller hang-up');
  });

  test('memory stays bounded across three 64 MiB upstream bodies', async (t) => {
    const rssBefore = rssMiB();
    for (let i = 0; i < 3; i += 1) {
      await sb.fault({ bodyBytes: 64 * MiB });
      assertError(await call(patient.url, '/v1/apps?limit=2'), 502, 'UPSTREAM_TOO_LARGE');
    }
    const rssAfter = rssMiB();
    t.diagnostic(`64 MiB bodies ×3 (Content-Length): gateway RSS ${rssBefore} → ${rssAfter} MiB`);
    assert.ok(rssAfter - rssBefore < 48, `RSS grew by ${(rssAfter - rssBefore).toFixed(1)} MiB (bound 48, below one body)`);
    await healthy('64 MiB ×3');
  });

  test('faults survived', (t) => {
    t.diagnostic(`sandbox faults survived: ${survived} (gateway healthy after each)`);
    assert.equal(survived, ROWS.length + 3);
  });
});

describe('upstream faults the sandbox cannot make', () => {
  const key = newAppleKey();
  const log = captureLog();
  let mode = { kind: 'endless', bytes: 64 * MiB };
  let up;
  let gw;
  let unreachableGw;
  before(async () => {
    up = await startStreamingUpstream(() => mode);
    gw = await gatewayFor(up.url, key, log);
    unreachableGw = await gatewayFor(`http://127.0.0.1:${await closedPort()}`, key, log);
  });
  after(async () => {
    await gw?.close();
    await unreachableGw?.close();
    await up?.close();
  });

  test('a 64 MiB body streamed without Content-Length: the gateway stops reading at the cap', async (t) => {
    mode = { kind: 'endless', bytes: 64 * MiB };
    const rssBefore = rssMiB();
    for (let i = 0; i < 3; i += 1) {
      const before = up.state.written;
      assertError(await call(gw.url, '/v1/apps?limit=2'), 502, 'UPSTREAM_TOO_LARGE');
      for (let j = 0; j < 100 && up.state.closedEarly < i + 1; j += 1) await new Promise((r) => setTimeout(r, 10));
      const sent = up.state.written - before;
      t.diagnostic(`streamed body ${i + 1}: upstream got ${(sent / MiB).toFixed(1)} MiB out before the gateway hung up`);
      assert.ok(sent < 24 * MiB, `the gateway stopped reading (${(sent / MiB).toFixed(1)} MiB sent of 64)`);
    }
    assert.equal(up.state.closedEarly, 3, 'each answer was abandoned mid-body');
    const rssAfter = rssMiB();
    t.diagnostic(`64 MiB streamed bodies ×3: gateway RSS ${rssBefore} → ${rssAfter} MiB`);
    // Reading whole bodies would grow by 3 × 64 MiB; the cap keeps the growth under one body.
    assert.ok(rssAfter - rssBefore < 64, `RSS grew by ${(rssAfter - rssBefore).toFixed(1)} MiB (bound 64)`);
    assert.equal((await call(gw.url, '/healthz')).status, 200);
  });

  test('a body that drips one byte at a time → 504 UPSTREAM_TIMEOUT (the timeout covers the body)', async () => {
    mode = { kind: 'drip', intervalMs: 50 };
    const t0 = Date.now();
    assertError(await call(gw.url, '/v1/apps?limit=2'), 504, 'UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - t0 < 2000);
    assert.equal((await call(gw.url, '/healthz')).status, 200);
  });

  test('nothing listening at ASC_BASE_URL → 502 UPSTREAM_UNREACHABLE, and the gateway stays up', async () => {
    for (let i = 0; i < 3; i += 1) assertError(await call(unreachableGw.url, '/v1/apps?limit=2'), 502, 'UPSTREAM_UNREACHABLE');
    assert.equal((await call(unreachableGw.url, '/healthz')).status, 200);
  });
});
