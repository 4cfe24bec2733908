// The spec pack and planAnyRequest from JavaScript: the pack loads through `import` and `require`
// (asc-connector-wasm/spec-pack), in Node and in Deno (browser entry); a planned request comes back
// exactly; refusals are AscConnectorErrors with code, status and details naming each parameter or
// body field. The gateway route, CLI and sandbox that use it are built on top later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import specPack from 'asc-connector-wasm/spec-pack';
import { loadSpecPack, planAnyRequest } from 'asc-connector-wasm';

const require = createRequire(import.meta.url);

function refusal(request) {
  try {
    planAnyRequest(request);
  } catch (e) {
    return e;
  }
  assert.fail(`expected a refusal for ${JSON.stringify(request)}`);
}

test('planning before the pack is loaded is refused, then the pack loads once (import and require give the same text)', () => {
  const e = refusal({ method: 'GET', path: '/v1/apps' });
  assert.equal(e.code, 'SPEC_PACK_NOT_LOADED');
  assert.equal(e.status, 500);
  assert.equal(require('asc-connector-wasm/spec-pack'), specPack);
  assert.deepEqual(loadSpecPack(specPack), { spec: '4.4.1', operations: 1263 });
  assert.deepEqual(loadSpecPack('not a pack'), { spec: '4.4.1', operations: 1263 }, 'the first pack is kept');
});

test('a read and a write plan exactly; text and bytes of the request plan the same', () => {
  const read = { method: 'get', path: '/v1/apps/6446998023/appStoreVersions', query: { 'filter[platform]': ['IOS', 'MAC_OS'], limit: 50 } };
  const plan = planAnyRequest(read);
  assert.deepEqual(plan, {
    method: 'GET',
    path: '/v1/apps/6446998023/appStoreVersions',
    query: 'filter[platform]=IOS,MAC_OS&limit=50',
    body: null,
    operationId: 'apps_appStoreVersions_getToManyRelated',
    template: '/v1/apps/{id}/appStoreVersions',
    deprecations: [],
  });
  assert.deepEqual(planAnyRequest(JSON.stringify(read)), plan);
  assert.deepEqual(planAnyRequest(new TextEncoder().encode(JSON.stringify(read))), plan);
  const body = { data: { type: 'betaTesters', attributes: { email: 'ada@example.com' }, relationships: { betaGroups: { data: [{ type: 'betaGroups', id: 'g1' }] } } } };
  const write = planAnyRequest({ method: 'POST', path: '/v1/betaTesters', body });
  assert.equal(write.body, JSON.stringify(body));
  assert.equal(write.operationId, 'betaTesters_createInstance');
});

test('every problem at once, each naming its parameter or field; statuses 400/404/405', () => {
  const e = refusal({
    method: 'POST',
    path: '/v1/betaTesters',
    query: { limit: 5 },
    body: { data: { type: 'betaTester', attributes: { email: 'ada@example.com', frstName: 'Ada' }, relationships: { betaGroups: { data: [] } } } },
  });
  assert.equal(e.name, 'AscConnectorError');
  assert.equal(e.code, 'REQUEST_INVALID');
  assert.equal(e.status, 400);
  assert.deepEqual(e.details.map((d) => [d.code, d.parameter]), [
    ['PARAMETER_UNKNOWN', 'limit'],
    ['FIELD_ENUM_INVALID', 'data.type'],
    ['FIELD_UNKNOWN', 'data.attributes.frstName'],
    ['ID_LIST_EMPTY', 'data.relationships.betaGroups.data'],
  ]);
  assert.match(e.details[2].message, /did you mean firstName\?/);
  const missing = refusal({ method: 'GET', path: '/v1/betaTesterz' });
  assert.equal(missing.status, 404);
  assert.match(missing.message, /GET,POST \/v1\/betaTesters/);
  const method = refusal({ method: 'PUT', path: '/v1/betaTesters/1' });
  assert.equal(method.status, 405);
  assert.match(method.message, /allowed: GET, DELETE/);
  assert.equal(refusal('{"method":"GET","method":"GET","path":"/v1/apps"}').code, 'BODY_DUPLICATE_KEY');
  for (const p of ['//evil.example/v1/apps', 'https://evil.example/v1/apps', '/v1/apps/..', '/v1/apps%2F1', '/v1/apps\\1']) {
    assert.equal(refusal({ method: 'GET', path: p }).code, 'REQUEST_TARGET_INVALID', p);
  }
});

const DENO = new URL('../node_modules/@deno/linux-x64-glibc/deno', import.meta.url);
test('Deno: the browser entry and spec-pack.mjs load without a bundler and plan', { skip: !existsSync(DENO) && 'no deno', timeout: 60_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'asc-pack-deno-'));
  try {
    const script = path.join(dir, 'plan.mjs');
    const pkgDir = new URL('../../pkg/', import.meta.url);
    writeFileSync(script, `
import specPack from ${JSON.stringify(new URL('spec-pack.mjs', pkgDir).href)};
import { loadSpecPack, planAnyRequest } from ${JSON.stringify(new URL('index.browser.mjs', pkgDir).href)};
loadSpecPack(specPack);
console.log(JSON.stringify(planAnyRequest({ method: 'DELETE', path: '/v1/betaGroups/g1/relationships/betaTesters', body: { data: [{ type: 'betaTesters', id: 't1' }] } })));
`);
    const r = spawnSync(DENO.pathname, ['run', '--allow-read', '--no-prompt', script], {
      cwd: dir, encoding: 'utf8', timeout: 45_000,
      env: { PATH: process.env.PATH, HOME: dir, DENO_DIR: path.join(dir, 'deno-cache'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    assert.equal(r.status, 0, r.stderr.slice(0, 2000));
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.operationId, 'betaGroups_betaTesters_deleteToManyRelationship');
    assert.equal(plan.body, '{"data":[{"type":"betaTesters","id":"t1"}]}');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
