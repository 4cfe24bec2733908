// The wasm package in Node: tokens minted through `import` and `require` are checked by jose (an
// independent verifier), TokenMinter caching, inspectToken on hand-made bad tokens, error codes for
// wrong keys and options (with no key material in any message), the mangled key shapes, and the
// TypeScript declarations covering every exported name of the contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as pkg from 'asc-connector-wasm';
import {
  ISSUER, KEY_ID, NOW, badKeys, handMadeToken, leaksKey, mangledShapes, newP256Key, teamClaims, verifyWithJose,
} from './helpers/keys.js';

const require = createRequire(import.meta.url);
const EXPORTS = ['mintToken', 'TokenMinter', 'inspectToken', 'publicKeyPem', 'planRequest', 'shapeResponse', 'operations', 'errorCodes'];
const key = newP256Key();

test('every contract export exists in the import and the require entry', () => {
  const cjs = require('asc-connector-wasm');
  for (const name of EXPORTS) {
    assert.equal(typeof pkg[name], 'function', `import: ${name}`);
    assert.equal(typeof cjs[name], 'function', `require: ${name}`);
  }
});

test('the .d.ts files declare every contract export', () => {
  const dir = new URL('../../pkg/', import.meta.url);
  const types = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')).types;
  const entry = readFileSync(new URL(types, dir), 'utf8');
  const dts = readdirSync(dir).filter((f) => f.endsWith('.d.ts')).map((f) => readFileSync(new URL(f, dir), 'utf8')).join('\n');
  for (const name of EXPORTS) {
    assert.match(entry, new RegExp(`\\b${name}\\b`), `${types} exports ${name}`);
    assert.match(dts, new RegExp(`export\\s+(declare\\s+)?(function|class|const)\\s+${name}\\b`), `${name} declared`);
  }
});

test('a team token (import entry) verifies with jose and has exact claims', async () => {
  const token = pkg.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem }, NOW);
  const { payload, header } = await verifyWithJose(token, key.publicKey, { now: NOW });
  assert.deepEqual(header, { alg: 'ES256', kid: KEY_ID, typ: 'JWT' });
  assert.equal(payload.iss, ISSUER);
  assert.equal(payload.sub, undefined);
  assert.equal(payload.iat, NOW - 60);
  assert.equal(payload.exp - payload.iat, 900);
  assert.equal(payload.aud, 'appstoreconnect-v1');
  assert.equal(payload.scope, undefined);
  assert.equal(Buffer.from(token.split('.')[2], 'base64url').length, 64, 'raw r||s signature');
});

test('an individual token (require entry) verifies with jose: sub "user", no iss', async () => {
  const cjs = require('asc-connector-wasm');
  const token = cjs.mintToken({ keyId: KEY_ID, individual: true, privateKey: key.pem, lifetimeSeconds: 600 }, NOW);
  const { payload } = await verifyWithJose(token, key.publicKey, { now: NOW, individual: true });
  assert.equal(payload.sub, 'user');
  assert.equal('iss' in payload, false);
  assert.equal(payload.exp - payload.iat, 600);
});

test('lifetime and scope are honoured; the limits are 240..1200', async () => {
  const scope = ['GET /v1/apps', 'GET /v1/apps?filter[platform]=IOS'];
  const token = pkg.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem, lifetimeSeconds: 1200, scope }, NOW);
  const { payload } = await verifyWithJose(token, key.publicKey, { now: NOW });
  assert.equal(payload.exp - payload.iat, 1200);
  assert.deepEqual(payload.scope, scope);
  assert.equal(decodeJwt(pkg.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem, lifetimeSeconds: 240 }, NOW)).exp - (NOW - 60), 240);
  for (const [lifetimeSeconds, code] of [[1201, 'LIFETIME_TOO_LONG'], [239, 'LIFETIME_TOO_SHORT']]) {
    assert.throws(() => pkg.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem, lifetimeSeconds }, NOW),
      (err) => err instanceof Error && err.code === code);
  }
});

test('TokenMinter caches until the refresh margin, then mints anew; invalidate forgets', async () => {
  const minter = new pkg.TokenMinter({ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem });
  try {
    assert.equal(minter.mintCount, 0);
    const first = minter.token(NOW);
    assert.equal(minter.mintCount, 1);
    assert.equal(minter.expiresAt, NOW - 60 + 900);
    // exp = NOW + 840; still more than 120 s left at NOW + 700.
    assert.equal(minter.token(NOW + 10), first);
    assert.equal(minter.token(NOW + 700), first);
    assert.equal(minter.mintCount, 1);
    // Less than 120 s left at NOW + 730: a new token.
    const second = minter.token(NOW + 730);
    assert.notEqual(second, first);
    assert.equal(minter.mintCount, 2);
    assert.equal(minter.expiresAt, NOW + 730 - 60 + 900);
    await verifyWithJose(second, key.publicKey, { now: NOW + 730 });
    minter.invalidate();
    const third = minter.token(NOW + 740);
    assert.equal(minter.mintCount, 3);
    assert.notEqual(third, second);
    assert.equal(decodeJwt(third).iat, NOW + 740 - 60);
  } finally {
    minter.free();
  }
});

test('every mangled key shape mints a jose-verifiable token', async () => {
  for (const [shape, privateKey] of Object.entries(mangledShapes(key))) {
    let token;
    try {
      token = pkg.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey }, NOW);
    } catch (err) {
      assert.fail(`${shape}: ${err.code}`);
    }
    await verifyWithJose(token, key.publicKey, { now: NOW });
  }
});

