// `make bench`: runs every benchmark in its own Node process, one after the other, saves each JSON
// result under .bench/ and prints a summary. Machine facts are recorded with the results.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${ROOT}.bench`;
mkdirSync(OUT, { recursive: true });

function run(script, extraEnv = {}) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
    encoding: 'utf8', env: { ...process.env, ...extraEnv }, maxBuffer: 64 << 20, cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`${script} failed`);
  }
  const text = r.stdout.trim();
  // gateway.mjs prints JSON followed by a markdown table; take the first JSON object.
  const end = text.indexOf('\n}\n') >= 0 ? text.indexOf('\n}\n') + 2 : text.length;
  return { json: JSON.parse(text.slice(0, end)), text };
}

const machine = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  rustc: spawnSync('rustc', ['--version'], { encoding: 'utf8' }).stdout.trim(),
  wasmBindgen: spawnSync('wasm-bindgen', ['--version'], { encoding: 'utf8' }).stdout.trim(),
};
const results = { machine };
results.token = run('token.mjs').json;
results.shape = run('shape.mjs').json;
if (process.env.BENCH_SKIP_GATEWAY !== '1') {
  // The issue-15 CPU goal: gateway vs a bare keep-alive proxy, interleaved rounds (≈ 1.5 minutes).
  results.gatewayCpu = run('gateway-cpu.mjs').json;
  // `make bench` soaks the gateway for 10 minutes (RELIABILITY.md); BENCH_SOAK_SECONDS overrides.
  const gw = run('gateway.mjs', { BENCH_SOAK_SECONDS: process.env.BENCH_SOAK_SECONDS ?? '600' });
  results.gateway = gw.json;
  results.gatewayTable = gw.text.slice(gw.text.indexOf('\n}\n') + 3).trim();
}
writeFileSync(`${OUT}/all.json`, `${JSON.stringify(results, null, 2)}\n`);

const t = results.token;
const kib = (n) => (n / 1024).toFixed(1);
console.log(`# Benchmarks ${machine.date} — ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, ${machine.rustc}\n`);
console.log('| token signer | median µs |');
console.log('|---|---|');
for (const [k, v] of Object.entries(t.medianMicros)) console.log(`| ${k} | ${v.toFixed(0)} |`);
console.log(`\nsigner: warm ÷ jose warm = ${t.ratios.signerWarmVsJoseWarm.toFixed(2)} (goal ≤ 2.5); cold ÷ jose cold = ${t.ratios.signerColdVsJoseCold.toFixed(2)} (goal ≤ 1.0)`);
console.log(`full module: warm ÷ jose warm = ${t.ratios.warmVsJoseWarm.toFixed(2)}; cold ÷ jose cold = ${t.ratios.coldVsJoseCold.toFixed(2)}`);
console.log(`full module: ${kib(t.wasmBytes)} KiB raw, ${kib(t.wasmGzipBytes)} KiB gzip (goal ≤ 160); signer module: ${kib(t.signerWasmBytes)} KiB raw, ${kib(t.signerWasmGzipBytes)} KiB gzip (goal ≤ 64)`);
console.log(`compile ${(t.compileMicrosMedian / 1000).toFixed(1)} ms; import (read + compile + instantiate, fresh process) ${t.loadMillisMedian.toFixed(1)} ms`);
const s = results.shape;
console.log(`\nshaping ${s.apps} apps (${kib(s.pageBytes)} KiB): wasm ${s.mbPerSecond.wasm.toFixed(1)} MB/s, JS ${s.mbPerSecond.js.toFixed(1)} MB/s → ${s.wasmSpeedVsJs.toFixed(2)}× (goal ≥ 1.0)`);
const g = results.gatewayCpu;
if (g) {
  const gw = g.paths.gateway;
  const px = g.paths['bare proxy'];
  console.log(`\ngateway CPU per request (${g.query}, c=${g.connections}, medians of ${g.rounds} interleaved rounds after ${g.warmupSeconds} s warm-up): gateway ${gw.cpuUsMedian} µs (${gw.cpuUsMin}–${gw.cpuUsMax}), bare proxy ${px.cpuUsMedian} µs (${px.cpuUsMin}–${px.cpuUsMax}) → ratio ${g.cpuRatioMedian} (rounds ${g.cpuRatioMin}–${g.cpuRatioMax}; goal ≤ 1.5); p50 added ${g.p50OverProxyMs} ms (goal ≤ 0.3)`);
}
if (results.gatewayTable) console.log(`\n${results.gatewayTable}`);
console.log(`\nfull results: .bench/all.json`);
