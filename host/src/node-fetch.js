// A small fetch for the Node entry only: GET requests to App Store Connect over node:http/node:https
// with keep-alive agents. undici's fetch costs a large share of the gateway's CPU per request (WHATWG
// Request/Response/stream objects on every call); this returns just the subset of a fetch Response
// that upstream.js reads — `status`, `headers.get(name)`, and `body` with `readAll(maxBytes)` and
// `cancel()` — and honours `init.signal` before and after the headers arrive (an
// AbortSignal, or upstream.js's plain { plain: true, aborted, onabort } signal: `fetch.plainSignal`).
// Like undici's fetch it asks for gzip/deflate/br and decodes it (the size cap in upstream.js counts
// decoded bytes). Redirects are never followed (the gateway uses redirect: 'manual' and shapes a 3xx
// as an upstream error). Workers and Deno keep their global fetch; handler.js is unchanged.
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

/** Idle keep-alive sockets close after this long (undici's default); a shorter server hint wins. */
const IDLE_SOCKET_MS = 4_000;

function abortError() {
  const err = new Error('The operation was aborted.');
  err.name = 'AbortError';
  return err;
}

/** The decoder for a Content-Encoding, or null for identity (or anything unknown, passed as is). */
function decoderFor(encoding) {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === 'gzip' || e === 'x-gzip') return zlib.createGunzip();
  if (e === 'deflate') return zlib.createInflate();
  if (e === 'br') return zlib.createBrotliDecompress();
  return null;
}

/**
 * The body of one answer, read once with `readAll(maxBytes)`: the whole body in one promise, as the
 * chunks it arrived in (upstream.js's readCapped reads every body this fetch returns that way).
 * `cancel()` (and an abort) destroys the streams, and so the upstream connection. End, error and
 * close are watched from the start, so an error before anyone reads is never unhandled.
 */
class NodeBody {
  constructor(res, stream, onDone) {
    this.res = res;
    this.stream = stream;
    this.onDone = onDone;
    this.ended = false;
    this.error = null;
    this.wake = null;
    this.locked = false;
    stream.on('end', () => {
      this.ended = true;
      this.settle();
    });
    stream.on('error', (err) => {
      if (!this.error) this.error = err;
      this.settle();
    });
    stream.on('close', () => {
      if (!this.ended && !this.error) this.error = new Error('The upstream body ended early.');
      this.settle();
    });
  }

  /** End, error or close: the request is over for the signal, and a waiting read learns it. */
  settle() {
    this.onDone();
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }

  lock() {
    if (this.locked) throw new TypeError('The body is already being read.');
    this.locked = true;
  }

  /**
   * The whole body as the list of chunks it arrived in (Buffers), or null as soon as more than
   * `maxBytes` arrived: then the streams are destroyed at once (nothing more is buffered). Rejects
   * with the stream's error, on an early close, or after an abort.
   */
  readAll(maxBytes) {
    this.lock();
    return new Promise((resolve, reject) => {
      if (this.error) {
        reject(this.error);
        return;
      }
      const chunks = [];
      let total = 0;
      const onData = (chunk) => {
        total += chunk.length;
        if (total > maxBytes) {
          this.stream.off('data', onData);
          this.wake = null;
          resolve(null);
          this.cancel();
          return;
        }
        chunks.push(chunk);
      };
      this.wake = () => {
        if (this.error) reject(this.error);
        else resolve(chunks);
      };
      this.stream.on('data', onData);
    });
  }

  async cancel() {
    if (!this.ended && !this.error) this.error = abortError();
    this.res.destroy();
    if (this.stream !== this.res) this.stream.destroy();
    this.settle();
  }
}

/** The Response subset upstream.js uses (see the file comment). */
class NodeResponse {
  constructor(res, signal, detach) {
    this.status = res.statusCode;
    this.ok = res.statusCode >= 200 && res.statusCode < 300;
    const raw = res.headers;
    this.headers = {
      get(name) {
        const v = raw[String(name).toLowerCase()];
        if (v === undefined) return null;
        return Array.isArray(v) ? v.join(', ') : String(v);
      },
    };
    const decoder = decoderFor(raw['content-encoding']);
    let stream = res;
    if (decoder) {
      res.on('error', (err) => decoder.destroy(err));
      res.on('close', () => {
        if (!res.complete) decoder.destroy(new Error('The upstream body ended early.'));
      });
      // A corrupt encoding ends the read and hangs up on the upstream.
      decoder.on('error', () => res.destroy());
      stream = res.pipe(decoder);
    }
    const body = new NodeBody(res, stream, detach);
    // An abort after the headers arrived (the per-attempt timeout) fails the pending read.
    this.abortBody = () => {
      body.cancel();
    };
    if (signal?.aborted) this.abortBody();
    this.body = {
      readAll: (maxBytes) => body.readAll(maxBytes),
      cancel: () => body.cancel(),
    };
  }
}

/**
 * Builds a fetch(url, { method, headers, body, signal }) over keep-alive agents (body: text or null). Returns the
 * function and `close()` (destroys the pooled sockets, for shutdown).
 */
export function createNodeFetch({ maxSockets = 256 } = {}) {
  const options = { keepAlive: true, timeout: IDLE_SOCKET_MS, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' };
  const agents = { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };

  function fetch(input, init = {}) {
    return new Promise((resolve, reject) => {
      let url;
      try {
        url = input instanceof URL ? input : new URL(String(input));
      } catch (err) {
        reject(err);
        return;
      }
      const agent = agents[url.protocol];
      if (!agent) {
        reject(new TypeError(`fetch: unsupported protocol ${url.protocol}`));
        return;
      }
      const signal = init.signal;
      if (signal?.aborted) {
        reject(abortError());
        return;
      }
      const headers = { 'accept-encoding': 'gzip, deflate, br' };
      for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
      // A write's body is JSON text; it is sent with its length, in one piece.
      const body = init.body === undefined || init.body === null ? null : Buffer.from(String(init.body), 'utf8');
      if (body !== null) headers['content-length'] = String(body.length);
      const lib = url.protocol === 'https:' ? https : http;
      const method = init.method ?? 'GET';
      // Plain options, as Node's urlToHttpOptions gives them, without its intermediate object on
      // every request; a URL with user info (never one of Apple's) goes through Node's own path.
      const req = url.username || url.password
        ? lib.request(url, { method, headers, agent })
        : lib.request({
          protocol: url.protocol,
          hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          agent,
        });
      let response = null;
      const onAbort = () => {
        if (response) response.abortBody();
        else {
          req.destroy(abortError());
        }
      };
      let detach;
      if (signal?.plain === true) {
        // upstream.js's plain signal: one callback, called at most once.
        signal.onabort = onAbort;
        detach = () => {
          signal.onabort = null;
        };
      } else {
        detach = () => signal?.removeEventListener('abort', onAbort);
        signal?.addEventListener('abort', onAbort, { once: true });
      }
      req.on('error', (err) => {
        if (response) return; // after the headers, errors surface through the body reader
        detach();
        reject(err);
      });
      req.on('response', (res) => {
        response = new NodeResponse(res, signal, detach);
        resolve(response);
      });
      req.end(body ?? undefined);
    });
  }

  fetch.plainSignal = true;
  fetch.close = () => {
    agents['http:'].destroy();
    agents['https:'].destroy();
  };
  return fetch;
}
