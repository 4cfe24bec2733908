import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { createHandler, constantTimeEqual } from '../src/handler.js';
import { loadConfig } from '../src/config.js';
import * as policy from 'asc-connector-wasm';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
const kid = 'ABCDEFGHIJ', issuerId = randomUUID();
const sb = createSandbox({ keys: [{ kid, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), issuerId }], apps: 100, rateLimitPerHour: 1e9 });
const bodies = {};
const config = loadConfig({ GATEWAY_API_KEY: 'k'.repeat(40), ASC_BASE_URL: 'http://127.0.0.1:9', ASC_KEY_ID: kid, ASC_ISSUER_ID: issuerId, ASC_PRIVATE_KEY: pem, HOST: '127.0.0.1', PORT: '0' }, {});
const fakeFetch = async (url) => { const u = new URL(url); const q = u.search.slice(1); if (!bodies[q]) { const r = await sb.handle(new Request(url.replace('127.0.0.1:9','127.0.0.1:9'), { headers: { authorization: 'x' } })); } return new Response(bodies[q], { status: 200, headers: { 'content-type': 'application/json', 'x-rate-limit': 'user-hour-lim:3600;user-hour-rem:3599;' } }); };
for (const q of ['limit=10', 'include=appStoreVersions&limit=30']) {
  // capture a real upstream body through a real token
  const tok = policy.mintToken({ keyId: kid, issuerId, privateKey: pem }, Math.floor(Date.now()/1000));
  bodies[q] = await (await sb.handle(new Request(`http://127.0.0.1:9/v1/apps?${q}`, { headers: { authorization: `Bearer ${tok}` } }))).text();
}
for (const [name, log] of [['log default', undefined], ['log noop', () => {}]]) {
const h = createHandler(config, { fetch: fakeFetch, ...(log ? { log } : {}) });
for (const q of ['limit=10', 'include=appStoreVersions&limit=30']) {
  const run = async (n) => { const t = performance.now(); for (let i = 0; i < n; i++) { const r = await h(new Request(`http://127.0.0.1:8/`, { headers: { 'x-api-key': 'k'.repeat(40) } }), { rawTarget: `/v1/apps?${q}` }); if (r.status !== 200) throw new Error(String(r.status)); await r.text(); } return (performance.now() - t) / n; };
  await run(300);
  process.stderr.write(`${name} ${q} handler ms/req (fake fetch, upstream ${bodies[q].length} B) ${(await run(2000)).toFixed(3)}\n`);
}
}
const time = async (label, fn, n = 2000) => { for (let i = 0; i < 200; i++) await fn(); const t = performance.now(); for (let i = 0; i < n; i++) await fn(); process.stderr.write(`${label} ${((performance.now() - t) / n * 1000).toFixed(1)} µs\n`); };
await time('constantTimeEqual', () => constantTimeEqual('k'.repeat(40), 'k'.repeat(40)));
await time('planRequest', () => policy.planRequest('GET', '/v1/apps', 'limit=10'));
for (const q of ['limit=10', 'include=appStoreVersions&limit=30']) {
  await time(`shapeResponse ${q}`, () => policy.shapeResponse('ListApps', 200, bodies[q], { baseUrl: 'http://127.0.0.1:8', path: '/v1/apps', query: q, upstreamOrigin: 'http://127.0.0.1:9', raw: false }));
  await time(`JSON.parse ${q}`, () => JSON.parse(bodies[q]));
}
