// `asc-connector token` and `asc-connector inspect` run as subprocesses: tokens from a file, stdin
// and the environment verified by jose; individual keys and scope; bad keys and bad flags give the
// right exit status and one coded line on stderr with no key text anywhere; inspect exits 0 for a
// good token and 1 with the problem codes for DER-signed, over-long and expired ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { errorCodes } from 'asc-connector-wasm';
import { runCli } from './helpers/process.js';
import { HELP, expiryInWords, issuedInWords } from '../../web/explain.js';
import {
  ISSUER, KEY_ID, NOW, badKeys, handMadeToken, leaksKey, newP256Key, teamClaims, verifyWithJose,
} from './helpers/keys.js';

const key = newP256Key();
let dir;
let keyFile;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'asc-cli-token-'));
  keyFile = path.join(dir, `AuthKey_${KEY_ID}.p8`);
  writeFileSync(keyFile, key.pem, { mode: 0o600 });
});
after(() => rmSync(dir, { recursive: true, force: true }));


const cli = (args, opts) => runCli(args, opts);

const teamArgs = ['--key-id', KEY_ID, '--issuer-id', ISSUER, '--now', String(NOW)];

test('token from --private-key-file verifies with jose; stdout is the token and a newline', async () => {
  const r = await cli(['token', ...teamArgs, '--private-key-file', keyFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const { payload, header } = await verifyWithJose(r.stdout.trim(), key.publicKey, { now: NOW });
  assert.equal(header.kid, KEY_ID);
  assert.equal(payload.iat, NOW - 60);
  assert.equal(payload.exp, NOW - 60 + 900);
});

test('token from stdin ("-" and implicit) and from ASC_PRIVATE_KEY with env defaults', async () => {
  for (const args of [['--private-key-file', '-'], []]) {
    const r = await cli(['token', ...teamArgs, ...args], { input: key.pem });
    assert.equal(r.status, 0, r.stderr);
    await verifyWithJose(r.stdout.trim(), key.publicKey, { now: NOW });
  }
  const r = await cli(['token', '--now', String(NOW), '--lifetime', '600'], {
    env: { ASC_PRIVATE_KEY: key.pem.replace(/\n/g, '\\n'), ASC_KEY_ID: KEY_ID, ASC_ISSUER_ID: ISSUER },
  });
  assert.equal(r.status, 0, r.stderr);
  const { payload } = await verifyWithJose(r.stdout.trim(), key.publicKey, { now: NOW });
  assert.equal(payload.exp - payload.iat, 600);
});

test('individual key and scope', async () => {
  const r = await cli(['token', '--key-id', KEY_ID, '--individual', '--now', String(NOW), '--private-key-file', keyFile,
    '--scope', 'GET /v1/apps', '--scope=GET /v1/apps/123'], { env: { ASC_ISSUER_ID: ISSUER } });
  assert.equal(r.status, 0, r.stderr);
  const { payload } = await verifyWithJose(r.stdout.trim(), key.publicKey, { now: NOW, individual: true });
  assert.equal('iss' in payload, false);
  assert.deepEqual(payload.scope, ['GET /v1/apps', 'GET /v1/apps/123']);
});

test('bad keys: exit 1, the code on stderr, nothing on stdout, no key text anywhere', async () => {
  for (const bad of badKeys()) {
    const file = path.join(dir, 'bad.p8');
    writeFileSync(file, bad.pem);
    const r = await cli(['token', ...teamArgs, '--private-key-file', file]);
    assert.equal(r.status, 1, bad.name);
    assert.equal(r.stdout, '', bad.name);
    const line = r.stderr.trimEnd();
    assert.equal(line.split('\n').length, 1, `${bad.name}: one line`);
    const m = /^asc-connector token: ([A-Z_]+): .+/.exec(line);
    assert.ok(m, `${bad.name}: coded line`);
    assert.match(m[1], bad.code, bad.name);
    const body = bad.pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    if (body.length >= 16) assert.equal(leaksKey(r.stderr + r.stdout, body), false, `${bad.name}: no key text`);
  }
});

test('bad option values exit 1 with their code; the good key never shows', async () => {
  const cases = [
    [['--key-id', KEY_ID, '--issuer-id', 'nope', '--private-key-file', keyFile], 'ISSUER_ID_INVALID'],
    [[...teamArgs, '--lifetime', '1201', '--private-key-file', keyFile], 'LIFETIME_TOO_LONG'],
    [[...teamArgs, '--scope', 'bad scope', '--private-key-file', keyFile], 'SCOPE_INVALID'],
  ];
  for (const [args, code] of cases) {
    const r = await cli(['token', ...args]);
    assert.equal(r.status, 1, code);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^asc-connector token: ${code}: `));
    assert.equal(leaksKey(r.stderr, key.body), false);
  }
});

test('usage errors exit 2: unknown flag, missing key id, contradictory key type, bad number', async () => {
  const unknown = await cli(['token', ...teamArgs, '--private-key-file', keyFile, '--bogus']);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /unknown option "--bogus"/);
  const noKeyId = await cli(['token', '--issuer-id', ISSUER, '--private-key-file', keyFile]);
  assert.equal(noKeyId.status, 2);
  assert.match(noKeyId.stderr, /key ID/);
  const both = await cli(['token', ...teamArgs, '--individual', '--private-key-file', keyFile]);
  assert.equal(both.status, 2);
  const badLifetime = await cli(['token', ...teamArgs, '--lifetime', 'ten', '--private-key-file', keyFile]);
  assert.equal(badLifetime.status, 2);
  const inspectUnknown = await cli(['inspect', 'a.b.c', '--nope']);
  assert.equal(inspectUnknown.status, 2);
  const help = await cli(['token', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--private-key-file/);
});

test('a key pasted as an argument is refused without echoing it', async () => {
  const r = await cli(['token', ...teamArgs, key.body]);
  assert.equal(r.status, 2);
  assert.equal(leaksKey(r.stderr + r.stdout, key.body), false);
});

test('inspect of a good token: exit 0, decoded claims, times in words, token not printed', async () => {
  const token = (await cli(['token', ...teamArgs, '--private-key-file', keyFile])).stdout.trim();
  const at = NOW + 60;
  const r = await cli(['inspect', token, '--now', String(at), '--public-key-file', keyFile]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.ok(!r.stdout.includes(token.split('.')[2]), 'signature not printed');
  assert.ok(!r.stdout.includes(token.split('.')[1]), 'payload part not printed');
  assert.match(r.stdout, /"kid": "ABCDE12345"/);
  assert.match(r.stdout, new RegExp(`"iss": "${ISSUER}"`));
  assert.match(r.stdout, /expires in 13 minutes/);
  assert.match(r.stdout, /issued 2 minutes ago/);
  assert.match(r.stdout, /2026-01-01T00:14:00Z/);
  assert.match(r.stdout, /raw r‖s/);
  assert.match(r.stdout, /verified with the public key/);
  assert.match(r.stdout, /No problems found/);
  // From stdin, as JSON.
  const j = await cli(['inspect', '-', '--json', '--now', String(at)], { input: `Bearer ${token}\n` });
  assert.equal(j.status, 0, j.stderr);
  const parsed = JSON.parse(j.stdout);
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.payload.exp, decodeJwt(token).exp);
});

test('inspect of DER-signed, over-long and expired tokens: exit 1 with the codes and fixes', async () => {
  const header = { alg: 'ES256', kid: KEY_ID, typ: 'JWT' };
  const cases = [
    [handMadeToken(key.privateKey, header, teamClaims(NOW), 'der'), 'TOKEN_SIGNATURE_DER', /ASN\.1 DER/],
    [handMadeToken(key.privateKey, header, teamClaims(NOW, 3600), 'ieee-p1363'), 'TOKEN_LIFETIME_TOO_LONG', /Lifetime: +3600 s/],
    [handMadeToken(key.privateKey, header, teamClaims(NOW - 1200), 'ieee-p1363'), 'TOKEN_EXPIRED', /expired 6 minutes ago/],
  ];
  for (const [token, code, extra] of cases) {
    const r = await cli(['inspect', token, '--now', String(NOW)]);
    assert.equal(r.status, 1, code);
    assert.match(r.stdout, new RegExp(`^  ${code}: .+\\n    fix: `, 'm'), code);
    assert.match(r.stdout, extra);
    assert.ok(!r.stdout.includes(token.split('.')[2]), 'signature not printed');
  }
});

test('inspect of something that is not a JWT exits 1 with a code', async () => {
  const r = await cli(['inspect', 'not-a-token', '--now', String(NOW)]);
  assert.equal(r.status, 1);
  assert.match(r.stdout + r.stderr, /TOKEN_MALFORMED/);
});

test('the page/CLI help table explains every key, option and token code the module has', () => {
  const wanted = errorCodes().map((e) => e.code).filter((c) => /^(KEY_|TOKEN_|LIFETIME_|ISSUER_|SCOPE_)/.test(c));
  assert.ok(wanted.length > 20);
  for (const code of wanted) assert.ok(Object.hasOwn(HELP, code), `web/explain.js explains ${code}`);
  assert.equal(expiryInWords(NOW + 14 * 60 + 5, NOW), 'expires in 14 minutes');
  assert.equal(expiryInWords(NOW - 180, NOW), 'expired 3 minutes ago');
  assert.equal(expiryInWords(NOW + 1, NOW), 'expires in 1 second');
  assert.equal(issuedInWords(NOW + 3600, NOW), 'issued in 1 hour (in the future)');
});
