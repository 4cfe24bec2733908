// Node entry: serves the runtime-agnostic handler over node:http. It hands the handler a light
// stand-in for a fetch Request (url, method, headers.get; the raw request target is passed through
// untouched so the handler can refuse absolute-form targets and path tricks before any URL
// normalisation) and writes the handler's plain answer without building a Response. Upstream calls
// use a keep-alive node:http(s) fetch (node-fetch.js) unless the caller injects its own.
import { createServer } from 'node:http';
import v8 from 'node:v8';
import * as nodeCrypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfig, readKeyFile } from './config.js';
import { createHandler } from './handler.js';
import { createNodeFetch } from './node-fetch.js';
import { GatewayError, baseHeaders, describeError, errorBody } from './errors.js';
import { HOST_REFUSED_MESSAGE, hostAllowlist } from './hosts.js';

/** Request line + headers limit (Node's parser enforces it and answers 431). */
export const MAX_HEADER_BYTES = 32 * 1024;

/**
 * How long an idle keep-alive connection stays open: longer than the 60 s idle timeout of common
 * load balancers and platform front ends (so they never send on a connection the gateway is just
 * closing, which their callers see as a reset), and long enough that a caller pausing between
 * requests keeps its connection. Node's default is 5 s: every longer pause cost a new connection
 * (a TCP and, behind a TLS front end, a TLS handshake).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * V8 settings for a process whose work is serving the gateway (`asc-connector serve`; the benchmark's
 * gateway child): allocation-site pretenuring off. Pretenuring moves the objects made at an
 * allocation site straight to the old generation once most of them outlive a young-generation GC;
 * for a request path it misfires: a request's objects, born old, then point at younger ones and keep
 * them alive through every scavenge, which copies ever more of each request (1.4–1.6 MB per
 * scavenge instead of ~10 KB under one keep-alive caller) and makes major GCs frequent
 * (BENCHMARKS.md, "Gateway CPU per request, fifth session"). The gateway keeps little for long
 * (configuration, plans, minters), so nothing gains from it. A process-wide setting: startGateway
 * leaves it to the process that embeds the gateway.
 */
export function tuneV8ForGateway() {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}

/**
 * Reads ASC_PRIVATE_KEY_FILE (when set) and validates the environment. Throws the config error.
 */
export async function loadNodeConfig(env) {
  return loadConfig(env, await readKeyFile(env, (path) => readFile(path, 'utf8')));
}

/**
 * Reads a request body up to `cap` bytes: { bytes: Uint8Array, over: false }, or { over: true } as soon
 * as more than `cap` bytes arrived (the rest is drained, never buffered).
 */
function readNodeBody(req, cap) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let total = 0;
    let done = false;
    req.on('data', (chunk) => {
      if (done) return;
      total += chunk.length;
      if (total > cap) {
        done = true;
        resolve({ over: true });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve({ bytes: new Uint8Array(Buffer.concat(chunks, total)), over: false });
      done = true;
    });
    req.on('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
  });
}

/**
 * Writes the handler's plain answer ({ status, headers, body }) without a Response in between; the
 * body is text or its UTF-8 bytes (a Uint8Array, written as it is).
 */
function sendPlain(res, out, method) {
  const { headers } = out;
  const send = out.body !== null && out.body !== undefined && method !== 'HEAD';
  if (send) headers['content-length'] = String(typeof out.body === 'string' ? Buffer.byteLength(out.body) : out.body.byteLength);
  res.writeHead(out.status, headers);
  res.end(send ? out.body : undefined);
}

/** A header name (an HTTP token), as fetch's Headers requires. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Leading or trailing HTTP whitespace, which fetch's Headers strips from values. */
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/**
 * The request headers as fetch's Headers would hold them (names lower-cased, repeated headers
 * joined with ", ", values trimmed of HTTP whitespace), built from rawHeaders without the cost of
 * a Headers object. Returns null when a name or value would make Headers throw (not a token; NUL,
 * CR or LF in a value): the caller answers HEADER_INVALID as before.
 */
function requestHeaders(raw) {
  const map = new Map();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    let value = raw[i + 1];
    if (!TOKEN.test(name)) return null;
    if (/[\t\n\r ]/.test(value)) value = value.replace(EDGE_WHITESPACE, '');
    if (/[\0\r\n]/.test(value)) return null;
    const key = name.toLowerCase();
    const seen = map.get(key);
    map.set(key, seen === undefined ? value : `${seen}, ${value}`);
  }
  return { get: (name) => map.get(String(name).toLowerCase()) ?? null };
}

/** The Host header value from rawHeaders: '' when absent, repeated lines joined with ", ". */
function hostValue(raw) {
  let value = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') value = value === null ? raw[i + 1] : `${value}, ${raw[i + 1]}`;
  }
  return value ?? '';
}

/**
 * SHA-256 of a string as bytes, synchronously: one-shot `crypto.hash` where Node has it (20.12+),
 * else a Hash object. (WebCrypto's digest costs ~50–75 µs of CPU per request here.)
 */
const sha256Sync = typeof nodeCrypto.hash === 'function'
  ? (text) => nodeCrypto.hash('sha256', text, 'buffer')
  : (text) => nodeCrypto.createHash('sha256').update(text, 'utf8').digest();

/** The Node default log sink: one JSON line per request on standard output. */
function stdoutLog(entry) {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}

