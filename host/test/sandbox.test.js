// Tests for the sandbox (host/src/sandbox): Apple's token rules, checked one at a time with tokens built by jose
// (and node:crypto for the DER case); paging, include, filters, sort, sparse fieldsets and Apple's error bodies;
// X-Rate-Limit; every fault kind; the Node server layer and the `sandbox` command. Throwaway keys are generated
// here; tokens and keys are never printed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SignJWT, importPKCS8 } from 'jose';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { createSandbox, DEFAULT_PAGE_SIZE } from '../src/sandbox/sandbox.js';
import { startSandbox } from '../src/sandbox/server.js';
import { specTables } from '../src/sandbox/spec.js';
import { run as runSandboxCommand } from '../src/commands/sandbox.js';

const NOW = 1_750_000_000;
const ISSUER = '57246542-96fe-1a63-e053-0824d011072a';
const ORIGIN = 'http://sandbox.test';
const APPLE_401 = {
  errors: [{
    status: '401',
    code: 'NOT_AUTHORIZED',
    title: 'Authentication credentials are missing or invalid.',
    detail: 'Provide a properly configured and signed bearer token, and make sure that it has not expired. Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens',
  }],
};
const APPLE_429 = {
  errors: [{
    status: '429',
    code: 'RATE_LIMIT_EXCEEDED',
    title: 'The request rate limit has been reached.',
    detail: "We've received too many requests for this API. Please wait and try again or slow down your request rate.",
  }],
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function makeKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    spki: publicKey.export({ type: 'spki', format: 'pem' }),
  };
}

const team = makeKey();
const individual = makeKey();
const other = makeKey();
const forbidden = makeKey();
let teamJose;
let individualJose;
let otherJose;
let forbiddenJose;

before(async () => {
  teamJose = await importPKCS8(team.pkcs8, 'ES256');
  individualJose = await importPKCS8(individual.pkcs8, 'ES256');
  otherJose = await importPKCS8(other.pkcs8, 'ES256');
  forbiddenJose = await importPKCS8(forbidden.pkcs8, 'ES256');
});

function keys() {
  return [
    { kid: 'TEAMKEY001', publicKeyPem: team.spki, issuerId: ISSUER },
    { kid: 'INDIVKEY01', publicKeyPem: individual.spki, individual: true },
    { kid: 'FORBIDKEY1', publicKeyPem: forbidden.spki, issuerId: ISSUER, forbidden: true },
  ];
}

/** Signs a token with jose. `claims` replaces the default payload fields; `header` extends the header. */
async function token({ key, kid = 'TEAMKEY001', header = {}, claims } = {}) {
  const payload = claims ?? { iss: ISSUER, iat: NOW - 60, exp: NOW + 600, aud: 'appstoreconnect-v1' };
  const h = { alg: 'ES256', kid, typ: 'JWT', ...header };
  return new SignJWT(payload).setProtectedHeader(h).sign(key ?? teamJose);
}

function request(path, tok, init = {}) {
  const headers = new Headers(init.headers ?? {});
  if (tok !== undefined) headers.set('authorization', `Bearer ${tok}`);
  return new Request(`${ORIGIN}${path}`, { method: init.method ?? 'GET', headers });
}

async function get(sandbox, path, tok) {
  const res = await sandbox.handle(request(path, tok));
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { res, status: res.status, body, text };
}

function newSandbox(extra = {}) {
  let t = NOW;
  const sandbox = createSandbox({ keys: keys(), now: () => t, ...extra });
  sandbox.setNow = (v) => {
    t = v;
  };
  return sandbox;
}

