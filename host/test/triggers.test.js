// The gateway's trigger handlers (host/src/triggers.js) with an injected callApple backed by the
// sandbox's webhooks resource (the independent oracle) and a small review store: subscribe,
// idempotency, the limit error, the signed Location, unsubscribe, hostile input (refused before
// any Apple request) and the review poll. Then the routes inside the gateway (handler.js): a webhook
// create is sent once, never retried; a fetch-API Request's body is read through its stream, capped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTriggerHandlers, locationBase, matchTriggerRoute, signLocation } from '../src/triggers.js';
import { createWebhooks } from '../src/sandbox/webhooks.js';

const APP = '1234567890';
const OTHER_APP = '1234567891';
const CALLBACK = 'https://prod-27.westeurope.logic.azure.com:443/workflows/5f1e/triggers/When_a_build/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2FWhen_a_build%2Frun&sv=1.0&sig=FLOW-SIGNATURE-123';
const CONFIG = { apiKey: 'gw-key-for-tests', publicUrl: 'https://gw.example.com', localSandbox: false };

/** A callApple over the sandbox webhooks plus a customer-reviews store; counts requests. */
function fakeApple({ reviews = [], pageSize = 200 } = {}) {
  const sandbox = createWebhooks({ appExists: (id) => id === APP || id === OTHER_APP });
  const calls = [];
  const faults = [];
  async function callApple(method, path, query, body) {
    calls.push({ method, path, query });
    const fault = faults.shift();
    if (fault) return fault;
    const url = new URL(`https://api.appstoreconnect.apple.com${path}${query ? `?${query}` : ''}`);
    const m = /^\/v1\/apps\/(\d+)\/customerReviews$/.exec(path);
    if (m) {
      const limit = Number(url.searchParams.get('limit'));
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      assert.equal(url.searchParams.get('sort'), '-createdDate');
      const sorted = [...reviews].sort((a, b) => (a.createdDate < b.createdDate ? 1 : a.createdDate > b.createdDate ? -1 : 0));
      const data = sorted.slice(offset, offset + limit).map((r) => ({ type: 'customerReviews', id: r.id, attributes: { rating: r.rating ?? 5, title: r.title ?? 'Great', body: 'x', reviewerNickname: 'n', createdDate: r.createdDate, territory: 'USA' } }));
      const links = { self: url.href };
      if (offset + limit < sorted.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', String(offset + limit));
        links.next = next.href;
      }
      return { status: 200, body: JSON.stringify({ data, links }) };
    }
    const request = new Request(url, { method, body });
    const answer = sandbox.route(request, url);
    if (answer === null) return { status: 404, body: JSON.stringify({ errors: [{ status: '404', code: 'PATH_ERROR', title: 'no', detail: 'no' }] }) };
    const r = await answer;
    return { status: r.status, body: r.body ?? '' };
  }
  return { callApple, calls, sandbox, faults, pageSize };
}

const hasCode = (code) => (err) => {
  assert.equal(err.code, code, `${err.code}: ${err.message}`);
  return true;
};

function subscribeArgs(apple, overrides = {}) {
  return {
    appId: APP,
    family: 'buildUploadState',
    bodyText: JSON.stringify({ callbackUrl: CALLBACK }),
    headers: new Headers(),
    requestUrl: 'http://127.0.0.1:8787/v1/apps/1234567890/triggers/buildUploadState',
    callApple: apple.callApple,
    ...overrides,
  };
}

/** Splits a Location into the unsubscribe handler's arguments. */
function fromLocation(location, apple) {
  const url = new URL(location);
  const route = matchTriggerRoute('DELETE', url.pathname.replace(/^\/apim\/[^/]+\/[^/]+/, ''));
  return { appId: route.appId, family: route.family, webhookId: route.webhookId, rawQuery: url.search.slice(1), callApple: apple.callApple };
}

