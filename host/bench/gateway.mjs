// Gateway benchmark: what the gateway adds on top of the upstream call, measured with autocannon on loopback.
//   (a) autocannon → gateway → sandbox,   (b) autocannon → bare proxy → sandbox (the floor of any proxy hop: a
//   keep-alive node:http pass-through with no checks, bench/gateway-bare-proxy-child.mjs), and
//   (c) autocannon → sandbox directly,
// for List Apps with `limit=10` and with `include=appStoreVersions&limit=30`, at concurrency 1 and 32.
// The sandbox does the same work in both: the same upstream target (the gateway's own plan is used for the direct
// target), a bearer token of the same shape verified on every request (the sandbox never caches verification; the
// benchmark checks that its accepted-token count grows by one per request in both paths), and the same response
// document (checked by body size). The sandbox and the gateway each run in a child process; autocannon runs here.
// Then a memory soak: the gateway under load for BENCH_SOAK_SECONDS with its RSS sampled every second.
//
// Run: cd host && node bench/gateway.mjs       (about 2 min + the soak)
// Environment (all optional): BENCH_SECONDS (10 per case), BENCH_WARMUP_SECONDS (2), BENCH_SOAK_SECONDS (60),
//   BENCH_SOAK_CONNECTIONS (32), BENCH_APPS (100, sandbox catalogue size), BENCH_QUIET_LOG=1 (gateway logs to a
//   no-op sink instead of stdout), BENCH_PROFILE_SECONDS (0; > 0 adds a --cpu-prof run of the gateway at
//   concurrency 1 and summarises where its CPU time goes).
// Prints a JSON summary and a markdown table; writes the JSON to <repo>/.bench/gateway.json.
import { fork } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { mintToken, planRequest } from 'asc-connector-wasm';
import { summariseProfile } from './gateway-profile.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const num = (name, dflt) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 && process.env[name] !== '' && process.env[name] !== undefined ? v : dflt;
};
const SECONDS = num('BENCH_SECONDS', 10);
const WARMUP = num('BENCH_WARMUP_SECONDS', 2);
const SOAK = num('BENCH_SOAK_SECONDS', 60);
const SOAK_CONNECTIONS = num('BENCH_SOAK_CONNECTIONS', 32);
const APPS = num('BENCH_APPS', 100);
const PROFILE_SECONDS = num('BENCH_PROFILE_SECONDS', 0);
const QUIET_LOG = process.env.BENCH_QUIET_LOG === '1';
const QUERIES = ['limit=10', 'include=appStoreVersions&limit=30'];
const CONCURRENCY = [1, 32];
const GOAL_P50_ADDED_MS = 1;
const GOAL_THROUGHPUT_RATIO = 0.7;
// Against the bare proxy, for limit=10: gateway CPU per request ≤ 1.5× the proxy's, p50 at c=1 ≤ 0.3 ms above it.
const GOAL_CPU_VS_PROXY = 1.5;
const GOAL_P50_OVER_PROXY_MS = 0.3;

// ---------------------------------------------------------------- children (always killed on exit)
const children = new Set();
function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
// A hard cap on the whole run so nothing can hang forever.
const capMs = (WARMUP + SECONDS) * QUERIES.length * CONCURRENCY.length * 3 * 1000 + SOAK * 1000 + PROFILE_SECONDS * 1000 + 180_000;
setTimeout(() => {
  console.error(`gateway bench: exceeded its ${Math.round(capMs / 1000)} s cap; stopping`);
  killAll();
  process.exit(1);
}, capMs).unref();

