// The Node entry never loads Node's fetch implementation (undici): the first `Headers`, `Request` or
// `Response` does, and adds ~1.8 MB of live heap, which put the gateway's old generation over V8's
// threshold for starting incremental marking, so a major GC ran every few hundred requests
// (BENCHMARKS.md, gateway CPU part 3). Checked in a fresh process that serves every kind of answer
// the Node entry writes (a shaped success, the handler's error shape, an early refusal before the
// handler, /healthz) to plain node:http requests, then lists the internal modules it loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, fork } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
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

// What the young-generation GC has to copy while the Node entry serves List Apps over one keep-alive
// connection: V8 copies every object still reachable at a scavenge, so a request path that leaves
// objects reachable after it dropped them makes each scavenge copy (and soon promote) them, and
// major GCs follow. Two causes were found (BENCHMARKS.md, "Gateway CPU per request, fifth
// session"): an object spread followed by more properties (`{ ...res, retries, minted }` in
// upstream.js kept Apple's answers alive, ~0.35 MB per scavenge), and V8's allocation-site
// pretenuring, which under one keep-alive caller starts placing a request's objects in the old
// generation, from where they keep the younger ones alive (1.4–1.6 MB per scavenge; off in
// tuneV8ForGateway). A bare node:http proxy copies ~10 KB. The gateway runs alone in a child
// process under --trace-gc-nvp (bench/gateway-gateway-child.mjs, configured over IPC and tuned as
// `asc-connector serve` runs it, its request log silenced); this process is its upstream and its caller.
const GATEWAY_CHILD = fileURLToPath(new URL('../bench/gateway-gateway-child.mjs', import.meta.url));

test('serving List Apps leaves the young-generation GC little to copy', async () => {
  const requests = 12000;
  let page;
  const upstream = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': page.length });
    res.end(page);
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${upstream.address().port}`;
  // Apple's page with its links on this upstream's origin (the only one the gateway follows).
  page = Buffer.from(readFileSync(PAGE, 'utf8').replaceAll('https://api.appstoreconnect.apple.com', origin));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const apiKey = randomUUID();
  const child = fork(GATEWAY_CHILD, [], { execArgv: ['--trace-gc-nvp'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let trace = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c) => { trace += c; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const ready = new Promise((resolve, reject) => {
      child.on('message', (m) => (m.type === 'ready' ? resolve(m) : m.type === 'error' ? reject(new Error(m.message)) : null));
      child.once('exit', (code) => reject(new Error(`the gateway child exited (${code})`)));
    });
    child.send({
      type: 'start',
      quietLog: true,
      env: { GATEWAY_API_KEY: apiKey, ASC_BASE_URL: origin, ASC_KEY_ID: 'ABCDE12345', ASC_ISSUER_ID: randomUUID(), ASC_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }) },
    });
    const { url } = await ready;
    const { hostname, port } = new URL(url);
    const get = () => new Promise((resolve, reject) => {
      http.get({ hostname, port, path: '/v1/apps?limit=2', headers: { 'x-api-key': apiKey }, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      }).on('error', reject);
    });
    let ok = 0;
    for (let i = 0; i < requests; i += 1) if ((await get()) === 200) ok += 1;
    assert.equal(ok, requests);
  } finally {
    agent.destroy();
    child.send({ type: 'stop' });
    await exited;
    upstream.close();
  }
  // One line per GC; scavenges say gc=s. The first half runs while the gateway starts and warms up
  // (modules, code, caches: legitimately long-lived); the second half is the steady state.
  const survived = trace.split('\n').filter((l) => / gc=s /.test(l)).map((l) => Number(/ new_space_survived=(\d+)/.exec(l)?.[1]));
  assert.ok(survived.length >= 6, `expected several scavenges while serving ${requests} requests, saw ${survived.length}`);
  assert.ok(survived.every(Number.isFinite), 'every scavenge line gives new_space_survived');
  const steady = survived.slice(Math.floor(survived.length / 2)).sort((a, b) => a - b);
  const median = steady[Math.floor(steady.length / 2)];
  assert.ok(median < 96 * 1024, `median bytes surviving a scavenge: ${median} (goal < 96 KiB; every scavenge: ${survived.join(', ')}; a request path that keeps dropped answers reachable shows 300 KiB and more)`);
});
