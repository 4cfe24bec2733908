// The same wasm package outside Node: workerd (the Cloudflare Workers runtime, through the
// `index.workerd.mjs` entry and a key passed in a binding), Deno (the browser entry) and headless
// Chromium (the browser entry, served from loopback under the token page's CSP). Each mints a token
// that jose verifies here in Node, through the full entry and the signer entry (pkg/signer/). Every process is bounded in time and killed in `after`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { ISSUER, KEY_ID, NOW, newP256Key, verifyWithJose } from './helpers/keys.js';
import { launchChromium } from './fixtures-runtime/chromium.js';
import { DENO, WORKERD, denoEnv, spawnRuntime, workerdConfig } from './helpers/runtimes.js';
import { startWebServer } from '../src/commands/web.js';

const PKG_DIR = fileURLToPath(new URL('../../pkg/', import.meta.url));

const key = newP256Key();
const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a runtime (helpers/runtimes.js), stopped at cleanup or killed after `ms`. */
function startProcess(cmd, args, options, ms) {
  const child = spawnRuntime(cmd, args, options, { killAfterMs: ms });
  cleanups.push(() => Promise.race([child.stop(), new Promise((r) => setTimeout(r, 3000))]));
  return child;
}

const WORKER_SOURCE = `
import { mintToken, inspectToken, TokenMinter } from './pkg/index.workerd.mjs';
import * as signer from './pkg/signer/index.workerd.mjs';
let minter;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    // The clock is read per request only (Date.now() is 0 at a worker's top level).
    const now = Number(url.searchParams.get('now'));
    const options = { keyId: env.KEY_ID, issuerId: env.ISSUER_ID, privateKey: env.PRIVATE_KEY };
    try {
      if (url.pathname === '/mint') return new Response(mintToken(options, now));
      if (url.pathname === '/signer-mint') return new Response(signer.mintToken(options, now));
      if (url.pathname === '/signer-bad-key') signer.mintToken({ ...options, privateKey: 'garbage!' }, now);
      if (url.pathname === '/cached') {
        minter ??= new TokenMinter(options);
        const token = minter.token(now);
        return Response.json({ token, mintCount: minter.mintCount });
      }
      if (url.pathname === '/bad-issuer') mintToken({ ...options, issuerId: 'nope' }, now);
      if (url.pathname === '/inspect') return Response.json(inspectToken(await request.text(), now));
      return new Response('not found', { status: 404 });
    } catch (err) {
      return Response.json({ isError: err instanceof Error, code: err.code, status: err.status }, { status: 400 });
    }
  },
};
`;

