// The same gateway handler in the other runtimes: workerd (the Cloudflare Workers runtime, run
// directly with a generated capnp config that loads the wasm package through its workerd entry)
// and Deno (host/deno/main.js). Each answers a List Apps round trip, one request per read of the table
// and one round trip per write (with the read that shows it) against the sandbox, which runs in this Node process. Child processes are killed in `after` hooks, start-up waits are bounded.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { startSandbox } from '../src/sandbox/server.js';
import { specTables } from '../src/sandbox/spec.js';
import { operations } from 'asc-connector-wasm';
import { newAppleKey, leakedSecrets, rawRequest, examplePath, writeCases } from './helpers/gateway.js';
import { DENO, HOST_DIR, WORKERD, denoEnv, freePort, spawnRuntime, workerdConfig } from './helpers/runtimes.js';

const PKG_DIR = resolve(HOST_DIR, 'node_modules/asc-connector-wasm');
const STARTUP_MS = 20_000;
/** Start-up times, printed when GATEWAY_TIMINGS is set (measured, never asserted). */
const RUNTIME_TIMINGS = {};

/** Polls /healthz until it answers 200, the child exits, or STARTUP_MS passes. */
async function waitHealthy(url, child) {
  const deadline = Date.now() + STARTUP_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`runtime exited early (${child.exitCode}): ${child.output.slice(-800)}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`runtime did not become healthy within ${STARTUP_MS} ms: ${child.output.slice(-800)}`);
}

/**
 * The workerd module list: host/worker/index.js and every module it imports, by relative import;
 * the bare `asc-connector-wasm` import is served by the package's "workerd" export, named so that
 * workerd's resolution (relative to the importing module) finds it. A subpath entry with a workerd
 * export (`asc-connector-wasm/any-request`, `/triggers`) is a one-line module written into `shimDir` that
 * re-exports the package's file from a folder of that subpath's name, so each module's own
 * `./asc_connector.js` and `.wasm` get distinct names (a bundler such as wrangler's does this itself).
 */
function workerdModules(shimDir) {
  const pkgJson = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8'));
  const entry = pkgJson.exports['.'].workerd;
  const modules = new Map();
  const visit = (name, file) => {
    if (modules.has(name)) return;
    const kind = file.endsWith('.wasm') ? 'wasm' : 'esModule';
    modules.set(name, { file, kind });
    if (kind === 'wasm') return;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|\bimport\(['"]([^'"]+)['"]\)/g)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const baseDir = dirname(name);
      if (spec.startsWith('.')) {
        visit(join(baseDir, spec), resolve(dirname(file), spec));
      } else if (spec === 'asc-connector-wasm') {
        visit(join(baseDir, spec), join(PKG_DIR, entry));
      } else if (spec.startsWith('asc-connector-wasm/') && pkgJson.exports[`./${spec.slice('asc-connector-wasm/'.length)}`]?.workerd) {
        // A module of its own (any-request, triggers, signer): its workerd entry, ./<sub>/index.workerd.mjs.
        const sub = spec.slice('asc-connector-wasm/'.length);
        const entry = pkgJson.exports[`./${sub}`].workerd;
        const shim = join(shimDir, `${sub}.mjs`);
        writeFileSync(shim, `export * from './${entry.slice(2)}';\n`);
        // The package's entry first: the shim's relative import then finds it already listed.
        visit(join(baseDir, 'asc-connector-wasm', entry.slice(2)), join(PKG_DIR, entry));
        visit(join(baseDir, spec), shim);
      } else if (spec === 'asc-connector-wasm/spec-pack') {
        // Loaded by a dynamic import on the first POST /v1/request.
        visit(join(baseDir, spec), join(PKG_DIR, pkgJson.exports['./spec-pack'].import));
      } else {
        throw new Error(`unexpected import "${spec}" in ${name}: the worker must not need anything else`);
      }
    }
  };
  visit('host/worker/index.js', join(HOST_DIR, 'worker/index.js'));
  return modules;
}

/** The round trip every runtime must pass: two pages of List Apps and one Read App Information. */
async function roundTrip(url, apiKey, sb) {
  const res = await fetch(`${url}/v1/apps?limit=3&fields[apps]=name,bundleId`, { headers: { 'X-API-Key': apiKey } });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body).slice(0, 300));
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.match(res.headers.get('x-rate-limit') ?? '', /user-hour-lim:\d+;/);
  const catalogue = sb.sandbox.catalogue.apps;
  assert.equal(body.value.length, 3);
  assert.equal(body.total, catalogue.length);
  for (const record of body.value) {
    const app = catalogue.find((a) => a.id === record.id);
    assert.ok(app, `record ${record.id} is a sandbox app`);
    assert.equal(record.type, 'apps');
    assert.equal(record.name, app.attributes.name);
    assert.equal(record.bundleId, app.attributes.bundleId);
  }
  assert.ok(body.nextLink.startsWith(`${url}/v1/apps?`), `nextLink on the gateway origin: ${body.nextLink}`);
  const page2 = await fetch(body.nextLink, { headers: { 'X-API-Key': apiKey } });
  const body2 = await page2.json();
  assert.equal(page2.status, 200);
  assert.equal(body2.value.length, 3);
  assert.ok(body2.value.every((r) => !body.value.some((p) => p.id === r.id)), 'page 2 holds other apps');
  const one = await fetch(`${url}/v1/apps/${catalogue[5].id}`, { headers: { 'X-API-Key': apiKey } });
  const oneBody = await one.json();
  assert.equal(one.status, 200);
  assert.equal(oneBody.id, catalogue[5].id);
  const denied = await fetch(`${url}/v1/apps`, { headers: { 'X-API-Key': 'wrong' } });
  assert.equal(denied.status, 401);
  assert.equal((await denied.json()).error.code, 'UNAUTHENTICATED');
}

/** One request per read of the table: 200, records of the operation's type. Returns the count. */
async function everyOperation(url, apiKey, sb) {
  const ops = operations().filter((o) => !o.write);
  for (const op of ops) {
    const { path, type } = examplePath(op, sb.sandbox.catalogue, specTables().operations);
    const res = await fetch(`${url}${path}?${op.pageable ? 'limit=2' : ''}`, { headers: { 'X-API-Key': apiKey } });
    const body = await res.json();
    assert.equal(res.status, 200, `${op.id}: ${JSON.stringify(body).slice(0, 300)}`);
    const records = op.pageable ? body.value : [body];
    assert.ok(records.length > 0, op.id);
    for (const r of records) assert.equal(r.type, type, op.id);
    if (op.pageable && body.total > 2) assert.ok(body.nextLink.startsWith(`${url}${path}?`), `${op.id}: ${body.nextLink}`);
  }
  return ops.length;
}

/**
 * The trigger routes in a runtime (their decisions are the `asc-connector-wasm/triggers` module):
 * a first review poll answers no items and a watermark, and a poll from that watermark answers the
 * same watermark with every review since it, each fired once. Returns the Apple requests made.
 */
async function reviewPolls(url, apiKey, sb) {
  const appId = sb.sandbox.catalogue.apps[0].id;
  const poll = async (query) => {
    const res = await fetch(`${url}/trigger/v1/apps/${appId}/customerReviews${query}`, { headers: { 'X-API-Key': apiKey } });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body).slice(0, 300));
    return body;
  };
  const first = await poll('');
  assert.deepEqual(first.value, []);
  assert.equal(typeof first.watermark, 'string');
  const again = await poll(`?since=${encodeURIComponent(first.watermark)}`);
  assert.deepEqual(again.value, [], 'nothing arrived since the first poll');
  assert.equal(again.watermark, first.watermark, 'a quiet poll keeps the watermark');
  return 2;
}

/**
 * POST /v1/request in a runtime: the first call loads the spec pack (its time is recorded), a read
 * and a create reach the sandbox, a bad body field is refused with nothing sent.
 */
async function anyRequest(url, apiKey, sb, name) {
  const send = (envelope) => fetch(`${url}/v1/request`, { method: 'POST', headers: { 'X-API-Key': apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(envelope) });
  const before = sb.sandbox.stats.requests;
  const t0 = performance.now();
  const first = await send({ method: 'GET', path: '/v1/apps', query: { limit: 2 }, shape: true });
  const firstMs = performance.now() - t0;
  const firstBody = await first.json();
  assert.equal(first.status, 200, JSON.stringify(firstBody).slice(0, 300));
  assert.equal(firstBody.value.length, 2);
  const t1 = performance.now();
  // One sandbox serves both runtimes, and it refuses a second tester with the same email.
  const email = `ada.${name.toLowerCase()}@example.com`;
  const created = await send({ method: 'POST', path: '/v1/betaTesters', body: { data: { type: 'betaTesters', attributes: { email } } } });
  const laterMs = performance.now() - t1;
  assert.equal(created.status, 201);
  assert.equal((await created.json()).data.attributes.email, email);
  const bad = await send({ method: 'POST', path: '/v1/betaTesters', body: { data: { type: 'betaTesters', attributes: { emial: 'x' } } } });
  assert.equal(bad.status, 400);
  assert.deepEqual((await bad.json()).error.details.map((d) => d.parameter).sort(), ['data.attributes.email', 'data.attributes.emial']);
  assert.equal(sb.sandbox.stats.requests - before, 2);
  RUNTIME_TIMINGS[`${name} first /v1/request (loads the spec pack)`] = Math.round(firstMs);
  RUNTIME_TIMINGS[`${name} next /v1/request`] = Math.round(laterMs);
}

/**
 * One round trip per write (flat body; `n` picks records no other run touches), each followed by the read that
 * shows the change. Returns the number of upstream requests made.
 */
async function everyWrite(url, apiKey, sb, n) {
  const writes = operations().filter((o) => o.write);
  const changes = sb.sandbox.stats.changes;
  for (const op of writes) {
    // Fresh cases each time: an earlier write may have changed the records (a tester deleted).
    const c = writeCases(sb.sandbox.catalogue.resources, n)[op.id];
    const headers = { 'X-API-Key': apiKey, ...(c.flat === null ? {} : { 'Content-Type': 'application/json' }) };
    const res = await fetch(`${url}${c.path}`, { method: op.method, headers, ...(c.flat === null ? {} : { body: JSON.stringify(c.flat) }) });
    const text = await res.text();
    assert.equal(res.status, c.status, `${op.id}: ${text.slice(0, 300)}`);
    if (c.status === 201) assert.equal(JSON.parse(text).type, op.path.split('/')[2], op.id);
    const [readPath, shows] = c.read;
    const read = await fetch(`${url}${readPath}`, { headers: { 'X-API-Key': apiKey } });
    const rt = await read.text();
    let json = null;
    try {
      json = JSON.parse(rt);
    } catch {
      // not JSON
    }
    assert.ok(shows({ status: read.status, json }), `${op.id}: ${readPath} → ${read.status} ${rt.slice(0, 300)}`);
  }
  assert.equal(sb.sandbox.stats.changes - changes, writes.length);
  return writes.length * 2;
}

describe('gateway in other runtimes', () => {
  const key = newAppleKey();
  const apiKey = `rt-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  let sb;
  const children = [];
  const tmpDirs = [];
  before(async () => {
    sb = await startSandbox({ host: '127.0.0.1', port: 0, keys: [key.sandboxKey], apps: 12 });
  });
  after(async () => {
    for (const child of children) await child.stop();
    for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
    await sb?.close();
  });

  const env = () => ({
    GATEWAY_API_KEY: apiKey,
    ASC_BASE_URL: sb.url,
    ASC_KEY_ID: key.kid,
    ASC_ISSUER_ID: key.issuerId,
    ASC_PRIVATE_KEY: key.pem,
  });

  test('workerd runs the module worker with the wasm package', { timeout: 60_000, skip: !existsSync(WORKERD) && 'workerd binary not installed' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asc-workerd-'));
    tmpDirs.push(dir);
    const port = await freePort();
    const configFile = join(dir, 'gateway.capnp');
    const modules = [...workerdModules(dir)].map(([name, { file, kind }]) => ({ name, kind, file: relative(dir, file) }));
    const bindings = Object.entries(env()).map(([name, text]) => ({ name, text }));
    writeFileSync(configFile, workerdConfig({ address: `127.0.0.1:${port}`, modules, bindings, internet: true }), { mode: 0o600 });
    const child = spawnRuntime(WORKERD, ['serve', configFile], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    const t0 = performance.now();
    await waitHealthy(url, child);
    const startupMs = performance.now() - t0;
    const before = sb.sandbox.stats.requests;
    await roundTrip(url, apiKey, sb);
    assert.equal(sb.sandbox.stats.requests - before, 3);
    const n = await everyOperation(url, apiKey, sb);
    assert.equal(sb.sandbox.stats.requests - before, 3 + n);
    const w = await everyWrite(url, apiKey, sb, 0);
    assert.equal(sb.sandbox.stats.requests - before, 3 + n + w);
    const p = await reviewPolls(url, apiKey, sb);
    assert.equal(sb.sandbox.stats.requests - before, 3 + n + w + p, 'one Apple request per quiet poll');
    assert.deepEqual(leakedSecrets(child.output, { pem: key.pem, apiKey }), [], 'workerd output leaks nothing');
    assert.match(child.output, /"operation":"ListApps"/, 'the worker logged its requests');
    RUNTIME_TIMINGS.workerd = Math.round(startupMs);
    await anyRequest(url, apiKey, sb, 'workerd');
  });

  test('Deno runs host/deno/main.js with the wasm package', { timeout: 60_000 }, async (t) => {
    if (!existsSync(DENO)) {
      t.skip('deno binary not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'asc-deno-'));
    tmpDirs.push(dir);
    const child = spawnRuntime(DENO, ['run', '--allow-read', '--allow-net', '--allow-env', 'deno/main.js'], {
      cwd: HOST_DIR,
      env: denoEnv(dir, { HOST: '127.0.0.1', PORT: '0', ...env() }),
    });
    children.push(child);
    const t0 = performance.now();
    const deadline = Date.now() + STARTUP_MS;
    let url = null;
    while (!url && Date.now() < deadline) {
      if (child.exitCode !== null) break;
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output)?.[1] ?? null;
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url, `Deno gateway did not start: ${child.output.slice(-800)}`);
    await waitHealthy(url, child);
    RUNTIME_TIMINGS.deno = Math.round(performance.now() - t0);
    const before = sb.sandbox.stats.requests;
    await roundTrip(url, apiKey, sb);
    assert.equal(sb.sandbox.stats.requests - before, 3);
    const n = await everyOperation(url, apiKey, sb);
    assert.equal(sb.sandbox.stats.requests - before, 3 + n);
    const w = await everyWrite(url, apiKey, sb, 1);
    assert.equal(sb.sandbox.stats.requests - before, 3 + n + w);
    const p = await reviewPolls(url, apiKey, sb);
    assert.equal(sb.sandbox.stats.requests - before, 3 + n + w + p, 'one Apple request per quiet poll');
    assert.deepEqual(leakedSecrets(child.output, { pem: key.pem, apiKey }), [], 'Deno output leaks nothing');
    await anyRequest(url, apiKey, sb, 'Deno');
    // The same Host allowlist as the Node entry (hosts.js): a foreign Host gets 421, not forwarded.
    for (const host of ['evil.example', new URL(sb.url).host, '[2001:db8::1]']) {
      const sbBefore = sb.sandbox.stats.requests;
      const r = await rawRequest(url, `GET /v1/apps HTTP/1.1\r\nHost: ${host}\r\nX-API-Key: ${apiKey}\r\n\r\n`);
      assert.equal(r.status, 421, `${host}: ${r.text.slice(0, 200)}`);
      assert.equal(JSON.parse(r.body).error.code, 'HOST_NOT_ALLOWED');
      assert.equal(sb.sandbox.stats.requests, sbBefore, `${host}: nothing forwarded`);
    }
  });

  after(() => {
    if (process.env.GATEWAY_TIMINGS) process.stderr.write(`runtime startup ms: ${JSON.stringify(RUNTIME_TIMINGS)}\n`);
  });
});
