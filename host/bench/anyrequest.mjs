// Any-request planning benchmark: microseconds to check one request against the whole spec pack
// (planAnyRequest, object in → plan out, the way the gateway route will call it), for a list read with
// a query object, a create with a JSON:API body, a relationship delete and a refused request; plus the
// one-time cost of loading the pack and its size. Run: node bench/anyrequest.mjs (prints JSON).
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const t0 = process.hrtime.bigint();
const { default: specPack } = await import('asc-connector-wasm/spec-pack');
const { loadSpecPack, planAnyRequest, planRequest } = await import('asc-connector-wasm');
const tImport = process.hrtime.bigint();
const loaded = loadSpecPack(specPack);
const tLoad = process.hrtime.bigint();

const requests = {
  listWithQuery: { method: 'GET', path: '/v1/apps/6446998023/appStoreVersions', query: { 'filter[platform]': ['IOS', 'MAC_OS'], limit: 50, include: 'build,appStoreVersionLocalizations', 'fields[appStoreVersions]': 'versionString,appStoreState' } },
  createWithBody: { method: 'POST', path: '/v1/betaTesters', body: { data: { type: 'betaTesters', attributes: { email: 'ada@example.com', firstName: 'Ada' }, relationships: { betaGroups: { data: [{ type: 'betaGroups', id: '1' }, { type: 'betaGroups', id: '2' }] } } } } },
  deleteRelationship: { method: 'DELETE', path: '/v1/betaGroups/123/relationships/betaTesters', body: { data: [{ type: 'betaTesters', id: 'a' }, { type: 'betaTesters', id: 'b' }] } },
  refused: { method: 'GET', path: '/v1/apps', query: { limt: 5, 'fields[apps]': 'nam' } },
};

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const ROUNDS = Number(process.env.BENCH_ROUNDS || 20);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND || 500);
const micros = {};
// Same-run reference: the named-operation planner (this machine's speed moves between runs).
const cases = [...Object.entries(requests).map(([name, req]) => [name, () => planAnyRequest(req)]),
  ['referencePlanRequest', () => planRequest('GET', '/v1/apps', 'limit=50&fields%5Bapps%5D=name,bundleId')]];
for (const [name, fn] of cases) {
  const once = () => { try { return fn(); } catch (e) { return e; } };
  for (let i = 0; i < 200; i++) once();
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) once();
    rounds.push(Number(process.hrtime.bigint() - start) / 1e3 / PER_ROUND);
  }
  micros[name] = Number(median(rounds).toFixed(2));
}
const packFile = fileURLToPath(new URL('../node_modules/asc-connector-wasm/spec-pack.mjs', import.meta.url));
const wasmFile = fileURLToPath(new URL('../node_modules/asc-connector-wasm/asc_connector_bg.wasm', import.meta.url));
console.log(JSON.stringify({
  operations: loaded.operations,
  packBytes: Buffer.byteLength(specPack),
  packGzipBytes: gzipSync(specPack, { level: 9 }).length,
  wasmGzipBytes: gzipSync(readFileSync(wasmFile), { level: 9 }).length,
  packModuleFileBytes: readFileSync(packFile).length,
  importMillis: Number((Number(tImport - t0) / 1e6).toFixed(1)),
  loadSpecPackMillis: Number((Number(tLoad - tImport) / 1e6).toFixed(1)),
  planMicrosMedian: micros,
}, null, 2));
