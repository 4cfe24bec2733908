// Gateway CPU per request against the bare proxy, repeated: the issue-15 goal (limit=10 List Apps at
// concurrency 1, gateway CPU ≤ 1.5× a bare keep-alive node:http proxy's) measured in ROUNDS short interleaved
// rounds in one run, so the spread on a shared machine shows. Same children as bench/gateway.mjs (sandbox,
// gateway, bare proxy). Each path is first warmed up for BENCH_WARMUP_SECONDS so the rounds measure a running
// gateway, not V8 still compiling it: the gateway's JIT keeps optimising (and its CPU per request keeps falling)
// for ~10 s of traffic, the bare proxy's much smaller code settles in ~2 s. `make bench` runs it (bench/run.mjs). With BENCH_BASE_ENTRY=<path to another copy's src/node.js> a second gateway (e.g. the
// previous commit's, checked out elsewhere) runs in the same rounds for a before/after comparison.
//
// Run: cd host && node bench/gateway-cpu.mjs
// Environment: BENCH_ROUNDS (8), BENCH_SECONDS (4 per path per round), BENCH_WARMUP_SECONDS (10, once per path),
//   BENCH_QUERY (limit=10), BENCH_CONNECTIONS (1), BENCH_BASE_ENTRY (unset), BENCH_ENTRY (the gateway's own
//   src/node.js; set it, with BENCH_BASE_ENTRY, to run the two copies in swapped slots as a check on slot bias),
//   BENCH_BASE_FIRST=1 (the base gateway is spawned and warmed before this one), BENCH_PROFILE=1 (the gateway runs
//   under --cpu-prof into <repo>/.bench/gateway-cpu-prof and the summary of bench/gateway-profile.mjs is printed;
//   the profiler's own cost inflates that gateway's numbers; BENCH_PROFILE=proxy profiles the bare proxy instead).
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { mintToken, planRequest } from 'asc-connector-wasm';
import { summariseProfile } from './gateway-profile.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const ROUNDS = num('BENCH_ROUNDS', 8);
const SECONDS = num('BENCH_SECONDS', 4);
const WARMUP = num('BENCH_WARMUP_SECONDS', 10);
const QUERY = process.env.BENCH_QUERY || 'limit=10';
const CONNECTIONS = num('BENCH_CONNECTIONS', 1);
const PROFILE = process.env.BENCH_PROFILE === '1' ? 'gateway' : process.env.BENCH_PROFILE === 'proxy' ? 'proxy' : null;
const PROFILE_DIR = PROFILE ? join(here, '..', '..', '.bench', 'gateway-cpu-prof') : null;
const ENTRY = process.env.BENCH_ENTRY ? pathToFileURL(resolve(process.env.BENCH_ENTRY)).href : undefined;
const BASE_ENTRY = process.env.BENCH_BASE_ENTRY ? pathToFileURL(resolve(process.env.BENCH_BASE_ENTRY)).href : null;
const BASE_FIRST = process.env.BENCH_BASE_FIRST === '1';

const children = new Set();
const killAll = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', killAll);