test('routes', () => {
  assert.deepEqual(matchTriggerRoute('POST', '/v1/apps/1/triggers/betaFeedback'), { kind: 'subscribe', selfAuthorizing: false, appId: '1', family: 'betaFeedback' });
  assert.deepEqual(matchTriggerRoute('DELETE', '/v1/apps/1/triggers/betaFeedback/abc'), { kind: 'unsubscribe', selfAuthorizing: true, appId: '1', family: 'betaFeedback', webhookId: 'abc' });
  assert.deepEqual(matchTriggerRoute('GET', '/trigger/v1/apps/1/customerReviews'), { kind: 'reviews', selfAuthorizing: false, appId: '1' });
  assert.equal(matchTriggerRoute('GET', '/v1/apps/1'), null);
  assert.throws(() => matchTriggerRoute('GET', '/v1/apps/1/triggers/betaFeedback'), hasCode('METHOD_NOT_ALLOWED'));
  assert.throws(() => matchTriggerRoute('POST', '/trigger/v1/apps/1/customerReviews'), hasCode('METHOD_NOT_ALLOWED'));
});

test('subscribe creates one Apple webhook and answers 201 with a signed Location; again reuses it', async () => {
  const apple = fakeApple();
  const t = createTriggerHandlers(CONFIG, { randomBytes: (n) => new Uint8Array(n).fill(7) });
  const first = await t.subscribe(subscribeArgs(apple));
  assert.equal(first.status, 201);
  const body = JSON.parse(first.body);
  assert.deepEqual(body.eventTypes, ['BUILD_UPLOAD_STATE_UPDATED']);
  assert.equal(body.reused, false);
  const hooks = apple.sandbox.list(APP);
  assert.equal(hooks.length, 1);
  assert.equal(hooks[0].url, CALLBACK, 'the callback is kept byte-exact');
  assert.equal(hooks[0].name, 'asc-connector:buildUploadState');
  assert.equal(hooks[0].secret, '07'.repeat(32));
  assert.equal(hooks[0].id, body.webhookId);
  const sig = await signLocation(await t.locationKey(), APP, 'buildUploadState', body.webhookId);
  assert.equal(first.headers.location, `https://gw.example.com/v1/apps/${APP}/triggers/buildUploadState/${body.webhookId}?sig=${sig}`);
  assert.deepEqual(apple.calls.map((c) => c.method), ['GET', 'POST']);

  const second = await t.subscribe(subscribeArgs(apple));
  assert.equal(second.status, 201);
  assert.equal(JSON.parse(second.body).reused, true);
  assert.equal(JSON.parse(second.body).webhookId, body.webhookId);
  assert.equal(second.headers.location, first.headers.location);
  assert.equal(apple.sandbox.list(APP).length, 1, 'no duplicate webhook');

  // Another family with the same callback is its own webhook.
  await t.subscribe(subscribeArgs(apple, { family: 'betaFeedback', bodyText: JSON.stringify({ callbackUrl: CALLBACK, name: 'QA' }) }));
  assert.deepEqual(apple.sandbox.list(APP).map((h) => h.name), ['asc-connector:buildUploadState', 'asc-connector:betaFeedback:QA']);
});

test('the Location base is X-MS-APIM-Referrer-Prefix when clean, else PUBLIC_URL, else the request origin', () => {
  const h = (v) => new Headers(v ? { 'X-MS-APIM-Referrer-Prefix': v } : {});
  const prefix = 'https://default-abc.01.common.azure-apihub.net/apim/asc-connector/0123abcd';
  assert.equal(locationBase(h(prefix), CONFIG, 'http://x/'), prefix);
  assert.equal(locationBase(h(`${prefix}/`), CONFIG, 'http://x/'), prefix);
  for (const bad of ['http://evil.example.com/apim', 'https://u:p@evil.example.com', 'https://x.example.com/a?b=1', 'not a url', `https://x.example.com/${'a'.repeat(2000)}`]) {
    assert.equal(locationBase(h(bad), CONFIG, 'http://x/'), 'https://gw.example.com', bad);
  }
  assert.equal(locationBase(h(null), { publicUrl: null }, 'http://127.0.0.1:8787/v1/apps'), 'http://127.0.0.1:8787');
});