/**
 * Starts the gateway. `env` defaults to process.env; `host`/`port` override HOST/PORT; `deps` is
 * passed to createHandler (tests inject the clock, fetch, log sink, upstream policy). Resolves to
 * { url, close(), handler, config } once listening.
 */
export async function startGateway({ env = process.env, host, port, deps } = {}) {
  // Overrides go through the same validation as HOST/PORT (e.g. an empty API key needs loopback).
  const merged = { ...env };
  if (host !== undefined) merged.HOST = String(host);
  if (port !== undefined) merged.PORT = String(port);
  const config = await loadNodeConfig(merged);
  // Node only: a keep-alive node:http(s) fetch is much cheaper per request than undici's fetch.
  // Tests that inject their own fetch keep it.
  const nodeFetch = deps && deps.fetch ? null : createNodeFetch();
  const handler = createHandler(config, {
    // The same JSON line as the default console sink, without console.log's formatting work.
    log: stdoutLog,
    // The API-key digest through node:crypto, synchronously.
    sha256: sha256Sync,
    ...deps,
    ...(nodeFetch ? { fetch: nodeFetch } : {}),
  });
  const listenHost = config.host;
  const listenPort = config.port;
  // The Host allowlist (hosts.js) needs the port actually listened on; nothing is served before.
  let hostAllowed = () => false;
  // Whether a URL can hold the (allowlisted) Host value, remembered for the last value seen: a
  // gateway's callers nearly always name it the same way.
  let lastHostUrl = null;
  let lastHostParses = false;
  const canHoldHost = (url) => {
    if (url !== lastHostUrl) {
      lastHostParses = URL.canParse(url);
      lastHostUrl = url;
    }
    return lastHostParses;
  };

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 130_000, headersTimeout: 20_000, requireHostHeader: false }, (req, res) => {
    // The body is read only when the handler asks (a write's body, capped); otherwise it is
    // drained once the answer is ready.
    let bodyRead = false;
    const readBody = (cap) => {
      bodyRead = true;
      return readNodeBody(req, cap);
    };
    const target = req.url ?? '';
    // Refusals before the handler, in the error shape, written without a fetch Response (errors.js).
    const fail = (err) => {
      if (!bodyRead) req.resume();
      const { status, body } = describeError(err);
      sendPlain(res, { status, headers: baseHeaders(crypto.randomUUID()), body }, req.method);
    };
    // Every Host line counts: repeated ones are joined (as fetch's Headers would) and so refused.
    const hostHeader = hostValue(req.rawHeaders);
    if (!hostAllowed(hostHeader)) {
      fail(new GatewayError('HOST_NOT_ALLOWED', HOST_REFUSED_MESSAGE));
      return;
    }
    if (/^(?:TRACE|TRACK|CONNECT)$/i.test(req.method ?? '')) {
      // fetch's Request refuses these methods outright; answer them like any other non-GET.
      fail(new GatewayError('METHOD_NOT_ALLOWED', `The gateway serves the methods of its operations only; ${req.method} is never served.`));
      return;
    }
    const headers = requestHeaders(req.rawHeaders);
    if (headers === null) {
      fail(new GatewayError('HEADER_INVALID', 'A request header has an invalid name or value.'));
      return;
    }
    // The handler reads only url, method and headers.get(); a full fetch Request is not needed.
    // The URL only carries the origin (for nextLink); the handler checks the raw target itself.
    const url = `http://${hostHeader}/`;
    if (!canHoldHost(url)) {
      fail(new GatewayError('REQUEST_TARGET_INVALID', 'The request could not be read (method or Host not acceptable).'));
      return;
    }
    const request = { url, method: req.method, headers, readBody };
    handler.respond(request, { rawTarget: target })
      .then((out) => {
        if (!bodyRead) req.resume();
        sendPlain(res, out, req.method);
      })
      .catch(() => fail(new GatewayError('INTERNAL', 'The gateway failed unexpectedly while serving this request.')));
  });

  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  server.on('clientError', (err, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = err && err.code === 'HPE_HEADER_OVERFLOW';
    const badHeader = !tooLarge && err && typeof err.code === 'string' && /HEADER|LF_EXPECTED|CR_EXPECTED/.test(err.code);
    const status = tooLarge ? 431 : 400;
    const code = tooLarge ? 'REQUEST_TOO_LARGE' : badHeader ? 'HEADER_INVALID' : 'REQUEST_TARGET_INVALID';
    const message = tooLarge
      ? `The request line and headers together may have at most ${MAX_HEADER_BYTES} bytes.`
      : badHeader
        ? 'A request header is malformed (control characters, bare CR or LF, or an invalid name).'
        : 'The request could not be parsed as HTTP/1.1.';
    const body = errorBody(code, message);
    socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  // node:http hands CONNECT to this event instead of the request handler (and, without a listener,
  // drops the connection without a word); answer it like any other method the gateway refuses.
  server.on('connect', (req, socket) => {
    const body = errorBody('METHOD_NOT_ALLOWED', 'The gateway answers GET only; CONNECT (tunnelling) is never offered.');
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  hostAllowed = hostAllowlist({ listenHost, port: addr.port, publicUrl: config.publicUrl, allowedHosts: config.allowedHosts });
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}`;

  let closed = null;
  const close = () => {
    if (!closed) {
      closed = new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => {
        nodeFetch?.close();
        handler.close();
      });
    }
    return closed;
  };
  return { url, close, handler, config, server };
}