function spawnChild(file, startMsg, execArgv = []) {
  const child = fork(join(here, file), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  children.add(child);
  const waiting = new Map();
  let seq = 0;
  const ready = new Promise((res, rej) => {
    child.on('message', (msg) => {
      if (msg.type === 'ready') res(msg);
      else if (msg.type === 'error' && msg.id === undefined) rej(new Error(`${file}: ${msg.message}`));
      else if (waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
      }
    });
    child.once('exit', (code) => rej(new Error(`${file} exited (${code})`)));
  });
  const exited = new Promise((res) => child.once('exit', res));
  const call = (msg) => new Promise((res) => {
    const id = ++seq;
    waiting.set(id, res);
    child.send({ ...msg, id });
  });
  child.send(startMsg);
  return { ready, call, exited, send: (m) => child.send(m) };
}

function cannon(url, headers, duration) {
  return new Promise((res, rej) => {
    const lat = [];
    let ok = 0;
    const inst = autocannon({ url, headers, connections: CONNECTIONS, duration, pipelining: 1, timeout: 10 }, (err, r) => (err ? rej(err) : res({ r, lat, ok })));
    inst.on('response', (_c, status, _b, t) => {
      if (status >= 200 && status < 300) {
        ok += 1;
        lat.push(t);
      }
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(path, duration) {
  const before = await path.proc.call({ type: 'cpu' });
  const { lat, ok, r } = await cannon(path.url, path.headers, duration);
  const after = await path.proc.call({ type: 'cpu' });
  if (r.non2xx || r.errors) throw new Error(`${path.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { requests: ok, cpuUs: (after.user + after.system - before.user - before.system) / Math.max(1, ok), p50Ms: median(lat) };
}

async function main() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const kid = randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase();
  const issuerId = randomUUID();
  const apiKey = `bench-${randomUUID()}`;
  const sandbox = spawnChild('gateway-sandbox-child.mjs', { type: 'start', keys: [{ kid, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), issuerId }], apps: 100, rateLimitPerHour: 1e9 });
  const sb = await sandbox.ready;
  const env = { GATEWAY_API_KEY: apiKey, ASC_BASE_URL: sb.url, ASC_KEY_ID: kid, ASC_ISSUER_ID: issuerId, ASC_PRIVATE_KEY: pem };
  const token = mintToken({ keyId: kid, issuerId, privateKey: pem }, Math.floor(Date.now() / 1000));
  const plan = planRequest('GET', '/v1/apps', QUERY);
  const target = `${plan.upstreamPath}${plan.upstreamQuery ? `?${plan.upstreamQuery}` : ''}`;
  const paths = [];
  if (PROFILE_DIR) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }
  // The gateway spawned (and warmed) first measures up to a third more than an identical one spawned
  // second (BENCHMARKS.md, "Gateway CPU per request, fourth session"): before/after comparisons run
  // once as is and once with BENCH_BASE_FIRST=1, and take the geometric mean of gatewayVsBaseMedian.
  const spawnGateway = async (name, entry, execArgv) => {
    const proc = spawnChild('gateway-gateway-child.mjs', { type: 'start', env, entry }, execArgv);
    paths.push({ name, proc, url: `${(await proc.ready).url}/v1/apps?${QUERY}`, headers: { 'x-api-key': apiKey } });
    return proc;
  };
  if (BASE_ENTRY && BASE_FIRST) await spawnGateway('gateway (base)', BASE_ENTRY, []);
  const gw = await spawnGateway('gateway', ENTRY, PROFILE === 'gateway' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);
  if (BASE_ENTRY && !BASE_FIRST) await spawnGateway('gateway (base)', BASE_ENTRY, []);
  const bare = spawnChild('gateway-bare-proxy-child.mjs', { type: 'start', upstream: sb.url, authorization: `Bearer ${token}` }, PROFILE === 'proxy' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);
  paths.push({ name: 'bare proxy', proc: bare, url: `${(await bare.ready).url}${target}`, headers: {} });

  // One request each way first: both answer 200, and the body sizes go into the summary.
  const bodyBytes = {};
  for (const p of paths) {
    const res = await fetch(p.url, { headers: p.headers });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${p.name} answered ${res.status}`);
    bodyBytes[p.name] = Buffer.byteLength(text);
    bodyBytes[`${p.name} (ASCII only)`] = /^[\x00-\x7f]*$/.test(text);
  }
  for (const p of paths) await cannon(p.url, p.headers, WARMUP);
  const rows = Object.fromEntries(paths.map((p) => [p.name, []]));
  for (let i = 0; i < ROUNDS; i++) {
    // A different order each round (rotated, then reversed on odd rounds) so no path keeps one slot.
    const rotated = paths.map((_, k) => paths[(k + i) % paths.length]);
    const order = i % 2 ? rotated.reverse() : rotated;
    for (const p of order) rows[p.name].push(await measure(p, SECONDS));
    const gwCpu = rows.gateway[i].cpuUs;
    const pxCpu = rows['bare proxy'][i].cpuUs;
    process.stderr.write(`round ${i + 1}: ${paths.map((p) => `${p.name} ${Math.round(rows[p.name][i].cpuUs)} µs p50 ${rows[p.name][i].p50Ms.toFixed(3)} ms`).join(' · ')} · ratio ${(gwCpu / pxCpu).toFixed(2)}\n`);
  }
  const out = { bodyBytes, query: QUERY, connections: CONNECTIONS, rounds: ROUNDS, secondsPerRound: SECONDS, warmupSeconds: WARMUP, node: process.version, paths: {} };
  for (const p of paths) {
    const cpu = rows[p.name].map((r) => r.cpuUs);
    const p50 = rows[p.name].map((r) => r.p50Ms);
    out.paths[p.name] = { cpuUsMedian: Math.round(median(cpu)), cpuUsMin: Math.round(Math.min(...cpu)), cpuUsMax: Math.round(Math.max(...cpu)), p50MsMedian: Number(median(p50).toFixed(3)), requests: rows[p.name].reduce((s, r) => s + r.requests, 0) };
  }
  const ratios = rows.gateway.map((g, i) => g.cpuUs / rows['bare proxy'][i].cpuUs);
  out.cpuRatioMedian = Number(median(ratios).toFixed(2));
  out.cpuRatioMin = Number(Math.min(...ratios).toFixed(2));
  out.cpuRatioMax = Number(Math.max(...ratios).toFixed(2));
  out.baseFirst = BASE_ENTRY ? BASE_FIRST : undefined;
  out.p50OverProxyMs = Number((out.paths.gateway.p50MsMedian - out.paths['bare proxy'].p50MsMedian).toFixed(3));
  if (BASE_ENTRY) {
    const r = rows['gateway (base)'].map((b, i) => b.cpuUs / rows['bare proxy'][i].cpuUs);
    out.baseCpuRatioMedian = Number(median(r).toFixed(2));
    // Paired per round: this gateway's CPU ÷ the base gateway's.
    const vs = rows.gateway.map((g, i) => g.cpuUs / rows['gateway (base)'][i].cpuUs);
    out.gatewayVsBaseMedian = Number(median(vs).toFixed(3));
    out.gatewayVsBaseMin = Number(Math.min(...vs).toFixed(3));
    out.gatewayVsBaseMax = Number(Math.max(...vs).toFixed(3));
  }
  if (PROFILE_DIR) {
    const profiled = PROFILE === 'gateway' ? gw : bare;
    profiled.send({ type: 'stop' });
    await profiled.exited;
    const file = readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile'));
    const prof = summariseProfile(JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8')), 40);
    out.profile = { file: join('.bench', 'gateway-cpu-prof', file), ...prof };
  }
  console.log(JSON.stringify(out, null, 2));
}

main().then(() => process.exit(0), (err) => {
  console.error(`gateway-cpu bench failed: ${err.message}`);
  process.exit(1);
});
