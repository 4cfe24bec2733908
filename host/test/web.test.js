// The token page in headless Chromium, served by the same module `asc-connector web` uses: drop a
// fresh key file, mint, verify the token with jose in Node; inspect DER-signed and over-long tokens;
// field errors; keyboard tabs; no request after load and none ever off loopback; no storage; the
// server's headers and path handling. Screenshots go to test-artifacts/ (and to docs/screenshots/
// only with UPDATE_SCREENSHOTS=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startWebServer, resolveStatic, CONTENT_SECURITY_POLICY } from '../src/commands/web.js';
import { launchChromium } from './fixtures-runtime/chromium.js';
import { ISSUER, NOW, handMadeToken, leaksKey, newP256Key, teamClaims, verifyWithJose } from './helpers/keys.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const DOCS_SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/asc-connector.js', import.meta.url));
const KEY_ID = 'QX7Z2K9D4M';

let web;
let chrome;
const requests = [];
const key = newP256Key();

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  web = await startWebServer({ port: 0 });
  chrome = await launchChromium();
  // Every request any page makes, from the very start.
  chrome.context.on('request', (r) => requests.push(r.url()));
});

after(async () => {
  await chrome?.close();
  await web?.close();
});

/** Opens the page and waits until the wasm module is loaded; returns the page and its request log. */
async function openPage(viewport = { width: 1100, height: 900 }) {
  const page = await chrome.context.newPage();
  await page.setViewportSize(viewport);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(web.url, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), 'true', errors.join('\n'));
  const afterLoad = [];
  page.on('request', (r) => afterLoad.push(r.url()));
  return { page, afterLoad, errors };
}

/** Drops a file on the drop zone with a real DataTransfer, as a user dragging it in would. */
async function dropKeyFile(page, name, text) {
  await page.evaluate(({ name: fileName, text: content }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([content], fileName, { type: 'application/octet-stream' }));
    const zone = document.getElementById('dropzone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, { name, text });
}

async function assertNoStorage(page) {
  const storage = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    cookie: document.cookie,
    idb: indexedDB.databases ? (await indexedDB.databases()).length : 0,
  }));
  assert.deepEqual(storage, { local: 0, session: 0, cookie: '', idb: 0 });
  assert.deepEqual(await chrome.context.cookies(), []);
}

test('mint: drop a key file, key ID prefilled, token verifies with jose, countdown, curl line, clear key', { timeout: 60_000 }, async () => {
  const { page, afterLoad } = await openPage();
  await dropKeyFile(page, `AuthKey_${KEY_ID}.p8`, key.pem);
  await page.waitForFunction(() => document.getElementById('key-id').value !== '', null, { timeout: 5000 });
  assert.equal(await page.inputValue('#key-id'), KEY_ID);
  assert.equal(await page.inputValue('#key-text'), '', 'a dropped key is not written into the page');
  await page.fill('#issuer-id', ISSUER);
  await page.fill('#scope', 'GET /v1/apps\n');
  await page.click('#mint');
  await page.waitForSelector('#mint-result:not([hidden])', { timeout: 5000 });
  const token = await page.inputValue('#token-out');
  const now = Math.floor(Date.now() / 1000);
  const { payload, header } = await verifyWithJose(token, key.publicKey, { now });
  assert.equal(header.kid, KEY_ID);
  assert.equal(payload.exp - payload.iat, 900);
  assert.deepEqual(payload.scope, ['GET /v1/apps']);
  assert.ok(Math.abs(payload.iat - (now - 60)) <= 5);
  const curl = await page.inputValue('#curl-out');
  assert.equal(curl, `curl -H "Authorization: Bearer ${token}" "https://api.appstoreconnect.apple.com/v1/apps?limit=10"`);
  assert.match(await page.textContent('#countdown'), /^Expires in 1[34]:\d\d/);
  assert.deepEqual(JSON.parse(await page.textContent('#mint-header')), { alg: 'ES256', kid: KEY_ID, typ: 'JWT' });
  assert.equal(JSON.parse(await page.textContent('#mint-payload')).iss, ISSUER);
  const html = await page.content();
  assert.equal(leaksKey(html, key.body), false, 'the key is nowhere in the page');
  await page.screenshot({ path: path.join(ARTIFACTS, 'token-page-mint.png'), fullPage: true });

  // Clear key: the next mint fails with a key error shown next to the key field.
  await page.click('#clear-key');
  await page.click('#mint');
  await page.waitForSelector('#key-error:not([hidden])', { timeout: 5000 });
  assert.match(await page.textContent('#key-error'), /KEY_EMPTY/);
  assert.equal(await page.getAttribute('#key-text', 'aria-invalid'), 'true');
  assert.equal(await page.isHidden('#mint-result'), true);
  await assertNoStorage(page);
  assert.deepEqual(afterLoad, [], 'no request after load');
  await page.close();
});

