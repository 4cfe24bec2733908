// Secret hygiene across everything the gateway and its CLI write. A canary Apple key (a throwaway
// P-256 key made now), a second canary (individual) key and a canary API key are used in a broad
// set of scenarios: successes, every error path, upstream faults, caller keys, bad keys, config
// errors (loadConfig, handle(request, env), `serve` subprocesses with bad configs and a real
// `serve` run), and `token`/`inspect` errors. Everything written is captured: log lines, response
// status lines, headers and bodies, subprocess stdout/stderr. The corpus is then scanned for every
// 16-character window of each key's base64 body, of the API key and of every token minted during
// the run (collected by wrapping the gateway's fetch; the sandbox keeps only hashes), and for
// "-----BEGIN". Expected hits: zero. Nothing secret is ever printed, only labels and counts.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { handle as envHandle } from '../src/handler.js';
import { run as serveCommand } from '../src/commands/serve.js';
import { runCli, CLI } from './helpers/process.js';
import { newAppleKey, serverKeyEnv, callerKeyHeaders, startStack, pemBody } from './helpers/gateway.js';
import { oneLine, rawSend, scanForSecrets, unusableKeys } from './helpers/hardening.js';

const canary = newAppleKey();
const canaryInd = newAppleKey({ individual: true });
const canaryApiKey = `canary-api-${randomUUID()}`;
const corpus = [];
const scenarios = [];
const tokens = new Set();

/** Adds captured output to the corpus under a scenario name. */
function capture(name, ...texts) {
  scenarios.push(name);
  for (const t of texts) corpus.push(String(t ?? ''));
}

/** Everything a response carried: status, every header, the body. */
async function responseText(res) {
  const lines = [`${res.status} ${res.statusText}`];
  res.headers.forEach((v, k) => lines.push(`${k}: ${v}`));
  return `${lines.join('\n')}\n\n${await res.text()}`;
}


const cli = (args, opts) => runCli(args, opts);

const recordTokens = (url, init) => {
  tokens.add(init.headers.Authorization.slice('Bearer '.length));
  return fetch(url, init);
};