describe('token verification', () => {
  test('a good team token and a good individual token are accepted', async () => {
    const sb = newSandbox();
    const teamResult = await get(sb, '/v1/apps', await token());
    assert.equal(teamResult.status, 200);
    const indiv = await token({ key: individualJose, kid: 'INDIVKEY01', claims: { sub: 'user', iat: NOW - 60, exp: NOW + 900, aud: 'appstoreconnect-v1' } });
    const indivResult = await get(sb, '/v1/apps', indiv);
    assert.equal(indivResult.status, 200);
    assert.equal(sb.stats.rejectedTokens, 0);
    assert.equal(sb.stats.acceptedTokens, 2);
  });

  test('boundaries that Apple allows pass: exp − iat = 1200, exp − now = 1200, iat = now + 5, no typ', async () => {
    const sb = newSandbox();
    const cases = [
      { claims: { iss: ISSUER, iat: NOW - 600, exp: NOW + 600, aud: 'appstoreconnect-v1' } },
      { claims: { iss: ISSUER, iat: NOW, exp: NOW + 1200, aud: 'appstoreconnect-v1' } },
      { claims: { iss: ISSUER, iat: NOW + 5, exp: NOW + 600, aud: 'appstoreconnect-v1' } },
      { header: { typ: undefined } },
    ];
    for (const c of cases) {
      const r = await get(sb, '/v1/apps?limit=1', await token(c));
      assert.equal(r.status, 200, `expected 200 for ${JSON.stringify(c)}, rejection ${sb.stats.lastRejection}`);
    }
  });

  const base = { iss: ISSUER, iat: NOW - 60, exp: NOW + 600, aud: 'appstoreconnect-v1' };
  const violations = [
    ['alg is not ES256 (HS256)', 'ALG_NOT_ES256', async () => new SignJWT(base).setProtectedHeader({ alg: 'HS256', kid: 'TEAMKEY001', typ: 'JWT' }).sign(new Uint8Array(32).fill(7))],
    ['typ is not JWT', 'TYP_NOT_JWT', () => token({ header: { typ: 'JOSE+JSON' } })],
    ['kid unknown', 'KID_UNKNOWN', () => token({ kid: 'NOSUCHKEY1' })],
    ['aud wrong', 'AUD_INVALID', () => token({ claims: { ...base, aud: 'appstoreconnect-v2' } })],
    ['exp − iat = 1201', 'LIFETIME_OVER_1200', () => token({ claims: { ...base, iat: NOW - 600, exp: NOW + 601 } })],
    ['exp − now = 1201', 'EXP_TOO_FAR_AHEAD', () => token({ claims: { ...base, iat: NOW + 5, exp: NOW + 1201 } })],
    ['iat in the future (now + 30)', 'IAT_IN_FUTURE', () => token({ claims: { ...base, iat: NOW + 30, exp: NOW + 600 } })],
    ['expired (exp = now)', 'EXPIRED', () => token({ claims: { ...base, iat: NOW - 900, exp: NOW } })],
    ['expired long ago', 'EXPIRED', () => token({ claims: { ...base, iat: NOW - 4000, exp: NOW - 3000 } })],
    ['iat missing', 'IAT_NOT_NUMBER', () => token({ claims: { iss: ISSUER, exp: NOW + 600, aud: 'appstoreconnect-v1' } })],
    ['exp is a string', 'EXP_NOT_NUMBER', () => token({ claims: { ...base, exp: String(NOW + 600) } })],
    ['team key with iss and sub', 'SUB_WITH_TEAM_KEY', () => token({ claims: { ...base, sub: 'user' } })],
    ['team key with wrong iss', 'ISS_MISMATCH', () => token({ claims: { ...base, iss: '69a6de70-43dc-47e3-e053-5b8c7c11a4d1' } })],
    ['team key without iss', 'ISS_MISMATCH', () => token({ claims: { iat: NOW - 60, exp: NOW + 600, aud: 'appstoreconnect-v1' } })],
    ['individual key with sub other than user', 'SUB_NOT_USER', () => token({ key: individualJose, kid: 'INDIVKEY01', claims: { sub: 'admin', iat: NOW - 60, exp: NOW + 600, aud: 'appstoreconnect-v1' } })],
    ['individual key with iss and sub', 'ISS_WITH_INDIVIDUAL_KEY', () => token({ key: individualJose, kid: 'INDIVKEY01', claims: { ...base, sub: 'user' } })],
    ['signed by another key under a known kid', 'SIGNATURE_INVALID', () => token({ key: otherJose })],
    ['signature bytes altered', 'SIGNATURE_INVALID', async () => {
      const t = await token();
      const [h, p, s] = t.split('.');
      const bytes = Buffer.from(s, 'base64url');
      bytes[10] ^= 0x01;
      return `${h}.${p}.${bytes.toString('base64url')}`;
    }],
    ['payload altered after signing', 'SIGNATURE_INVALID', async () => {
      const t = await token();
      const [h, , s] = t.split('.');
      const p = Buffer.from(JSON.stringify({ ...base, exp: NOW + 700 })).toString('base64url');
      return `${h}.${p}.${s}`;
    }],
    ['DER signature (node:crypto sign, default encoding)', 'SIGNATURE_NOT_RAW_64_BYTES', async () => {
      const h = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'TEAMKEY001', typ: 'JWT' })).toString('base64url');
      const p = Buffer.from(JSON.stringify(base)).toString('base64url');
      const der = nodeSign('sha256', Buffer.from(`${h}.${p}`), team.privateKey);
      assert.ok(der.length >= 68 && der.length <= 72, 'node:crypto default is DER');
      return `${h}.${p}.${der.toString('base64url')}`;
    }],
    ['scope does not match the request', 'SCOPE_MISMATCH', () => token({ claims: { ...base, scope: ['GET /v1/apps/123'] } })],
    ['scope query differs', 'SCOPE_MISMATCH', () => token({ claims: { ...base, scope: ['GET /v1/apps?filter[platform]=IOS'] } })],
    ['scope is not an array', 'SCOPE_NOT_ARRAY', () => token({ claims: { ...base, scope: 'GET /v1/apps' } })],
    ['two parts only', 'TOKEN_NOT_THREE_PARTS', async () => (await token()).split('.').slice(0, 2).join('.')],
  ];
  for (const [name, reason, make] of violations) {
    test(`rejects: ${name} → 401 with Apple's body`, async () => {
      const sb = newSandbox();
      const r = await get(sb, '/v1/apps?limit=5', await make());
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, APPLE_401);
      assert.equal(r.res.headers.get('content-type'), 'application/json');
      assert.equal(sb.stats.rejectedTokens, 1);
      assert.equal(sb.stats.lastRejection, reason);
    });
  }

  test('missing or non-Bearer Authorization → 401 with Apple body', async () => {
    const sb = newSandbox();
    const none = await get(sb, '/v1/apps');
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, APPLE_401);
    assert.equal(sb.stats.lastRejection, 'AUTH_HEADER_MISSING');
    const basic = await sb.handle(new Request(`${ORIGIN}/v1/apps`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    assert.equal(basic.status, 401);
    assert.equal(sb.stats.lastRejection, 'AUTH_NOT_BEARER');
    // The 401 body never says which rule failed.
    assert.ok(!JSON.stringify(await basic.json()).includes('BEARER'));
  });

  test('scope matches ignoring parameter order, limit, cursor and sort; other paths are refused', async () => {
    const sb = newSandbox();
    const t = await token({ claims: { ...base, scope: ['GET /v1/apps?filter[platform]=IOS', 'GET /v1/apps?include=appInfos&filter[bundleId]=com.example.a,com.example.b'] } });
    const ok = await get(sb, '/v1/apps?limit=3&filter%5BbundleId%5D=com.example.a,com.example.b&sort=-name&include=appInfos', t);
    assert.equal(ok.status, 200, sb.stats.lastRejection);
    const plain = await get(sb, '/v1/apps?limit=3', t);
    assert.equal(plain.status, 401);
    assert.equal(sb.stats.lastRejection, 'SCOPE_MISMATCH');
    const appId = sb.catalogue.apps[0].id;
    const one = await token({ claims: { ...base, scope: [`GET /v1/apps/${appId}`] } });
    assert.equal((await get(sb, `/v1/apps/${appId}`, one)).status, 200);
    assert.equal((await get(sb, `/v1/apps/${sb.catalogue.apps[1].id}`, one)).status, 401);
  });

  test('stats count distinct tokens by hash and never keep the token text', async () => {
    const sb = newSandbox();
    const a = await token();
    const b = await token({ claims: { ...base, exp: NOW + 601 } });
    await get(sb, '/v1/apps?limit=1', a);
    await get(sb, '/v1/apps?limit=1', a);
    await get(sb, '/v1/apps?limit=1', b);
    assert.equal(sb.stats.tokensSeen, 2);
    assert.equal(sb.stats.requests, 3);
    assert.deepEqual(sb.stats.byPath, { '/v1/apps': 3 });
    const dump = JSON.stringify(sb.stats);
    assert.ok(!dump.includes(a.split('.')[2]) && !dump.includes(b.split('.')[2]));
  });
});

