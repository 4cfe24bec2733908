// The Node entry never loads Node's fetch implementation (undici): the first `Headers`, `Request` or
// `Response` does, and adds ~1.8 MB of live heap, which put the gateway's old generation over V8's
// threshold for starting incremental marking, so a major GC ran every few hundred requests
// (BENCHMARKS.md, gateway CPU part 3). Checked in a fresh process that serves every kind of answer
// the Node entry writes (a shaped success, the handler's error shape, an early refusal before the
// handler, /healthz) to plain node:http requests, then lists the internal modules it loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const GATEWAY = new URL('../src/node.js', import.meta.url).href;
const PAGE = fileURLToPath(new URL('../../tests/fixtures/list.json', import.meta.url));

const child = `
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
const { startGateway } = await import(${JSON.stringify(GATEWAY)});
let page;
const upstream = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': page.length });
  res.end(page);
});
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
// Apple's page with its links on this upstream's origin (the only one the gateway follows).
const origin = 'http://127.0.0.1:' + upstream.address().port;
page = Buffer.from(readFileSync(${JSON.stringify(PAGE)}, 'utf8').replaceAll('https://api.appstoreconnect.apple.com', origin));
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const apiKey = randomUUID();
const gw = await startGateway({
  env: { GATEWAY_API_KEY: apiKey, ASC_BASE_URL: origin, ASC_KEY_ID: 'ABCDE12345', ASC_ISSUER_ID: randomUUID(), ASC_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }) },
  host: '127.0.0.1', port: 0, deps: { log: () => {} },
});
const { hostname, port } = new URL(gw.url);
const get = (path, headers) => new Promise((resolve, reject) => {
  http.get({ hostname, port, path, headers, agent: false }, (res) => {
    let n = 0;
    res.on('data', (c) => { n += c.length; });
    res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], length: Number(res.headers['content-length']), n }));
  }).on('error', reject);
});
const answers = [
  await get('/v1/apps?limit=2', { 'x-api-key': apiKey }),
  await get('/v1/apps?limit=2', {}),
  await get('/v1/apps?limit=2', { host: 'evil.example', 'x-api-key': apiKey }),
  await get('/healthz', {}),
];
const undici = process.moduleLoadList.filter((m) => /undici/.test(m));
await gw.close();
upstream.close();
console.log(JSON.stringify({ answers, undici }));
`;

test('the Node entry serves successes, errors and refusals without loading undici', async () => {
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', child], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const { answers, undici } = JSON.parse(out.trim().split('\n').pop());
  assert.deepEqual(answers.map((a) => a.status), [200, 401, 421, 200]);
  for (const a of answers) {
    assert.equal(a.type, 'application/json; charset=utf-8');
    assert.equal(a.length, a.n, 'Content-Length is the length of the body sent');
  }
  assert.deepEqual(undici, [], 'no undici module was loaded');
});
