// The Power Platform emulator (helpers/platform.js) against the real connector files: ListApps
// paging through nextLink via the gateway and the sandbox. Then the triggers end to end through the
// emulator, with the connector additions proposed in docs/TRIGGERS.md (TRIGGER_CONNECTOR below) and
// a stand-in for the gateway routing (the lead wires host/src/triggers.js into handler.js; until
// then `triggerBackend` routes the trigger paths the same way): subscribe, deliveries of the
// family only and valid against x-ms-notification-content, no duplicate, the 11th webhook, and
// unsubscribe through the Location; the review poll's 50 reviews over 20 polls.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createPlatform, evaluate, loadConnector } from './helpers/platform.js';
import { newAppleKey, serverKeyEnv, startStack } from './helpers/gateway.js';
import { createTriggerHandlers, matchTriggerRoute, MAX_SUBSCRIBE_BODY_BYTES } from '../src/triggers.js';
import { createWebhooks } from '../src/sandbox/webhooks.js';
import { describeError } from '../src/errors.js';

test('expressions: the forms the policies use', () => {
  const body = { value: [{ createdDate: 'b' }, { createdDate: 'a' }], watermark: 'w1.x', n: null };
  const ctx = { functions: { triggerBody: () => body, coalesce: (...a) => a.find((x) => x != null) ?? null, connectionParameters: (n, d) => ({ k: 'v' })[n] ?? d } };
  assert.equal(evaluate('@{triggerBody().watermark}', ctx), 'w1.x');
  assert.deepEqual(evaluate('@triggerBody().value', ctx), body.value);
  assert.equal(evaluate('@{triggerBody().value[0].createdDate}', ctx), 'b');
  assert.equal(evaluate("@{triggerBody()['watermark']}", ctx), 'w1.x');
  assert.equal(evaluate('since gt @{triggerBody().value[1].createdDate}!', ctx), 'since gt a!');
  assert.equal(evaluate("@coalesce(triggerBody().n, triggerBody()?.missing, 'dflt')", ctx), 'dflt');
  assert.equal(evaluate("Bearer @{connectionParameters('k')}", ctx), 'Bearer v');
  assert.equal(evaluate("@connectionParameters('nope','')", ctx), '');
  assert.equal(evaluate('plain', ctx), 'plain');
  assert.throws(() => evaluate('@{triggerBody().value[5].createdDate}', ctx), /out of range/);
  assert.throws(() => evaluate('@{triggerBody().n.x}', ctx), /cannot read/);
  assert.throws(() => evaluate('@{nosuch()}', ctx), /unsupported function/);
});

describe('ListApps through the emulator, the gateway and the sandbox', () => {
  let stack;
  before(async () => {
    const key = newAppleKey();
    stack = await startStack({ keys: [key.sandboxKey], env: serverKeyEnv(key), apps: 30 });
  });
  after(() => stack.close());

  test('Pagination on: every page through nextLink, each re-entering the connector with the API key', async () => {
    const { swagger, apiProperties } = loadConnector();
    const platform = createPlatform({ swagger, apiProperties, backend: stack.gw.url, connection: { api_key: stack.apiKey } });
    const { items, pages, responses } = await platform.callPaged('ListApps', { limit: 10 });
    assert.equal(pages, 3);
    assert.ok(responses.every((r) => r.status === 200));
    assert.equal(items.length, 30);
    assert.equal(new Set(items.map((a) => a.id)).size, 30);
    assert.deepEqual(items.map((a) => a.id).sort(), stack.sandbox.catalogue.apps.map((a) => a.id).sort());
    assert.ok(platform.requests.every((r) => r.viaConnector && r.sentApiKey && r.operationId === 'ListApps'));
    // The connection's optional key fields go out as the setheader policies say (empty here).
    const threshold = await platform.callPaged('ListApps', { limit: 10 }, { threshold: 15 });
    assert.equal(threshold.pages, 2);
  });

  test('without the updatenextlink policy the runtime fetches nextLink directly and the gateway refuses it', async () => {
    const { swagger, apiProperties } = loadConnector();
    const stripped = structuredClone(apiProperties);
    stripped.properties.policyTemplateInstances = stripped.properties.policyTemplateInstances.filter((p) => p.templateId !== 'updatenextlink');
    const platform = createPlatform({ swagger, apiProperties: stripped, backend: stack.gw.url, connection: { api_key: stack.apiKey } });
    const { responses } = await platform.callPaged('ListApps', { limit: 10 });
    assert.equal(responses.length, 2);
    assert.equal(responses[1].status, 401);
    assert.equal(responses[1].json.error.code, 'UNAUTHENTICATED');
  });

  test('parameters the swagger does not declare are not sent', async () => {
    const { swagger, apiProperties } = loadConnector();
    const platform = createPlatform({ swagger, apiProperties, backend: stack.gw.url, connection: { api_key: stack.apiKey } });
    await assert.rejects(platform.call('ListApps', { nosuch: 1 }), /no parameter nosuch/);
    await assert.rejects(platform.call('NoSuchOperation'), /no operation/);
  });
});

