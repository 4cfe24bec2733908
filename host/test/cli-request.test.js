// `asc-connector request` as a subprocess against the sandbox (ASC_BASE_URL): each exit status.
// 0: a 2xx answer (records, --raw document, 201, 204) or a --dry-run that passed the check (nothing
// sent); 1: a request refused by the check (every problem named, nothing sent), an error answer from
// Apple, a write whose outcome is unknown (sent once), an unusable key; 2: usage mistakes. Key text
// never appears in any output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox } from '../src/sandbox/server.js';
import { runCli } from './helpers/process.js';
import { newAppleKey, pemBody } from './helpers/gateway.js';

const key = newAppleKey();
let sb;
let dir;
let keyFile;
let env;

before(async () => {
  sb = await startSandbox({ keys: [key.sandboxKey], apps: 5 });
  dir = mkdtempSync(path.join(tmpdir(), 'asc-cli-request-'));
  keyFile = path.join(dir, `AuthKey_${key.kid}.p8`);
  writeFileSync(keyFile, key.pem, { mode: 0o600 });
  env = { ASC_BASE_URL: sb.url, ASC_KEY_ID: key.kid, ASC_ISSUER_ID: key.issuerId, ASC_PRIVATE_KEY_FILE: keyFile };
});
after(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command; checks no key text leaked; returns the result and how many requests the sandbox got. */
async function request(args, opts = {}) {
  const before = sb.sandbox.stats.requests;
  const r = await runCli(['request', ...args], { env: opts.env ?? env, input: opts.input });
  assert.ok(!`${r.stdout}${r.stderr}`.includes(pemBody(key.pem).slice(0, 40)), 'no key text in the output');
  return { ...r, sent: sb.sandbox.stats.requests - before };
}

const tester = JSON.stringify({ data: { type: 'betaTesters', attributes: { email: 'ada@example.com', firstName: 'Ada' } } });

test('exit 0: --dry-run prints the checked method, full URL and body, with no key and no network', async () => {
  const r = await request(['GET', '/v1/apps/123/appStoreVersions', '--query', 'filter[platform]=IOS', '--query', 'filter[platform]=MAC_OS', '--query', 'limit=5', '--dry-run'], { env: { ASC_BASE_URL: sb.url } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `GET ${sb.url}/v1/apps/123/appStoreVersions?filter[platform]=IOS,MAC_OS&limit=5\n`);
  assert.equal(r.sent, 0);
  const w = await request(['post', '/v1/betaTesters', '--body', '@-', '--dry-run'], { env: {}, input: tester });
  assert.equal(w.status, 0, w.stderr);
  assert.equal(w.stdout, `POST https://api.appstoreconnect.apple.com/v1/betaTesters\n\n${tester}\n`);
});

test('exit 0: a read prints flat records (Apple\'s document with --raw); a create 201 prints the record; a delete prints nothing', async () => {
  const r = await request(['GET', '/v1/apps', '--query', 'limit=2']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.sent, 1);
  const records = JSON.parse(r.stdout);
  assert.equal(records.value.length, 2);
  assert.equal(records.value[0].type, 'apps');
  const raw = await request(['GET', '/v1/apps', '--query', 'limit=2', '--raw']);
  assert.equal(raw.status, 0, raw.stderr);
  assert.deepEqual(JSON.parse(raw.stdout).data.map((d) => d.id), records.value.map((v) => v.id));
  const body = path.join(dir, 'tester.json');
  writeFileSync(body, tester);
  const created = await request(['POST', '/v1/betaTesters', '--body', `@${body}`]);
  assert.equal(created.status, 0, created.stderr);
  const record = JSON.parse(created.stdout);
  assert.equal(record.type, 'betaTesters');
  assert.equal(record.firstName, 'Ada');
  const deleted = await request(['DELETE', `/v1/betaTesters/${record.id}`]);
  assert.equal(deleted.status, 0, deleted.stderr);
  assert.equal(deleted.stdout, '');
  assert.equal(deleted.sent, 1);
});

test('exit 1: a request that fails the check names each problem, and nothing is sent', async () => {
  const r = await request(['POST', '/v1/betaTesters', '--query', 'limit=3', '--body', '{"data":{"type":"betaTesters","attributes":{"email":"a@b.c","frstName":"x"}}}']);
  assert.equal(r.status, 1);
  assert.equal(r.sent, 0);
  assert.match(r.stderr, /^asc-connector request: REQUEST_INVALID: 2 problems/);
  assert.match(r.stderr, /\n {2}limit: PARAMETER_UNKNOWN: /);
  assert.match(r.stderr, /\n {2}data\.attributes\.frstName: FIELD_UNKNOWN: .*firstName/);
  for (const [args, code] of [
    [['GET', '/v1/appz'], 'ROUTE_NOT_FOUND'],
    [['PUT', '/v1/apps'], 'METHOD_NOT_ALLOWED'],
    [['GET', 'https://evil.example/v1/apps'], 'REQUEST_TARGET_INVALID'],
    [['GET', '/v1/apps/%2e%2e/users'], 'REQUEST_TARGET_INVALID'],
    [['POST', '/v1/betaTesters', '--body', '{"data":{},"data":{}}'], 'BODY_DUPLICATE_KEY'],
  ]) {
    const x = await request(args);
    assert.equal(x.status, 1, args.join(' '));
    assert.equal(x.sent, 0);
    assert.match(x.stderr, new RegExp(`^asc-connector request: ${code}: `), args.join(' '));
  }
});

test('exit 1: Apple answers an error; a write whose outcome is unknown is sent once', async () => {
  const nf = await request(['GET', '/v1/apps/9999999999']);
  assert.equal(nf.status, 1);
  assert.match(nf.stderr, /^asc-connector request: UPSTREAM_NOT_FOUND: /);
  assert.equal(nf.stdout, '');
  sb.sandbox.faults.next({ status: 500 });
  const w = await request(['POST', '/v1/betaTesters', '--body', tester]);
  assert.equal(w.status, 1);
  assert.equal(w.sent, 1);
  assert.match(w.stderr, /^asc-connector request: UPSTREAM_OUTCOME_UNKNOWN: .*did not send it again/);
});

test('exit 1: an unusable key is named by its code and nothing is sent', async () => {
  const bad = path.join(dir, 'bad.p8');
  writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  const r = await request(['GET', '/v1/apps'], { env: { ...env, ASC_PRIVATE_KEY_FILE: bad } });
  assert.equal(r.status, 1);
  assert.equal(r.sent, 0);
  assert.match(r.stderr, /^asc-connector request: KEY_[A-Z_]+: /);
});

test('exit 2: usage mistakes (missing PATH, unknown flag, bad --query, non-loopback http base URL, contradictory key flags)', async () => {
  for (const [args, message, over] of [
    [['GET'], /give METHOD and PATH/],
    [['GET', '/v1/apps', '--frobnicate'], /unknown option "--frobnicate"/],
    [['GET', '/v1/apps', '--query', 'limit'], /--query takes NAME=VALUE/],
    [['GET', '/v1/apps', '--dry-run'], /ASC_BASE_URL must use https/, { ASC_BASE_URL: 'http://evil.example' }],
    [['GET', '/v1/apps', '--individual', '--issuer-id', key.issuerId], /contradict/],
  ]) {
    const r = await request(args, { env: { ...env, ...over } });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Run asc-connector request --help\.\n$/);
    assert.equal(r.sent, 0);
  }
  const help = await request(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: asc-connector request METHOD PATH/);
});
