// Gateway child for the gateway benchmark (bench/gateway.mjs): runs the real Node gateway (src/node.js) in its own
// process, configured over IPC (so the throwaway private key never sits in argv or the environment), and answers
// memory probes for the soak test. The memory hook lives here, in the bench, not in product code. It applies
// tuneV8ForGateway() as `asc-connector serve` does, so the benchmarks measure the gateway as it is run.
//   parent → { type: 'start', env, quietLog, entry? } child → { type: 'ready', url, pid }
//     (`entry`: another copy of src/node.js to run, e.g. an older commit's, for same-run comparisons)
//   parent → { type: 'mem', id }                child → { type: 'mem', id, rss, heapUsed, heapTotal, external, arrayBuffers }
//   parent → { type: 'cpu', id }                  child → { type: 'cpu', id, user, system }  (process.cpuUsage, µs)
//   parent → { type: 'stop' }                   child closes and exits normally (so --cpu-prof writes its profile)
// The request log goes to the default sink (one JSON line per request on stdout, which the parent sends to
// /dev/null), as in production; `quietLog: true` swaps in a no-op sink to measure the logging cost.

let gw = null;

process.on('disconnect', () => process.exit(0)); // the parent went away: never linger

process.on('message', async (msg) => {
  try {
    if (msg.type === 'start') {
      const deps = msg.quietLog ? { log: () => {} } : undefined;
      const { startGateway, tuneV8ForGateway } = await import(msg.entry ?? '../src/node.js');
      // As `asc-connector serve` runs it (an older copy given as `entry` may predate the setting).
      tuneV8ForGateway?.();
      gw = await startGateway({ env: msg.env, host: '127.0.0.1', port: 0, deps });
      process.send({ type: 'ready', url: gw.url, pid: process.pid });
    } else if (msg.type === 'cpu') {
      const c = process.cpuUsage();
      process.send({ type: 'cpu', id: msg.id, user: c.user, system: c.system });
    } else if (msg.type === 'mem') {
      const m = process.memoryUsage();
      process.send({ type: 'mem', id: msg.id, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers });
    } else if (msg.type === 'stop') {
      if (gw) await gw.close();
      process.exit(0);
    }
  } catch (err) {
    process.send({ type: 'error', id: msg.id, message: err && err.message ? err.message : String(err) });
  }
});
