// The signer entry (`asc-connector-wasm/signer`, its own small .wasm) against the full module: the
// same exports for signing, the same tokens byte for byte (RFC 6979 makes signing deterministic),
// and the same error (code, status, message, details) for every key shape and option mistake in a
// matrix of accepted, mangled and wrong inputs. Tokens are verified with jose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as full from 'asc-connector-wasm';
import * as signer from 'asc-connector-wasm/signer';
import {
  ISSUER, KEY_ID, NOW, badKeys, leaksKey, mangledShapes, newP256Key, verifyWithJose,
} from './helpers/keys.js';

const require = createRequire(import.meta.url);
const SIGNER_EXPORTS = ['mintToken', 'TokenMinter', 'publicKeyPem'];
const FULL_ONLY = ['inspectToken', 'planRequest', 'shapeResponse', 'operations'];
const key = newP256Key();
const other = newP256Key();

const der = (pem) => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
const pem = (label, bytes) => `-----BEGIN ${label}-----\n${bytes.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`;
const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');

/** A SEC1 ECPrivateKey DER around a raw 32-byte scalar, naming P-256. */
function sec1WithScalar(scalar) {
  const body = Buffer.concat([Buffer.from('020101', 'hex'), Buffer.from([0x04, scalar.length]), scalar,
    Buffer.from([0xa0, P256_OID.length]), P256_OID]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** Every input the matrix feeds to both modules: name -> private key text. */
function keyMatrix() {
  const shapes = Object.fromEntries(Object.entries(mangledShapes(key)).map(([k, v]) => [`ok: ${k}`, v]));
  for (const bad of badKeys()) shapes[`bad: ${bad.name}`] = bad.pem;
  const p8 = der(key.pem);
  // The .p8 with another key's public half spliced in (same length, so only the comparison fails).
  const spliced = Buffer.from(p8);
  const theirs = der(other.pem);
  theirs.subarray(theirs.length - 65).copy(spliced, spliced.length - 65);
  const gen = (type, opts) => generateKeyPairSync(type, opts);
  Object.assign(shapes, {
    'empty': '',
    'only whitespace': '  \n\t ',
    'only quotes': '""',
    'a JWT': 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln',
    'truncated PEM': key.pem.slice(0, 120),
    'BEGIN line cut off': '-----BEGIN PRIV',
    'END without BEGIN': key.pem.slice(key.pem.indexOf('-----END')),
    'mismatched END': key.pem.replace('END PRIVATE KEY', 'END EC PRIVATE KEY'),
    'body cut short': key.body.slice(0, 60),
    'base64 cut mid-byte': key.body.slice(0, 61),
    'corrupt base64': key.pem.replace(/\n(.{10})/, '\n$1!!!!'),
    'extra bytes after DER': pem('PRIVATE KEY', Buffer.concat([p8, Buffer.from([0, 0])])),
    'mismatched public key': pem('PRIVATE KEY', spliced),
    'zero scalar': pem('EC PRIVATE KEY', sec1WithScalar(Buffer.alloc(32))),
    'scalar above the order': pem('EC PRIVATE KEY', sec1WithScalar(Buffer.alloc(32, 0xff))),
    'scalar too long': pem('EC PRIVATE KEY', sec1WithScalar(Buffer.alloc(33, 0x11))),
    'base64 of not a key': Buffer.from('hello world, this is text').toString('base64'),
    'Ed25519': gen('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    'X25519': gen('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    'RSA PKCS#1': gen('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }),
    'RSA public': gen('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
    'P-384 SEC1': gen('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'sec1', format: 'pem' }),
    'P-384 public': gen('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }),
    'P-256 public as base64 DER': der(key.publicPem).toString('base64'),
    'unknown PEM label': pem('SOMETHING ELSE', p8),
    'certificate label': pem('CERTIFICATE', Buffer.from('300a0201003005020100', 'hex')),
  });
  return shapes;
}

/** What a call gave: the token, or the error's code, status, message and details. */
function outcome(fn) {
  try {
    return { value: fn() };
  } catch (err) {
    assert.ok(err instanceof Error, 'throws an Error');
    return { code: err.code, status: err.status, message: err.message, details: err.details };
  }
}

test('the signer entry exports the signing functions only, through import and require', () => {
  const cjs = require('asc-connector-wasm/signer');
  for (const name of SIGNER_EXPORTS) {
    assert.equal(typeof signer[name], 'function', `import: ${name}`);
    assert.equal(typeof cjs[name], 'function', `require: ${name}`);
  }
  for (const name of FULL_ONLY) assert.equal(signer[name], undefined, `${name} is not in the signer`);
  const dts = readFileSync(new URL('../../pkg/signer/index.d.ts', import.meta.url), 'utf8');
  const glue = readFileSync(new URL('../../pkg/signer/asc_connector.d.ts', import.meta.url), 'utf8');
  for (const name of SIGNER_EXPORTS) {
    assert.match(dts, new RegExp(`\\b${name}\\b`));
    assert.match(glue, new RegExp(`export\\s+(declare\\s+)?(function|class)\\s+${name}\\b`));
  }
  for (const type of ['TokenOptions', 'AscConnectorError']) assert.match(glue, new RegExp(`interface ${type}\\b`));
});

test('every key shape gives the same token or the same error in both modules', async () => {
  const matrix = keyMatrix();
  let accepted = 0;
  for (const [name, privateKey] of Object.entries(matrix)) {
    for (const options of [{ keyId: KEY_ID, issuerId: ISSUER, privateKey }, { keyId: KEY_ID, individual: true, privateKey, scope: ['GET /v1/apps'] }]) {
      const a = outcome(() => full.mintToken(options, NOW));
      const b = outcome(() => signer.mintToken(options, NOW));
      assert.deepEqual(b, a, `${name}: the signer and the full module agree`);
      if (name.startsWith('ok: ')) {
        assert.ok(a.value, `${name} is accepted`);
        await verifyWithJose(b.value, key.publicKey, { now: NOW, individual: options.individual });
        accepted += 1;
      } else {
        assert.match(a.code ?? '', /^KEY_/, `${name} is refused with a KEY_ code`);
        assert.equal(leaksKey(a.message, key.body), false, `${name}: no key material in the message`);
      }
    }
    assert.deepEqual(outcome(() => signer.publicKeyPem(privateKey)), outcome(() => full.publicKeyPem(privateKey)), `${name}: publicKeyPem agrees`);
    assert.deepEqual(outcome(() => new signer.TokenMinter({ keyId: KEY_ID, issuerId: ISSUER, privateKey }).token(NOW)),
      outcome(() => new full.TokenMinter({ keyId: KEY_ID, issuerId: ISSUER, privateKey }).token(NOW)), `${name}: TokenMinter agrees`);
  }
  assert.equal(accepted, 2 * Object.keys(mangledShapes(key)).length);
  const codes = new Set(Object.values(matrix).map((k) => outcome(() => signer.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey: k }, NOW)).code));
  for (const code of ['KEY_EMPTY', 'KEY_NOT_PEM', 'KEY_CORRUPT', 'KEY_TRUNCATED', 'KEY_RSA', 'KEY_WRONG_CURVE',
    'KEY_UNSUPPORTED_ALGORITHM', 'KEY_ENCRYPTED', 'KEY_IS_PUBLIC', 'KEY_IS_CERTIFICATE', 'KEY_INVALID']) {
    assert.ok(codes.has(code), `the matrix reaches ${code}`);
  }
});

test('option and time mistakes give the same errors (with details) in both modules', () => {
  const base = { keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem };
  const cases = [
    [base, 'x'], [base, 12], [base, 1e13], [null, NOW], ['text', NOW], [[], NOW],
    [{ ...base, keyid: 'X' }, NOW], [{ ...base, extra: 1 }, NOW], [{ ...base, keyId: 'abc' }, NOW],
    [{ ...base, keyId: ISSUER }, NOW], [{ ...base, keyId: 'AuthKey_ABC.p8' }, NOW], [{ ...base, keyId: 7 }, NOW],
    [{ ...base, issuerId: 'nope' }, NOW], [{ ...base, issuerId: KEY_ID }, NOW], [{ ...base, individual: true }, NOW],
    [{ keyId: KEY_ID, privateKey: key.pem }, NOW], [{ ...base, individual: 'yes' }, NOW],
    [{ ...base, lifetimeSeconds: 1201 }, NOW], [{ ...base, lifetimeSeconds: 10 }, NOW], [{ ...base, lifetimeSeconds: 1.5 }, NOW],
    [{ ...base, scope: 'GET /v1/apps' }, NOW], [{ ...base, scope: [1] }, NOW],
    [{ ...base, scope: ['get /v1/apps', 'GET /apps', 'GET  /v1/apps', 'FETCH /v1/x', ''] }, NOW],
    [{ ...base, scope: Array.from({ length: 101 }, () => 'GET /v1/apps') }, NOW],
    [{ ...base, scope: ['GET /v1/apps?filter[name]="q\\\\"'] }, NOW],
    [{ ...base, privateKey: 5 }, NOW],
  ];
  for (const [options, now] of cases) {
    const label = JSON.stringify(options)?.slice(0, 80);
    const a = outcome(() => full.mintToken(options, now));
    assert.deepEqual(outcome(() => signer.mintToken(options, now)), a, label);
    assert.deepEqual(outcome(() => new signer.TokenMinter(options).token(now)), outcome(() => new full.TokenMinter(options).token(now)), label);
  }
  const scopeError = outcome(() => signer.mintToken({ ...base, scope: ['get /v1/apps', 'GET /apps'] }, NOW));
  assert.equal(scopeError.code, 'SCOPE_INVALID');
  assert.deepEqual(scopeError.details.map((d) => d.parameter), ['scope[0]', 'scope[1]']);
});

test('the signer TokenMinter caches, refreshes and re-mints after invalidate like the full one', async () => {
  const options = { keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem };
  const a = new full.TokenMinter(options);
  const b = new signer.TokenMinter(options);
  try {
    for (const t of [NOW, NOW + 10, NOW + 700, NOW + 730, 'invalidate', NOW + 730, NOW + 731, NOW + 2000]) {
      if (t === 'invalidate') {
        a.invalidate();
        b.invalidate();
        continue;
      }
      const token = b.token(t);
      assert.equal(token, a.token(t), `token at ${t}`);
      assert.equal(b.mintCount, a.mintCount);
      assert.equal(b.expiresAt, a.expiresAt);
      await verifyWithJose(token, key.publicKey, { now: t });
    }
    assert.equal(b.mintCount, 4);
  } finally {
    a.free();
    b.free();
  }
});
