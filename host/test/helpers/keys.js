// Test helpers for the token tools: throwaway keys made with node:crypto at test time, the mangled
// shapes people paste them in, hand-made tokens (DER-signed, over-long), and a leak check that no
// 16-character window of a key body shows up in some text. Never prints key material.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { jwtVerify } from 'jose';

export const ISSUER = '57246542-96fe-1a63-e053-0824d011072a';
export const KEY_ID = 'ABCDE12345';
/** A fixed "now" (2026-01-01T00:00:00Z) so claims are exact. */
export const NOW = 1767225600;

/** A fresh P-256 key: { pem (PKCS#8), sec1, publicPem, publicKey (KeyObject), body (base64 of the DER) }. */
export function newP256Key() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  return {
    pem,
    sec1: privateKey.export({ type: 'sec1', format: 'pem' }),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
    publicKey,
    privateKey,
    body: pemBody(pem),
  };
}

/** The base64 body of a PEM, without BEGIN/END lines, newlines or literal "\n" escapes. */
export function pemBody(pem) {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+|\\n/g, '');
}

/** The shapes a .p8 key is often pasted in; each must mint a valid token. */
export function mangledShapes(key) {
  return {
    'as downloaded': key.pem,
    'literal \\n': key.pem.trim().replace(/\n/g, '\\n'),
    'CRLF': key.pem.replace(/\n/g, '\r\n'),
    'quoted with spaces': `  "${key.pem.trim()}"  \n`,
    'one line': key.pem.trim().replace(/\n/g, ''),
    'one line with spaces': key.pem.trim().replace(/\n/g, ' '),
    'base64 of the file': Buffer.from(key.pem).toString('base64'),
    'body only': key.body,
    'SEC1': key.sec1,
  };
}

/** Keys that must be refused, with the expected error code (a RegExp allows near-equivalents). */
export function badKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const encrypted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'throwaway-passphrase' });
  const pub = newP256Key().publicPem;
  return [
    { name: 'RSA key', pem: rsa, code: /^KEY_RSA$/ },
    { name: 'P-384 key', pem: p384, code: /^KEY_WRONG_CURVE$/ },
    { name: 'secp256k1 key', pem: k1, code: /^KEY_WRONG_CURVE$/ },
    { name: 'encrypted PKCS#8', pem: encrypted, code: /^KEY_ENCRYPTED$/ },
    { name: 'public key', pem: pub, code: /^KEY_IS_PUBLIC$/ },
    { name: 'garbage', pem: 'this is not a key at all, just words!', code: /^KEY_(NOT_PEM|CORRUPT)$/ },
  ];
}

/**
 * The one leak check of the tests: which `secrets` ({ label: secret }) show up in `text`, by label
 * (never the secret itself). A secret counts as leaked when any 16-character window of it (for a
 * PEM: of its base64 body) appears; a shorter secret when it appears whole. Returns
 * { hits: [labels], windows: how many distinct windows were looked for }.
 */
export function scanForSecrets(text, secrets) {
  const t = String(text ?? '');
  const windows = new Map();
  const hits = new Set();
  for (const [label, secret] of Object.entries(secrets)) {
    const s = /-----BEGIN/.test(secret) ? pemBody(secret) : String(secret);
    if (s.length < 16) {
      if (s !== '' && t.includes(s)) hits.add(label);
      continue;
    }
    for (let i = 0; i + 16 <= s.length; i += 1) windows.set(s.slice(i, i + 16), label);
  }
  for (let i = 0; i + 16 <= t.length; i += 1) {
    const label = windows.get(t.slice(i, i + 16));
    if (label !== undefined) hits.add(label);
  }
  return { hits: [...hits], windows: windows.size };
}

/** The labels of the `secrets` that leak into `text` (see scanForSecrets). */
export function leakedSecrets(text, secrets) {
  return scanForSecrets(text, secrets).hits;
}

/** Whether `text` holds any 16-character window of `secretBody` (a key's base64 body). */
export function leaksKey(text, secretBody) {
  return leakedSecrets(text, { key: secretBody }).length > 0;
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** Signs header.payload by hand with node:crypto; `encoding` 'der' (Node's default) or 'ieee-p1363'. */
export function handMadeToken(privateKey, header, payload, encoding = 'der') {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const sig = encoding === 'der' ? sign('sha256', Buffer.from(input), key) : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

/** Claims of a correct team token at `now`, with `lifetime` seconds between iat and exp. */
export function teamClaims(now, lifetime = 900) {
  return { iss: ISSUER, iat: now - 60, exp: now - 60 + lifetime, aud: 'appstoreconnect-v1' };
}

/** Verifies a token with jose the way Apple would; returns the payload (throws when invalid). */
export async function verifyWithJose(token, publicKey, { now, individual = false, issuer = ISSUER } = {}) {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const options = { algorithms: ['ES256'], audience: 'appstoreconnect-v1', currentDate: new Date(now * 1000) };
  if (individual) options.subject = 'user';
  else options.issuer = issuer;
  const { payload, protectedHeader } = await jwtVerify(token, key, options);
  return { payload, header: protectedHeader };
}
