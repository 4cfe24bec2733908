// The Power Platform emulator (helpers/platform.js) against the real connector files: ListApps
// paging through nextLink via the gateway and the sandbox. Then the triggers end to end through the
// emulator, the generated connector files, the real gateway and the sandbox (Apple's webhooks and
// deliveries, reviews arriving over time): subscribe, deliveries of the family only and valid
// against x-ms-notification-content, no duplicate, the 11th webhook, unsubscribe through the
// Location (also without connector headers); the review poll's 50 reviews over 20 polls, with the
// Apple requests of quiet polls counted.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPlatform, evaluate, loadConnector } from './helpers/platform.js';
import { newAppleKey, serverKeyEnv, startStack } from './helpers/gateway.js';
import Ajv04 from 'ajv-draft-04';

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

// ---- Triggers through the generated connector, the gateway and the sandbox ----

const LIST = JSON.parse(readFileSync(new URL('../../src/operations/operations.json', import.meta.url), 'utf8'));

/** A gateway (server key, loopback callbacks allowed) in front of a sandbox. */
async function triggerStack(extraDeps = {}, sandbox = {}) {
  const key = newAppleKey();
  return startStack({ keys: [key.sandboxKey], env: { ...serverKeyEnv(key), GATEWAY_LOCAL_SANDBOX: '1' }, apps: 12, deps: extraDeps, sandbox });
}

describe('instant triggers through the emulator, the gateway and the sandbox', () => {
  let stack;
  before(async () => {
    stack = await triggerStack();
  });
  after(() => stack.close());

  const variants = [
    { deleteWithoutHeaders: false, referrerPrefix: true, label: '' },
    { deleteWithoutHeaders: true, referrerPrefix: true, label: ' (DELETE without connector headers)' },
    { deleteWithoutHeaders: false, referrerPrefix: false, label: ' (no X-MS-APIM-Referrer-Prefix: Location on the gateway host)' },
  ];
  variants.forEach(({ deleteWithoutHeaders, referrerPrefix, label }, n) => {
    test(`each family: one webhook, its events only, valid payloads, no duplicate, unsubscribed${label}`, async () => {
      const { swagger, apiProperties } = loadConnector();
      const platform = createPlatform({ swagger, apiProperties, backend: stack.gw.url, connection: { api_key: stack.apiKey }, deleteWithoutHeaders, referrerPrefix });
      const sb = stack.sandbox;
      const app = sb.catalogue.apps[3 + n].id;
      const other = sb.catalogue.apps[8].id;
      const triggers = {};
      for (const hook of LIST.triggers.webhook) {
        triggers[hook.family] = await platform.webhookTrigger(hook.id, { id: app });
        const sub = await triggers[hook.family].subscribe();
        assert.equal(sub.status, 201, sub.text);
        const base = referrerPrefix ? platform.apimPrefix : stack.gw.url;
        assert.ok(triggers[hook.family].location.startsWith(`${base}/v1/apps/${app}/triggers/${hook.family}/`), triggers[hook.family].location);
        const again = await triggers[hook.family].subscribe();
        assert.equal(again.status, 201, again.text);
        assert.equal(again.json.reused, true);
      }
      assert.equal(sb.webhooks.list(app).length, LIST.triggers.webhook.length, 'one webhook per family');
      assert.ok(sb.webhooks.list(app).every((h) => h.name.startsWith('asc-connector:')));
      // Apple's side: a version's state changes in the catalogue, a build upload, beta review, feedback.
      const version = [...sb.catalogue.resources.get('appStoreVersions').values()].find((v) => v.relationships.app === app);
      await sb.setVersionState(version.id, 'WAITING_FOR_REVIEW');
      await sb.setBuildUploadState(app, 'bu1', 'PROCESSING', 'COMPLETE');
      await sb.setExternalBetaState(app, 'bbd1', 'IN_BETA_REVIEW', 'BETA_APPROVED');
      await sb.addFeedback(app, 'screenshot', 'fs1');
      await sb.addFeedback(app, 'crash', 'fc1');
      await sb.setBuildUploadState(other, 'other-app', 'PROCESSING', 'FAILED');
      const types = Object.fromEntries(Object.entries(triggers).map(([family, t]) => [family, t.events.map((e) => e.json.data.type)]));
      assert.deepEqual(types, {
        appStoreVersionState: ['appStoreVersionAppVersionStateUpdated'],
        buildUploadState: ['buildUploadStateUpdated'],
        externalBetaState: ['buildBetaDetailExternalBuildStateUpdated'],
        betaFeedback: ['betaFeedbackScreenshotSubmissionCreated', 'betaFeedbackCrashSubmissionCreated'],
      });
      for (const t of Object.values(triggers)) for (const e of t.events) assert.ok(e.valid, JSON.stringify(e.errors));
      assert.equal(triggers.appStoreVersionState.events[0].json.data.relationships.instance.data.id, version.id);
      assert.equal(triggers.appStoreVersionState.events[0].json.data.attributes.newValue, 'WAITING_FOR_REVIEW');
      assert.equal(triggers.buildUploadState.events[0].json.data.attributes.newState, 'COMPLETE');
      // Every delivery is signed as Apple signs it.
      assert.ok(Object.values(triggers).every((t) => t.events.every((e) => /^hmacsha256=[0-9a-f]{64}$/.test(e.headers['x-apple-signature']))));
      for (const [family, t] of Object.entries(triggers)) {
        const r = await t.unsubscribe();
        assert.equal(r.status, 200, `${family}: ${r.text}`);
        assert.equal(r.json.deleted, true);
        await t.close();
      }
      assert.equal(sb.webhooks.list(app).length, 0, 'all webhooks gone');
      const deletes = platform.requests.filter((r) => r.method === 'DELETE');
      assert.equal(deletes.length, LIST.triggers.webhook.length);
      const throughConnector = !deleteWithoutHeaders && referrerPrefix;
      assert.ok(deletes.every((r) => r.sentApiKey === throughConnector && r.viaConnector === throughConnector));
    });
  });

  test('the eleventh webhook on an app gives the documented error, listing this connector\'s webhooks', async () => {
    const { swagger, apiProperties } = loadConnector();
    const platform = createPlatform({ swagger, apiProperties, backend: stack.gw.url, connection: { api_key: stack.apiKey } });
    const app = stack.sandbox.catalogue.apps[9].id;
    const triggers = [];
    for (let i = 0; i < 10; i += 1) {
      const t = await platform.webhookTrigger('OnBuildUploadStateChanged', { id: app });
      assert.equal((await t.subscribe()).status, 201);
      triggers.push(t);
    }
    const created = stack.sandbox.webhooks.stats.created;
    const eleventh = await platform.webhookTrigger('OnBuildUploadStateChanged', { id: app });
    const r = await eleventh.subscribe();
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'WEBHOOK_LIMIT_REACHED');
    assert.equal(r.json.error.details.length, 10);
    assert.deepEqual(r.json.error.details.map((d) => d.parameter).sort(), stack.sandbox.webhooks.list(app).map((h) => h.id).sort());
    assert.ok(!r.text.includes('sig='), 'callback signatures are not listed');
    assert.equal(stack.sandbox.webhooks.stats.created, created, 'no doomed create was sent');
    for (const t of [...triggers, eleventh]) {
      if (t.location) await t.unsubscribe();
      await t.close();
    }
    assert.equal(stack.sandbox.webhooks.list(app).length, 0);
  });
});