test('publicKeyPem gives the public half of the key', () => {
  const pem = pkg.publicKeyPem(key.pem);
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----/);
  assert.equal(pem.replace(/\s+/g, ''), key.publicPem.replace(/\s+/g, ''));
});

test('wrong keys are refused with a coded Error and no key material in the message', () => {
  for (const bad of badKeys()) {
    const body = bad.pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    assert.throws(
      () => pkg.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey: bad.pem }, NOW),
      (err) => {
        assert.ok(err instanceof Error, `${bad.name}: an Error`);
        assert.match(String(err.code), bad.code, `${bad.name}: code`);
        assert.equal(typeof err.status, 'number');
        assert.ok(Array.isArray(err.details));
        assert.ok(err.message.length > 10, `${bad.name}: a message`);
        if (body.length >= 16) assert.equal(leaksKey(`${err.message} ${JSON.stringify(err.details)} ${err.stack}`, body), false, `${bad.name}: no key text`);
        return true;
      },
    );
  }
});

test('bad options are refused with their codes and never echo the key', () => {
  const cases = [
    [{ keyId: KEY_ID, issuerId: 'not-a-uuid', privateKey: key.pem }, 'ISSUER_ID_INVALID'],
    [{ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem, lifetimeSeconds: 1201 }, 'LIFETIME_TOO_LONG'],
    [{ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem, scope: ['not a scope'] }, 'SCOPE_INVALID'],
    [{ keyId: 'bad id!', issuerId: ISSUER, privateKey: key.pem }, 'KEY_ID_INVALID'],
    [{ keyId: KEY_ID, issuerId: ISSUER, privateKey: '' }, 'KEY_EMPTY'],
  ];
  for (const [options, code] of cases) {
    assert.throws(() => pkg.mintToken(options, NOW), (err) => {
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.equal(leaksKey(`${err.message} ${JSON.stringify(err.details)}`, key.body), false);
      return true;
    });
  }
});

test('inspectToken: a good token has no problems and verifies with its public key', () => {
  const token = pkg.mintToken({ keyId: KEY_ID, issuerId: ISSUER, privateKey: key.pem }, NOW);
  const result = pkg.inspectToken(token, NOW + 5, key.publicPem);
  assert.deepEqual(result.problems, []);
  assert.equal(result.signatureEncoding, 'raw');
  assert.equal(result.signatureVerified, true);
  assert.deepEqual(result.header, decodeProtectedHeader(token));
  assert.equal(result.payload.iss, ISSUER);
  assert.equal(result.issuedAt, NOW - 60);
  assert.equal(result.expiresAt, NOW + 840);
  assert.equal(result.lifetimeSeconds, 900);
  const other = newP256Key();
  const wrong = pkg.inspectToken(token, NOW + 5, other.publicPem);
  assert.equal(wrong.signatureVerified, false);
  assert.ok(wrong.problems.some((p) => p.code === 'TOKEN_SIGNATURE_INVALID'));
  assert.equal(pkg.inspectToken(token, NOW + 5).signatureVerified, null);
});

test('inspectToken flags a DER signature made by node:crypto', () => {
  const token = handMadeToken(key.privateKey, { alg: 'ES256', kid: KEY_ID, typ: 'JWT' }, teamClaims(NOW), 'der');
  const result = pkg.inspectToken(token, NOW);
  assert.equal(result.signatureEncoding, 'der');
  const codes = result.problems.map((p) => p.code);
  assert.ok(codes.includes('TOKEN_SIGNATURE_DER'), codes.join());
  for (const p of result.problems) assert.ok(p.message.length > 10);
  // The same claims with a raw signature are clean: the DER encoding is the only fault.
  const raw = handMadeToken(key.privateKey, { alg: 'ES256', kid: KEY_ID, typ: 'JWT' }, teamClaims(NOW), 'ieee-p1363');
  assert.deepEqual(pkg.inspectToken(raw, NOW, key.publicPem).problems, []);
});

test('inspectToken flags an over-long, an expired and a two-subject token', () => {
  const header = { alg: 'ES256', kid: KEY_ID, typ: 'JWT' };
  const long = pkg.inspectToken(handMadeToken(key.privateKey, header, teamClaims(NOW, 3600), 'ieee-p1363'), NOW);
  assert.ok(long.problems.some((p) => p.code === 'TOKEN_LIFETIME_TOO_LONG'), long.problems.map((p) => p.code).join());
  assert.equal(long.lifetimeSeconds, 3600);
  const expired = pkg.inspectToken(handMadeToken(key.privateKey, header, teamClaims(NOW - 2000), 'ieee-p1363'), NOW);
  assert.ok(expired.problems.some((p) => p.code === 'TOKEN_EXPIRED'));
  const both = pkg.inspectToken(handMadeToken(key.privateKey, header, { ...teamClaims(NOW), sub: 'user' }, 'ieee-p1363'), NOW);
  assert.ok(both.problems.some((p) => p.code === 'TOKEN_ISS_AND_SUB'));
});

test('errorCodes lists the codes the token tools explain', () => {
  const codes = new Set(pkg.errorCodes().map((e) => e.code));
  for (const code of ['KEY_WRONG_CURVE', 'KEY_ENCRYPTED', 'ISSUER_ID_INVALID', 'LIFETIME_TOO_LONG', 'TOKEN_SIGNATURE_DER', 'TOKEN_LIFETIME_TOO_LONG']) {
    assert.ok(codes.has(code), code);
  }
});