// ---- Triggers: the proposed connector additions (docs/TRIGGERS.md, "Connector entries") ----

const FAMILIES = {
  appStoreVersionState: { op: 'OnAppStoreVersionStateChanged', summary: "When an App Store version's state changes", attrs: { newValue: 'New state', oldValue: 'Old state' } },
  buildUploadState: { op: 'OnBuildUploadStateChanged', summary: "When a build upload's state changes", attrs: { newState: 'New state', oldState: 'Old state' } },
  externalBetaState: { op: 'OnExternalBetaStateChanged', summary: "When a build's external TestFlight state changes", attrs: { newExternalBuildState: 'New state', oldExternalBuildState: 'Old state' } },
  betaFeedback: { op: 'OnBetaFeedback', summary: 'When a tester sends TestFlight feedback', attrs: {} },
};

function eventSchema(attrs) {
  const str = (title) => ({ type: 'string', 'x-ms-summary': title });
  return {
    type: 'object',
    properties: {
      data: {
        type: 'object',
        properties: {
          type: str('Event type'),
          id: str('Event ID'),
          version: { type: 'integer', 'x-ms-summary': 'Payload version' },
          attributes: {
            type: 'object',
            properties: { ...Object.fromEntries(Object.entries(attrs).map(([k, t]) => [k, str(t)])), timestamp: { type: 'string', format: 'date-time', 'x-ms-summary': 'Timestamp' } },
          },
          relationships: {
            type: 'object',
            properties: { instance: { type: 'object', properties: { data: { type: 'object', properties: { type: str('Instance type'), id: str('Instance ID') } } } } },
          },
        },
      },
    },
  };
}