describe('review polling trigger through the emulator, the gateway and the sandbox', () => {
  test('50 reviews in bursts over 20 polls (ties included) fire once each, in order; quiet polls cost one Apple request', async () => {
    let clock = 1_760_000_000;
    const stack = await triggerStack({ reviewPageSize: 5, now: () => clock }, { now: () => clock });
    try {
      const { swagger, apiProperties } = loadConnector();
      const platform = createPlatform({ swagger, apiProperties, backend: stack.gw.url, connection: { api_key: stack.apiKey } });
      const app = stack.sandbox.catalogue.apps[10].id;
      const trigger = platform.pollingTrigger('OnNewCustomerReview', { id: app });
      const op = swagger.paths['/trigger/v1/apps/{id}/customerReviews'].get;
      const validate = new Ajv04({ strict: false, allErrors: true }).compile({ ...swagger.definitions[op.responses['200'].schema.$ref.split('/').pop()], definitions: swagger.definitions });
      const appleRequests = () => stack.sandbox.stats.byPath[`/v1/apps/${app}/customerReviews`] ?? 0;
      const first = await trigger.poll();
      assert.equal(first.status, 202);
      assert.deepEqual(first.runs, []);
      assert.equal(appleRequests(), 1);
      const T = clock + 100;
      const bursts = { 1: [0, 0, 0, 1], 2: [1, 1], 3: [5, 5, 5, 5, 5, 5, 5], 6: [9], 7: [9, 10, 10, 10, 10, 11, 12, 13], 10: [20, 20, 20], 11: [20, 21], 12: [22, 22, 22, 22, 22, 22, 22, 22], 15: [30, 31, 32, 33, 34, 35, 36, 37, 38], 18: [40, 40, 41, 42, 43, 44] };
      let n = 0;
      const seconds = new Map();
      const fired = [];
      let quiet = 0;
      const record = (r) => {
        if (r.status === 200) assert.ok(validate(r.response.json), JSON.stringify(validate.errors?.slice(0, 3)));
        fired.push(...r.runs.map((x) => x.title).reverse());
      };
      for (let poll = 1; poll <= 20; poll += 1) {
        clock = T + poll * 60;
        for (const dt of bursts[poll] ?? []) {
          const title = `r${String(++n).padStart(2, '0')}`;
          seconds.set(title, T + dt);
          stack.sandbox.addReview(app, { title, seconds: T + dt, rating: 1 + (n % 5) });
        }
        const before = appleRequests();
        const r = await trigger.poll();
        if (r.status === 202) {
          quiet += 1;
          assert.equal(appleRequests() - before, 1, `quiet poll ${poll} made ${appleRequests() - before} Apple requests`);
        }
        record(r);
      }
      for (let extra = 0; extra < 10; extra += 1) record(await trigger.poll());
      assert.equal(n, 50);
      assert.equal(fired.length, 50, `fired ${fired.length}`);
      assert.equal(new Set(fired).size, 50, 'a review fired twice');
      const order = fired.map((id) => seconds.get(id));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), 'fired out of order');
      assert.ok(quiet >= 4, `${quiet} quiet polls`);
      assert.ok(platform.requests.every((r) => r.operationId === 'OnNewCustomerReview' && r.sentApiKey));
    } finally {
      await stack.close();
    }
  });
});