describe('data and responses', () => {
  let sb;
  let tok;
  before(async () => {
    sb = newSandbox();
    tok = await token();
  });

  test('the catalogue is deterministic, realistic and complete', () => {
    const again = createSandbox({ keys: [], seed: 1 });
    assert.deepEqual(again.catalogue.apps, sb.catalogue.apps);
    const different = createSandbox({ keys: [], seed: 2 });
    assert.notDeepEqual(different.catalogue.apps.map((a) => a.id), sb.catalogue.apps.map((a) => a.id));
    const apps = sb.catalogue.apps;
    assert.equal(apps.length, 30);
    const attrs = ['accessibilityUrl', 'name', 'bundleId', 'sku', 'primaryLocale', 'isOrEverWasMadeForKids', 'subscriptionStatusUrl',
      'subscriptionStatusUrlVersion', 'subscriptionStatusUrlForSandbox', 'subscriptionStatusUrlVersionForSandbox', 'contentRightsDeclaration',
      'streamlinedPurchasingEnabled'];
    for (const a of apps) {
      assert.deepEqual(Object.keys(a.attributes), attrs);
      assert.match(a.id, /^\d{10}$/);
      assert.match(a.attributes.bundleId, /^com\.example\.[a-z0-9]+$/);
      assert.ok(a.versionIds.length >= 1 && a.versionIds.length <= 3);
      assert.ok(a.appInfoIds.length >= 1 && a.appInfoIds.length <= 2);
      for (const v of a.versionIds) assert.match(v, UUID);
    }
    for (const field of ['id']) assert.equal(new Set(apps.map((a) => a[field])).size, 30);
    for (const field of ['name', 'bundleId', 'sku']) assert.equal(new Set(apps.map((a) => a.attributes[field])).size, 30);
    assert.ok(apps.some((a) => a.attributes.accessibilityUrl === null), 'some nulls, as Apple sends them');
    assert.ok(new Set(apps.map((a) => a.attributes.primaryLocale)).size > 3);
  });

  test('GET /v1/apps pages over all 30 apps with opaque cursors, no duplicates and none missing', async () => {
    const seen = [];
    let url = `${ORIGIN}/v1/apps?limit=7`;
    let pages = 0;
    while (url) {
      assert.ok(url.startsWith(`${ORIGIN}/v1/apps?`), 'links.next stays on the sandbox origin');
      const r = await get(sb, url.slice(ORIGIN.length), tok);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.meta, { paging: { total: 30, limit: 7 } });
      assert.equal(r.body.links.self, url);
      seen.push(...r.body.data.map((d) => d.id));
      pages += 1;
      url = r.body.links.next;
      if (url) {
        const next = new URL(url);
        assert.equal(next.searchParams.get('limit'), '7', 'next carries the original parameters');
        assert.ok(next.searchParams.get('cursor'));
      }
      assert.ok(pages < 10);
    }
    assert.equal(pages, 5);
    assert.equal(seen.length, 30);
    assert.deepEqual(new Set(seen), new Set(sb.catalogue.apps.map((a) => a.id)));
  });

  test('an app resource has Apple\'s shape and link patterns', async () => {
    const r = await get(sb, '/v1/apps?limit=1', tok);
    const app = r.body.data[0];
    assert.equal(app.type, 'apps');
    assert.deepEqual(app.links, { self: `${ORIGIN}/v1/apps/${app.id}` });
    const rels = app.relationships;
    assert.equal(Object.keys(rels).length, 42, 'all link-bearing relationships; appStoreIcon has no links');
    assert.deepEqual(rels.appStoreVersions, {
      links: { self: `${ORIGIN}/v1/apps/${app.id}/relationships/appStoreVersions`, related: `${ORIGIN}/v1/apps/${app.id}/appStoreVersions` },
    });
    assert.deepEqual(rels.betaTesters, { links: { self: `${ORIGIN}/v1/apps/${app.id}/relationships/betaTesters` } });
    assert.deepEqual(rels.perfPowerMetrics, { links: { related: `${ORIGIN}/v1/apps/${app.id}/perfPowerMetrics` } });
    assert.equal(r.body.included, undefined);
  });

  test(`limit defaults to ${DEFAULT_PAGE_SIZE}; limit and cursor are validated`, async () => {
    const all = await get(sb, '/v1/apps', tok);
    assert.equal(all.body.data.length, 30);
    assert.equal(all.body.links.next, undefined);
    assert.deepEqual(all.body.meta.paging, { total: 30, limit: DEFAULT_PAGE_SIZE });
    assert.equal(all.body.links.self, `${ORIGIN}/v1/apps`);
    for (const bad of ['201', '0', 'ten', '-1']) {
      const r = await get(sb, `/v1/apps?limit=${bad}`, tok);
      assert.equal(r.status, 400, `limit=${bad}`);
      assert.equal(r.body.errors[0].code, 'PARAMETER_ERROR.INVALID');
      assert.deepEqual(r.body.errors[0].source, { parameter: 'limit' });
    }
    assert.equal((await get(sb, '/v1/apps?limit=200', tok)).status, 200);
    const first = await get(sb, '/v1/apps?limit=10', tok);
    const cursor = new URL(first.body.links.next).searchParams.get('cursor');
    const [payload, sum] = cursor.split('.');
    const forged = `${Buffer.from('o:20').toString('base64url')}.${sum}`;
    assert.notEqual(`${payload}.${sum}`, forged);
    for (const bad of ['garbage', forged, `${payload}.AAAAAA`, `${payload}`]) {
      const r = await get(sb, `/v1/apps?limit=10&cursor=${encodeURIComponent(bad)}`, tok);
      assert.equal(r.status, 400, `cursor ${bad}`);
      assert.equal(r.body.errors[0].code, 'PARAMETER_ERROR.INVALID');
      assert.deepEqual(r.body.errors[0].source, { parameter: 'cursor' });
    }
  });

  test('include=appStoreVersions,appInfos adds linkage, paging meta and exactly the linked resources', async () => {
    const r = await get(sb, '/v1/apps?limit=30&include=appStoreVersions,appInfos&limit[appStoreVersions]=1', tok);
    assert.equal(r.status, 200);
    const included = new Map(r.body.included.map((i) => [`${i.type}/${i.id}`, i]));
    assert.equal(included.size, r.body.included.length, 'no duplicates in included');
    const linked = new Set();
    for (const app of r.body.data) {
      const rec = sb.catalogue.apps.find((a) => a.id === app.id);
      const v = app.relationships.appStoreVersions;
      assert.deepEqual(v.meta, { paging: { total: rec.versionIds.length, limit: 1 } });
      assert.deepEqual(v.data, [{ type: 'appStoreVersions', id: rec.versionIds[0] }]);
      const i = app.relationships.appInfos;
      assert.deepEqual(i.data.map((d) => d.id), rec.appInfoIds);
      for (const d of [...v.data, ...i.data]) linked.add(`${d.type}/${d.id}`);
      assert.equal(app.relationships.builds.data, undefined, 'not included → links only');
    }
    assert.deepEqual(new Set(included.keys()), linked);
    const version = r.body.included.find((x) => x.type === 'appStoreVersions');
    assert.deepEqual(Object.keys(version.attributes), ['platform', 'versionString', 'appStoreState', 'appVersionState', 'copyright', 'reviewType', 'releaseType', 'earliestReleaseDate', 'usesIdfa', 'downloadable', 'createdDate']);
    assert.match(version.attributes.createdDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-07:00$/);
    assert.equal(version.links.self, `${ORIGIN}/v1/appStoreVersions/${version.id}`);
    assert.deepEqual(version.relationships.build.links, {
      self: `${ORIGIN}/v1/appStoreVersions/${version.id}/relationships/build`,
      related: `${ORIGIN}/v1/appStoreVersions/${version.id}/build`,
    });
    const info = r.body.included.find((x) => x.type === 'appInfos');
    assert.ok('state' in info.attributes && 'appStoreAgeRating' in info.attributes);
    assert.equal(info.links.self, `${ORIGIN}/v1/appInfos/${info.id}`);
    const tooMany = await get(sb, '/v1/apps?include=appStoreVersions&limit[appStoreVersions]=51', tok);
    assert.equal(tooMany.status, 400);
    const badInclude = await get(sb, '/v1/apps?include=bananas', tok);
    assert.equal(badInclude.status, 400);
    assert.equal(badInclude.body.errors[0].code, 'PARAMETER_ERROR.INVALID');
  });

  test('filters: exact comma OR-lists on bundleId, name, sku, id; platform through versions', async () => {
    const [a, b, c] = sb.catalogue.apps;
    const byBundle = await get(sb, `/v1/apps?filter[bundleId]=${a.attributes.bundleId},${b.attributes.bundleId}`, tok);
    assert.deepEqual(byBundle.body.data.map((d) => d.id).sort(), [a.id, b.id].sort());
    assert.equal(byBundle.body.meta.paging.total, 2);
    const byName = await get(sb, `/v1/apps?filter[name]=${encodeURIComponent(c.attributes.name)}`, tok);
    assert.deepEqual(byName.body.data.map((d) => d.id), [c.id]);
    const partial = await get(sb, `/v1/apps?filter[name]=${encodeURIComponent(c.attributes.name.slice(0, 4))}`, tok);
    assert.equal(partial.body.data.length, 0, 'exact match only');
    const bySku = await get(sb, `/v1/apps?filter[sku]=${b.attributes.sku}`, tok);
    assert.deepEqual(bySku.body.data.map((d) => d.id), [b.id]);
    const byId = await get(sb, `/v1/apps?filter[id]=${c.id},${a.id},999`, tok);
    assert.deepEqual(byId.body.data.map((d) => d.id).sort(), [a.id, c.id].sort());
    for (const platform of ['IOS', 'MAC_OS']) {
      const expected = sb.catalogue.apps
        .filter((app) => app.versionIds.some((v) => sb.catalogue.versions.get(v).attributes.platform === platform))
        .map((app) => app.id);
      const r = await get(sb, `/v1/apps?filter[appStoreVersions.platform]=${platform}`, tok);
      assert.deepEqual(r.body.data.map((d) => d.id), expected);
    }
    const lower = await get(sb, '/v1/apps?filter[appStoreVersions.platform]=ios', tok);
    assert.equal(lower.status, 400, 'enum values are case-sensitive');
    const unknown = await get(sb, '/v1/apps?filter[emaill]=x', tok);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.errors[0].code, 'PARAMETER_ERROR.INVALID');
    assert.equal(unknown.body.errors[0].detail, "'emaill' is not a valid filter type");
    assert.deepEqual(unknown.body.errors[0].source, { parameter: 'filter[emaill]' });
  });

  test('sort by name, -name, bundleId, -bundleId, sku, -sku', async () => {
    const cmp = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
    for (const key of ['name', 'bundleId', 'sku']) {
      const expected = sb.catalogue.apps.map((a) => a.attributes[key]).sort(cmp);
      const up = await get(sb, `/v1/apps?sort=${key}`, tok);
      assert.deepEqual(up.body.data.map((d) => d.attributes[key]), expected);
      const down = await get(sb, `/v1/apps?sort=-${key}`, tok);
      assert.deepEqual(down.body.data.map((d) => d.attributes[key]), [...expected].reverse());
    }
    const paged = [];
    let url = '/v1/apps?sort=-name&limit=8';
    while (url) {
      const r = await get(sb, url, tok);
      paged.push(...r.body.data.map((d) => d.attributes.name));
      url = r.body.links.next ? r.body.links.next.slice(ORIGIN.length) : null;
    }
    assert.deepEqual(paged, sb.catalogue.apps.map((a) => a.attributes.name).sort(cmp).reverse(), 'sort holds across pages');
    assert.equal((await get(sb, '/v1/apps?sort=createdDate', tok)).status, 400);
  });

  test('fields[apps] returns only the named attributes and relationships', async () => {
    const r = await get(sb, '/v1/apps?limit=3&fields[apps]=name,bundleId', tok);
    for (const app of r.body.data) {
      assert.deepEqual(Object.keys(app.attributes), ['name', 'bundleId']);
      assert.equal(app.relationships, undefined);
      assert.ok(app.links.self);
    }
    const withRel = await get(sb, '/v1/apps?limit=2&fields[apps]=sku,appStoreVersions&include=appStoreVersions&fields[appStoreVersions]=versionString,platform', tok);
    for (const app of withRel.body.data) {
      assert.deepEqual(Object.keys(app.attributes), ['sku']);
      assert.deepEqual(Object.keys(app.relationships), ['appStoreVersions']);
    }
    for (const v of withRel.body.included) assert.deepEqual(Object.keys(v.attributes), ['platform', 'versionString']);
    assert.equal((await get(sb, '/v1/apps?fields[apps]=colour', tok)).status, 400);
  });

  test('GET /v1/apps/{id}: AppResponse, include, 404 NOT_FOUND, and only its own parameters', async () => {
    const app = sb.catalogue.apps[4];
    const r = await get(sb, `/v1/apps/${app.id}`, tok);
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body), ['data', 'links']);
    assert.equal(r.body.data.id, app.id);
    assert.equal(r.body.data.attributes.name, app.attributes.name);
    assert.deepEqual(r.body.links, { self: `${ORIGIN}/v1/apps/${app.id}` });
    const inc = await get(sb, `/v1/apps/${app.id}?include=appStoreVersions,appInfos`, tok);
    assert.equal(inc.body.included.length, app.versionIds.length + app.appInfoIds.length);
    assert.equal(inc.body.meta, undefined);
    const missing = await get(sb, '/v1/apps/9999999999', tok);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors.length, 1);
    const e = missing.body.errors[0];
    assert.match(e.id, UUID);
    assert.deepEqual({ ...e, id: undefined }, {
      id: undefined, status: '404', code: 'NOT_FOUND', title: 'The specified resource does not exist', detail: "There is no resource of type 'AppsV1' with id '9999999999'",
    });
    for (const param of ['sort=name', 'limit=5', 'filter[name]=x', 'cursor=abc']) {
      const bad = await get(sb, `/v1/apps/${app.id}?${param}`, tok);
      assert.equal(bad.status, 400, param);
    }
    const sortErr = (await get(sb, `/v1/apps/${app.id}?sort=name`, tok)).body.errors[0];
    assert.equal(sortErr.code, 'PARAMETER_ERROR.ILLEGAL');
    assert.deepEqual(sortErr.source, { parameter: 'sort' });
  });

  test('unknown parameter → 400 PARAMETER_ERROR.ILLEGAL; unknown path → 404 PATH_ERROR; other methods → 405', async () => {
    const illegal = await get(sb, '/v1/apps?foo=1', tok);
    assert.equal(illegal.status, 400);
    assert.equal(illegal.body.errors[0].code, 'PARAMETER_ERROR.ILLEGAL');
    assert.equal(illegal.body.errors[0].status, '400');
    assert.deepEqual(illegal.body.errors[0].source, { parameter: 'foo' });
    const twice = await get(sb, '/v1/apps?limit=2&limit=3', tok);
    assert.equal(twice.status, 400);
    const path = await get(sb, '/v1/bananas', tok);
    assert.equal(path.status, 404);
    assert.equal(path.body.errors[0].code, 'PATH_ERROR');
    const nested = await get(sb, '/v1/apps/123/bananas', tok);
    assert.equal(nested.body.errors[0].code, 'PATH_ERROR');
    const post = await sb.handle(request('/v1/apps', tok, { method: 'POST' }));
    assert.equal(post.status, 405);
    assert.equal((await post.json()).errors[0].code, 'METHOD_NOT_ALLOWED');
    assert.equal(post.headers.get('allow'), 'GET');
  });

  test('every other operation of Apple\'s full spec gets a generated, well-formed answer (generic.js)', async () => {
    // A related list the catalogue has no data for: an empty page.
    const builds = await get(sb, '/v1/apps/123/builds?limit=5', tok);
    assert.equal(builds.status, 200);
    assert.deepEqual(builds.body.data, []);
    assert.equal(builds.body.meta.paging.total, 0);
    assert.equal(builds.body.links.self, `${ORIGIN}/v1/apps/123/builds?limit=5`);
    // One resource, generated from the response schema: its type, the path's id, every attribute.
    const user = await get(sb, '/v1/users/u-1', tok);
    assert.equal(user.status, 200);
    assert.equal(user.body.data.type, 'users');
    assert.equal(user.body.data.id, 'u-1');
    assert.ok('username' in user.body.data.attributes && 'roles' in user.body.data.attributes);
    // A create: 201 with the request's attributes; a delete: 204 without a body.
    const send = (path, method, body) => sb.handle(new Request(`${ORIGIN}${path}`, { method, headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body }));
    const created = await send('/v1/betaTesters', 'POST', JSON.stringify({ data: { type: 'betaTesters', attributes: { email: 'ada@example.com' } } }));
    assert.equal(created.status, 201);
    const doc = await created.json();
    assert.equal(doc.data.type, 'betaTesters');
    assert.equal(doc.data.attributes.email, 'ada@example.com');
    const deleted = await send(`/v1/betaTesters/${doc.data.id}`, 'DELETE');
    assert.equal(deleted.status, 204);
    assert.equal(await deleted.text(), '');
    // Apple's rules still hold: a parameter the operation does not have, a create without a body.
    const illegal = await get(sb, '/v1/users?foo=1', tok);
    assert.equal(illegal.status, 400);
    assert.equal(illegal.body.errors[0].code, 'PARAMETER_ERROR.ILLEGAL');
    assert.equal((await send('/v1/betaTesters', 'POST')).status, 400);
    // Without a valid token nothing is answered.
    assert.equal((await get(sb, '/v1/users/u-1', 'not-a-token')).status, 401);
  });

  test('a key configured as forbidden gets Apple\'s 403 FORBIDDEN_ERROR', async () => {
    const t = await token({ key: forbiddenJose, kid: 'FORBIDKEY1' });
    const r = await get(sb, '/v1/apps', t);
    assert.equal(r.status, 403);
    const e = r.body.errors[0];
    assert.match(e.id, UUID);
    assert.equal(e.code, 'FORBIDDEN_ERROR');
    assert.equal(e.status, '403');
    assert.equal(e.title, 'This request is forbidden for security reasons');
    assert.equal(e.detail, 'The API key in use does not allow this request');
  });
});

