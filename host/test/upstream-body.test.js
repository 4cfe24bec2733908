// How an upstream answer's body reaches the shaper: the Node fetch's one-promise reader
// (`body.readAll`, used by upstream.js's readCapped), the body as the list of chunks it arrived in
// (`{ chunks: true }`), and the wasm shapeResponse taking that list (and giving its answer as bytes
// with `bytes: true`). Covers a multi-byte UTF-8
// character split across chunks, the size cap passed mid-stream (the connection is dropped), an
// abort or timeout while the body is arriving, an answer cut off by the upstream, and the stream
// reader path (global fetch: Workers, Deno) with and without chunks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { shapeResponse } from 'asc-connector-wasm';
import { createNodeFetch } from '../src/node-fetch.js';
import { attempt, readCapped } from '../src/upstream.js';

const ROOT = new URL('../../', import.meta.url);
// Apple's List Apps page with names that need 2, 3 and 4 bytes per character in UTF-8.
const page = JSON.parse(readFileSync(new URL('tests/fixtures/list.json', ROOT), 'utf8'));
page.data[0].attributes.name = 'Zürich – 東京 🍎 Wetter';
const doc = JSON.stringify(page);
const bytes = Buffer.from(doc, 'utf8');
/** Byte offset of the middle of the 3-byte '東': a split there leaves a partial character in each piece. */
const SPLIT = bytes.indexOf(Buffer.from('東', 'utf8')) + 1;
const OPTS = { baseUrl: 'https://gw.example.com', path: '/v1/apps', query: 'limit=2', upstreamOrigin: 'https://api.appstoreconnect.apple.com', raw: false };
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let server;
let base;
const fetch = createNodeFetch();
/** Per path: how the server's answer ended ('finished' or 'closed' before finishing). */
const endings = new Map();

before(async () => {
  server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    res.on('close', () => endings.set(path, res.writableFinished ? 'finished' : 'closed'));
    if (path === '/split') {
      // Three writes, apart in time, so the client reads them as separate chunks; the first
      // ends inside a multi-byte character. No Content-Length (chunked).
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(bytes.subarray(0, SPLIT));
      await pause(30);
      res.write(bytes.subarray(SPLIT, SPLIT + 1000));
      await pause(30);
      res.end(bytes.subarray(SPLIT + 1000));
    } else if (path === '/endless') {
      // 1 KiB every 10 ms without end: only the client's cap stops it.
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(Buffer.alloc(1024, 0x20)), 10);
      res.on('close', () => clearInterval(timer));
    } else if (path === '/stall') {
      // Headers and the first piece, then nothing (the client's timeout must end it).
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
      res.write(bytes.subarray(0, 100));
    } else if (path === '/cut') {
      // A declared length, part of the body, then the connection is dropped.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
      res.write(bytes.subarray(0, 100));
      await pause(30);
      res.destroy();
    } else {
      res.writeHead(404, { 'content-length': 2 });
      res.end('{}');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  fetch.close();
  server.close();
});