test('hostile subscribe input is refused before any Apple request', async () => {
  const apple = fakeApple();
  const t = createTriggerHandlers(CONFIG);
  const rows = [
    [{ bodyText: JSON.stringify({ callbackUrl: 'http://example.com/cb' }) }, 'CALLBACK_URL_NOT_HTTPS'],
    [{ bodyText: JSON.stringify({ callbackUrl: 'http://127.0.0.1:9/cb' }) }, 'CALLBACK_URL_NOT_HTTPS'],
    [{ bodyText: JSON.stringify({ callbackUrl: `https://example.com/${'a'.repeat(5000)}` }) }, 'CALLBACK_URL_TOO_LONG'],
    [{ bodyText: JSON.stringify({ callbackUrl: 'https://user:pw@example.com/cb' }) }, 'CALLBACK_URL_MALFORMED'],
    [{ bodyText: JSON.stringify({ callbackUrl: 'https://example.com/cb#x' }) }, 'CALLBACK_URL_MALFORMED'],
    [{ bodyText: JSON.stringify({ callbackUrl: CALLBACK, extra: true }) }, 'TRIGGER_BODY_INVALID'],
    [{ bodyText: '' }, 'TRIGGER_BODY_INVALID'],
    [{ bodyText: '{}' }, 'TRIGGER_BODY_INVALID'],
    [{ family: 'customerReviews' }, 'TRIGGER_FAMILY_UNKNOWN'],
    [{ appId: 'com.example.app' }, 'ID_INVALID'],
    [{ appId: '../webhooks' }, 'ID_INVALID'],
  ];
  for (const [overrides, code] of rows) {
    await assert.rejects(t.subscribe(subscribeArgs(apple, overrides)), hasCode(code));
  }
  assert.equal(apple.calls.length, 0, 'nothing was forwarded');
  // A local-sandbox gateway accepts a loopback http callback.
  const local = createTriggerHandlers({ ...CONFIG, localSandbox: true });
  const r = await local.subscribe(subscribeArgs(apple, { bodyText: JSON.stringify({ callbackUrl: 'http://127.0.0.1:9/cb' }) }));
  assert.equal(r.status, 201);
});

test("at Apple's limit the error lists this connector's webhooks without their signatures", async () => {
  const apple = fakeApple();
  for (let i = 0; i < 10; i += 1) {
    const ours = i % 2 === 0;
    const doc = { data: { type: 'webhooks', attributes: { name: ours ? 'asc-connector:betaFeedback' : `CI hook ${i}`, secret: 'x'.repeat(20), eventTypes: ['BETA_FEEDBACK_CRASH_SUBMISSION_CREATED'], url: `https://h${i}.example.com/flow?sig=SECRET${i}`, enabled: true }, relationships: { app: { data: { type: 'apps', id: APP } } } } };
    assert.equal((await apple.callApple('POST', '/v1/webhooks', '', JSON.stringify(doc))).status, 201);
  }
  apple.calls.length = 0;
  const t = createTriggerHandlers(CONFIG);
  const err = await t.subscribe(subscribeArgs(apple)).catch((e) => e);
  assert.equal(err.code, 'WEBHOOK_LIMIT_REACHED');
  assert.equal(err.status, 409);
  assert.equal(err.details.length, 5);
  for (const d of err.details) assert.match(d.message, /^Webhook \S+ \(betaFeedback\) posts to https:\/\/h\d\.example\.com\/flow$/);
  assert.ok(!JSON.stringify(err.details).includes('SECRET'));
  assert.deepEqual(apple.calls.map((c) => c.method), ['GET'], 'the doomed create is not sent');
});

