// Docs and boundaries that can be checked: every error code has a README row, the package exports
// what design.md and the README promise, the README's JavaScript example runs, and only
// src/wasm.rs knows about wasm-bindgen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify, importSPKI } from 'jose';
import * as pkg from 'asc-connector-wasm';

const ROOT = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', ROOT), 'utf8');

test('every error code has a row in the README with its HTTP status', () => {
  const codes = pkg.errorCodes();
  assert.ok(codes.length > 50);
  for (const { code, status } of codes) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `README has no row for ${code}`);
    assert.equal(row.split('|')[2].trim(), String(status), `README status for ${code}`);
  }
});

test('the package exports the names design.md and the README promise', () => {
  const design = readFileSync(new URL('../shared/reference/design.md', ROOT), 'utf8');
  for (const name of ['mintToken', 'TokenMinter', 'inspectToken']) {
    assert.ok(design.includes(name), `design.md names ${name}`);
    assert.equal(typeof pkg[name], 'function', name);
  }
  for (const name of ['publicKeyPem', 'planRequest', 'shapeResponse', 'operations', 'errorCodes']) {
    assert.equal(typeof pkg[name], 'function', name);
    assert.ok(readme.includes(name), `README mentions ${name}`);
  }
  const types = readFileSync(new URL('pkg/index.d.ts', ROOT), 'utf8');
  for (const name of ['mintToken', 'TokenMinter', 'inspectToken', 'publicKeyPem', 'planRequest', 'shapeResponse', 'TokenOptions', 'TokenInspection']) {
    assert.ok(types.includes(name), `index.d.ts declares ${name}`);
  }
});

test('the README JavaScript example runs and its token verifies with jose', async () => {
  const section = readme.slice(readme.indexOf('## The JavaScript API'));
  const code = section.slice(section.indexOf('```js\n') + 6, section.indexOf('```', section.indexOf('```js\n') + 6));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p8Text = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const body = code.replace(/^import .*$/m, '') + '\nreturn { token, problems, minter };';
  // eslint-disable-next-line no-new-func
  const run = new Function('mintToken', 'TokenMinter', 'inspectToken', 'publicKeyPem', 'p8Text', body);
  const { token, problems, minter } = run(pkg.mintToken, pkg.TokenMinter, pkg.inspectToken, pkg.publicKeyPem, p8Text);
  assert.deepEqual(problems, []);
  assert.equal(minter.mintCount, 1);
  minter.free();
  const key = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }), 'ES256');
  const { payload, protectedHeader } = await jwtVerify(token, key, {
    algorithms: ['ES256'], audience: 'appstoreconnect-v1', issuer: '57246542-96fe-1a63-e053-0824d011072a',
  });
  assert.equal(protectedHeader.kid, '2X9R4HXF34');
  assert.equal(payload.exp - payload.iat, 900);
});

function filesUnder(dir, ext) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, ext));
    else if (path.endsWith(ext)) out.push(path);
  }
  return out;
}

test('only src/wasm.rs knows about wasm-bindgen and JsValue', () => {
  const src = new URL('src/', ROOT).pathname;
  const offenders = filesUnder(src, '.rs')
    .filter((f) => !f.endsWith('/src/wasm.rs'))
    .filter((f) => /wasm_bindgen|JsValue|js_sys/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('the core reads no clock, randomness or files', () => {
  const src = new URL('src/', ROOT).pathname;
  const offenders = filesUnder(src, '.rs')
    .filter((f) => !f.endsWith('/src/wasm.rs') && !f.includes('/src/shape/bench.rs'))
    .filter((f) => /SystemTime|Instant::now|getrandom|std::fs|std::net|thread_rng|OsRng/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});
