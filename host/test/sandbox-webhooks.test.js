// The sandbox's webhooks resource and deliveries (host/src/sandbox/webhooks.js): Apple's create
// rules, the per-app limit, list/read/delete, and signed deliveries checked with node:crypto (not
// the module's own HMAC), received by a real local HTTP server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createWebhooks, payloadType, signature, WEBHOOK_EVENT_TYPES } from '../src/sandbox/webhooks.js';

const APP = '1000000001';
const OTHER_APP = '1000000002';
const ORIGIN = 'http://127.0.0.1:9';

/** Starts a receiver that stores every POST; resolves to { url, got, close }. */
async function receiver(status = 200) {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, got, close: () => new Promise((r) => server.close(r)) };
}

function call(wh, method, path, body) {
  const url = new URL(path, ORIGIN);
  const request = new Request(url, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const out = wh.route(request, url);
  return out === null ? null : out.then((r) => ({ ...r, json: r.body ? JSON.parse(r.body) : null }));
}

function createDoc({ appId = APP, url = 'https://example.com/hook', eventTypes = ['BUILD_UPLOAD_STATE_UPDATED'], name = 'hook', secret = 's3cret-s3cret-s3cret', enabled = true } = {}) {
  return { data: { type: 'webhooks', attributes: { name, secret, eventTypes, url, enabled }, relationships: { app: { data: { type: 'apps', id: appId } } } } };
}

test("Apple's documented test vector signs as Apple says", async () => {
  const hex = await signature('This is my secret', 'Hello, World!');
  assert.match(hex, /^7f062172[0-9a-f]{50}e54657$/);
  assert.equal(hex, createHmac('sha256', 'This is my secret').update('Hello, World!').digest('hex'));
  assert.equal(payloadType('APP_STORE_VERSION_APP_VERSION_STATE_UPDATED'), 'appStoreVersionAppVersionStateUpdated');
});

test('create, list per app, read, delete', async () => {
  const wh = createWebhooks({ appExists: (id) => id === APP || id === OTHER_APP });
  assert.equal(call(wh, 'GET', '/v1/apps'), null);
  const created = await call(wh, 'POST', '/v1/webhooks', createDoc());
  assert.equal(created.status, 201);
  const id = created.json.data.id;
  assert.deepEqual(created.json.data.attributes, { enabled: true, eventTypes: ['BUILD_UPLOAD_STATE_UPDATED'], name: 'hook', url: 'https://example.com/hook' });
  assert.equal(created.json.data.attributes.secret, undefined, 'the secret is never returned');
  await call(wh, 'POST', '/v1/webhooks', createDoc({ appId: OTHER_APP }));
  const listed = await call(wh, 'GET', `/v1/apps/${APP}/webhooks?limit=200`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.data.map((w) => w.id), [id]);
  assert.equal(listed.json.meta.paging.total, 1);
  const one = await call(wh, 'GET', `/v1/webhooks/${id}?include=app`);
  assert.equal(one.json.data.relationships.app.data.id, APP);
  assert.equal((await call(wh, 'DELETE', `/v1/webhooks/${id}`)).status, 204);
  assert.equal((await call(wh, 'DELETE', `/v1/webhooks/${id}`)).status, 404);
  assert.equal((await call(wh, 'GET', `/v1/webhooks/${id}`)).status, 404);
  assert.equal((await call(wh, 'GET', `/v1/apps/${APP}/webhooks`)).json.data.length, 0);
  assert.equal((await call(wh, 'GET', '/v1/apps/999/webhooks')).status, 404);
  assert.equal((await call(wh, 'GET', `/v1/apps/${APP}/webhooks?sort=name`)).status, 400);
  assert.equal((await call(wh, 'GET', `/v1/apps/${APP}/webhooks?limit=201`)).status, 400);
  assert.equal((await call(wh, 'PUT', '/v1/webhooks')).status, 405);
});

test('create refuses what Apple refuses, naming the field', async () => {
  const wh = createWebhooks({ appExists: (id) => id === APP });
  const cases = [
    [createDoc({ url: 'http://example.com/hook' }), 409, '/data/attributes/url'],
    [createDoc({ url: 'not a url' }), 409, '/data/attributes/url'],
    [createDoc({ url: 'https://u:p@example.com/' }), 409, '/data/attributes/url'],
    [createDoc({ eventTypes: ['CUSTOMER_REVIEW_CREATED'] }), 409, '/data/attributes/eventTypes'],
    [createDoc({ eventTypes: [] }), 409, '/data/attributes/eventTypes'],
    [createDoc({ secret: null }), 409, '/data/attributes/secret'],
    [createDoc({ enabled: 'yes' }), 409, '/data/attributes/enabled'],
    [createDoc({ appId: '42' }), 409, '/data/relationships/app'],
    [{ data: { type: 'webhooks', attributes: createDoc().data.attributes } }, 409, '/data/relationships/app'],
    [{ data: { type: 'apps' } }, 409, '/data/type'],
  ];
  for (const [doc, status, pointer] of cases) {
    const r = await call(wh, 'POST', '/v1/webhooks', doc);
    assert.equal(r.status, status, JSON.stringify(doc));
    assert.equal(r.json.errors[0].source.pointer, pointer, JSON.stringify(doc));
  }
  assert.equal((await call(wh, 'POST', '/v1/webhooks', '{not json')).status, 422);
  assert.equal((await call(wh, 'POST', '/v1/webhooks', createDoc({ url: 'http://127.0.0.1:8080/cb' }))).status, 201, 'loopback http is the sandbox choice');
  assert.equal(wh.stats.created, 1);
});

test('the eleventh webhook on an app is refused; other apps are unaffected', async () => {
  const wh = createWebhooks({ appExists: () => true });
  for (let i = 0; i < 10; i += 1) assert.equal((await call(wh, 'POST', '/v1/webhooks', createDoc({ name: `h${i}` }))).status, 201);
  const r = await call(wh, 'POST', '/v1/webhooks', createDoc({ name: 'h10' }));
  assert.equal(r.status, 409);
  assert.equal(r.json.errors[0].code, 'ENTITY_ERROR');
  assert.match(r.json.errors[0].detail, /up to 10 webhooks per app/);
  assert.equal((await call(wh, 'POST', '/v1/webhooks', createDoc({ appId: OTHER_APP }))).status, 201);
  const first = wh.list(APP)[0].id;
  await call(wh, 'DELETE', `/v1/webhooks/${first}`);
  assert.equal((await call(wh, 'POST', '/v1/webhooks', createDoc({ name: 'again' }))).status, 201);
});

test('deliveries: signed payloads to every matching enabled webhook of the app, nothing else', async () => {
  const rx = await receiver();
  try {
    const times = [1_745_000_000];
    const wh = createWebhooks({ appExists: () => true, now: () => times[0] });
    const mk = async (path, eventTypes, opts = {}) => (await call(wh, 'POST', '/v1/webhooks', createDoc({ url: `${rx.url}${path}`, eventTypes, secret: `secret-${path}`, ...opts }))).json.data.id;
    await mk('/versions', ['APP_STORE_VERSION_APP_VERSION_STATE_UPDATED']);
    await mk('/builds', ['BUILD_UPLOAD_STATE_UPDATED']);
    await mk('/feedback', ['BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED', 'BETA_FEEDBACK_CRASH_SUBMISSION_CREATED']);
    await mk('/off', ['BUILD_UPLOAD_STATE_UPDATED'], { enabled: false });
    await mk('/other-app', ['BUILD_UPLOAD_STATE_UPDATED'], { appId: OTHER_APP });

    const sent = await wh.appStoreVersionStateChanged(APP, 'v-1', 'PREPARE_FOR_SUBMISSION', 'READY_FOR_REVIEW');
    assert.equal(sent.length, 1);
    await wh.buildUploadStateChanged(APP, 'bu-1', 'PROCESSING', 'COMPLETE');
    await wh.feedbackCreated(APP, 'crash', 'AD8J-crash');
    await wh.feedbackCreated(APP, 'screenshot', 'AD8J-shot');
    assert.deepEqual((await wh.externalBetaStateChanged(APP, 'bbd-1', 'IN_BETA_REVIEW', 'READY_FOR_BETA_TESTING')), []);

    assert.deepEqual(rx.got.map((g) => g.path), ['/versions', '/builds', '/feedback', '/feedback']);
    for (const g of rx.got) {
      const secret = `secret-${g.path}`;
      assert.equal(g.headers['x-apple-signature'], `hmacsha256=${createHmac('sha256', secret).update(g.body).digest('hex')}`);
      assert.equal(g.headers['content-type'], 'application/json');
    }
    const version = JSON.parse(rx.got[0].body);
    assert.equal(version.data.type, 'appStoreVersionAppVersionStateUpdated');
    assert.equal(version.data.version, 1);
    assert.deepEqual(version.data.attributes, { newValue: 'READY_FOR_REVIEW', oldValue: 'PREPARE_FOR_SUBMISSION', timestamp: '2025-04-18T18:13:20.000Z' });
    assert.deepEqual(version.data.relationships.instance.data, { type: 'appStoreVersions', id: 'v-1' });
    const build = JSON.parse(rx.got[1].body);
    assert.equal(build.data.type, 'buildUploadStateUpdated');
    assert.equal(build.data.attributes.newState, 'COMPLETE');
    assert.deepEqual(JSON.parse(rx.got[2].body).data.relationships.instance.data, { type: 'betaFeedbackCrashSubmissions', id: 'AD8J-crash' });
    assert.equal(JSON.parse(rx.got[3].body).data.type, 'betaFeedbackScreenshotSubmissionCreated');
    assert.equal(wh.stats.delivered, 4);
  } finally {
    await rx.close();
  }
});

test('pings: POST /v1/webhookPings delivers a signed webhookPingCreated', async () => {
  const rx = await receiver(202);
  try {
    const wh = createWebhooks({ appExists: () => true });
    const id = (await call(wh, 'POST', '/v1/webhooks', createDoc({ url: `${rx.url}/cb`, secret: 'ping-secret' }))).json.data.id;
    const r = await call(wh, 'POST', '/v1/webhookPings', { data: { type: 'webhookPings', relationships: { webhook: { data: { type: 'webhooks', id } } } } });
    assert.equal(r.status, 201);
    assert.equal(r.json.data.type, 'webhookPings');
    assert.equal(rx.got.length, 1);
    const body = JSON.parse(rx.got[0].body);
    assert.equal(body.data.type, 'webhookPingCreated');
    assert.equal(body.data.id, r.json.data.id);
    assert.equal(rx.got[0].headers['x-apple-signature'], `hmacsha256=${createHmac('sha256', 'ping-secret').update(rx.got[0].body).digest('hex')}`);
    assert.equal(wh.deliveries[0].status, 202);
    assert.equal((await call(wh, 'POST', '/v1/webhookPings', { data: { type: 'webhookPings', relationships: { webhook: { data: { type: 'webhooks', id: 'nope' } } } } })).status, 409);
  } finally {
    await rx.close();
  }
});

test('a delivery to an unreachable URL is recorded as failed, not thrown', async () => {
  const wh = createWebhooks({ appExists: () => true, fetch: async () => { throw new Error('connect ECONNREFUSED'); } });
  await call(wh, 'POST', '/v1/webhooks', createDoc());
  const [d] = await wh.buildUploadStateChanged(APP, 'b', 'PROCESSING', 'FAILED');
  assert.equal(d.status, null);
  assert.match(d.error, /ECONNREFUSED/);
  assert.equal(wh.stats.failed, 1);
});

test("the event types are exactly Apple's WebhookEventType enum", () => {
  const spec = JSON.parse(readFileSync(new URL('../../spec/app-store-connect-openapi-4.4.1.json', import.meta.url), 'utf8'));
  assert.deepEqual([...WEBHOOK_EVENT_TYPES].sort(), [...spec.components.schemas.WebhookEventType.enum].sort());
});
