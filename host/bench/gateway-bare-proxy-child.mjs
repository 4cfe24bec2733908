// Bare proxy child for the gateway benchmark (bench/gateway.mjs): the floor a proxy hop costs on this machine. A
// node:http server that forwards every request as is to the sandbox over a keep-alive agent, adding the bearer token
// it was given over IPC, and streams the answer back. No checks, no planning, no shaping, no logging.
//   parent → { type: 'start', upstream, authorization }   child → { type: 'ready', url, pid }
//   parent → { type: 'cpu', id }                            child → { type: 'cpu', id, user, system }  (µs)
//   parent → { type: 'stop' }                               child closes and exits
import http from 'node:http';

let server = null;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

process.on('disconnect', () => process.exit(0)); // the parent went away: never linger

process.on('message', (msg) => {
  try {
    if (msg.type === 'start') {
      const upstream = new URL(msg.upstream);
      server = http.createServer((req, res) => {
        const up = http.request({
          host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, agent,
          headers: { authorization: msg.authorization, accept: 'application/json' },
        }, (upRes) => {
          const headers = { 'content-type': upRes.headers['content-type'] ?? 'application/json' };
          if (upRes.headers['content-length']) headers['content-length'] = upRes.headers['content-length'];
          res.writeHead(upRes.statusCode, headers);
          upRes.pipe(res);
        });
        up.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        up.end();
        req.resume();
      });
      server.keepAliveTimeout = 60_000;
      server.listen(0, '127.0.0.1', () => {
        process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}`, pid: process.pid });
      });
    } else if (msg.type === 'cpu') {
      const c = process.cpuUsage();
      process.send({ type: 'cpu', id: msg.id, user: c.user, system: c.system });
    } else if (msg.type === 'stop') {
      agent.destroy();
      if (server) server.close(() => process.exit(0));
      else process.exit(0);
      setTimeout(() => process.exit(0), 1000).unref();
    }
  } catch (err) {
    process.send({ type: 'error', id: msg.id, message: err && err.message ? err.message : String(err) });
  }
});
