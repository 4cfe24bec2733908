// Node HTTP front for the sandbox: turns node:http requests into WHATWG Requests for sandbox.handle() and writes
// the Response back. It exists because two faults need the socket itself: `reset` (handle() returns
// Response.error(), and we destroy the connection without answering) and a bounded request body read. Listens on
// loopback only; the sandbox is a local stand-in and must never be reachable from the network.

import http from 'node:http';
import { createSandbox } from './sandbox.js';
import { GatewayError, describeError } from '../errors.js';
import { HOST_REFUSED_MESSAGE, hostAllowlist, isLoopbackHost } from '../hosts.js';
const MAX_REQUEST_BODY = 64 * 1024;

/**
 * Starts the sandbox on loopback.
 * @param {{ host?: string, port?: number } & Parameters<typeof createSandbox>[0]} options
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void>, sandbox: ReturnType<typeof createSandbox> }>}
 */
export async function startSandbox({ host = '127.0.0.1', port = 0, ...options } = {}) {
  if (!isLoopbackHost(host)) throw new Error(`the sandbox listens on loopback only (127.0.0.1, ::1 or localhost), not "${host}"`);
  const sandbox = createSandbox(options);
  const sockets = new Set();
  // The Host allowlist (hosts.js: loopback names only here), set once the port is known.
  let hostAllowed = () => false;

  const server = http.createServer(async (req, res) => {
    try {
      if (!hostAllowed(req.headers.host ?? '')) {
        const refused = describeError(new GatewayError('HOST_NOT_ALLOWED', HOST_REFUSED_MESSAGE));
        res.writeHead(refused.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(refused.body) }).end(refused.body);
        return;
      }
      const chunks = [];
      let size = 0;
      for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_REQUEST_BODY) {
          res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large\n');
          return;
        }
        chunks.push(chunk);
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.set(name, value);
      }
      const hostHeader = `${host.includes(':') ? `[${host}]` : host}:${server.address().port}`;
      const method = req.method ?? 'GET';
      const request = new Request(`http://${hostHeader}${req.url}`, {
        method,
        headers,
        body: chunks.length > 0 && method !== 'GET' && method !== 'HEAD' ? Buffer.concat(chunks) : undefined,
      });
      const response = await sandbox.handle(request);
      if (response.type === 'error') {
        req.socket.destroy();
        return;
      }
      const out = {};
      response.headers.forEach((value, name) => {
        out[name] = value;
      });
      const body = Buffer.from(await response.arrayBuffer());
      out['content-length'] = String(body.length);
      res.writeHead(response.status, out);
      res.end(method === 'HEAD' ? undefined : body);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`sandbox error: ${err && err.message ? err.message : 'unknown'}\n`);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  hostAllowed = hostAllowlist({ listenHost: host, port: actualPort });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  return {
    url,
    port: actualPort,
    sandbox,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