test("Apple's 409 on create (a webhook added meanwhile) re-plans into the limit error", async () => {
  const apple = fakeApple();
  const t = createTriggerHandlers(CONFIG);
  const full = { status: 200, body: JSON.stringify({ data: Array.from({ length: 10 }, (_, i) => ({ type: 'webhooks', id: `w${i}`, attributes: { name: 'asc-connector:buildUploadState', url: `https://o${i}.example.com/x` } })), links: { self: 'x' } }) };
  apple.faults.push({ status: 200, body: JSON.stringify({ data: [], links: { self: 'x' } }) }, { status: 409, body: JSON.stringify({ errors: [{ status: '409', code: 'ENTITY_ERROR', title: 't', detail: 'd' }] }) }, full);
  await assert.rejects(t.subscribe(subscribeArgs(apple)), hasCode('WEBHOOK_LIMIT_REACHED'));
  assert.deepEqual(apple.calls.map((c) => c.method), ['GET', 'POST', 'GET']);
});

test('unsubscribe through the Location deletes the webhook; repeating it is done, not an error', async () => {
  const apple = fakeApple();
  const t = createTriggerHandlers(CONFIG);
  const sub = await t.subscribe(subscribeArgs(apple));
  const args = fromLocation(sub.headers.location, apple);
  const r = await t.unsubscribe(args);
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { webhookId: args.webhookId, deleted: true });
  assert.equal(apple.sandbox.list(APP).length, 0);
  const again = await t.unsubscribe(args);
  assert.deepEqual(JSON.parse(again.body), { webhookId: args.webhookId, deleted: false });
});

test('forged, missing or misapplied signatures are refused before any Apple request', async () => {
  const apple = fakeApple();
  const t = createTriggerHandlers(CONFIG);
  const sub = await t.subscribe(subscribeArgs(apple));
  const good = fromLocation(sub.headers.location, apple);
  apple.calls.length = 0;
  const sig = new URLSearchParams(good.rawQuery).get('sig');
  const forged = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
  const rows = [
    { rawQuery: '' },
    { rawQuery: `sig=${forged}` },
    { rawQuery: `sig=${sig}&sig=${sig}` },
    { rawQuery: `sig=${sig}&x=1` },
    { appId: OTHER_APP },
    { family: 'betaFeedback' },
    { webhookId: 'another-webhook' },
  ];
  for (const row of rows) await assert.rejects(t.unsubscribe({ ...good, ...row }), hasCode('TRIGGER_SIGNATURE_INVALID'), JSON.stringify(row));
  // A Location signed under another gateway key is refused too.
  const other = createTriggerHandlers({ ...CONFIG, apiKey: 'another-gateway-key' });
  await assert.rejects(other.unsubscribe(good), hasCode('TRIGGER_SIGNATURE_INVALID'));
  assert.equal(apple.calls.length, 0);
  assert.equal(apple.sandbox.list(APP).length, 1);
});

test('a webhook this connector did not create is never deleted, even with a valid signature', async () => {
  const apple = fakeApple();
  const doc = { data: { type: 'webhooks', attributes: { name: 'Release bot', secret: 'x'.repeat(20), eventTypes: ['BUILD_UPLOAD_STATE_UPDATED'], url: CALLBACK, enabled: true }, relationships: { app: { data: { type: 'apps', id: APP } } } } };
  const foreign = JSON.parse((await apple.callApple('POST', '/v1/webhooks', '', JSON.stringify(doc))).body).data.id;
  const t = createTriggerHandlers(CONFIG);
  const sig = await signLocation(await t.locationKey(), APP, 'buildUploadState', foreign);
  await assert.rejects(t.unsubscribe({ appId: APP, family: 'buildUploadState', webhookId: foreign, rawQuery: `sig=${sig}`, callApple: apple.callApple }), hasCode('WEBHOOK_NOT_OURS'));
  assert.equal(apple.sandbox.list(APP).length, 1);
  assert.ok(!apple.calls.some((c) => c.method === 'DELETE'));
});