/** The connector plus the trigger operations and the pollingtrigger policy proposed for it. */
export function triggerConnector() {
  const { swagger, apiProperties } = loadConnector();
  const s = structuredClone(swagger);
  const p = structuredClone(apiProperties);
  const appId = { name: 'id', in: 'path', required: true, type: 'string', 'x-ms-url-encoding': 'single', 'x-ms-summary': 'App' };
  for (const [family, f] of Object.entries(FAMILIES)) {
    s.paths[`/v1/apps/{id}/triggers/${family}`] = {
      'x-ms-notification-content': { description: 'The event Apple sent', schema: eventSchema(f.attrs) },
      post: {
        operationId: f.op,
        summary: f.summary,
        description: 'This operation triggers when App Store Connect sends the event for the chosen app.',
        'x-ms-trigger': 'single',
        'x-ms-trigger-hint': 'To see it work, change the state in App Store Connect.',
        parameters: [appId, { name: 'body', in: 'body', required: true, schema: { type: 'object', required: ['callbackUrl'], properties: { callbackUrl: { type: 'string', 'x-ms-notification-url': true, 'x-ms-visibility': 'internal' }, name: { type: 'string', 'x-ms-visibility': 'advanced' } } } }],
        responses: { 201: { description: 'Subscribed' } },
      },
    };
  }
  s.paths['/v1/apps/{id}/triggers/{family}/{webhookId}'] = {
    delete: {
      operationId: 'DeleteTriggerWebhook',
      summary: 'Remove a trigger subscription',
      'x-ms-visibility': 'internal',
      parameters: [appId, { name: 'family', in: 'path', required: true, type: 'string', 'x-ms-url-encoding': 'single' }, { name: 'webhookId', in: 'path', required: true, type: 'string', 'x-ms-url-encoding': 'single' }, { name: 'sig', in: 'query', type: 'string', 'x-ms-visibility': 'internal' }],
      responses: { 200: { description: 'Removed' } },
    },
  };
  s.paths['/trigger/v1/apps/{id}/customerReviews'] = {
    get: {
      operationId: 'OnNewCustomerReview',
      summary: 'When a new customer review is posted',
      'x-ms-trigger': 'batch',
      'x-ms-trigger-metadata': { kind: 'query', mode: 'polling' },
      parameters: [appId, { name: 'since', in: 'query', type: 'string', 'x-ms-visibility': 'internal' }, { name: 'rating', in: 'query', type: 'string' }, { name: 'territory', in: 'query', type: 'string' }],
      responses: { 200: { description: 'New reviews', schema: { type: 'object', properties: { value: { type: 'array', items: { type: 'object' } }, watermark: { type: 'string' } } } } },
    },
  };
  p.properties.policyTemplateInstances.push({
    templateId: 'pollingtrigger',
    title: 'New customer reviews',
    type: 'PollingTrigger',
    parameters: {
      'x-ms-apimTemplate-operationName': ['OnNewCustomerReview'],
      'x-ms-apimTemplateParameter.triggerConfig': { since: '@{triggerBody().watermark}' },
      'x-ms-apimTemplateParameter.triggerDataPath': '@triggerBody().value',
    },
  });
  return { swagger: s, apiProperties: p };
}

/**
 * A stand-in for the gateway's routing of the trigger paths (X-API-Key unless the route is
 * self-authorising), with Apple played by the sandbox webhooks and a review store.
 */
async function triggerBackend({ apiKey, reviewPageSize = 3 }) {
  const APPS = ['6446998023', '6446998024'];
  const webhooks = createWebhooks({ appExists: (id) => APPS.includes(id) });
  const reviews = [];
  const counts = { reviews: 0 };
  const handlers = createTriggerHandlers({ apiKey, publicUrl: null, localSandbox: true }, { reviewPageSize });
  async function callApple(method, path, query, body) {
    const url = new URL(`https://api.appstoreconnect.apple.com${path}${query ? `?${query}` : ''}`);
    if (/\/customerReviews$/.test(path)) {
      counts.reviews += 1;
      const limit = Number(url.searchParams.get('limit'));
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      const sorted = [...reviews].reverse().sort((a, b) => b.seconds - a.seconds);
      const data = sorted.slice(offset, offset + limit).map((r) => ({ type: 'customerReviews', id: r.id, attributes: { rating: 4, title: r.id, body: 'b', reviewerNickname: 'n', createdDate: new Date(r.seconds * 1000).toISOString(), territory: 'USA' } }));
      const links = { self: url.href };
      if (offset + limit < sorted.length) {
        url.searchParams.set('cursor', String(offset + limit));
        links.next = url.href;
      }
      return { status: 200, body: JSON.stringify({ data, links }) };
    }
    const answer = webhooks.route(new Request(url, { method, body }), url);
    if (!answer) return { status: 404, body: '{"errors":[{"status":"404","code":"PATH_ERROR","title":"t","detail":"d"}]}' };
    const r = await answer;
    return { status: r.status, body: r.body ?? '' };
  }
  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_SUBSCRIBE_BODY_BYTES) chunks.push(c);
    });
    req.on('end', async () => {
      let out;
      try {
        const url = new URL(req.url, `http://${req.headers.host}`);
        const route = matchTriggerRoute(req.method, url.pathname);
        if (!route) out = { status: 404, body: '{}' };
        else if (!route.selfAuthorizing && req.headers['x-api-key'] !== apiKey) out = { status: 401, body: '{"error":{"code":"UNAUTHENTICATED"}}' };
        else if (route.kind === 'subscribe') out = await handlers.subscribe({ ...route, bodyText: Buffer.concat(chunks).toString('utf8'), headers: new Headers(Object.entries(req.headers).filter(([, v]) => typeof v === 'string')), requestUrl: url.href, callApple });
        else if (route.kind === 'unsubscribe') out = await handlers.unsubscribe({ ...route, rawQuery: url.search.slice(1), callApple });
        else out = await handlers.pollReviews({ ...route, rawQuery: url.search.slice(1), callApple });
      } catch (err) {
        const d = describeError(err);
        out = { status: d.status, body: d.body };
      }
      res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) }).end(out.body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, webhooks, reviews, counts, APPS, close: () => new Promise((r) => server.close(r)) };
}