/** Forks a bench child and returns { child, ready, call(msg) → reply, stop() }. */
function spawnChild(file, startMsg, execArgv = []) {
  const child = fork(join(here, file), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  children.add(child);
  const waiting = new Map();
  let readyResolve;
  let readyReject;
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  child.on('message', (msg) => {
    if (msg.type === 'ready') readyResolve(msg);
    else if (msg.type === 'error' && msg.id === undefined) readyReject(new Error(`${file}: ${msg.message}`));
    else if (waiting.has(msg.id)) {
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.type === 'error') w.reject(new Error(`${file}: ${msg.message}`));
      else w.resolve(msg);
    }
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => {
    children.delete(child);
    readyReject(new Error(`${file} exited (code ${code}) before it was ready`));
    for (const w of waiting.values()) w.reject(new Error(`${file} exited`));
    resolve(code);
  }));
  let seq = 0;
  const call = (msg, timeoutMs = 5000) => new Promise((resolve, reject) => {
    const id = ++seq;
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`${file}: no answer to ${msg.type}`));
    }, timeoutMs);
    waiting.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
    child.send({ ...msg, id });
  });
  const stop = async () => {
    if (!children.has(child)) return;
    child.send({ type: 'stop' });
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  child.send(startMsg);
  return { child, ready, call, stop, exited };
}

// ---------------------------------------------------------------- measurement
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
const round = (x, d = 3) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

/**
 * One autocannon run. Latencies come from autocannon's per-response event (sub-millisecond; its own histogram
 * rounds to whole ms, too coarse for a 1 ms goal), so p50/p99 here are exact over every 2xx response.
 */
function cannon({ url, headers, connections, duration, requests, collect = true }) {
  return new Promise((resolve, reject) => {
    const lat = [];
    let ok = 0;
    let bad = 0;
    let bytes = 0;
    const inst = autocannon({ url, headers, connections, duration, pipelining: 1, requests, timeout: 10 }, (err, result) => {
      if (err) reject(err);
      else resolve({ result, lat, ok, bad, bytes });
    });
    inst.on('response', (_client, statusCode, resBytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok += 1;
        bytes += resBytes;
        if (collect) lat.push(responseTime);
      } else bad += 1;
    });
  });
}

async function measure({ url, headers, connections, sandboxStats, cpuOf }) {
  if (WARMUP > 0) await cannon({ url, headers, connections, duration: WARMUP, collect: false });
  const before = (await sandboxStats()).stats;
  const cpuBefore = await Promise.all(cpuOf.map((c) => c.call({ type: 'cpu' })));
  const selfBefore = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { result, lat, ok, bad, bytes } = await cannon({ url, headers, connections, duration: SECONDS });
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const selfCpu = process.cpuUsage(selfBefore);
  const cpuAfter = await Promise.all(cpuOf.map((c) => c.call({ type: 'cpu' })));
  const after = (await sandboxStats()).stats;
  // CPU (user + system) per answered request, in µs, for each child (gateway, sandbox) and for autocannon.
  const cpuUsPerRequest = {};
  cpuOf.forEach((c, i) => {
    cpuUsPerRequest[c.name] = Math.round((cpuAfter[i].user + cpuAfter[i].system - cpuBefore[i].user - cpuBefore[i].system) / Math.max(1, ok));
  });
  cpuUsPerRequest.autocannon = Math.round((selfCpu.user + selfCpu.system) / Math.max(1, ok));
  lat.sort((a, b) => a - b);
  return {
    connections,
    seconds: round(elapsed, 2),
    requests: ok,
    non2xx: bad,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: round(ok / elapsed, 1),
    p50Ms: round(percentile(lat, 50)),
    p90Ms: round(percentile(lat, 90)),
    p99Ms: round(percentile(lat, 99)),
    meanMs: round(lat.reduce((s, x) => s + x, 0) / Math.max(1, lat.length)),
    responseBytesAvg: Math.round(bytes / Math.max(1, ok)),
    cpuUsPerRequest,
    cpuCoresBusy: round(Object.values(cpuUsPerRequest).reduce((a, b) => a + b, 0) * ok / 1e6 / elapsed, 2),
    // Every request that reached the sandbox (incl. autocannon's in-flight ones at the end) was verified.
    sandboxRequests: after.requests - before.requests,
    sandboxVerified: after.acceptedTokens - before.acceptedTokens,
    sandboxRejected: after.rejectedTokens - before.rejectedTokens,
  };
}

