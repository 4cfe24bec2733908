// The same gateway handler in the other runtimes: workerd (the Cloudflare Workers runtime, run
// directly with a generated capnp config that loads the wasm package through its workerd entry)
// and Deno (host/deno/main.js). Each answers a List Apps round trip, one request per read of the table
// and one round trip per write (with the read that shows it) against the sandbox, which runs in this Node process. Child processes are killed in `after` hooks, start-up waits are bounded.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../src/sandbox/server.js';
import { specTables } from '../src/sandbox/spec.js';
import { operations } from 'asc-connector-wasm';
import { newAppleKey, leakedSecrets, examplePath, writeCases } from './helpers/gateway.js';

const HOST_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PKG_DIR = resolve(HOST_DIR, 'node_modules/asc-connector-wasm');
const WORKERD = join(HOST_DIR, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');
const DENO_CANDIDATES = [join(HOST_DIR, 'node_modules/@deno/linux-x64-glibc/deno'), join(HOST_DIR, 'node_modules/.bin/deno')];
const STARTUP_MS = 20_000;
/** Start-up times, printed when GATEWAY_TIMINGS is set (measured, never asserted). */
const RUNTIME_TIMINGS = {};

/** A free loopback port (workerd needs a concrete port in its config). */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** Spawns a child, keeping its output in memory (never printed: it is checked for leaks instead). */
function spawnChild(cmd, args, options) {
  const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (c) => { child.output += c; });
  child.stderr.on('data', (c) => { child.output += c; });
  child.exited = new Promise((r) => child.once('exit', r));
  return child;
}

async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await child.exited;
  clearTimeout(timer);
}

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
 * workerd's resolution (relative to the importing module) finds it.
 */
function workerdModules() {
  const pkgJson = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8'));
  const entry = pkgJson.exports['.'].workerd;
  const modules = new Map();
  const visit = (name, file) => {
    if (modules.has(name)) return;
    const kind = file.endsWith('.wasm') ? 'wasm' : 'esModule';
    modules.set(name, { file, kind });
    if (kind === 'wasm') return;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2];
      const baseDir = dirname(name);
      if (spec.startsWith('.')) {
        visit(join(baseDir, spec), resolve(dirname(file), spec));
      } else if (spec === 'asc-connector-wasm') {
        visit(join(baseDir, spec), join(PKG_DIR, entry));
      } else {
        throw new Error(`unexpected import "${spec}" in ${name}: the worker must not need anything else`);
      }
    }
  };
  visit('host/worker/index.js', join(HOST_DIR, 'worker/index.js'));
  return modules;
}

function workerdConfig({ dir, port, bindings }) {
  const mods = [...workerdModules()].map(([name, { file, kind }]) => `    (name = ${JSON.stringify(name)}, ${kind} = embed ${JSON.stringify(relative(dir, file))}),`);
  const binds = Object.entries(bindings).map(([k, v]) => `    (name = ${JSON.stringify(k)}, text = ${JSON.stringify(v)}),`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .gateway),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const gateway :Workerd.Worker = (
  modules = [
${mods.join('\n')}
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
${binds.join('\n')}
  ],
  globalOutbound = "internet",
);
`;
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
    for (const child of children) await stopChild(child);
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
    writeFileSync(configFile, workerdConfig({ dir, port, bindings: env() }), { mode: 0o600 });
    const child = spawnChild(WORKERD, ['serve', configFile], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
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
    assert.deepEqual(leakedSecrets(child.output, { pem: key.pem, apiKey }), [], 'workerd output leaks nothing');
    assert.match(child.output, /"operation":"ListApps"/, 'the worker logged its requests');
    RUNTIME_TIMINGS.workerd = Math.round(startupMs);
  });

  test('Deno runs host/deno/main.js with the wasm package', { timeout: 60_000 }, async (t) => {
    const deno = DENO_CANDIDATES.find((p) => existsSync(p));
    if (!deno) {
      t.skip('deno binary not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'asc-deno-'));
    tmpDirs.push(dir);
    const child = spawnChild(deno, ['run', '--allow-read', '--allow-net', '--allow-env', 'deno/main.js'], {
      cwd: HOST_DIR,
      env: { PATH: process.env.PATH, HOME: dir, DENO_DIR: join(dir, 'cache'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', HOST: '127.0.0.1', PORT: '0', ...env() },
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
    assert.deepEqual(leakedSecrets(child.output, { pem: key.pem, apiKey }), [], 'Deno output leaks nothing');
  });

  after(() => {
    if (process.env.GATEWAY_TIMINGS) process.stderr.write(`runtime startup ms: ${JSON.stringify(RUNTIME_TIMINGS)}\n`);
  });
});
