// Summarises a V8 .cpuprofile (from `node --cpu-prof`) for the gateway benchmark: self time per function (top N)
// and per cost bucket (wasm planning/minting/shaping, undici fetch, node:http serving, gateway JS, JSON, GC, idle),
// so the report can say where a gateway request's time goes. Buckets are heuristics on V8's call frames.

/** Cost bucket of one call frame. Wasm frames have no URL of ours; the wasm glue is pkg/asc_connector*.js. */
export function bucketOf(frame) {
  const url = frame.url || '';
  const fn = frame.functionName || '';
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)') return 'program (native/unattributed)';
  if (url.startsWith('wasm://') || /^\$?wasm-function|^\$/.test(fn)) return 'wasm (plan/mint/shape)';
  if (/asc_connector|asc-connector-wasm|\/pkg\//.test(url)) return 'wasm glue (JS side)';
  if (/undici/.test(url)) return 'undici (fetch to sandbox)';
  if (/node:_http|node:http|_http_/.test(url)) return 'node:http (serving)';
  if (/node:net|node:stream|internal\/streams|internal\/webstreams/.test(url)) return 'streams/net';
  if (/host\/src\/node\.js/.test(url)) return 'gateway node.js (req/resp conversion)';
  if (/host\/src\/(handler|upstream|errors|log|minters|config)\.js/.test(url)) return `gateway ${url.replace(/.*host\/src\//, '')}`;
  if (fn === 'stringify' || fn === 'parse' || /JSON/.test(fn)) return 'JSON';
  if (/^node:internal|^node:/.test(url)) return 'node internals (other)';
  if (url === '') return 'native/builtins';
  return 'other JS';
}

/** Gateway steps measured inclusively (their synchronous call trees): step label → function names. */
export const STEPS = {
  'planning (wasm planRequest)': ['planRequest'],
  'token (TokenMinter.token, cached)': ['token', 'tokenFrom'],
  'shaping (wasm shapeResponse, incl. passing the body in)': ['shapeResponse'],
  'reading the upstream body (readCapped, incl. UTF-8 decode)': ['readCapped'],
  'fetch() call setup (undici Request, headers, AbortSignal)': ['fetch'],
  'API key check (checkApiKey → 1 WebCrypto digest)': ['checkApiKey'],
  'request log line (requestLogEntry + console.log)': ['consoleLog', 'requestLogEntry'],
  'node.js entry callbacks (Request conversion, response.text, writing)': [],
  'node.js entry: answer → res (sendPlain)': ['sendPlain'],
};

/** Inclusive µs per step: a sample counts for a step when a frame of it (from our files) is on its stack. */
function stepTimes(profile, selfUs, byId) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const ours = (f) => /host\/src\/|asc_connector|\/pkg\//.test(f.url || '') || (f.functionName === 'fetch' && /undici|node:internal/.test(f.url || ''));
  const out = Object.fromEntries(Object.keys(STEPS).map((k) => [k, 0]));
  for (const [id, us] of selfUs) {
    const hit = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f) break;
      for (const [step, names] of Object.entries(STEPS)) {
        if (names.includes(f.functionName) && ours(f)) hit.add(step);
        // the createServer callback in node.js is anonymous; count it under the entry step
        if (step.startsWith('node.js entry callbacks') && f.functionName === '' && /host\/src\/node\.js/.test(f.url || '')) hit.add(step);
      }
    }
    for (const step of hit) out[step] += us;
  }
  return out;
}

/**
 * Returns { totalMs, busyMs, buckets: [{ bucket, ms, pct }], steps: [{ step, ms, pct }], top: [{ fn, where, ms,
 * pct }] } where pct is the share of non-idle time. Buckets split self time; steps are inclusive and may overlap.
 */
export function summariseProfile(profile, topN = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas || [];
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = deltas[i + 1] ?? deltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) || 0) + Math.max(0, dt));
  }
  const buckets = new Map();
  const fns = new Map();
  let total = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const f = node.callFrame;
    const b = bucketOf(f);
    total += us;
    if (b !== 'idle') busy += us;
    buckets.set(b, (buckets.get(b) || 0) + us);
    if (b === 'idle') continue;
    const where = f.url ? `${f.url.replace(/^file:\/\/.*?\/host\//, 'host/').replace(/^file:\/\/.*?\/pkg\//, 'pkg/')}:${f.lineNumber + 1}` : '(native)';
    const key = `${f.functionName || '(anonymous)'} @ ${where}`;
    const cur = fns.get(key) || { fn: f.functionName || '(anonymous)', where, us: 0, bucket: b };
    cur.us += us;
    fns.set(key, cur);
  }
  const pct = (us) => Math.round((1000 * us) / Math.max(1, busy)) / 10;
  const steps = stepTimes(profile, selfUs, byId);
  return {
    steps: Object.entries(steps).map(([step, us]) => ({ step, ms: Math.round(us / 100) / 10, pct: pct(us) })),
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    buckets: [...buckets].sort((a, b) => b[1] - a[1]).map(([bucket, us]) => ({ bucket, ms: Math.round(us / 100) / 10, pct: bucket === 'idle' ? null : pct(us) })),
    top: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, topN).map((f) => ({ fn: f.fn, where: f.where, bucket: f.bucket, ms: Math.round(f.us / 100) / 10, pct: pct(f.us) })),
  };
}
