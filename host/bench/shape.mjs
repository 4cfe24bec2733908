// Shaping benchmark: MB/s turning a 200-app List Apps page with include=appStoreVersions (~0.5 MB)
// into flat records, string in -> string out, the way the gateway calls it. The peer is a
// straightforward JavaScript implementation of the same flattening (JSON.parse, index `included`,
// build records, JSON.stringify), checked to give the same output before timing.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { shapeResponse } from 'asc-connector-wasm';

const UPSTREAM = 'https://api.appstoreconnect.apple.com';
const generator = fileURLToPath(new URL('../../tools/gen-bench-page.mjs', import.meta.url));
const page = execFileSync(process.execPath, [generator, '200'], { encoding: 'utf8', maxBuffer: 64 << 20 });
const options = { baseUrl: 'https://gw.example.com', path: '/v1/apps', query: 'include=appStoreVersions&limit=200&limit%5BappStoreVersions%5D=2', upstreamOrigin: UPSTREAM };

/** The same flattening rules as src/shape, written the obvious way in JavaScript. */
export function shapeInJs(body, opts) {
  const doc = JSON.parse(body);
  const index = new Map();
  for (const r of doc.included ?? []) index.set(`${r.type}\u0000${r.id}`, r);
  const link = (l) => ({ id: l.id, type: l.type });
  const flat = (r, resolve) => {
    const out = { id: r.id, type: r.type };
    for (const [k, v] of Object.entries(r.attributes ?? {})) {
      out[k === 'id' ? 'attributeId' : k === 'type' ? 'attributeType' : k] = v;
    }
    if (r.type === 'apps' && /^[0-9]+$/.test(r.id)) out.appStoreUrl = `https://apps.apple.com/app/id${r.id}`;
    for (const [name, rel] of Object.entries(r.relationships ?? {})) {
      if (!rel || !('data' in rel)) continue;
      const one = (l) => { const inc = resolve && index.get(`${l.type}\u0000${l.id}`); return inc ? flat(inc, false) : link(l); };
      out[name] = Array.isArray(rel.data) ? rel.data.map(one) : rel.data ? one(rel.data) : null;
    }
    return out;
  };
  const result = { value: doc.data.map((r) => flat(r, true)) };
  const next = doc.links?.next;
  if (next && next.startsWith(`${opts.upstreamOrigin}/`)) {
    const cursor = new URL(next).searchParams.get('cursor');
    if (cursor) result.nextLink = `${opts.baseUrl}${opts.path}?${opts.query ? `${opts.query}&` : ''}cursor=${encodeURIComponent(cursor)}`;
  }
  if (typeof doc.meta?.paging?.total === 'number') result.total = doc.meta.paging.total;
  return JSON.stringify(result);
}

const ours = () => shapeResponse('ListApps', 200, page, options).body;
const peer = () => shapeInJs(page, options);

// Same output (as parsed JSON) before anything is timed.
const a = JSON.parse(ours());
const b = JSON.parse(peer());
if (JSON.stringify(a.value) !== JSON.stringify(b.value) || a.total !== b.total) {
  console.error('the two shapers disagree; fix before timing');
  process.exit(1);
}

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND || 10);
const samples = { wasm: [], js: [] };
for (let i = 0; i < 10; i++) { ours(); peer(); }
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of [['wasm', ours], ['js', peer]]) {
    for (let i = 0; i < PER_ROUND; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      samples[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
}
const mb = Buffer.byteLength(page) / 1e6;
const ms = { wasm: median(samples.wasm), js: median(samples.js) };
console.log(JSON.stringify({
  pageBytes: Buffer.byteLength(page),
  apps: a.value.length,
  medianMillis: ms,
  mbPerSecond: { wasm: mb / (ms.wasm / 1000), js: mb / (ms.js / 1000) },
  wasmSpeedVsJs: ms.js / ms.wasm,
}, null, 2));
