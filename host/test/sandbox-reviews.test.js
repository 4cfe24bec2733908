// Reviews arriving over time in the sandbox (host/src/sandbox/reviews.js writes them into the
// catalogue): served newest first by the sandbox's one generic route with Apple's parameters, and the
// review poll of host/src/triggers.js run against the sandbox with reviews arriving over 20 polls.
// Tokens are signed with jose, not our code.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { appleDate } from '../src/sandbox/reviews.js';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { createTriggerHandlers } from '../src/triggers.js';

const ISSUER = '57246542-96fe-1a63-e053-0824d011072a';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let signer;
before(async () => {
  signer = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }), 'ES256');
});

function newSandbox(clock) {
  return createSandbox({ keys: [{ kid: 'REVIEWKEY1', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), issuerId: ISSUER }], apps: 3, now: () => clock.t, rateLimitPerHour: 100_000 });
}

async function get(sandbox, clock, pathAndQuery) {
  const token = await new SignJWT({ iss: ISSUER, iat: clock.t - 10, exp: clock.t + 600, aud: 'appstoreconnect-v1' }).setProtectedHeader({ alg: 'ES256', kid: 'REVIEWKEY1', typ: 'JWT' }).sign(signer);
  const res = await sandbox.handle(new Request(`http://sandbox.test${pathAndQuery}`, { headers: { authorization: `Bearer ${token}` } }));
  const body = await res.text();
  return { status: res.status, body, json: JSON.parse(body) };
}

test('dates are written with an offset and denote the same instant', () => {
  assert.equal(appleDate(1_714_581_012), '2024-05-01T09:30:12-07:00');
  assert.equal(Date.parse(appleDate(1_714_581_012)), 1_714_581_012_000);
});

test('added reviews are served newest first, filtered and paged like the generated ones', async () => {
  const clock = { t: 1_750_000_000 };
  const sandbox = newSandbox(clock);
  const app = sandbox.catalogue.apps[0].id;
  for (let i = 0; i < 7; i += 1) sandbox.addReview(app, { seconds: clock.t + i, rating: (i % 5) + 1, territory: i % 2 ? 'GBR' : 'USA', title: `new ${i}` });
  const p1 = await get(sandbox, clock, `/v1/apps/${app}/customerReviews?sort=-createdDate&limit=3`);
  assert.equal(p1.status, 200);
  assert.deepEqual(p1.json.data.map((r) => r.attributes.title), ['new 6', 'new 5', 'new 4']);
  const next = new URL(p1.json.links.next);
  const p2 = await get(sandbox, clock, `${next.pathname}${next.search}`);
  assert.deepEqual(p2.json.data.map((r) => r.attributes.title), ['new 3', 'new 2', 'new 1']);
  const gbr = await get(sandbox, clock, `/v1/apps/${app}/customerReviews?filter[territory]=GBR&filter[rating]=2,4`);
  assert.ok(gbr.json.data.length >= 2);
  assert.ok(gbr.json.data.every((r) => r.attributes.territory === 'GBR' && [2, 4].includes(r.attributes.rating)));
  const one = await get(sandbox, clock, `/v1/customerReviews/${p1.json.data[0].id}`);
  assert.equal(one.status, 200);
  assert.equal(one.json.data.attributes.title, 'new 6');
  assert.throws(() => sandbox.addReview('0', {}), /no app/);
});

test('the review poll against the sandbox: reviews arriving over 20 polls fire once each, oldest batch first', async () => {
  const clock = { t: 1_750_000_000 };
  const sandbox = newSandbox(clock);
  const APP = sandbox.catalogue.apps[1].id;
  sandbox.addReview(APP, { title: 'before the trigger existed' });
  let appleRequests = 0;
  const callApple = async (method, path, query) => {
    appleRequests += 1;
    const r = await get(sandbox, clock, `${path}?${query}`);
    return { status: r.status, body: r.body };
  };
  const t = createTriggerHandlers({ apiKey: 'k' }, { now: () => clock.t, reviewPageSize: 4 });
  const poll = async (since) => JSON.parse((await t.pollReviews({ appId: APP, rawQuery: since ? `since=${encodeURIComponent(since)}` : '', callApple })).body);
  let { watermark } = await poll(null);
  const fired = [];
  const secondsOf = new Map();
  let quiet = 0;
  let added = 0;
  for (let i = 1; i <= 20; i += 1) {
    clock.t += 60;
    const burst = [3, 0, 6, 0, 0, 2, 9, 0, 1, 0, 5, 0, 0, 4, 0, 8, 0, 2, 0, 10][i - 1];
    // Several reviews per burst share one second (ties).
    for (let k = 0; k < burst; k += 1) {
      const title = `r${++added}`;
      secondsOf.set(title, clock.t - (k % 2));
      sandbox.addReview(APP, { title, seconds: clock.t - (k % 2) });
    }
    const before = appleRequests;
    const answer = await poll(watermark);
    if (answer.value.length === 0) {
      quiet += 1;
      assert.equal(appleRequests - before, 1);
      assert.equal(answer.watermark, watermark);
    }
    fired.push(...answer.value.map((r) => r.title).reverse());
    watermark = answer.watermark;
  }
  for (let i = 0; i < 5; i += 1) {
    const answer = await poll(watermark);
    fired.push(...answer.value.map((r) => r.title).reverse());
    watermark = answer.watermark;
  }
  assert.equal(added, 50);
  assert.equal(fired.length, 50);
  assert.equal(new Set(fired).size, 50);
  assert.ok(!fired.includes('before the trigger existed'));
  const times = fired.map((title) => secondsOf.get(title));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.ok(quiet >= 5, `${quiet} quiet polls`);
});