describe('instant triggers through the emulator', () => {
  const apiKey = 'platform-test-key';
  let backend;
  before(async () => {
    backend = await triggerBackend({ apiKey });
  });
  after(() => backend.close());

  const variants = [
    { deleteWithoutHeaders: false, referrerPrefix: true, label: '' },
    { deleteWithoutHeaders: true, referrerPrefix: true, label: ' (DELETE without connector headers)' },
    { deleteWithoutHeaders: false, referrerPrefix: false, label: ' (no X-MS-APIM-Referrer-Prefix: Location on the gateway host)' },
  ];
  for (const { deleteWithoutHeaders, referrerPrefix, label } of variants) {
    test(`each family: one webhook, its events only, valid payloads, no duplicate, unsubscribed${label}`, async () => {
      const { swagger, apiProperties } = triggerConnector();
      const platform = createPlatform({ swagger, apiProperties, backend: backend.url, connection: { api_key: apiKey }, deleteWithoutHeaders, referrerPrefix });
      const app = backend.APPS[0];
      const triggers = {};
      for (const [family, f] of Object.entries(FAMILIES)) {
        triggers[family] = await platform.webhookTrigger(f.op, { id: app });
        const sub = await triggers[family].subscribe();
        assert.equal(sub.status, 201, sub.text);
        const base = referrerPrefix ? platform.apimPrefix : backend.url;
        assert.ok(triggers[family].location.startsWith(`${base}/v1/apps/${app}/triggers/${family}/`), triggers[family].location);
        const again = await triggers[family].subscribe();
        assert.equal(again.json.reused, true);
      }
      assert.equal(backend.webhooks.list(app).length, 4, 'one webhook per family');
      await backend.webhooks.appStoreVersionStateChanged(app, 'v1', 'PREPARE_FOR_SUBMISSION', 'WAITING_FOR_REVIEW');
      await backend.webhooks.buildUploadStateChanged(app, 'bu1', 'PROCESSING', 'COMPLETE');
      await backend.webhooks.externalBetaStateChanged(app, 'bbd1', 'IN_BETA_REVIEW', 'READY_FOR_BETA_TESTING');
      await backend.webhooks.feedbackCreated(app, 'screenshot', 'fs1');
      await backend.webhooks.feedbackCreated(app, 'crash', 'fc1');
      await backend.webhooks.buildUploadStateChanged(backend.APPS[1], 'other-app', 'PROCESSING', 'FAILED');
      const types = Object.fromEntries(Object.entries(triggers).map(([family, t]) => [family, t.events.map((e) => e.json.data.type)]));
      assert.deepEqual(types, {
        appStoreVersionState: ['appStoreVersionAppVersionStateUpdated'],
        buildUploadState: ['buildUploadStateUpdated'],
        externalBetaState: ['buildBetaDetailExternalBuildStateUpdated'],
        betaFeedback: ['betaFeedbackScreenshotSubmissionCreated', 'betaFeedbackCrashSubmissionCreated'],
      });
      for (const t of Object.values(triggers)) for (const e of t.events) assert.ok(e.valid, JSON.stringify(e.errors));
      assert.equal(triggers.buildUploadState.events[0].json.data.attributes.newState, 'COMPLETE');
      for (const [family, t] of Object.entries(triggers)) {
        const r = await t.unsubscribe();
        assert.equal(r.status, 200, `${family}: ${r.text}`);
        assert.equal(r.json.deleted, true);
        await t.close();
      }
      assert.equal(backend.webhooks.list(app).length, 0, 'all webhooks gone');
      const deletes = platform.requests.filter((r) => r.method === 'DELETE');
      assert.equal(deletes.length, 4);
      const throughConnector = !deleteWithoutHeaders && referrerPrefix;
      assert.ok(deletes.every((r) => r.sentApiKey === throughConnector && r.viaConnector === throughConnector));
    });
  }

  test('the eleventh webhook on an app gives the documented error', async () => {
    const { swagger, apiProperties } = triggerConnector();
    const platform = createPlatform({ swagger, apiProperties, backend: backend.url, connection: { api_key: apiKey } });
    const app = backend.APPS[1];
    const triggers = [];
    for (let i = 0; i < 10; i += 1) {
      const t = await platform.webhookTrigger('OnBuildUploadStateChanged', { id: app });
      assert.equal((await t.subscribe()).status, 201);
      triggers.push(t);
    }
    const eleventh = await platform.webhookTrigger('OnBuildUploadStateChanged', { id: app });
    const r = await eleventh.subscribe();
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'WEBHOOK_LIMIT_REACHED');
    assert.equal(r.json.error.details.length, 10);
    assert.ok(!r.text.includes('sig='), 'callback signatures are not listed');
    for (const t of [...triggers, eleventh]) {
      if (t.location) await t.unsubscribe();
      await t.close();
    }
    assert.equal(backend.webhooks.list(app).length, 0);
  });
});