function linearSlope(points) {
  // points: [x, y]; least squares slope
  const n = points.length;
  if (n < 2) return null;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const [x, y] of points) {
    sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  const den = n * sxx - sx * sx;
  return den === 0 ? null : (n * sxy - sx * sy) / den;
}

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

// ---------------------------------------------------------------- main
async function main() {
  const started = new Date();
  // Throwaway Apple key, made now, never printed.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  const kid = randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase();
  const issuerId = randomUUID();
  const apiKey = `bench-${randomUUID()}`;

  const sandbox = spawnChild('gateway-sandbox-child.mjs', { type: 'start', keys: [{ kid, publicKeyPem: publicPem, issuerId }], apps: APPS, rateLimitPerHour: 1e9 });
  // (Apple's 3600/hour would turn a load test into 429s; the limit check itself still runs on every request.)
  const sb = await sandbox.ready;
  const gatewayEnv = { GATEWAY_API_KEY: apiKey, ASC_BASE_URL: sb.url, ASC_KEY_ID: kid, ASC_ISSUER_ID: issuerId, ASC_PRIVATE_KEY: pem };
  let gateway = spawnChild('gateway-gateway-child.mjs', { type: 'start', env: gatewayEnv, quietLog: QUIET_LOG });
  const gw = await gateway.ready;
  const sandboxStats = () => sandbox.call({ type: 'stats' });

  // The direct path's token: minted once with the same options the gateway's server key uses (same claims, same
  // default lifetime, no scope), so the sandbox's verification work per request is identical.
  const directToken = mintToken({ keyId: kid, issuerId, privateKey: pem }, Math.floor(Date.now() / 1000));
  const directHeaders = { authorization: `Bearer ${directToken}`, accept: 'application/json' };
  const gatewayHeaders = { 'x-api-key': apiKey };
  const bare = spawnChild('gateway-bare-proxy-child.mjs', { type: 'start', upstream: sb.url, authorization: `Bearer ${directToken}` });
  const bp = await bare.ready;

  const cases = [];
  const sizeChecks = [];
  for (const query of QUERIES) {
    const plan = planRequest('GET', '/v1/apps', query);
    const upstreamTarget = `${plan.upstreamPath}${plan.upstreamQuery ? `?${plan.upstreamQuery}` : ''}`;
    // Sanity + equal-work check: one request each way with the sandbox recording its answer sizes.
    await sandbox.call({ type: 'probe', on: true });
    const viaGw = await fetch(`${gw.url}/v1/apps?${query}`, { headers: gatewayHeaders });
    const gwBody = await viaGw.text();
    const seenGw = (await sandbox.call({ type: 'probe', on: true })).sizes;
    const direct = await fetch(`${sb.url}${upstreamTarget}`, { headers: directHeaders });
    const directBody = await direct.text();
    const seenDirect = (await sandbox.call({ type: 'probe', on: false })).sizes;
    if (viaGw.status !== 200 || direct.status !== 200) {
      throw new Error(`sanity check failed for ${query}: gateway ${viaGw.status}, direct ${direct.status}`);
    }
    const upGw = seenGw[upstreamTarget];
    const upDirect = seenDirect[upstreamTarget];
    if (!upGw || !upDirect || upGw.bytes !== upDirect.bytes) {
      throw new Error(`the sandbox did not answer the same document both ways for ${query} (${JSON.stringify({ upGw, upDirect })})`);
    }
    sizeChecks.push({ query, upstreamTarget, sandboxBodyBytes: upDirect.bytes, gatewayBodyBytes: Buffer.byteLength(gwBody), records: JSON.parse(gwBody).value.length });
    void directBody;

    for (const connections of CONCURRENCY) {
      const label = `${query} c=${connections}`;
      process.stderr.write(`gateway bench: ${label} via gateway…\n`);
      const viaGateway = await measure({ url: `${gw.url}/v1/apps?${query}`, headers: gatewayHeaders, connections, sandboxStats, cpuOf: [{ name: 'gateway', call: gateway.call }, { name: 'sandbox', call: sandbox.call }] });
      process.stderr.write(`gateway bench: ${label} direct…\n`);
      const straight = await measure({ url: `${sb.url}${upstreamTarget}`, headers: directHeaders, connections, sandboxStats, cpuOf: [{ name: 'sandbox', call: sandbox.call }] });
      process.stderr.write(`gateway bench: ${label} bare proxy…\n`);
      const viaProxy = await measure({ url: `${bp.url}${upstreamTarget}`, headers: {}, connections, sandboxStats, cpuOf: [{ name: 'proxy', call: bare.call }, { name: 'sandbox', call: sandbox.call }] });
      for (const [name, m] of [['gateway', viaGateway], ['direct', straight], ['bare proxy', viaProxy]]) {
        if (m.non2xx > 0 || m.errors > 0) throw new Error(`${label} ${name}: ${m.non2xx} non-2xx answers and ${m.errors} errors; the numbers would be meaningless`);
      }
      cases.push({ query, connections, gateway: viaGateway, proxy: viaProxy, direct: straight });
    }
  }

  // Two distinct tokens so far (the gateway's cached one and the direct one) shows the gateway did not re-mint.
  const tokensSeenInCases = (await sandboxStats()).stats.tokensSeen;

  // Goals.
  const goals = [];
  for (const query of QUERIES) {
    const c1 = cases.find((c) => c.query === query && c.connections === 1);
    const c32 = cases.find((c) => c.query === query && c.connections === 32);
    const added = round(c1.gateway.p50Ms - c1.direct.p50Ms);
    const ratio = round(c32.gateway.rps / c32.direct.rps, 3);
    const cpuVsProxy = round(c1.gateway.cpuUsPerRequest.gateway / c1.proxy.cpuUsPerRequest.proxy, 2);
    const p50OverProxy = round(c1.gateway.p50Ms - c1.proxy.p50Ms);
    goals.push({
      query, p50AddedMs: added, p50AddedGoalMs: GOAL_P50_ADDED_MS, p50Met: added <= GOAL_P50_ADDED_MS, throughputRatioC32: ratio, throughputGoal: GOAL_THROUGHPUT_RATIO, throughputMet: ratio >= GOAL_THROUGHPUT_RATIO,
      gatewayCpuUsC1: c1.gateway.cpuUsPerRequest.gateway, proxyCpuUsC1: c1.proxy.cpuUsPerRequest.proxy, cpuVsProxyC1: cpuVsProxy, cpuVsProxyGoal: GOAL_CPU_VS_PROXY, cpuVsProxyMet: cpuVsProxy <= GOAL_CPU_VS_PROXY,
      p50OverProxyMs: p50OverProxy, p50OverProxyGoalMs: GOAL_P50_OVER_PROXY_MS, p50OverProxyMet: p50OverProxy <= GOAL_P50_OVER_PROXY_MS,
    });
  }

  // Memory soak: restart the gateway so the soak starts from a fresh process, then load it and sample RSS.
  let soak = null;
  if (SOAK > 0) {
    await gateway.stop();
    gateway = spawnChild('gateway-gateway-child.mjs', { type: 'start', env: gatewayEnv, quietLog: QUIET_LOG });
    const g2 = await gateway.ready;
    const mem = () => gateway.call({ type: 'mem' });
    const samples = [];
    const first = await mem();
    samples.push({ t: 0, rssMB: first.rss / 2 ** 20, heapUsedMB: first.heapUsed / 2 ** 20 });
    process.stderr.write(`gateway bench: soak ${SOAK} s at c=${SOAK_CONNECTIONS}…\n`);
    const t0 = Date.now();
    const sampler = setInterval(() => {
      mem().then((m) => samples.push({ t: (Date.now() - t0) / 1000, rssMB: m.rss / 2 ** 20, heapUsedMB: m.heapUsed / 2 ** 20 })).catch(() => {});
    }, 1000);
    const run = await cannon({
      url: g2.url,
      headers: gatewayHeaders,
      connections: SOAK_CONNECTIONS,
      duration: SOAK,
      requests: QUERIES.map((q) => ({ method: 'GET', path: `/v1/apps?${q}` })),
      collect: false,
    });
    clearInterval(sampler);
    const last = await mem();
    samples.push({ t: (Date.now() - t0) / 1000, rssMB: last.rss / 2 ** 20, heapUsedMB: last.heapUsed / 2 ** 20 });
    samples.sort((a, b) => a.t - b.t);
    const rss = samples.map((s) => s.rssMB);
    const slope = (pts) => round(linearSlope(pts.map((s) => [s.t / 60, s.rssMB])), 2);
    const secondHalf = samples.filter((s) => s.t >= SOAK / 2);
    soak = {
      seconds: SOAK,
      connections: SOAK_CONNECTIONS,
      queries: QUERIES,
      requests: run.ok,
      non2xx: run.bad,
      rps: round(run.ok / SOAK, 1),
      samples: samples.length,
      rssStartMB: round(rss[0], 1),
      rssAfter5sMB: round(samples.find((s) => s.t >= 5)?.rssMB ?? null, 1),
      rssMaxMB: round(Math.max(...rss), 1),
      rssEndMB: round(rss[rss.length - 1], 1),
      // After the first 5 s (sockets, undici pool, wasm memory and heap grow to their working size).
      slopeMBPerMin: slope(samples.filter((s) => s.t >= 5)),
      slopeSecondHalfMBPerMin: slope(secondHalf),
      heapUsedStartMB: round(samples[0].heapUsedMB, 1),
      heapUsedMaxMB: round(Math.max(...samples.map((s) => s.heapUsedMB)), 1),
      heapUsedEndMB: round(samples[samples.length - 1].heapUsedMB, 1),
      series: samples.map((s) => [round(s.t, 1), round(s.rssMB, 1)]),
    };
  }
  await gateway.stop();

  // Optional CPU profile of the gateway child at concurrency 1 (limit=10).
  let profile = null;
  if (PROFILE_SECONDS > 0) {
    const dir = join(repoRoot, '.bench', 'gateway-prof');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const pg = spawnChild('gateway-gateway-child.mjs', { type: 'start', env: gatewayEnv, quietLog: QUIET_LOG }, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const p = await pg.ready;
    process.stderr.write(`gateway bench: profiling the gateway for ${PROFILE_SECONDS} s at c=1…\n`);
    await cannon({ url: `${p.url}/v1/apps?${QUERIES[0]}`, headers: gatewayHeaders, connections: 1, duration: 1, collect: false });
    const run = await cannon({ url: `${p.url}/v1/apps?${QUERIES[0]}`, headers: gatewayHeaders, connections: 1, duration: PROFILE_SECONDS, collect: false });
    await pg.stop();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      profile = { query: QUERIES[0], requests: run.ok, file: join('.bench', 'gateway-prof', file), ...summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8'))) };
      profile.busyUsPerRequest = round((profile.busyMs * 1000) / Math.max(1, run.ok), 1);
    }
  }
  await bare.stop();
  await sandbox.stop();

  const summary = {
    benchmark: 'gateway',
    date: started.toISOString(),
    node: process.version,
    cpu: cpuModel(),
    cpus: cpus().length,
    setup: {
      secondsPerCase: SECONDS,
      warmupSeconds: WARMUP,
      sandboxApps: APPS,
      gatewayLog: QUIET_LOG ? 'no-op sink' : 'default JSON line per request to stdout (child stdout → /dev/null)',
      processes: 'autocannon (this process), gateway child, sandbox child — all on the same cores',
      latency: 'exact per-response times from autocannon response events (all 2xx responses of the measured window)',
    },
    sizeChecks,
    tokensSeenInCases,
    cases,
    goals,
    soak,
    profile,
  };

  const outDir = join(repoRoot, '.bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gateway.json'), `${JSON.stringify(summary, null, 2)}\n`);

  console.log(JSON.stringify(summary, (k, v) => (k === 'series' ? `[${v.length} samples]` : v), 2));
  console.log();
  console.log(markdown(summary));
}

