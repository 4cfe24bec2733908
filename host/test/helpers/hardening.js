// Helpers for the hardening suites (hostile input, upstream faults, load, secrets): a sandbox in a
// child process (so the test process's memory is the gateway's alone), a raw-bytes HTTP client, a
// streaming upstream that can send endless or dripping bodies, a strict secret scanner (every
// 16-character window), and small statistics. Never prints key material or tokens.
//
// When this file is run as a program with `--hardening-sandbox-child`, it is the child side of
// forkSandbox(): it starts the sandbox on loopback and obeys fault/stat/close messages over IPC.
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const CHILD_FLAG = '--hardening-sandbox-child';

/**
 * Starts the sandbox in a child process. `options` go to startSandbox (keys: [{kid, publicKeyPem,
 * issuerId|individual}], apps, ...; functions cannot cross the process boundary). Resolves to
 * { url, fault(spec), clear(), stats(), close() }; every method but `url` returns a promise.
 */
export async function forkSandbox(options = {}) {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let seq = 0;
  const waiting = new Map();
  child.on('message', (msg) => {
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(msg.error));
    else w.resolve(msg.value);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('sandbox child exited'));
    waiting.clear();
  });
  const call = (op, arg) => new Promise((resolve, reject) => {
    seq += 1;
    const timer = setTimeout(() => {
      waiting.delete(seq);
      reject(new Error(`sandbox child did not answer ${op}`));
    }, 10_000);
    waiting.set(seq, {
      resolve: (v) => { clearTimeout(timer); resolve(v); },
      reject: (e) => { clearTimeout(timer); reject(e); },
    });
    child.send({ id: seq, op, arg });
  });
  let url;
  try {
    url = await call('start', options);
  } catch (err) {
    child.kill();
    throw err;
  }
  return {
    url,
    pid: child.pid,
    fault: (spec) => call('fault', spec),
    clear: () => call('clear'),
    stats: () => call('stats'),
    async close() {
      if (child.exitCode !== null) return;
      await call('close').catch(() => {});
      const timer = setTimeout(() => child.kill(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function childMain() {
  const { startSandbox } = await import('../../src/sandbox/server.js');
  let sb = null;
  process.on('message', async ({ id, op, arg }) => {
    try {
      let value = null;
      if (op === 'start') {
        sb = await startSandbox({ host: '127.0.0.1', port: 0, ...arg });
        value = sb.url;
      } else if (op === 'fault') {
        sb.sandbox.faults.next(arg);
      } else if (op === 'clear') {
        sb.sandbox.faults.clear();
      } else if (op === 'stats') {
        value = JSON.parse(JSON.stringify(sb.sandbox.stats));
      } else if (op === 'close') {
        await sb?.close();
        process.send({ id, value: null }, () => process.disconnect());
        return;
      }
      process.send({ id, value });
    } catch (err) {
      process.send({ id, error: err && err.message ? err.message : 'child error' });
    }
  });
  process.on('disconnect', () => {
    sb?.close().finally(() => process.exit(0));
    if (!sb) process.exit(0);
  });
}

if (process.argv.includes(CHILD_FLAG) && process.argv[1] === fileURLToPath(import.meta.url)) {
  childMain();
}

/** Raw HTTP requests: the shared helper (kept under this name for the hardening suites). */
export { rawRequest as rawSend } from './gateway.js';

/**
 * A loopback upstream that answers every request with a body chosen by `mode()`:
 * { kind: 'endless', bytes } streams `bytes` of JSON-ish filler in 64 KiB chunks without a
 * Content-Length (honouring backpressure, so this process never holds it all);
 * { kind: 'drip', intervalMs } sends headers and then one byte per interval until the peer leaves.
 * `written` counts body bytes actually handed to sockets; `closedEarly` counts answers the peer
 * abandoned before the end.
 */
export async function startStreamingUpstream(mode) {
  const state = { written: 0, closedEarly: 0, requests: 0 };
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  chunk[0] = 0x7b; // '{' so the body at least starts like JSON
  const server = createServer((req, res) => {
    state.requests += 1;
    const m = mode();
    res.writeHead(200, { 'content-type': 'application/json' });
    let done = false;
    res.on('close', () => {
      if (!done) state.closedEarly += 1;
    });
    if (m.kind === 'endless') {
      let left = m.bytes;
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          const n = Math.min(left, chunk.length);
          left -= n;
          state.written += n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        if (left <= 0 && !res.destroyed) {
          done = true;
          res.end();
        }
      };
      pump();
    } else {
      const timer = setInterval(() => {
        if (res.destroyed) {
          clearInterval(timer);
          return;
        }
        state.written += 1;
        res.write(' ');
      }, m.intervalMs);
      res.on('close', () => clearInterval(timer));
    }
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** One-line form of a PEM, as it travels in a header. */
export function oneLine(pem) {
  return pem.replace(/\r?\n/g, '\\n');
}

/** Throwaway keys that are NOT usable Apple keys, one per way a maker can get it wrong. */
export function unusableKeys() {
  const ec = (namedCurve) => generateKeyPairSync('ec', { namedCurve });
  const p256 = ec('prime256v1');
  return {
    p384: ec('secp384r1').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    secp256k1: ec('secp256k1').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    rsa: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    ed25519: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    encrypted: p256.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'throwaway' }),
    publicOnly: p256.publicKey.export({ type: 'spki', format: 'pem' }),
  };
}

export { scanForSecrets } from './keys.js';

/** Median of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Resident set size in MiB, one decimal. */
export function rssMiB() {
  return Math.round((process.memoryUsage().rss / (1024 * 1024)) * 10) / 10;
}

/** Runs `fn` over `items` with at most `limit` in flight; resolves to the results in order. */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