describe('review polling trigger through the emulator', () => {
  test('50 reviews in bursts over 20 polls (ties included) fire once each, in order; quiet polls cost one Apple request', async () => {
    const backend = await triggerBackend({ apiKey: 'k', reviewPageSize: 5 });
    try {
      const { swagger, apiProperties } = triggerConnector();
      const platform = createPlatform({ swagger, apiProperties, backend: backend.url, connection: { api_key: 'k' } });
      const trigger = platform.pollingTrigger('OnNewCustomerReview', { id: backend.APPS[0] });
      const T = 1_745_000_000;
      backend.reviews.push({ id: 'old', seconds: T - 50 });
      const first = await trigger.poll();
      assert.equal(first.status, 202);
      assert.deepEqual(first.runs, []);
      const bursts = { 1: [0, 0, 0, 1], 2: [1, 1], 3: [5, 5, 5, 5, 5, 5, 5], 6: [9], 7: [9, 10, 10, 10, 10, 11, 12, 13], 10: [20, 20, 20], 11: [20, 21], 12: [22, 22, 22, 22, 22, 22, 22, 22], 15: [30, 31, 32, 33, 34, 35, 36, 37, 38], 18: [40, 40, 41, 42, 43, 44] };
      let n = 0;
      const seconds = new Map();
      const fired = [];
      let quiet = 0;
      for (let poll = 1; poll <= 20; poll += 1) {
        for (const dt of bursts[poll] ?? []) {
          const id = `r${String(++n).padStart(2, '0')}`;
          seconds.set(id, T + dt);
          backend.reviews.push({ id, seconds: T + dt });
        }
        const before = backend.counts.reviews;
        const r = await trigger.poll();
        if (r.status === 202) {
          quiet += 1;
          assert.equal(backend.counts.reviews - before, 1, `quiet poll ${poll} made ${backend.counts.reviews - before} Apple requests`);
        }
        fired.push(...r.runs.map((x) => x.id).reverse());
      }
      for (let extra = 0; extra < 10; extra += 1) fired.push(...(await trigger.poll()).runs.map((x) => x.id).reverse());
      assert.equal(n, 50);
      assert.equal(fired.length, 50, `fired ${fired.length}`);
      assert.equal(new Set(fired).size, 50, 'a review fired twice');
      const order = fired.map((id) => seconds.get(id));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), 'fired out of order');
      assert.ok(quiet >= 4, `${quiet} quiet polls`);
    } finally {
      await backend.close();
    }
  });
});
