// Token benchmark: median microseconds per ES256 token in one Node process.
//   ours warm  = TokenMinter with the key parsed once; invalidate() before each token forces a signature
//   ours cold  = mintToken(): parse the .p8 and sign
//   signer warm / signer cold = the same through `asc-connector-wasm/signer` (its own small module)
//   jose warm  = importPKCS8 once, SignJWT per token;  jose cold = importPKCS8 + SignJWT
//   node:crypto warm = KeyObject once, crypto.sign with ieee-p1363 encoding, JWT assembled by hand
// Rounds are interleaved so drift in machine speed hits every signer alike.
import { generateKeyPairSync, createPrivateKey, sign } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { importPKCS8, SignJWT } from 'jose';
import { mintToken, TokenMinter } from 'asc-connector-wasm';
import * as signer from 'asc-connector-wasm/signer';

const ISSUER = '57246542-96fe-1a63-e053-0824d011072a';
const KID = '2X9R4HXF34';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
const options = { keyId: KID, issuerId: ISSUER, privateKey: pem };

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const now = () => Math.floor(Date.now() / 1000);

const minter = new TokenMinter(options);
const signerMinter = new signer.TokenMinter(options);
const joseKey = await importPKCS8(pem, 'ES256');
const nodeKey = createPrivateKey(pem);
const b64u = (s) => Buffer.from(s).toString('base64url');

const signers = {
  'ours warm': async () => { minter.invalidate(); return minter.token(now()); },
  'ours cold': async () => mintToken(options, now()),
  'signer warm': async () => { signerMinter.invalidate(); return signerMinter.token(now()); },
  'signer cold': async () => signer.mintToken(options, now()),
  'jose warm': async () => new SignJWT({ iss: ISSUER, aud: 'appstoreconnect-v1' })
    .setProtectedHeader({ alg: 'ES256', kid: KID, typ: 'JWT' }).setIssuedAt(now() - 60).setExpirationTime(now() + 840).sign(joseKey),
  'jose cold': async () => new SignJWT({ iss: ISSUER, aud: 'appstoreconnect-v1' })
    .setProtectedHeader({ alg: 'ES256', kid: KID, typ: 'JWT' }).setIssuedAt(now() - 60).setExpirationTime(now() + 840)
    .sign(await importPKCS8(pem, 'ES256')),
  'node:crypto warm': async () => {
    const t = now();
    const input = `${b64u(JSON.stringify({ alg: 'ES256', kid: KID, typ: 'JWT' }))}.${b64u(JSON.stringify({ iss: ISSUER, iat: t - 60, exp: t + 840, aud: 'appstoreconnect-v1' }))}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: nodeKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  },
};

const ROUNDS = Number(process.env.BENCH_ROUNDS || 20);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND || 50);
const samples = Object.fromEntries(Object.keys(signers).map((k) => [k, []]));
for (const fn of Object.values(signers)) for (let i = 0; i < 20; i++) await fn(); // warm-up / JIT
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(signers)) {
    for (let i = 0; i < PER_ROUND; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      samples[name].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
}
minter.free();
signerMinter.free();

const wasmPath = fileURLToPath(new URL('../../pkg/asc_connector_bg.wasm', import.meta.url));
const wasmBytes = readFileSync(wasmPath);
const signerBytes = readFileSync(fileURLToPath(new URL('../../pkg/signer/asc_connector_bg.wasm', import.meta.url)));
const compileUs = [];
for (let i = 0; i < 20; i++) {
  const t0 = process.hrtime.bigint();
  await WebAssembly.compile(wasmBytes);
  compileUs.push(Number(process.hrtime.bigint() - t0) / 1000);
}
// Load = read + compile + instantiate through the Node entry, in fresh processes.
const loadMs = [];
const entry = new URL('../../pkg/index.node.mjs', import.meta.url).href;
for (let i = 0; i < 7; i++) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const t0 = performance.now(); await import(${JSON.stringify(entry)}); console.log(performance.now() - t0);`], { encoding: 'utf8' });
  loadMs.push(Number(r.stdout.trim()));
}

const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
const result = {
  node: process.version,
  samplesPerSigner: ROUNDS * PER_ROUND,
  medianMicros: m,
  ratios: {
    warmVsJoseWarm: m['ours warm'] / m['jose warm'],
    coldVsJoseCold: m['ours cold'] / m['jose cold'],
    signerWarmVsJoseWarm: m['signer warm'] / m['jose warm'],
    signerColdVsJoseCold: m['signer cold'] / m['jose cold'],
  },
  wasmBytes: wasmBytes.length,
  wasmGzipBytes: gzipSync(wasmBytes, { level: 9 }).length,
  signerWasmBytes: signerBytes.length,
  signerWasmGzipBytes: gzipSync(signerBytes, { level: 9 }).length,
  compileMicrosMedian: median(compileUs),
  loadMillisMedian: median(loadMs),
};
console.log(JSON.stringify(result, null, 2));