test('mint: errors are shown next to the field they concern, in plain language', { timeout: 60_000 }, async () => {
  const { page, afterLoad } = await openPage();
  const p384 = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' });
  await page.fill('#key-text', p384);
  await page.fill('#key-id', KEY_ID);
  await page.fill('#issuer-id', ISSUER);
  await page.click('#mint');
  await page.waitForSelector('#key-error:not([hidden])');
  assert.match(await page.textContent('#key-error'), /wrong curve[\s\S]*P-256[\s\S]*KEY_WRONG_CURVE/);

  await page.fill('#key-text', key.pem.replace(/\n/g, '\\n'));
  await page.fill('#issuer-id', 'not-an-issuer');
  await page.click('#mint');
  await page.waitForSelector('#issuer-error:not([hidden])');
  assert.equal(await page.isHidden('#key-error'), true);
  assert.match(await page.textContent('#issuer-error'), /ISSUER_ID_INVALID/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'issuer-id');

  await page.fill('#issuer-id', ISSUER);
  await page.fill('#lifetime', '1500');
  await page.click('#mint');
  await page.waitForSelector('#lifetime-error:not([hidden])');
  assert.match(await page.textContent('#lifetime-error'), /1200[\s\S]*LIFETIME_TOO_LONG/);

  await page.fill('#lifetime', '900');
  await page.fill('#scope', 'everything please');
  await page.click('#mint');
  await page.waitForSelector('#scope-error:not([hidden])');
  assert.match(await page.textContent('#scope-error'), /SCOPE_INVALID/);

  await page.fill('#scope', '');
  await page.check('#individual');
  assert.equal(await page.isDisabled('#issuer-id'), true);
  await page.click('#mint');
  await page.waitForSelector('#mint-result:not([hidden])');
  const token = await page.inputValue('#token-out');
  await verifyWithJose(token, key.publicKey, { now: Math.floor(Date.now() / 1000), individual: true });
  assert.deepEqual(afterLoad, []);
  await page.close();
});

test('inspect: DER-signed and over-long tokens show their problems with fixes; keyboard tabs', { timeout: 60_000 }, async () => {
  const { page, afterLoad } = await openPage();
  // Keyboard: focus the Mint tab, arrow right selects Inspect.
  await page.focus('#tab-mint');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-inspect');
  assert.equal(await page.getAttribute('#tab-inspect', 'aria-selected'), 'true');
  assert.equal(await page.isHidden('#panel-mint'), true);
  assert.equal(await page.isVisible('#panel-inspect'), true);

  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', kid: KEY_ID, typ: 'JWT' };
  const der = handMadeToken(key.privateKey, header, teamClaims(now), 'der');
  await page.fill('#inspect-token', der);
  await page.click('#inspect');
  await page.waitForSelector('#inspect-result:not([hidden])');
  let codes = await page.$$eval('#problems li', (lis) => lis.map((li) => li.dataset.code));
  assert.ok(codes.includes('TOKEN_SIGNATURE_DER'), codes.join());
  assert.match(await page.textContent('#problems'), /ieee-p1363/);
  assert.match(await page.textContent('#inspect-facts'), /ASN\.1 DER/);

  const long = handMadeToken(key.privateKey, header, teamClaims(now, 3600), 'ieee-p1363');
  await page.fill('#inspect-token', `Bearer ${long}`);
  await page.fill('#inspect-key', key.publicPem);
  await page.click('#inspect');
  await page.waitForFunction(() => document.querySelector('#problems li[data-code="TOKEN_LIFETIME_TOO_LONG"]'));
  codes = await page.$$eval('#problems li', (lis) => lis.map((li) => li.dataset.code));
  assert.ok(codes.includes('TOKEN_LIFETIME_TOO_LONG'), codes.join());
  const facts = await page.textContent('#inspect-facts');
  assert.match(facts, /expires in 5\d minutes/);
  assert.match(facts, /3600 s/);
  assert.match(facts, /verified with the key given/);
  assert.match(await page.textContent('#inspect-verdict'), /problems? found/);
  assert.equal(JSON.parse(await page.textContent('#inspect-payload')).exp, now - 60 + 3600);
  await page.screenshot({ path: path.join(ARTIFACTS, 'token-page-inspect.png'), fullPage: true });

  await page.fill('#inspect-token', 'not a token');
  await page.fill('#inspect-key', '');
  await page.click('#inspect');
  await page.waitForFunction(() => !document.getElementById('inspect-error').hidden
    || document.querySelector('#problems li[data-code="TOKEN_MALFORMED"]'));
  assert.match(await page.textContent('#panel-inspect'), /TOKEN_MALFORMED/);
  await assertNoStorage(page);
  assert.deepEqual(afterLoad, []);
  await page.close();
});

