// The Node entry's own fetch (src/node-fetch.js): compressed answers are decoded, the gateway's
// size cap counts decoded bytes (a compression bomb is refused), corrupt compression is an error,
// redirects are not followed, and an abort stops the request before and after the headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { gzipSync, brotliCompressSync, deflateSync } from 'node:zlib';
import { createNodeFetch } from '../src/node-fetch.js';
import { readCapped } from '../src/upstream.js';

const doc = JSON.stringify({ data: Array.from({ length: 200 }, (_, i) => ({ type: 'apps', id: String(1000 + i), attributes: { name: `App ${i} – Zürich` } })) });
const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
let server;
let base;
const fetch = createNodeFetch();

before(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const send = (status, headers, body) => {
      res.writeHead(status, { 'content-length': body.length, ...headers });
      res.end(body);
    };
    if (path === '/gzip') send(200, { 'content-encoding': 'gzip', 'x-rate-limit': 'user-hour-lim:3600;user-hour-rem:7;' }, gzipSync(doc));
    else if (path === '/br') send(200, { 'content-encoding': 'br' }, brotliCompressSync(doc));
    else if (path === '/deflate') send(200, { 'content-encoding': 'deflate' }, deflateSync(doc));
    else if (path === '/plain') send(200, {}, Buffer.from(doc));
    else if (path === '/bomb') send(200, { 'content-encoding': 'gzip' }, bomb);
    else if (path === '/corrupt') send(200, { 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'));
    else if (path === '/redirect') send(302, { location: 'http://evil.example/v1/apps' }, Buffer.alloc(0));
    else if (path === '/slow') setTimeout(() => send(200, {}, Buffer.from(doc)), 2_000);
    else send(404, {}, Buffer.from('{}'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  fetch.close();
  server.close();
});

const text = (bytes) => new TextDecoder().decode(bytes);

test('gzip, br and deflate answers are decoded; headers are readable', async () => {
  for (const kind of ['gzip', 'br', 'deflate', 'plain']) {
    const res = await fetch(`${base}/${kind}`);
    assert.equal(res.status, 200, kind);
    assert.equal(text(await readCapped(res, 8 << 20)), doc, kind);
  }
  const res = await fetch(`${base}/gzip`);
  assert.equal(res.headers.get('X-Rate-Limit'), 'user-hour-lim:3600;user-hour-rem:7;');
  await res.body.cancel();
});

test('the size cap counts decoded bytes: a small gzip that inflates to 64 MiB is refused', async () => {
  assert.ok(bomb.length < 1 << 20, 'the compressed bomb is small');
  const before = process.memoryUsage().rss;
  const res = await fetch(`${base}/bomb`);
  await assert.rejects(readCapped(res, 8 << 20), (err) => err.code === 'UPSTREAM_TOO_LARGE');
  assert.ok(process.memoryUsage().rss - before < 48 << 20, 'reading stopped near the cap');
});

test('corrupt compression is an error, not a hang or a crash', async () => {
  const res = await fetch(`${base}/corrupt`);
  await assert.rejects(readCapped(res, 8 << 20));
});

test('redirects are answered as they are, never followed', async () => {
  const res = await fetch(`${base}/redirect`);
  assert.equal(res.status, 302);
  await res.body.cancel();
});

test('an abort stops the request before the answer arrives', async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(fetch(`${base}/slow`, { signal: controller.signal }), (err) => err.name === 'AbortError');
  assert.ok(Date.now() - started < 1_500, 'the abort did not wait for the answer');
  const already = new AbortController();
  already.abort();
  await assert.rejects(fetch(`${base}/plain`, { signal: already.signal }), (err) => err.name === 'AbortError');
});
