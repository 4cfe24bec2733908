// Sandbox child for the gateway benchmark (bench/gateway.mjs): runs one sandbox in its own process so its event
// loop does not share a core with the gateway or with autocannon. Driven over IPC:
//   parent → { type: 'start', keys, apps, rateLimitPerHour } child → { type: 'ready', url }
//   parent → { type: 'stats', id }                 child → { type: 'stats', id, stats }  (verification counters)
//   parent → { type: 'probe', id, on }             child → { type: 'probe', id, sizes }  (body bytes per target)
//   parent → { type: 'cpu', id }                  child → { type: 'cpu', id, user, system }  (process.cpuUsage, µs)
//   parent → { type: 'stop' }                      child closes and exits
// While `probe` is on, every answer's body size is recorded by request target (path + query), so the parent can
// check the sandbox sends the same document whether the gateway or autocannon asked. Probing is off during runs.
import { startSandbox } from '../src/sandbox/server.js';

let sb = null;
let probing = false;
let sizes = {};

process.on('disconnect', () => process.exit(0)); // the parent went away: never linger

process.on('message', async (msg) => {
  try {
    if (msg.type === 'start') {
      sb = await startSandbox({ host: '127.0.0.1', port: 0, keys: msg.keys, apps: msg.apps, rateLimitPerHour: msg.rateLimitPerHour });
      const inner = sb.sandbox.handle;
      // server.js calls sandbox.handle(request) through the object, so a wrapper sees every request.
      sb.sandbox.handle = async (request) => {
        const response = await inner(request);
        if (!probing) return response;
        const text = await response.text();
        const u = new URL(request.url);
        sizes[`${u.pathname}${u.search}`] = { status: response.status, bytes: Buffer.byteLength(text) };
        return new Response(text, { status: response.status, headers: response.headers });
      };
      process.send({ type: 'ready', url: sb.url, pid: process.pid });
    } else if (msg.type === 'cpu') {
      const c = process.cpuUsage();
      process.send({ type: 'cpu', id: msg.id, user: c.user, system: c.system });
    } else if (msg.type === 'stats') {
      process.send({ type: 'stats', id: msg.id, stats: { ...sb.sandbox.stats, byPath: { ...sb.sandbox.stats.byPath } } });
    } else if (msg.type === 'probe') {
      probing = Boolean(msg.on);
      const out = sizes;
      if (probing) sizes = {};
      process.send({ type: 'probe', id: msg.id, sizes: out });
    } else if (msg.type === 'stop') {
      if (sb) await sb.close();
      process.exit(0);
    }
  } catch (err) {
    process.send({ type: 'error', id: msg.id, message: err && err.message ? err.message : String(err) });
  }
});