test('375 px wide: no horizontal scrolling; screenshots of both tabs', { timeout: 60_000 }, async () => {
  const { page } = await openPage({ width: 375, height: 800 });
  await page.setInputFiles('#key-file', { name: `AuthKey_${KEY_ID}.p8`, mimeType: 'application/octet-stream', buffer: Buffer.from(key.pem) });
  await page.waitForFunction(() => document.getElementById('key-id').value !== '');
  await page.fill('#issuer-id', ISSUER);
  await page.click('#mint');
  await page.waitForSelector('#mint-result:not([hidden])');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'token-page-mint-375.png'), fullPage: true });
  await page.click('#tab-inspect');
  await page.fill('#inspect-token', handMadeToken(key.privateKey, { alg: 'ES256', kid: KEY_ID, typ: 'JWT' }, teamClaims(Math.floor(Date.now() / 1000)), 'der'));
  await page.click('#inspect');
  await page.waitForSelector('#inspect-result:not([hidden])');
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow2 <= 0, `inspect tab is ${overflow2}px wider than the viewport`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'token-page-inspect-375.png'), fullPage: true });
  await page.close();
});

test('every input has a label; tabs have ARIA tab semantics', { timeout: 30_000 }, async () => {
  const { page } = await openPage();
  const unlabeled = await page.$$eval('input, textarea, select', (els) => els.filter((el) => !(el.labels && el.labels.length > 0)).map((el) => el.id));
  assert.deepEqual(unlabeled, []);
  const tabs = await page.$$eval('[role="tab"]', (els) => els.map((el) => ({ tag: el.tagName, controls: el.getAttribute('aria-controls'), panel: document.getElementById(el.getAttribute('aria-controls'))?.getAttribute('role') })));
  assert.equal(tabs.length, 2);
  for (const t of tabs) assert.deepEqual([t.tag, t.panel], ['BUTTON', 'tabpanel']);
  await page.close();
});

test('no request ever went to a non-loopback host', () => {
  assert.ok(requests.length > 0);
  const outside = requests.filter((u) => !u.startsWith('data:') && new URL(u).hostname !== '127.0.0.1');
  assert.deepEqual(outside, []);
});

test('server: CSP and wasm type, loopback Host only, no path escapes', async () => {
  const page = await fetch(web.url);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  assert.doesNotMatch(html, /https?:\/\/(?!api\.appstoreconnect\.apple\.com)/, 'no external resources');
  const wasmFile = readdirSync(new URL('../../pkg/', import.meta.url)).find((f) => f.endsWith('.wasm'));
  const wasm = await fetch(`${web.url}pkg/${wasmFile}`);
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal((await fetch(`${web.url}pkg/index.browser.mjs`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await fetch(`${web.url}..%2f..%2fhost/package.json`)).status, 404);
  assert.equal((await fetch(`${web.url}pkg/../../host/package.json`)).status, 404);
  // Dot segments are clamped at the root they start in: nothing outside web/ and pkg/ is reachable.
  const webRoot = fileURLToPath(new URL('../../web/', import.meta.url));
  const pkgRoot = fileURLToPath(new URL('../../pkg/', import.meta.url));
  for (const p of ['/../host/package.json', '/pkg/%2e%2e/host/bin/asc-connector.js', '/pkg/..%2f..%2fhost%2fpackage.json', '/%2e%2e/%2e%2e/etc/passwd.js']) {
    const r = resolveStatic(p);
    assert.ok(r === null || r.file.startsWith(webRoot) || r.file.startsWith(pkgRoot), p);
    assert.equal((await fetch(`${web.url.slice(0, -1)}${p}`)).status, 404, p);
  }
  assert.equal(resolveStatic('/.hidden.js'), null);
  assert.equal(resolveStatic('/%00.js'), null);
  assert.equal((await fetch(web.url, { method: 'POST' })).status, 405);
  const rebinding = await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: web.port, path: '/', headers: { Host: 'evil.example:80' } }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
  assert.equal(rebinding, 421);
});

test('`asc-connector web --port 0` prints a loopback URL and serves the page', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [BIN, 'web', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('no URL printed')), 15_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) { clearTimeout(timer); resolve(m[0]); }
      });
      child.on('exit', () => reject(new Error('web exited early')));
    });
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /App Store Connect token tool/);
  } finally {
    child.kill('SIGTERM');
  }
});

test('screenshots for the README (only with UPDATE_SCREENSHOTS=1)', { skip: process.env.UPDATE_SCREENSHOTS !== '1' }, () => {
  mkdirSync(DOCS_SHOTS, { recursive: true });
  for (const name of ['token-page-mint.png', 'token-page-inspect.png']) {
    copyFileSync(path.join(ARTIFACTS, name), path.join(DOCS_SHOTS, name));
  }
});
