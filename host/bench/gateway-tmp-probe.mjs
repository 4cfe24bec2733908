import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { mintToken } from 'asc-connector-wasm';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
const kid = 'ABCDEFGHIJ', issuerId = randomUUID();
const sb = createSandbox({ keys: [{ kid, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), issuerId }], apps: 100, rateLimitPerHour: 1e9 });
const tok = mintToken({ keyId: kid, issuerId, privateKey: pem }, Math.floor(Date.now() / 1000));
for (const q of ['limit=10', 'include=appStoreVersions&limit=30']) {
  const run = async (n) => { const t = performance.now(); for (let i = 0; i < n; i++) { const r = await sb.handle(new Request(`http://127.0.0.1:1/v1/apps?${q}`, { headers: { authorization: `Bearer ${tok}` } })); await r.text(); } return (performance.now() - t) / n; };
  await run(300);
  console.log(q, 'ms/req', (await run(1000)).toFixed(3));
}
const t = performance.now(); for (let i = 0; i < 1000; i++) await crypto.subtle.digest('SHA-256', new TextEncoder().encode(tok)); console.log('digest ms', (performance.now() - t) / 1000);