function markdown(s) {
  const lines = [];
  lines.push(`Gateway benchmark — ${s.date} — Node ${s.node} — ${s.cpu} × ${s.cpus} — ${s.setup.secondsPerCase} s per case after ${s.setup.warmupSeconds} s warm-up`);
  lines.push('');
  lines.push('| Query | Conc. | Path | req/s | p50 ms | p99 ms | non-2xx | CPU µs/req gateway · sandbox · autocannon | cores busy |');
  lines.push('|---|---:|---|---:|---:|---:|---:|---|---:|');
  for (const c of s.cases) {
    for (const [name, m] of [['gateway → sandbox', c.gateway], ['bare proxy → sandbox', c.proxy], ['sandbox direct', c.direct]]) {
      const u = m.cpuUsPerRequest;
      lines.push(`| \`${c.query}\` | ${c.connections} | ${name} | ${m.rps} | ${m.p50Ms} | ${m.p99Ms} | ${m.non2xx + m.errors} | ${u.gateway ?? u.proxy ?? '–'} · ${u.sandbox} · ${u.autocannon} | ${m.cpuCoresBusy} |`);
    }
  }
  lines.push('');
  lines.push('| Query | p50 added at c=1 (goal ≤ 1 ms) | throughput at c=32 vs direct (goal ≥ 70 %) | CPU µs/req at c=1: gateway ÷ bare proxy (goal ≤ 1.5×) | p50 over the bare proxy at c=1 (goal ≤ 0.3 ms) |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const g of s.goals) {
    lines.push(`| \`${g.query}\` | ${g.p50AddedMs} ms ${g.p50Met ? '✅' : '❌'} | ${round(g.throughputRatioC32 * 100, 1)} % ${g.throughputMet ? '✅' : '❌'} | ${g.gatewayCpuUsC1} ÷ ${g.proxyCpuUsC1} = ${g.cpuVsProxyC1}× ${g.cpuVsProxyMet ? '✅' : '❌'} | ${g.p50OverProxyMs} ms ${g.p50OverProxyMet ? '✅' : '❌'} |`);
  }
  if (s.soak) {
    const k = s.soak;
    lines.push('');
    lines.push(`Soak: ${k.seconds} s at c=${k.connections}, ${k.requests} requests (${k.rps} req/s, ${k.non2xx} non-2xx). RSS start ${k.rssStartMB} MB (after 5 s ${k.rssAfter5sMB}), max ${k.rssMaxMB} MB, end ${k.rssEndMB} MB; slope ${k.slopeMBPerMin} MB/min after the first 5 s, ${k.slopeSecondHalfMBPerMin} MB/min over the second half; heap used ${k.heapUsedStartMB} → ${k.heapUsedEndMB} MB (max ${k.heapUsedMaxMB}).`);
  }
  if (s.profile) {
    lines.push('');
    lines.push(`CPU profile of the gateway at c=1 (\`${s.profile.query}\`, ${s.profile.requests} requests, ${s.profile.busyMs} ms busy ≈ ${s.profile.busyUsPerRequest} µs/request):`);
    lines.push('');
    lines.push('| Bucket | ms | % of busy |');
    lines.push('|---|---:|---:|');
    for (const b of s.profile.buckets) if (b.bucket !== 'idle') lines.push(`| ${b.bucket} | ${b.ms} | ${b.pct} |`);
    lines.push('');
    lines.push('| Gateway step (inclusive, synchronous part) | ms | % of busy |');
    lines.push('|---|---:|---:|');
    for (const b of s.profile.steps) lines.push(`| ${b.step} | ${b.ms} | ${b.pct} |`);
  }
  return lines.join('\n');
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (err) => {
    console.error(`gateway bench failed: ${err && err.message ? err.message : err}`);
    killAll();
    process.exit(1);
  },
);