const join = (list) => Buffer.concat(list.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

test('shapeResponse takes the body as a list of chunks, a character split between two of them included', () => {
  const whole = shapeResponse('ListApps', 200, doc, OPTS);
  assert.equal(whole.status, 200);
  assert.match(whole.body, /Zürich – 東京 🍎 Wetter/);
  // Views into one larger buffer at odd offsets, as a runtime's read buffers may be.
  const backing = new Uint8Array(bytes.length + 7);
  backing.set(bytes, 3);
  const view = (from, to) => backing.subarray(3 + from, 3 + to);
  for (const cuts of [[SPLIT], [1, SPLIT, SPLIT + 1, bytes.length - 1], [0, SPLIT, bytes.length]]) {
    const points = [0, ...cuts, bytes.length];
    const list = points.slice(1).map((end, i) => view(points[i], end));
    assert.deepEqual(shapeResponse('ListApps', 200, list, OPTS), whole, `cut at ${cuts}`);
  }
  // One chunk, and no chunks at all (the same as an empty body).
  assert.deepEqual(shapeResponse('ListApps', 200, [bytes], OPTS), whole);
  assert.deepEqual(shapeResponse('ListApps', 200, [], OPTS), shapeResponse('ListApps', 200, '', OPTS));
});

test('chunks that are not UTF-8 together are the same error as such bytes in one piece', () => {
  const bad = Buffer.concat([bytes.subarray(0, SPLIT), Buffer.from([0xff]), bytes.subarray(SPLIT)]);
  const one = shapeResponse('ListApps', 200, bad, OPTS);
  assert.equal(one.status, 502);
  assert.equal(JSON.parse(one.body).error.code, 'UPSTREAM_BAD_RESPONSE');
  assert.deepEqual(shapeResponse('ListApps', 200, [bad.subarray(0, SPLIT), bad.subarray(SPLIT)], OPTS), one);
  // A character cut short at the very end is not valid either.
  const short = shapeResponse('ListApps', 200, [bytes.subarray(0, SPLIT)], OPTS);
  assert.equal(JSON.parse(short.body).error.code, 'UPSTREAM_BAD_RESPONSE');
});

test('a list holding anything but Uint8Arrays is refused as OPTIONS_INVALID, never a trap', () => {
  for (const list of [[bytes, 'text'], [null], [bytes.buffer], [[1, 2]], [new Uint16Array(4)]]) {
    assert.throws(() => shapeResponse('ListApps', 200, list, OPTS), (err) => err.code === 'OPTIONS_INVALID' && /array of Uint8Array/.test(err.message));
  }
});

test('with bytes: true the shaped body is the UTF-8 bytes of the same text, errors included', () => {
  const dec = new TextDecoder('utf-8', { fatal: true });
  const bad = Buffer.concat([bytes.subarray(0, SPLIT), Buffer.from([0xff]), bytes.subarray(SPLIT)]);
  const cases = [
    ['ListApps', 200, [bytes.subarray(0, SPLIT), bytes.subarray(SPLIT)]], // records, non-ASCII inside
    ['ListApps', 200, [bad]], // not UTF-8: the error shape
    ['ListApps', 404, '{"errors":[{"status":"404","code":"NOT_FOUND","title":"x","detail":"y"}]}'],
    ['ListApps', 200, 'not json'],
  ];
  for (const [op, status, body] of cases) {
    const text = shapeResponse(op, status, body, OPTS);
    const raw = shapeResponse(op, status, body, { ...OPTS, bytes: true });
    assert.equal(typeof text.body, 'string');
    assert.ok(raw.body instanceof Uint8Array, `${status}: bytes`);
    assert.equal(raw.status, text.status);
    assert.equal(dec.decode(raw.body), text.body);
  }
  // Anything but true keeps the text.
  assert.equal(typeof shapeResponse('ListApps', 200, doc, { ...OPTS, bytes: 'yes' }).body, 'string');
});

test('the Node fetch reads the body in one promise as the chunks it arrived in', async () => {
  const res = await fetch(`${base}/split`);
  assert.equal(res.status, 200);
  const list = await readCapped(res, 8 << 20, { chunks: true });
  assert.ok(Array.isArray(list) && list.length >= 2, `${list.length} chunks`);
  assert.ok(list.every((c) => c instanceof Uint8Array));
  assert.ok(join(list).equals(bytes));
  assert.deepEqual(shapeResponse('ListApps', 200, list, OPTS), shapeResponse('ListApps', 200, doc, OPTS));
  // Without { chunks: true } the same body comes as one Uint8Array.
  const joined = await readCapped(await fetch(`${base}/split`), 8 << 20);
  assert.ok(joined instanceof Uint8Array && Buffer.from(joined).equals(bytes));
});

test('the body can be read once only, one way or the other', async () => {
  const res = await fetch(`${base}/split`);
  const reading = res.body.readAll(8 << 20);
  assert.throws(() => res.body.getReader(), TypeError);
  assert.throws(() => res.body.readAll(1), TypeError);
  assert.ok(join(await reading).equals(bytes));
});

test('passing the cap mid-stream refuses the body and drops the connection', async () => {
  for (const chunks of [true, false]) {
    endings.delete('/endless');
    const res = await fetch(`${base}/endless`);
    await assert.rejects(readCapped(res, 4096, { chunks }), (err) => err.code === 'UPSTREAM_TOO_LARGE');
    for (let i = 0; i < 100 && !endings.has('/endless'); i += 1) await pause(10);
    assert.equal(endings.get('/endless'), 'closed', 'the upstream connection was closed before the answer ended');
  }
});

test('an abort while the body arrives fails the read (AbortError) and hangs up', async () => {
  const signal = { plain: true, aborted: false, onabort: null };
  endings.delete('/stall');
  const res = await fetch(`${base}/stall`, { signal });
  const reading = res.body.readAll(8 << 20);
  await pause(30);
  signal.aborted = true;
  signal.onabort();
  await assert.rejects(reading, (err) => err.name === 'AbortError');
  for (let i = 0; i < 100 && !endings.has('/stall'); i += 1) await pause(10);
  assert.equal(endings.get('/stall'), 'closed');
  // The same with an AbortSignal.
  const controller = new AbortController();
  const again = await fetch(`${base}/stall`, { signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  await assert.rejects(readCapped(again, 8 << 20, { chunks: true }), (err) => err.name === 'AbortError');
});

test("the attempt's timeout covers the body: a stalled body is UPSTREAM_TIMEOUT, a cut one UPSTREAM_UNREACHABLE", async () => {
  const common = { fetch, token: 't', maxBodyBytes: 8 << 20, setTimer: setTimeout, clearTimer: clearTimeout, chunks: true };
  const started = Date.now();
  await assert.rejects(attempt({ ...common, url: `${base}/stall`, timeoutMs: 150 }), (err) => err.code === 'UPSTREAM_TIMEOUT' && err.sent === true);
  assert.ok(Date.now() - started < 2_000, 'the timeout did not wait for the body');
  await assert.rejects(attempt({ ...common, url: `${base}/cut`, timeoutMs: 5_000 }), (err) => err.code === 'UPSTREAM_UNREACHABLE' && /cut off/.test(err.why));
});

test('the stream reader path (global fetch) gives the same bytes, as chunks or joined, under the same cap', async () => {
  const pieces = [bytes.subarray(0, SPLIT), bytes.subarray(SPLIT, SPLIT + 1000), bytes.subarray(SPLIT + 1000)];
  const response = (list, headers = {}) => new Response(new ReadableStream({
    start(controller) {
      for (const p of list) controller.enqueue(new Uint8Array(p));
      controller.close();
    },
  }), { headers });
  const list = await readCapped(response(pieces), 8 << 20, { chunks: true });
  assert.equal(list.length, 3);
  assert.deepEqual(shapeResponse('ListApps', 200, list, OPTS), shapeResponse('ListApps', 200, doc, OPTS));
  // A declared length: one buffer without chunks, still the pieces with them.
  const declared = { 'content-length': String(bytes.length) };
  assert.ok(Buffer.from(await readCapped(response(pieces, declared), 8 << 20)).equals(bytes));
  assert.equal((await readCapped(response(pieces, declared), 8 << 20, { chunks: true })).length, 3);
  await assert.rejects(readCapped(response(pieces), 1000, { chunks: true }), (err) => err.code === 'UPSTREAM_TOO_LARGE');
  assert.deepEqual(await readCapped(new Response(null), 10, { chunks: true }), []);
});