test('workerd: the workerd entry mints a token from a key binding; errors keep their code', { timeout: 60_000 }, async () => {
  const dir = tempDir('asc-workerd-');
  mkdirSync(path.join(dir, 'pkg'));
  mkdirSync(path.join(dir, 'pkg', 'signer'));
  const modules = [{ name: 'worker.mjs', kind: 'esModule', file: 'worker.mjs' }];
  for (const sub of ['', 'signer/']) {
    for (const file of readdirSync(path.join(PKG_DIR, sub))) {
      const name = `pkg/${sub}${file}`;
      if (file === 'index.workerd.mjs' || file.endsWith('.js')) modules.push({ name, kind: 'esModule', file: name });
      else if (file.endsWith('.wasm')) modules.push({ name, kind: 'wasm', file: name });
      else continue;
      copyFileSync(path.join(PKG_DIR, sub, file), path.join(dir, name));
    }
  }
  writeFileSync(path.join(dir, 'worker.mjs'), WORKER_SOURCE);
  writeFileSync(path.join(dir, 'config.capnp'), workerdConfig({
    address: '127.0.0.1:0',
    modules,
    compatibilityDate: '2025-01-01',
    bindings: [
      { name: 'PRIVATE_KEY', fromEnvironment: 'ASC_TEST_PRIVATE_KEY' },
      { name: 'KEY_ID', text: KEY_ID },
      { name: 'ISSUER_ID', text: ISSUER },
    ],
  }));
  // fd 3 is workerd's control channel: it reports the port it bound once it is listening.
  const child = startProcess(WORKERD, ['serve', 'config.capnp', '--control-fd=3'], {
    cwd: dir,
    env: { PATH: process.env.PATH, ASC_TEST_PRIVATE_KEY: key.pem },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  }, 45_000);
  const stderr = child.stderrText;
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`workerd did not start: ${stderr().slice(0, 2000)}`)), 30_000);
    child.stdio[3].on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        try {
          const msg = JSON.parse(line);
          if (msg.event === 'listen' && msg.port) {
            clearTimeout(timer);
            resolve(msg.port);
          }
        } catch { /* partial line */ }
      }
    });
    child.on('exit', () => reject(new Error(`workerd exited: ${stderr().slice(0, 2000)}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const signal = AbortSignal.timeout(10_000);
  const res = await fetch(`${base}/mint?now=${NOW}`, { signal });
  const token = await res.text();
  assert.equal(res.status, 200, token.slice(0, 300));
  const { payload, header } = await verifyWithJose(token, key.publicKey, { now: NOW });
  assert.equal(header.kid, KEY_ID);
  assert.equal(payload.iat, NOW - 60);

  const c1 = await (await fetch(`${base}/cached?now=${NOW}`, { signal })).json();
  const c2 = await (await fetch(`${base}/cached?now=${NOW + 100}`, { signal })).json();
  assert.equal(c2.token, c1.token, 'the minter caches across requests');
  assert.equal(c2.mintCount, 1);
  await verifyWithJose(c1.token, key.publicKey, { now: NOW });

  const fromSigner = await fetch(`${base}/signer-mint?now=${NOW}`, { signal });
  assert.equal(fromSigner.status, 200);
  assert.equal(await fromSigner.text(), token, 'the signer entry signs the same token');
  const signerBad = await fetch(`${base}/signer-bad-key?now=${NOW}`, { signal });
  assert.deepEqual(await signerBad.json(), { isError: true, code: 'KEY_NOT_PEM', status: 400 });

  const bad = await fetch(`${base}/bad-issuer?now=${NOW}`, { signal });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { isError: true, code: 'ISSUER_ID_INVALID', status: 400 });

  const inspected = await (await fetch(`${base}/inspect?now=${NOW}`, { method: 'POST', body: token, signal })).json();
  assert.deepEqual(inspected.problems, []);
  assert.equal(inspected.signatureEncoding, 'raw');
});

test('Deno: the browser entry mints a token (key on stdin, read-only permission)', { timeout: 60_000 }, async () => {
  const dir = tempDir('asc-deno-');
  const script = path.join(dir, 'mint.mjs');
  const entry = new URL('../../pkg/index.browser.mjs', import.meta.url).href;
  const signerEntry = new URL('../../pkg/signer/index.browser.mjs', import.meta.url).href;
  writeFileSync(script, `
import { mintToken } from ${JSON.stringify(entry)};
import * as signer from ${JSON.stringify(signerEntry)};
const privateKey = await new Response(Deno.stdin.readable).text();
const team = mintToken({ keyId: ${JSON.stringify(KEY_ID)}, issuerId: ${JSON.stringify(ISSUER)}, privateKey }, ${NOW});
const individual = mintToken({ keyId: ${JSON.stringify(KEY_ID)}, individual: true, privateKey }, ${NOW});
let code = null;
try { mintToken({ keyId: ${JSON.stringify(KEY_ID)}, issuerId: ${JSON.stringify(ISSUER)}, privateKey, lifetimeSeconds: 1201 }, ${NOW}); }
catch (err) { code = err instanceof Error ? err.code : 'not an Error'; }
const fromSigner = signer.mintToken({ keyId: ${JSON.stringify(KEY_ID)}, issuerId: ${JSON.stringify(ISSUER)}, privateKey }, ${NOW});
console.log(JSON.stringify({ team, individual, code, fromSigner }));
`);
  const child = startProcess(DENO, ['run', '--allow-read', '--no-prompt', script], {
    cwd: dir,
    env: denoEnv(dir),
    stdio: ['pipe', 'pipe', 'pipe'],
  }, 45_000);
  const stdout = child.stdoutText;
  const stderr = child.stderrText;
  child.stdin.end(key.pem);
  const { code } = await child.exited;
  assert.equal(code, 0, stderr().slice(0, 2000));
  const out = JSON.parse(stdout().trim());
  await verifyWithJose(out.team, key.publicKey, { now: NOW });
  await verifyWithJose(out.individual, key.publicKey, { now: NOW, individual: true });
  assert.equal(out.code, 'LIFETIME_TOO_LONG');
  assert.equal(out.fromSigner, out.team, 'the signer entry signs the same token');
});

test('Chromium: the browser entry mints a token on a loopback page under the strict CSP', { timeout: 90_000 }, async () => {
  const web = await startWebServer({ port: 0 });
  cleanups.push(() => web.close());
  const chrome = await launchChromium();
  cleanups.push(() => chrome.close());
  const page = await chrome.context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(web.url, { timeout: 30_000 });
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), 'true', consoleErrors.join('\n'));
  const out = await page.evaluate(async ({ pem, keyId, issuerId, now }) => {
    const m = await import('/pkg/index.browser.mjs');
    const token = m.mintToken({ keyId, issuerId, privateKey: pem }, now);
    let code = null;
    try { m.mintToken({ keyId, issuerId, privateKey: 'garbage!' }, now); } catch (err) { code = err instanceof Error ? err.code : 'not an Error'; }
    const s = await import('/pkg/signer/index.browser.mjs');
    const fromSigner = s.mintToken({ keyId, issuerId, privateKey: pem }, now);
    let signerCode = null;
    try { s.mintToken({ keyId, issuerId, privateKey: 'garbage!' }, now); } catch (err) { signerCode = err instanceof Error ? err.code : 'not an Error'; }
    return { token, code, fromSigner, signerCode };
  }, { pem: key.pem, keyId: KEY_ID, issuerId: ISSUER, now: NOW });
  const { payload } = await verifyWithJose(out.token, key.publicKey, { now: NOW });
  assert.equal(decodeJwt(out.token).exp, payload.exp);
  assert.match(out.code, /^KEY_(NOT_PEM|CORRUPT)$/);
  assert.equal(out.fromSigner, out.token, 'the signer entry signs the same token');
  assert.equal(out.signerCode, out.code);
});