test('the Location key: an explicit trigger secret wins, else it is derived from the API key; a key-less local sandbox still signs', async () => {
  const a = await createTriggerHandlers(CONFIG).locationKey();
  const b = await createTriggerHandlers({ ...CONFIG, apiKey: 'other' }).locationKey();
  const c = await createTriggerHandlers({ ...CONFIG, triggerSecret: 'explicit' }).locationKey();
  const d = await createTriggerHandlers({ apiKey: '', localSandbox: true }).locationKey();
  const hexes = [a, b, c, d].map((k) => Buffer.from(k).toString('hex'));
  assert.equal(new Set(hexes).size, 4);
  assert.ok(!hexes[0].includes(Buffer.from(CONFIG.apiKey).toString('hex')), 'the API key itself is not the key');
  await assert.rejects(createTriggerHandlers({ apiKey: '', localSandbox: false }).locationKey(), hasCode('INTERNAL'));
});

test('review poll: first poll sets state, new reviews fire newest-first, quiet polls cost one request', async () => {
  const reviews = [
    { id: 'old1', createdDate: '2024-05-01T09:00:00-07:00' },
    { id: 'old2', createdDate: '2024-05-01T10:00:00-07:00' },
  ];
  const apple = fakeApple({ reviews });
  let clock = 1_714_600_000;
  const t = createTriggerHandlers(CONFIG, { now: () => clock, reviewPageSize: 2 });
  const first = await t.pollReviews({ appId: APP, rawQuery: '', callApple: apple.callApple });
  const firstBody = JSON.parse(first.body);
  assert.deepEqual(firstBody.value, []);
  assert.equal(apple.calls.length, 1);

  reviews.push({ id: 'n1', createdDate: '2024-05-01T18:00:00Z' }, { id: 'n2', createdDate: '2024-05-01T18:00:00Z' }, { id: 'n3', createdDate: '2024-05-01T19:00:00Z' });
  const fired = [];
  let since = firstBody.watermark;
  for (let i = 0; i < 4; i += 1) {
    apple.calls.length = 0;
    const r = await t.pollReviews({ appId: APP, rawQuery: `since=${encodeURIComponent(since)}`, callApple: apple.callApple });
    const body = JSON.parse(r.body);
    if (body.value.length === 0) {
      assert.equal(apple.calls.length, 1, 'a quiet poll is one Apple request');
      assert.equal(body.watermark, since, 'a quiet poll keeps the watermark');
    }
    fired.push(...body.value.map((v) => v.id).reverse());
    since = body.watermark;
  }
  assert.deepEqual(fired.slice(0, 2).sort(), ['n1', 'n2'], 'the oldest batch first');
  assert.deepEqual(fired, [...fired.slice(0, 2), 'n3']);
  clock += 1;
});

test('review poll: bad parameters are refused before Apple; Apple failures keep the error shape', async () => {
  const apple = fakeApple();
  const t = createTriggerHandlers(CONFIG);
  const bad = ['foo=1', 'since=a&since=b', 'rating=9', 'territory=usa', 'since=not-a-watermark'];
  const codes = ['REQUEST_INVALID', 'REQUEST_INVALID', 'REQUEST_INVALID', 'REQUEST_INVALID', 'WATERMARK_INVALID'];
  for (const [i, q] of bad.entries()) await assert.rejects(t.pollReviews({ appId: APP, rawQuery: q, callApple: apple.callApple }), hasCode(codes[i]), q);
  await assert.rejects(t.pollReviews({ appId: 'x/y', rawQuery: '', callApple: apple.callApple }), hasCode('ID_INVALID'));
  assert.equal(apple.calls.length, 0);
  apple.faults.push({ status: 500, body: '{"errors":[{"status":"500","code":"UNEXPECTED_ERROR","title":"t","detail":"d"}]}' });
  const r = await t.pollReviews({ appId: APP, rawQuery: 'rating=1,2&territory=USA', callApple: apple.callApple });
  assert.equal(r.status, 502);
  assert.equal(JSON.parse(r.body).error.code, 'UPSTREAM_SERVER_ERROR');
  assert.match(apple.calls[0].query, /filter%5Brating%5D=1%2C2/);
});