/** A checker of bodies against Apple's schemas in the vendored subset (plus Apple's error schemas). */
function appleChecker() {
    const subset = JSON.parse(readFileSync(new URL('../../spec/apple-apps-4.4.1.json', import.meta.url), 'utf8'));
  // One schema in Apple's spec carries `format: null`; drop such non-string formats so Ajv can compile it.
  const clean = (v) => (Array.isArray(v)
    ? v.map(clean)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).filter(([k, x]) => !(k === 'format' && typeof x !== 'string')).map(([k, x]) => [k, clean(x)]))
      : v);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const components = clean(subset.components);
  // ErrorResponse is not in the vendored subset; these three schemas are Apple's (spec 4.4.1) as published.
  Object.assign(components.schemas, {
    ErrorResponse: { type: 'object', properties: { errors: { type: 'array', items: { $ref: '#/components/schemas/ResponseError' } } } },
    ResponseError: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        status: { type: 'string' },
        code: { type: 'string' },
        title: { type: 'string' },
        detail: { type: 'string' },
        source: { oneOf: [{ $ref: '#/components/schemas/ErrorSourcePointer' }, { $ref: '#/components/schemas/ErrorSourceParameter' }] },
      },
      required: ['code', 'status', 'title'],
    },
    ErrorSourcePointer: { type: 'object', title: 'JsonPointer', properties: { pointer: { type: 'string' } }, required: ['pointer'] },
    ErrorSourceParameter: { type: 'object', title: 'Parameter', properties: { parameter: { type: 'string' } }, required: ['parameter'] },
  });
  ajv.addSchema({ $id: 'apple', components });
  const schema = (name) => ajv.getSchema(`apple#/components/schemas/${name}`);
  // Apple's response schemas mark nothing nullable, yet Apple sends nulls (docs/API_NOTES.md#include-fields-and-limits): drop them first.
  const noNulls = (v) => (Array.isArray(v)
    ? v.map(noNulls)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, noNulls(x)]))
      : v);
  const check = (name, body) => {
    const validate = schema(name);
    assert.ok(validate(noNulls(body)), `${name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  };
  return check;
}

describe('conformance to Apple\'s schemas (spec 4.4.1, vendored in spec/apple-apps-4.4.1.json)', () => {
  test('list, list with include, single app and error bodies validate as AppsResponse / AppResponse / ErrorResponse', async () => {
    const check = appleChecker();
    const sb = newSandbox();
    const tok = await token();
    const appId = sb.catalogue.apps[3].id;
    for (const path of ['/v1/apps?limit=5', '/v1/apps?include=appStoreVersions,appInfos&limit[appInfos]=1', '/v1/apps?fields[apps]=name,sku,appInfos&include=appInfos']) {
      const r = await get(sb, path, tok);
      assert.equal(r.status, 200);
      check('AppsResponse', r.body);
    }
    for (const path of [`/v1/apps/${appId}`, `/v1/apps/${appId}?include=appStoreVersions,appInfos`]) {
      const r = await get(sb, path, tok);
      assert.equal(r.status, 200);
      check('AppResponse', r.body);
    }
    const forbiddenTok = await token({ key: forbiddenJose, kid: 'FORBIDKEY1' });
    const errors = [
      await get(sb, '/v1/apps', 'x.y.z'),
      await get(sb, '/v1/apps/1', tok),
      await get(sb, '/v1/apps?foo=1', tok),
      await get(sb, '/v1/apps?limit=900', tok),
      await get(sb, '/v1/bananas', tok),
      await get(sb, '/v1/apps', forbiddenTok),
    ];
    sb.faults.next({ rateLimitBurst: 1 }).next({ status: 500 });
    errors.push(await get(sb, '/v1/apps', tok), await get(sb, '/v1/apps', tok));
    assert.deepEqual(errors.map((e) => e.status), [401, 404, 400, 400, 404, 403, 429, 500]);
    for (const e of errors) {
      check('ErrorResponse', e.body);
      // Stricter than the schema: one error, its status is the HTTP status as a string, only Apple's keys.
      assert.equal(e.body.errors.length, 1);
      assert.equal(e.body.errors[0].status, String(e.status));
      for (const k of Object.keys(e.body.errors[0])) assert.ok(['id', 'status', 'code', 'title', 'detail', 'source'].includes(k), k);
    }
  });
});

describe('every operation of the spec subset (the connector\'s operations), served generically', () => {
  test('routes, parameter tables and resources come from the spec; every answer validates as Apple\'s 200 schema', async () => {
    const check = appleChecker();
    const subset = JSON.parse(readFileSync(new URL('../../spec/apple-apps-4.4.1.json', import.meta.url), 'utf8'));
    const list = JSON.parse(readFileSync(new URL('../../src/operations/operations.json', import.meta.url), 'utf8'));
    const { operations, resources } = specTables();
    // The sandbox serves exactly the subset's operations, which are exactly the operation list's.
    assert.deepEqual(operations.map((o) => o.appleOperationId).sort(), list.operations.map((o) => o.appleOperationId).sort());
    const sb = newSandbox();
    const tok = await token();
    const store = sb.catalogue.resources;
    // The reads; the writes are checked in writes.test.js.
    for (const op of operations.filter((o) => o.requestSchema === undefined)) {
      // An id whose record has data for the related operations (a review with a response, an app with reviews).
      const ownType = op.kind === 'list' ? op.type : op.kind === 'get' ? op.type : op.parentType;
      const records = [...(store.get(ownType)?.values() ?? [])];
      assert.ok(records.length > 0, `catalogue has ${ownType}`);
      const rec = op.relationship ? records.find((r) => [r.relationships[op.relationship]].flat().filter(Boolean).length > 0) : records[0];
      assert.ok(rec, `${op.appleOperationId}: a ${ownType} with ${op.relationship}`);
      const path = op.path.replace('{id}', encodeURIComponent(rec.id));
      const include = op.params.include?.enum ?? [];
      const apple = subset.paths[op.path].get;
      const responseName = apple.responses['200'].content['application/json'].schema.$ref.split('/').pop();
      for (const query of ['', include.length ? `include=${include.join(',')}` : null, op.params.limit ? 'limit=2' : null].filter((q) => q !== null)) {
        const r = await get(sb, `${path}${query ? `?${query}` : ''}`, tok);
        assert.equal(r.status, 200, `${op.appleOperationId} ${query}: ${JSON.stringify(r.body).slice(0, 300)}`);
        check(responseName, r.body);
        const data = [r.body.data].flat();
        for (const d of data) assert.equal(d.type, op.type);
        if (query === 'limit=2' && r.body.meta.paging.total > 2) assert.ok(r.body.links.next.includes('cursor='), op.appleOperationId);
      }
      // Every parameter of the table is accepted with a valid value; an unknown one is refused.
      for (const [name, rule] of Object.entries(op.params)) {
        const value = rule.type === 'integer' ? '1' : rule.type === 'boolean' ? 'true' : (rule.enum?.[0] ?? 'x');
        const r = await get(sb, `${path}?${encodeURIComponent(name)}=${encodeURIComponent(value)}`, tok);
        assert.equal(r.status, 200, `${op.appleOperationId} ${name}=${value}: ${JSON.stringify(r.body).slice(0, 300)}`);
      }
      const bad = await get(sb, `${path}?surprise=1`, tok);
      assert.equal(bad.status, 400);
      if (op.path.includes('{id}')) {
        const missing = await get(sb, op.path.replace('{id}', 'no-such-id'), tok);
        assert.equal(missing.status, 404, op.appleOperationId);
        assert.equal(missing.body.errors[0].code, 'NOT_FOUND');
      }
    }
    // Resource shapes come from the spec: reviews relate to a response and a territory.
    assert.deepEqual(resources.get('customerReviews').relationships.map((r) => [r.name, r.cardinality, r.relatedType]),
      [['response', 'one', 'customerReviewResponses'], ['reviewTerritory', 'one', 'territories']]);
  });

  test('filters, exists, sort and include on the new resources', async () => {
    const sb = newSandbox();
    const tok = await token();
    const store = sb.catalogue.resources;
    const app = [...store.get('apps').values()].find((a) => a.relationships.customerReviews.length >= 5);
    const reviews = app.relationships.customerReviews.map((id) => store.get('customerReviews').get(id));
    const low = await get(sb, `/v1/apps/${app.id}/customerReviews?filter[rating]=1,2&sort=-createdDate&include=response`, tok);
    assert.equal(low.status, 200);
    const expected = reviews.filter((r) => r.attributes.rating <= 2).sort((a, b) => (a.attributes.createdDate < b.attributes.createdDate ? 1 : -1));
    assert.deepEqual(low.body.data.map((d) => d.id), expected.map((r) => r.id));
    const withResponse = expected.filter((r) => r.relationships.response);
    assert.equal((low.body.included ?? []).length, withResponse.length);
    for (const inc of low.body.included ?? []) assert.equal(inc.type, 'customerReviewResponses');
    const published = await get(sb, `/v1/apps/${app.id}/customerReviews?exists[publishedResponse]=true`, tok);
    assert.equal(published.body.data.length, reviews.filter((r) => r.relationships.response).length);
    // Builds of one app by relationship filter, newest upload first; a rel.attr filter.
    const builds = await get(sb, `/v1/builds?filter[app]=${app.id}&sort=-uploadedDate&limit=200`, tok);
    assert.deepEqual(new Set(builds.body.data.map((b) => b.id)), new Set(app.relationships.builds));
    const dates = builds.body.data.map((b) => b.attributes.uploadedDate);
    assert.deepEqual(dates, [...dates].sort().reverse());
    const version = store.get('preReleaseVersions').get(app.relationships.preReleaseVersions[0]).attributes.version;
    const byVersion = await get(sb, `/v1/builds?filter[app]=${app.id}&filter[preReleaseVersion.version]=${version}`, tok);
    assert.ok(byVersion.body.data.length > 0);
    // A review without a response: its to-one related read is Apple's 404.
    const bare = reviews.find((r) => !r.relationships.response);
    if (bare) assert.equal((await get(sb, `/v1/customerReviews/${bare.id}/response`, tok)).status, 404);
    // Testers of a beta group, by relationship filter.
    const group = store.get('betaGroups').get(app.relationships.betaGroups[0]);
    const testers = await get(sb, `/v1/betaTesters?filter[betaGroups]=${group.id}&limit=200`, tok);
    assert.deepEqual(new Set(testers.body.data.map((t) => t.id)), new Set(group.relationships.betaTesters));
  });
});

describe('rate limit', () => {
  test('X-Rate-Limit counts down per key over a rolling hour; 429 with Apple\'s body when exhausted', async () => {
    const sb = newSandbox({ rateLimitPerHour: 3 });
    const t = await token();
    const rems = [];
    for (let i = 0; i < 3; i++) {
      const r = await get(sb, '/v1/apps?limit=1', t);
      assert.equal(r.status, 200);
      rems.push(r.res.headers.get('x-rate-limit'));
    }
    assert.deepEqual(rems, ['user-hour-lim:3;user-hour-rem:2;', 'user-hour-lim:3;user-hour-rem:1;', 'user-hour-lim:3;user-hour-rem:0;']);
    const over = await get(sb, '/v1/apps?limit=1', t);
    assert.equal(over.status, 429);
    assert.deepEqual(over.body, APPLE_429);
    assert.equal(over.res.headers.get('x-rate-limit'), 'user-hour-lim:3;user-hour-rem:0;');
    assert.equal(sb.stats.rateLimited, 1);
    // Another key has its own allowance.
    const indiv = await token({ key: individualJose, kid: 'INDIVKEY01', claims: { sub: 'user', iat: NOW - 60, exp: NOW + 600, aud: 'appstoreconnect-v1' } });
    assert.equal((await get(sb, '/v1/apps?limit=1', indiv)).res.headers.get('x-rate-limit'), 'user-hour-lim:3;user-hour-rem:2;');
    // An hour later the window has rolled: a fresh token (the old one expired) is served again.
    sb.setNow(NOW + 3601);
    const later = await token({ claims: { iss: ISSUER, iat: NOW + 3540, exp: NOW + 4200, aud: 'appstoreconnect-v1' } });
    const again = await get(sb, '/v1/apps?limit=1', later);
    assert.equal(again.status, 200);
    assert.equal(again.res.headers.get('x-rate-limit'), 'user-hour-lim:3;user-hour-rem:2;');
  });

  test('the default allowance is 3600 and every answer carries the header', async () => {
    const sb = newSandbox();
    const t = await token();
    const ok = await get(sb, '/v1/apps?limit=1', t);
    assert.equal(ok.res.headers.get('x-rate-limit'), 'user-hour-lim:3600;user-hour-rem:3599;');
    const notFound = await get(sb, '/v1/apps/1', t);
    assert.equal(notFound.res.headers.get('x-rate-limit'), 'user-hour-lim:3600;user-hour-rem:3598;');
    const rejected = await get(sb, '/v1/apps', 'not-a-token');
    assert.equal(rejected.res.headers.get('x-rate-limit'), 'user-hour-lim:3600;user-hour-rem:3600;');
  });
});

describe('faults', () => {
  let tok;
  before(async () => {
    tok = await token();
  });

  test('status with count and retryAfter, then normal service', async () => {
    const sb = newSandbox();
    sb.faults.next({ status: 503, count: 2, retryAfter: 1 });
    assert.equal(sb.faults.pending, 2);
    for (let i = 0; i < 2; i++) {
      const r = await get(sb, '/v1/apps', tok);
      assert.equal(r.status, 503);
      assert.equal(r.res.headers.get('retry-after'), '1');
      assert.equal(r.body.errors[0].status, '503');
    }
    assert.equal((await get(sb, '/v1/apps', tok)).status, 200);
    assert.equal(sb.stats.faultsServed, 2);
    sb.faults.next({ status: 500 });
    const e500 = await get(sb, '/v1/apps', tok);
    assert.equal(e500.status, 500);
    assert.equal(e500.body.errors[0].code, 'UNEXPECTED_ERROR');
  });

  test('rateLimitBurst: n × 429 with Apple\'s body', async () => {
    const sb = newSandbox();
    sb.faults.next({ rateLimitBurst: 3 });
    for (let i = 0; i < 3; i++) {
      const r = await get(sb, '/v1/apps', tok);
      assert.equal(r.status, 429);
      assert.deepEqual(r.body, APPLE_429);
      assert.equal(r.res.headers.get('x-rate-limit'), 'user-hour-lim:3600;user-hour-rem:0;');
    }
    assert.equal((await get(sb, '/v1/apps', tok)).status, 200);
  });

  test('truncate: 200 with a body cut mid-JSON', async () => {
    const sb = newSandbox();
    const full = await get(sb, '/v1/apps?limit=5', tok);
    sb.faults.next({ truncate: true });
    const cut = await get(sb, '/v1/apps?limit=5', tok);
    assert.equal(cut.status, 200);
    assert.equal(cut.body, undefined, 'not parseable');
    assert.ok(cut.text.length > 10 && cut.text.length < full.text.length);
    assert.ok(full.text.startsWith(cut.text));
  });

  test('bodyBytes: an oversized but valid body; html: an HTML error page', async () => {
    const sb = newSandbox();
    sb.faults.next({ bodyBytes: 3_000_000 });
    const big = await get(sb, '/v1/apps?limit=1', tok);
    assert.equal(big.status, 200);
    assert.equal(Buffer.byteLength(big.text), 3_000_000);
    assert.equal(big.body.data.length, 1);
    sb.faults.next({ html: true });
    const html = await get(sb, '/v1/apps', tok);
    assert.equal(html.status, 502);
    assert.match(html.res.headers.get('content-type'), /^text\/html/);
    assert.match(html.text, /^<!DOCTYPE html>/);
    sb.faults.next({ html: true, status: 503 });
    assert.equal((await get(sb, '/v1/apps', tok)).status, 503);
  });

  test('rejectToken: 401 for a good token once; nextLinkHost: links.next on another host', async () => {
    const sb = newSandbox();
    sb.faults.next({ rejectToken: true });
    const r = await get(sb, '/v1/apps', tok);
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, APPLE_401);
    assert.equal(sb.stats.lastRejection, 'FAULT_REJECT_TOKEN');
    assert.equal((await get(sb, '/v1/apps', tok)).status, 200);
    sb.faults.next({ nextLinkHost: 'evil.example' });
    const evil = await get(sb, '/v1/apps?limit=5', tok);
    assert.equal(new URL(evil.body.links.next).host, 'evil.example');
    assert.equal(new URL(evil.body.links.self).origin, ORIGIN);
    const normal = await get(sb, '/v1/apps?limit=5', tok);
    assert.equal(new URL(normal.body.links.next).origin, ORIGIN);
  });

  test('reset in-process is a network error; fault specs are checked; clear() empties the queue', async () => {
    const sb = newSandbox();
    sb.faults.next({ reset: true });
    const res = await sb.handle(request('/v1/apps', tok));
    assert.equal(res.type, 'error');
    assert.throws(() => sb.faults.next({ stauts: 500 }), /unknown fault option "stauts"/);
    assert.throws(() => sb.faults.next({ count: 0, status: 500 }), /count/);
    assert.throws(() => sb.faults.next({ status: 1000 }), /status/);
    sb.faults.next({ status: 500, count: 5 }).next({ truncate: true });
    assert.equal(sb.faults.pending, 6);
    sb.faults.clear();
    assert.equal(sb.faults.pending, 0);
    assert.equal((await get(sb, '/v1/apps', tok)).status, 200);
  });

  test('over HTTP: reset drops the connection, latency delays the answer, and the server stays up', async () => {
    const running = await startSandbox({ keys: keys(), now: () => NOW });
    try {
      const headers = { authorization: `Bearer ${tok}` };
      running.sandbox.faults.next({ reset: true });
      await assert.rejects(fetch(`${running.url}/v1/apps`, { headers, signal: AbortSignal.timeout(5000) }));
      running.sandbox.faults.next({ latencyMs: 150 });
      const t0 = performance.now();
      const slow = await fetch(`${running.url}/v1/apps?limit=2`, { headers, signal: AbortSignal.timeout(5000) });
      assert.ok(performance.now() - t0 >= 140, 'latency fault waits before answering');
      assert.equal(slow.status, 200);
      const body = await slow.json();
      assert.equal(new URL(body.links.next).origin, running.url, 'links use the server\'s own origin');
      const r = await fetch(`${running.url}/v1/apps/${running.sandbox.catalogue.apps[0].id}`, { headers });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('x-rate-limit'), /^user-hour-lim:3600;user-hour-rem:\d+;$/);
      assert.equal(running.sandbox.stats.faultsServed, 2);
    } finally {
      await running.close();
    }
  });

  test('the server refuses to listen beyond loopback', async () => {
    await assert.rejects(startSandbox({ host: '0.0.0.0', keys: [] }), /loopback only/);
  });
});

describe('sandbox command', () => {
  function capture() {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c) => { out += c; });
    stderr.on('data', (c) => { err += c; });
    return { stdout, stderr, stdin: new PassThrough(), env: {}, get out() { return out; }, get err() { return err; } };
  }

  test('--help and unknown flags', async () => {
    const io = capture();
    assert.equal(await runSandboxCommand(['--help'], io), 0);
    assert.match(io.out, /Usage: asc-connector sandbox/);
    const bad = capture();
    assert.equal(await runSandboxCommand(['--bogus'], bad), 2);
    assert.match(bad.err, /bogus/);
    const both = capture();
    assert.equal(await runSandboxCommand(['--key-id', 'ABC', '--issuer-id', ISSUER, '--individual', '--public-key-file', '/nonexistent'], both), 2);
    assert.match(both.err, /either --issuer-id .* or --individual/);
    const missingFile = capture();
    assert.equal(await runSandboxCommand(['--key-id', 'ABC', '--issuer-id', ISSUER, '--public-key-file', '/nonexistent/key.pem'], missingFile), 2);
    assert.match(missingFile.err, /could not be read/);
  });

  test('runs in the foreground with a key from a .p8 file and stops on signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asc-sandbox-'));
    try {
      const file = join(dir, 'AuthKey_TEAMKEY001.p8');
      writeFileSync(file, team.pkcs8, { mode: 0o600 });
      const io = capture();
      const controller = new AbortController();
      io.signal = controller.signal;
      const done = runSandboxCommand(['--key-id', 'TEAMKEY001', '--issuer-id', ISSUER, '--public-key-file', file, '--apps', '12'], io);
      let url = null;
      for (let i = 0; i < 100 && !url; i++) {
        url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.out)?.[1] ?? null;
        if (!url) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(url, 'prints its URL');
      assert.ok(!io.out.includes('PRIVATE KEY') && !io.out.includes('PUBLIC KEY'));
      const now = Math.floor(Date.now() / 1000);
      const t = await token({ claims: { iss: ISSUER, iat: now - 60, exp: now + 600, aud: 'appstoreconnect-v1' } });
      const r = await fetch(`${url}/v1/apps`, { headers: { authorization: `Bearer ${t}` } });
      assert.equal(r.status, 200);
      assert.equal((await r.json()).meta.paging.total, 12);
      controller.abort();
      assert.equal(await done, 0);
      assert.match(io.out, /sandbox stopped after 1 requests/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

after(() => {
  // Nothing global to clean: every server above is closed in its own test.
});