describe('secret hygiene: canary keys in every scenario', () => {
  let own; // server key = canary, caller keys refused
  let open; // no server key: callers bring canary keys
  let mixed; // server key = canary, caller keys accepted
  let dir;
  const POLICY = { attemptTimeoutMs: 400, budgetMs: 2000, maxRetries: 1, backoffBaseMs: 10 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'asc-secrets-'));
    const keys = [canary.sandboxKey, canaryInd.sandboxKey];
    // Each stack runs its own clock offset so the same key mints different tokens on each (ES256
    // signatures here are deterministic: same key and same second give the same token).
    const clock = (offset) => () => Math.floor(Date.now() / 1000) + offset;
    const stack = (env, offset) => startStack({ keys, env: { GATEWAY_API_KEY: canaryApiKey, ...env }, deps: { fetch: recordTokens, upstream: POLICY, now: clock(offset) }, sandbox: { now: clock(offset) } });
    own = await stack(serverKeyEnv(canary), 0);
    open = await stack({}, 37);
    mixed = await stack({ ...serverKeyEnv(canary), GATEWAY_ALLOW_CALLER_KEYS: '1' }, 71);
    // Also collect what reaches each sandbox (this catches the tokens of the `serve` subprocess).
    for (const s of [own, open, mixed]) {
      const inner = s.sandbox.handle;
      s.sandbox.handle = (request) => {
        const auth = request.headers.get('authorization');
        if (auth && auth.startsWith('Bearer ')) tokens.add(auth.slice('Bearer '.length));
        return inner(request);
      };
    }
  });
  after(async () => {
    for (const s of [own, open, mixed]) await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const req = async (stack, name, path, headers = {}, init = {}) => {
    const res = await fetch(`${stack.gw.url}${path}`, { headers: { 'X-API-Key': canaryApiKey, ...headers }, ...init });
    const text = await responseText(res);
    capture(name, text);
    return { status: res.status, text };
  };
  const raw = async (stack, name, request) => {
    const r = await rawSend(stack.gw.url, request);
    capture(name, r.text);
    return r;
  };

  test('successes: list, paging, read, raw, include, deprecated parameters, health', async () => {
    const first = await req(own, 'list', '/v1/apps?limit=10');
    assert.equal(first.status, 200);
    const next = JSON.parse(first.text.slice(first.text.indexOf('\n\n') + 2)).nextLink;
    assert.equal((await req(own, 'next page', next.slice(own.gw.url.length))).status, 200);
    const id = own.sandbox.catalogue.apps[3].id;
    assert.equal((await req(own, 'read', `/v1/apps/${id}`)).status, 200);
    assert.equal((await req(own, 'read raw', `/v1/apps/${id}?include=appStoreVersions`, { 'X-ASC-Format': 'raw' })).status, 200);
    assert.equal((await req(own, 'list include', '/v1/apps?include=appInfos&limit=3')).status, 200);
    assert.equal((await req(own, 'deprecated', '/v1/apps?exists[gameCenterEnabledVersions]=false&limit=1')).status, 200);
    assert.equal((await req(own, 'connector blank headers', '/v1/apps?limit=1', { 'X-ASC-Key-Type': 'team', 'X-ASC-Key-Id': '', 'X-ASC-Private-Key': '' })).status, 200);
    assert.equal((await req(own, 'healthz', '/healthz')).status, 200);
  });

  test('error paths: auth, routing, methods, query, headers, targets', async () => {
    const nearly = canaryApiKey.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const cases = [
      ['wrong API key (one character off)', '/v1/apps', { 'X-API-Key': nearly }, 401],
      ['API key prefix', '/v1/apps', { 'X-API-Key': canaryApiKey.slice(0, 20) }, 401],
      ['API key twice', '/v1/apps', { 'X-API-Key': `${canaryApiKey}, ${canaryApiKey}` }, 401],
      ['API key in the query', `/v1/apps?api_key=${canaryApiKey}`, { 'X-API-Key': '' }, 401],
      ['unknown route', '/v1/users', {}, 404],
      ['bad id', '/v1/apps/abc', {}, 400],
      ['unknown parameter', '/v1/apps?foo=1', {}, 400],
      ['malformed query', '/v1/apps?limit=%ff', {}, 400],
      ['bad format header', '/v1/apps', { 'X-ASC-Format': 'xml' }, 400],
      ['caller key refused (canary in the header)', '/v1/apps', callerKeyHeaders(canaryInd), 403],
      ['oversize private key header', '/v1/apps', { 'X-ASC-Private-Key': oneLine(canary.pem).repeat(80) }, 400],
    ];
    for (const [name, path, headers, status] of cases) assert.equal((await req(own, name, path, headers)).status, status, name);
    assert.equal((await req(own, 'POST', '/v1/apps', {}, { method: 'POST', body: canary.pem })).status, 405);
    const H = `Host: 127.0.0.1\r\nX-API-Key: ${canaryApiKey}\r\n`;
    assert.equal((await raw(own, 'absolute target', `GET http://evil.example/v1/apps HTTP/1.1\r\n${H}\r\n`)).status, 400);
    assert.equal((await raw(own, 'dot segments', `GET /v1/apps/../../x HTTP/1.1\r\n${H}\r\n`)).status, 400);
    assert.equal((await raw(own, 'CR in the private key header', `GET /v1/apps HTTP/1.1\r\n${H}X-ASC-Private-Key: ${oneLine(canary.pem)}\rX\r\n\r\n`)).status, 400);
    assert.equal((await raw(own, 'PEM lines as header lines', `GET /v1/apps HTTP/1.1\r\n${H}X-ASC-Private-Key: ${canary.pem.replace(/\n/g, '\r\n')}\r\n`)).status, 400);
    assert.equal((await raw(own, 'headers too large', `GET /v1/apps HTTP/1.1\r\n${H}X-Pad: ${pemBody(canary.pem).repeat(200)}\r\n\r\n`)).status, 431);
    assert.equal((await raw(own, 'CONNECT', `CONNECT evil.example:443 HTTP/1.1\r\n${H}\r\n`)).status, 405);
    assert.equal((await raw(own, 'TRACE', `TRACE /v1/apps HTTP/1.1\r\n${H}\r\n`)).status, 405);
  });

  test('upstream faults', async () => {
    const faults = [
      ['timeout', { latencyMs: 1000 }, 504], ['reset', { reset: true }, 502], ['truncated', { truncate: true }, 502],
      ['500', { status: 500 }, 502], ['503 retried', { status: 503 }, 200], ['429 storm', { rateLimitBurst: 5 }, 429],
      ['too large', { bodyBytes: 9 * 1024 * 1024 }, 502], ['html', { html: true }, 502], ['empty', { status: 200, body: '' }, 502],
      ['foreign next link', { nextLinkHost: 'evil.example' }, 502], ['401 then re-mint', { rejectToken: true }, 200],
      ['401 twice', { rejectToken: true, count: 2 }, 401],
    ];
    for (const [name, spec, status] of faults) {
      own.sandbox.faults.clear();
      own.sandbox.faults.next(spec);
      assert.equal((await req(own, `fault: ${name}`, '/v1/apps?limit=3')).status, status, name);
    }
    own.sandbox.faults.clear();
  });

  test('caller keys: canary team and individual keys, good and mangled', async () => {
    assert.equal((await req(open, 'caller team key', '/v1/apps?limit=2', callerKeyHeaders(canary))).status, 200);
    assert.equal((await req(open, 'caller individual key', '/v1/apps?limit=2', callerKeyHeaders(canaryInd))).status, 200);
    assert.equal((await req(open, 'caller key as bare base64', '/v1/apps?limit=2', { ...callerKeyHeaders(canary), 'X-ASC-Private-Key': pemBody(canary.pem) })).status, 200);
    open.sandbox.faults.next({ rejectToken: true, count: 2 });
    assert.equal((await req(open, 'caller key refused by Apple', '/v1/apps?limit=2', callerKeyHeaders(canary))).status, 401);
    const body = pemBody(canary.pem);
    const mid = Math.floor(body.length / 2);
    const mangled = [
      ['truncated', oneLine(canary.pem).slice(0, 120)],
      ['one character changed', oneLine(canary.pem).replace(body.slice(mid, mid + 4), body.slice(mid, mid + 4) === 'AAAA' ? 'BBBB' : 'AAAA')],
      ['garbage appended', `${oneLine(canary.pem)}garbage`],
      ['body cut short', body.slice(0, 60)],
      ['quoted', `"${oneLine(canary.pem)}"`],
    ];
    for (const [name, value] of mangled) {
      await req(open, `caller key ${name}`, '/v1/apps?limit=2', { ...callerKeyHeaders(canary), 'X-ASC-Private-Key': value });
    }
    const misplaced = [
      ['key body in X-ASC-Key-Id', { ...callerKeyHeaders(canary), 'X-ASC-Key-Id': body.slice(0, 120) }],
      ['key body in X-ASC-Issuer-Id', { ...callerKeyHeaders(canary), 'X-ASC-Issuer-Id': body.slice(0, 120) }],
      ['key body in X-ASC-Key-Type', { ...callerKeyHeaders(canary), 'X-ASC-Key-Type': body.slice(0, 30) }],
      ['key body in X-ASC-Format', { 'X-ASC-Format': body.slice(0, 30) }],
      ['individual with issuer', { ...callerKeyHeaders(canaryInd), 'X-ASC-Issuer-Id': canary.issuerId }],
      ['key without key id', { 'X-ASC-Private-Key': oneLine(canary.pem), 'X-ASC-Issuer-Id': canary.issuerId }],
    ];
    for (const [name, headers] of misplaced) {
      const r = await req(open, name, '/v1/apps?limit=2', headers);
      assert.equal(r.status, 400, name);
    }
    for (const [name, pem] of Object.entries(unusableKeys())) {
      await req(open, `unusable key ${name}`, '/v1/apps', { ...callerKeyHeaders(canary), 'X-ASC-Private-Key': oneLine(pem) });
    }
    assert.equal((await req(mixed, 'mixed: caller key', '/v1/apps?limit=1', callerKeyHeaders(canaryInd))).status, 200);
    assert.equal((await req(mixed, 'mixed: server key', '/v1/apps?limit=1')).status, 200);
  });

  test('configuration errors: loadConfig and handle(request, env)', async () => {
    const base = { GATEWAY_API_KEY: canaryApiKey, ASC_BASE_URL: 'http://127.0.0.1:9' };
    const body = pemBody(canary.pem);
    const bad = {
      'truncated key': { ...base, ...serverKeyEnv(canary), ASC_PRIVATE_KEY: canary.pem.slice(0, 150) },
      'key with one character changed': { ...base, ...serverKeyEnv(canary), ASC_PRIVATE_KEY: canary.pem.replace(body.slice(40, 44), body.slice(40, 44) === 'AAAA' ? 'BBBB' : 'AAAA') },
      'individual with issuer': { ...base, ...serverKeyEnv(canary), ASC_KEY_TYPE: 'individual' },
      'key in ASC_KEY_ID': { ...base, ...serverKeyEnv(canary), ASC_KEY_ID: canary.pem },
      'key in ASC_ISSUER_ID': { ...base, ...serverKeyEnv(canary), ASC_ISSUER_ID: canary.pem },
      'key in ASC_KEY_TYPE': { ...base, ...serverKeyEnv(canary), ASC_KEY_TYPE: body.slice(0, 40) },
      'key in a misspelt variable': { ...base, ASC_PRIVATE_KY: canary.pem },
      'key in GATEWAY_ALLOW_CALLER_KEYS': { ...base, GATEWAY_ALLOW_CALLER_KEYS: body },
      'key in ASC_BASE_URL': { ...base, ASC_BASE_URL: canary.pem },
      'key in PUBLIC_URL': { ...base, PUBLIC_URL: canary.pem },
      'both key sources': { ...base, ...serverKeyEnv(canary), ASC_PRIVATE_KEY_FILE: '/nonexistent.p8' },
      'API key with a space': { ...base, GATEWAY_API_KEY: ` ${canaryApiKey}` },
      'partial key': { ...base, ASC_PRIVATE_KEY: canary.pem },
      'wrong-curve key': { ...base, ...serverKeyEnv(canary), ASC_PRIVATE_KEY: unusableKeys().p384 },
    };
    for (const [name, env] of Object.entries(bad)) {
      let err;
      try {
        loadConfig(env, {});
      } catch (e) {
        err = e;
      }
      assert.ok(err, `${name}: refused`);
      capture(`loadConfig: ${name}`, err.message, JSON.stringify(err.problems), String(err), JSON.stringify(err));
      const logs = [];
      const res = await envHandle(new Request('http://gw.test/v1/apps', { headers: { 'X-API-Key': canaryApiKey } }), env, { log: (e) => logs.push(JSON.stringify(e)) });
      assert.equal(res.status, 500);
      capture(`handle(env): ${name}`, await responseText(res), ...logs);
    }
    const good = loadConfig({ ...base, ...serverKeyEnv(canary) });
    capture('config printed', JSON.stringify(good), JSON.stringify(good.summary), String(good));
  });

  test('serve: bad configurations exit 1 (subprocess and in-process); a real run logs requests', async () => {
    const keyFile = join(dir, 'AuthKey_CANARY.p8');
    writeFileSync(keyFile, canary.pem, { mode: 0o600 });
    const badEnvs = {
      'truncated key': { ASC_KEY_ID: canary.kid, ASC_ISSUER_ID: canary.issuerId, ASC_PRIVATE_KEY: canary.pem.slice(0, 150), GATEWAY_API_KEY: canaryApiKey },
      'both key sources': { ASC_KEY_ID: canary.kid, ASC_ISSUER_ID: canary.issuerId, ASC_PRIVATE_KEY: canary.pem, ASC_PRIVATE_KEY_FILE: keyFile, GATEWAY_API_KEY: canaryApiKey },
      'no API key on 0.0.0.0': { ASC_KEY_ID: canary.kid, ASC_ISSUER_ID: canary.issuerId, ASC_PRIVATE_KEY_FILE: keyFile, HOST: '0.0.0.0' },
      'key in ASC_KEY_ID': { ASC_KEY_ID: canary.pem, ASC_ISSUER_ID: canary.issuerId, ASC_PRIVATE_KEY_FILE: keyFile, GATEWAY_API_KEY: canaryApiKey },
    };
    for (const [name, env] of Object.entries(badEnvs)) {
      const r = await cli(['serve', '--port', '0'], { env });
      assert.equal(r.code, 1, `${name}: ${r.stderr.slice(0, 200)}`);
      capture(`serve subprocess: ${name}`, r.stdout, r.stderr);
    }
    const out = { stdout: new PassThrough(), stderr: new PassThrough(), text: '' };
    out.stdout.on('data', (c) => { out.text += c; });
    out.stderr.on('data', (c) => { out.text += c; });
    assert.equal(await serveCommand(['--port', '0'], { ...out, env: badEnvs['truncated key'] }), 1);
    capture('serve in-process: truncated key', out.text);

    // A real `serve` subprocess with the canary key file: requests, errors, then SIGTERM.
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      env: { PATH: process.env.PATH, ASC_KEY_ID: canary.kid, ASC_ISSUER_ID: canary.issuerId, ASC_PRIVATE_KEY_FILE: keyFile, GATEWAY_API_KEY: canaryApiKey, ASC_BASE_URL: own.sb.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const closed = new Promise((resolve) => child.on('close', resolve));
    try {
      for (let i = 0; i < 200 && !/listening on/.test(stderr); i += 1) await new Promise((r) => setTimeout(r, 25));
      const url = /listening on (http:\/\/\S+)/.exec(stderr)[1];
      const sub = { gw: { url } };
      assert.equal((await req(sub, 'serve run: list', '/v1/apps?limit=2')).status, 200);
      assert.equal((await req(sub, 'serve run: wrong API key', '/v1/apps', { 'X-API-Key': canaryApiKey.slice(1) })).status, 401);
      assert.equal((await req(sub, 'serve run: caller key refused', '/v1/apps', callerKeyHeaders(canaryInd))).status, 403);
      assert.equal((await req(sub, 'serve run: bad query', '/v1/apps?limit=0')).status, 400);
    } finally {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await closed;
      clearTimeout(timer);
    }
    assert.match(stdout, /"status":200/, 'request log lines were written');
    capture('serve subprocess: real run', stdout, stderr);
  });

  test('token and inspect errors never echo keys or tokens', async () => {
    const keyFile = join(dir, 'AuthKey_CANARY2.p8');
    writeFileSync(keyFile, canary.pem, { mode: 0o600 });
    const truncatedFile = join(dir, 'truncated.p8');
    writeFileSync(truncatedFile, canary.pem.slice(0, 150));
    const p384File = join(dir, 'p384.p8');
    writeFileSync(p384File, unusableKeys().p384);
    const team = ['--key-id', canary.kid, '--issuer-id', canary.issuerId];
    const env = { ASC_PRIVATE_KEY: canary.pem };
    const runs = [
      ['token: truncated key file', ['token', ...team, '--private-key-file', truncatedFile], {}],
      ['token: wrong curve', ['token', ...team, '--private-key-file', p384File], {}],
      ['token: lifetime too long', ['token', ...team, '--private-key-file', keyFile, '--lifetime', '5000'], {}],
      ['token: bad issuer (key from env)', ['token', '--key-id', canary.kid, '--issuer-id', 'nope'], { env }],
      ['token: bad key id (key from env)', ['token', '--key-id', 'bad id', '--issuer-id', canary.issuerId], { env }],
      ['token: key on stdin, truncated', ['token', ...team, '--private-key-file', '-'], { input: canary.pem.slice(0, 150) }],
      ['token: key body as a positional argument', ['token', ...team, pemBody(canary.pem)], {}],
      ['token: missing file', ['token', ...team, '--private-key-file', join(dir, 'missing.p8')], {}],
      ['token: unknown flag with the key in env', ['token', ...team, '--bogus'], { env }],
    ];
    const someToken = [...tokens][0];
    assert.ok(someToken, 'a token was collected');
    const tampered = `${someToken.slice(0, -6)}${someToken.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    runs.push(
      ['inspect: tampered token, key file to verify with', ['inspect', tampered, '--public-key-file', keyFile], {}],
      ['inspect: token on stdin, wrong-curve key file', ['inspect', '-', '--public-key-file', p384File], { input: someToken }],
      ['inspect: token with --json and a truncated key file', ['inspect', someToken, '--json', '--public-key-file', truncatedFile], {}],
      ['inspect: token cut in half', ['inspect', someToken.slice(0, Math.floor(someToken.length / 2))], {}],
      ['inspect: token with bearer prefix and --now far ahead', ['inspect', `Bearer ${someToken}`, '--now', '4000000000'], {}],
      ['inspect: unknown flag', ['inspect', someToken, '--bogus'], {}],
    );
    for (const [name, args, opts] of runs) {
      const r = await cli(args, opts);
      assert.notEqual(r.code, 0, `${name} fails`);
      capture(`cli ${name}`, r.stdout, r.stderr);
    }
  });

  test('a secret typed as a query parameter name is answered to its sender but never logged', async () => {
    const before = own.log.lines.length;
    const res = await fetch(`${own.gw.url}/v1/apps?${canaryApiKey}=1&limit=1`, { headers: { 'X-API-Key': canaryApiKey } });
    assert.equal(res.status, 400);
    await res.text(); // the planner names the unknown parameter back to the caller who sent it
    const line = own.log.lines.slice(before).join('\n');
    assert.deepEqual(JSON.parse(line).query, ['(unknown)', 'limit']);
    assert.deepEqual(scanForSecrets(line, { canaryApiKey }).hits, []);
    capture('API key as a parameter name (log only)', line);
  });

  test('a PEM pasted as a command-line argument is not echoed', async () => {
    const r = await cli(['token', '--key-id', canary.kid, '--issuer-id', canary.issuerId, canary.pem]);
    assert.equal(r.code, 2);
    const scan = scanForSecrets(r.stdout + r.stderr, { canaryPem: canary.pem });
    assert.deepEqual(scan.hits, [], 'the pasted key is echoed on stderr');
  });

  test('the scan: zero hits in everything captured', async (t) => {
    for (const s of [own, open, mixed]) corpus.push(...s.log.lines);
    const secrets = { canaryPem: canary.pem, canaryIndividualPem: canaryInd.pem, canaryApiKey };
    let i = 0;
    for (const tok of tokens) {
      i += 1;
      secrets[`token${i}`] = tok;
    }
    const text = corpus.join('\n');
    const { hits, windows } = scanForSecrets(text, secrets);
    // A PEM block anywhere (a BEGIN line followed by base64 key material) is a leak.
    const pemBlocks = text.match(/-----BEGIN [A-Z0-9 ]+-----\s*(?:\\n)?[A-Za-z0-9+/=]{16}/g) ?? [];
    // The key parser's guidance names PEM lines without dashes ('BEGIN PRIVATE KEY' line), so
    // nothing the gateway writes can trip a secret scanner's private-key rule.
    const begins = text.split('-----BEGIN').length - 1;
    const bytes = Buffer.byteLength(text);
    t.diagnostic(`secret scan: ${scenarios.length} scenarios, ${corpus.length} captured texts, ${bytes} bytes scanned, ${Object.keys(secrets).length} secrets (${tokens.size} tokens) as ${windows} distinct 16-character windows; hits: ${hits.length}; PEM blocks: ${pemBlocks.length}; "-----BEGIN": ${begins}`);
    assert.deepEqual(hits, [], 'secrets found (labels only)');
    // Same key + same second gives the same token (RFC 6979), so distinct tokens are fewer than mints.
    assert.ok(tokens.size >= 6, `tokens collected: ${tokens.size}`);
    assert.equal(pemBlocks.length, 0, 'no PEM block anywhere');
    assert.equal(begins, 0, 'no "-----BEGIN" anywhere in what the gateway wrote');
    assert.ok(scenarios.length >= 80, `${scenarios.length} scenarios`);
    // The scanner itself works: it finds a window of a token and of the key in a decoy text.
    const some = [...tokens][1];
    assert.deepEqual(scanForSecrets(`x${some.slice(-30, -14)}y`, secrets).hits, ['token2']); // from the signature
    assert.deepEqual(scanForSecrets(`..${pemBody(canary.pem).slice(101, 117)}..`, secrets).hits, ['canaryPem']);
  });
});