// ---- The routes inside the gateway (handler.js) ----

test('the gateway never retries a webhook create; GETs before it are retried as usual', async () => {
  const { newAppleKey, serverKeyEnv, startStack } = await import('./helpers/gateway.js');
  const key = newAppleKey();
  const stack = await startStack({ keys: [key.sandboxKey], env: serverKeyEnv(key), deps: { upstream: { backoffBaseMs: 5, backoffCapMs: 20 } } });
  try {
    const app = stack.sandbox.catalogue.apps[5].id;
    const body = JSON.stringify({ callbackUrl: 'https://flows.example.com/workflows/1/triggers/manual/paths/invoke?sig=abc' });
    const post = () => fetch(`${stack.gw.url}/v1/apps/${app}/triggers/buildUploadState`, { method: 'POST', headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' }, body });
    // The list answers 503 once (retried), then the create answers 503: passed on, never sent again.
    stack.sandbox.faults.next({ status: 503 }).next({ latencyMs: 0 }).next({ status: 503 });
    const r = await post();
    const doc = await r.json();
    assert.equal(r.status, 502, JSON.stringify(doc));
    assert.equal(doc.error.code, 'UPSTREAM_SERVER_ERROR');
    assert.equal(stack.sandbox.stats.byPath['/v1/webhooks'], 1, 'one POST /v1/webhooks');
    assert.equal(stack.sandbox.stats.byPath[`/v1/apps/${app}/webhooks`], 2, 'the list was retried');
    assert.equal(stack.sandbox.webhooks.list(app).length, 0);
    const entry = stack.log.entries().at(-1);
    assert.equal(entry.operation, 'OnBuildUploadStateChanged');
    assert.ok(!JSON.stringify(stack.log.entries()).includes('sig=abc'), 'the callback never reaches the log');
    // Then it works, and the answer's Location is on the gateway host.
    const ok = await post();
    assert.equal(ok.status, 201);
    assert.match(ok.headers.get('location'), new RegExp(`^${stack.gw.url}/v1/apps/${app}/triggers/buildUploadState/[0-9a-f-]{36}\\?sig=[A-Za-z0-9_-]{43}$`));
  } finally {
    await stack.close();
  }
});

test('a fetch-API Request (Workers, Deno) carries the subscribe body through its stream, capped', async () => {
  const { newAppleKey, serverKeyEnv, startStack } = await import('./helpers/gateway.js');
  const key = newAppleKey();
  const stack = await startStack({ keys: [key.sandboxKey], env: serverKeyEnv(key) });
  try {
    const app = stack.sandbox.catalogue.apps[6].id;
    const request = (text) => new Request(`http://127.0.0.1/v1/apps/${app}/triggers/betaFeedback`, { method: 'POST', headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' }, body: text });
    const ok = await stack.gw.handler(request(JSON.stringify({ callbackUrl: 'https://flows.example.com/hook?sig=1', name: 'qa' })));
    assert.equal(ok.status, 201, await ok.clone().text());
    assert.deepEqual(stack.sandbox.webhooks.list(app).map((h) => h.name), ['asc-connector:betaFeedback:qa']);
    const big = await stack.gw.handler(request(JSON.stringify({ callbackUrl: 'https://flows.example.com/hook', name: 'x'.repeat(20_000) })));
    assert.equal(big.status, 400);
    assert.equal((await big.json()).error.code, 'TRIGGER_BODY_INVALID');
  } finally {
    await stack.close();
  }
});
