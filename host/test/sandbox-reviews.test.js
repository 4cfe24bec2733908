// The sandbox's customer reviews (host/src/sandbox/reviews.js): Apple's parameters, newest-first
// paging, and the review poll of host/src/triggers.js run against it with reviews arriving over time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appleDate, createReviews } from '../src/sandbox/reviews.js';
import { createTriggerHandlers } from '../src/triggers.js';

const APP = '6446998023';

function get(store, pathAndQuery) {
  const url = new URL(`https://api.appstoreconnect.apple.com${pathAndQuery}`);
  const out = store.route(new Request(url), url);
  return out === null ? null : out.then((r) => ({ ...r, json: JSON.parse(r.body) }));
}

test('dates are written with an offset and denote the same instant', () => {
  assert.equal(appleDate(1_714_581_012), '2024-05-01T09:30:12-07:00');
  assert.equal(Date.parse(appleDate(1_714_581_012)), 1_714_581_012_000);
});

test('newest first, filters, paging through links.next, Apple-style errors', async () => {
  const store = createReviews({ appExists: (id) => id === APP });
  for (let i = 0; i < 7; i += 1) store.add(APP, { seconds: 1_700_000_000 + i, rating: (i % 5) + 1, territory: i % 2 ? 'GBR' : 'USA' });
  assert.equal(get(store, '/v1/apps'), null);
  const p1 = await get(store, `/v1/apps/${APP}/customerReviews?sort=-createdDate&limit=3`);
  assert.equal(p1.status, 200);
  assert.deepEqual(p1.json.data.map((r) => Date.parse(r.attributes.createdDate) / 1000), [1_700_000_006, 1_700_000_005, 1_700_000_004]);
  const next = new URL(p1.json.links.next);
  const p2 = await get(store, `${next.pathname}${next.search}`);
  assert.equal(p2.json.data.length, 3);
  assert.equal(p2.json.meta.paging.total, 7);
  const gbr = await get(store, `/v1/apps/${APP}/customerReviews?filter[territory]=GBR&filter[rating]=2,4`);
  assert.ok(gbr.json.data.every((r) => r.attributes.territory === 'GBR' && [2, 4].includes(r.attributes.rating)));
  const fields = await get(store, `/v1/apps/${APP}/customerReviews?fields[customerReviews]=rating`);
  assert.deepEqual(Object.keys(fields.json.data[0].attributes), ['rating']);
  for (const [q, status] of [['limit=201', 400], ['sort=title', 400], ['filter[rating]=6', 400], ['cursor=!!', 400], ['foo=1', 400], ['limit=1&limit=2', 400]]) {
    assert.equal((await get(store, `/v1/apps/${APP}/customerReviews?${q}`)).status, status, q);
  }
  assert.equal((await get(store, '/v1/apps/1/customerReviews')).status, 404);
});

test('the review poll against the sandbox: reviews arriving over 20 polls fire once each, oldest batch first', async () => {
  let clock = 1_745_000_000;
  const store = createReviews({ appExists: () => true, now: () => clock });
  store.add(APP, { title: 'before the trigger existed' });
  let appleRequests = 0;
  const callApple = async (method, path, query) => {
    appleRequests += 1;
    const url = new URL(`https://api.appstoreconnect.apple.com${path}?${query}`);
    const r = await store.route(new Request(url, { method }), url);
    return { status: r.status, body: r.body };
  };
  const t = createTriggerHandlers({ apiKey: 'k' }, { now: () => clock, reviewPageSize: 4 });
  const poll = async (since) => JSON.parse((await t.pollReviews({ appId: APP, rawQuery: since ? `since=${encodeURIComponent(since)}` : '', callApple })).body);
  let { watermark } = await poll(null);
  const fired = [];
  let quiet = 0;
  let added = 0;
  for (let i = 1; i <= 20; i += 1) {
    clock += 60;
    const burst = [3, 0, 6, 0, 0, 2, 9, 0, 1, 0, 5, 0, 0, 4, 0, 8, 0, 2, 0, 10][i - 1];
    // Several reviews per burst share one second (ties).
    for (let k = 0; k < burst; k += 1) {
      store.add(APP, { title: `r${++added}`, seconds: clock - (k % 2) });
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
  const createdOf = new Map(store.list(APP).map((r) => [r.attributes.title, r.seconds]));
  const times = fired.map((title) => createdOf.get(title));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.ok(quiet >= 5, `${quiet} quiet polls`);
});
