// The sandbox's App Store Connect webhooks: the `webhooks` resource (create, list per app, read,
// delete), pings and deliveries, built from Apple's OpenAPI spec 4.4.1 (WebhookCreateRequest,
// Webhook, WebhooksResponse, WebhookEventType, webhookPings) and Apple's documentation of
// deliveries (docs/TRIGGERS.md), independently of the gateway's Rust core: it is the test oracle.
// Runtime-agnostic: fetch, crypto.subtle and crypto.randomUUID only.
//
// createWebhooks({ appExists, fetch, now, randomUUID })
//   appExists(appId) → boolean       which apps the sandbox has
//   fetch                             used for deliveries (default globalThis.fetch)
//   now() → seconds since 1970        timestamps (default the clock)
// → {
//     route(request, url) → null | Promise<{ status, body, headers }>   the REST resource; mount it
//                                      in the sandbox router after authentication (body: JSON text or null)
//     emit(event) → Promise<delivery[]>  an event happened: POST Apple's payload, signed, to every
//                                      enabled webhook of that app subscribed to event.eventType
//     appStoreVersionStateChanged / buildUploadStateChanged / externalBetaStateChanged /
//     feedbackCreated(...)              helpers building the events of the four trigger families
//     ping(webhookId) → Promise<delivery>
//     list(appId), deliveries, stats
//   }
//
// Choices where Apple is silent (documented so nobody mistakes them for Apple facts):
//   - url: https, or http to a loopback host (127.0.0.1, ::1, localhost) so tests can listen locally;
//     Apple documents no rule (its example is https);
//   - the limit of 10 webhooks per app (Apple's Help) answers 409 ENTITY_ERROR with the detail below;
//     Apple's real body for this case is undocumented;
//   - validation errors answer 409 ENTITY_ERROR.ATTRIBUTE.INVALID / ENTITY_ERROR.ATTRIBUTE.REQUIRED /
//     ENTITY_ERROR.RELATIONSHIP.INVALID with a JSON pointer, an unreadable body 422 ENTITY_UNPROCESSABLE;
//   - deliveries carry Content-Type application/json and x-apple-signature only; no retries;
//   - the ping body is {"data":{"type":"webhookPingCreated","id","version":1,"attributes":{"timestamp"}}}
//     (Apple does not document it; third-party decoders expect this shape);
//   - buildUploads events carry oldState as well as Apple's documented newState, and a timestamp.

/** Apple's WebhookEventType enum (spec 4.4.1). */
export const WEBHOOK_EVENT_TYPES = Object.freeze([
  'ALTERNATIVE_DISTRIBUTION_PACKAGE_AVAILABLE_UPDATED',
  'ALTERNATIVE_DISTRIBUTION_PACKAGE_VERSION_CREATED',
  'ALTERNATIVE_DISTRIBUTION_TERRITORY_AVAILABILITY_UPDATED',
  'APP_STORE_VERSION_APP_VERSION_STATE_UPDATED',
  'BACKGROUND_ASSET_VERSION_APP_STORE_RELEASE_STATE_UPDATED',
  'BACKGROUND_ASSET_VERSION_EXTERNAL_BETA_RELEASE_STATE_UPDATED',
  'BACKGROUND_ASSET_VERSION_INTERNAL_BETA_RELEASE_CREATED',
  'BACKGROUND_ASSET_VERSION_STATE_UPDATED',
  'BETA_FEEDBACK_CRASH_SUBMISSION_CREATED',
  'BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED',
  'BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED',
  'BUILD_UPLOAD_STATE_UPDATED',
]);

/** "You can create up to ten webhooks per app" (App Store Connect Help, Manage webhooks). */
export const WEBHOOKS_PER_APP = 10;

const encoder = new TextEncoder();

/** APP_STORE_VERSION_APP_VERSION_STATE_UPDATED → appStoreVersionAppVersionStateUpdated (payload data.type). */
export function payloadType(eventType) {
  return eventType.toLowerCase().replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/** Lower-case hex HMAC-SHA256 of `body` keyed by `secret`: the value after `hmacsha256=`. */
export async function signature(secret, body) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, typeof body === 'string' ? encoder.encode(body) : body));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

function isoNow(seconds) {
  return new Date(seconds * 1000).toISOString();
}

function loopback(host) {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function appleError(status, code, title, detail, source) {
  const e = { id: crypto.randomUUID(), status: String(status), code, title, detail };
  if (source) e.source = source;
  return { status, body: JSON.stringify({ errors: [e] }) };
}

const notFound = (type, id) => appleError(404, 'NOT_FOUND', 'The specified resource does not exist', `There is no resource of type '${type}' with id '${id}'`);

/** Builds the webhooks resource. See the comment block at the top of this file. */
export function createWebhooks({ appExists = () => true, fetch = (...a) => globalThis.fetch(...a), now = () => Date.now() / 1000, randomUUID = () => crypto.randomUUID(), store = null } = {}) {
  /** id → { id, appId, name, secret, url, eventTypes, enabled, createdDate } in creation order. */
  const hooks = new Map();
  // With the sandbox's catalogue (`store`), every webhook is mirrored there (without its secret), so the
  // sandbox's generic route serves GET /v1/apps/{id}/webhooks with Apple's paging, fields and include.
  function mirror(hook, removed = false) {
    if (!store) return;
    if (!store.has('webhooks')) store.set('webhooks', new Map());
    const app = store.get('apps')?.get(hook.appId);
    if (removed) {
      store.get('webhooks').delete(hook.id);
      if (app) app.relationships.webhooks = (app.relationships.webhooks ?? []).filter((id) => id !== hook.id);
      return;
    }
    store.get('webhooks').set(hook.id, { type: 'webhooks', id: hook.id, attributes: { enabled: hook.enabled, eventTypes: [...hook.eventTypes], name: hook.name, url: hook.url }, relationships: { app: hook.appId } });
    if (app) app.relationships.webhooks = [...(app.relationships.webhooks ?? []), hook.id];
  }

  /** Adds a webhook directly (sandbox set-up: webhooks some other tool made). Returns it. */
  function seed({ id = randomUUID(), appId, name, url, eventTypes, enabled = false, secret = randomUUID() }) {
    const hook = { id, createdDate: isoNow(now()), appId, name, secret, url, eventTypes: [...eventTypes], enabled };
    hooks.set(hook.id, hook);
    mirror(hook);
    return hook;
  }
  const deliveries = [];
  const stats = { created: 0, deleted: 0, delivered: 0, failed: 0, pings: 0, refused: 0 };

  function render(origin, hook, includeApp) {
    const out = {
      type: 'webhooks',
      id: hook.id,
      attributes: { enabled: hook.enabled, eventTypes: [...hook.eventTypes], name: hook.name, url: hook.url },
      relationships: {
        app: includeApp ? { data: { type: 'apps', id: hook.appId } } : {},
        deliveries: { links: { related: `${origin}/v1/webhooks/${hook.id}/deliveries` } },
      },
      links: { self: `${origin}/v1/webhooks/${hook.id}` },
    };
    if (!includeApp) delete out.relationships.app;
    return out;
  }

  /** Checks a WebhookCreateRequest; returns { hook } or an Apple error result. */
  function validateCreate(doc) {
    const attrError = (field, detail, code = 'ENTITY_ERROR.ATTRIBUTE.INVALID') => appleError(409, code, code.endsWith('REQUIRED') ? 'The provided entity is missing a required field' : 'The provided entity includes an attribute with an invalid value', detail, { pointer: `/data/attributes/${field}` });
    const data = doc?.data;
    if (!data || typeof data !== 'object' || data.type !== 'webhooks') {
      return appleError(409, 'ENTITY_ERROR.INCLUDED.INVALID_TYPE', 'The provided entity has an invalid type', "The resource type must be 'webhooks'", { pointer: '/data/type' });
    }
    const a = data.attributes ?? {};
    for (const field of ['name', 'secret', 'eventTypes', 'url', 'enabled']) {
      if (a[field] === undefined || a[field] === null) return attrError(field, `You must provide a value for the attribute '${field}' with this request`, 'ENTITY_ERROR.ATTRIBUTE.REQUIRED');
    }
    if (typeof a.name !== 'string' || a.name.trim() === '') return attrError('name', "'name' must be a non-empty string");
    if (typeof a.secret !== 'string' || a.secret === '') return attrError('secret', "'secret' must be a non-empty string");
    if (typeof a.enabled !== 'boolean') return attrError('enabled', "'enabled' must be a boolean");
    if (!Array.isArray(a.eventTypes) || a.eventTypes.length === 0) return attrError('eventTypes', "'eventTypes' must list at least one event type");
    for (const t of a.eventTypes) {
      if (!WEBHOOK_EVENT_TYPES.includes(t)) return attrError('eventTypes', `'${String(t).slice(0, 80)}' is not a valid value for 'eventTypes'`);
    }
    let url;
    try {
      url = new URL(a.url);
    } catch {
      return attrError('url', "'url' must be an absolute URL");
    }
    if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback(url.hostname))) || url.username || url.password) {
      return attrError('url', "'url' must be an https URL");
    }
    const app = data.relationships?.app?.data;
    if (!app || app.type !== 'apps' || typeof app.id !== 'string') {
      return appleError(409, 'ENTITY_ERROR.RELATIONSHIP.REQUIRED', 'The provided entity is missing a required relationship', "You must provide a value for the relationship 'app' with this request", { pointer: '/data/relationships/app' });
    }
    if (!appExists(app.id)) {
      return appleError(409, 'ENTITY_ERROR.RELATIONSHIP.INVALID', 'The provided entity includes a relationship with an invalid value', `There is no resource of type 'apps' with id '${app.id}'`, { pointer: '/data/relationships/app' });
    }
    return { hook: { appId: app.id, name: a.name, secret: a.secret, url: a.url, eventTypes: [...new Set(a.eventTypes)], enabled: a.enabled } };
  }

  function list(appId) {
    return [...hooks.values()].filter((h) => h.appId === appId);
  }

  /** The REST routes; null when the path is not a webhooks path. */
  function route(request, url) {
    const path = url.pathname;
    const origin = url.origin;
    const method = request.method;
    const appList = /^\/v1\/apps\/([^/]+)\/webhooks$/.exec(path);
    const one = /^\/v1\/webhooks\/([^/]+)$/.exec(path);
    if (!(path === '/v1/webhooks' || path === '/v1/webhookPings' || appList || one)) return null;
    return (async () => {
      const wrongMethod = (allowed) => appleError(405, 'METHOD_NOT_ALLOWED', 'The request method is not valid for the resource path.', `The request method '${method}' is not valid for the resource path '${path}'. Allowed: ${allowed}`);
      const params = [...url.searchParams.keys()];
      if (path === '/v1/webhooks') {
        if (method !== 'POST') return wrongMethod('POST');
        let doc;
        try {
          doc = JSON.parse(await request.text());
        } catch {
          return appleError(422, 'ENTITY_UNPROCESSABLE', 'The request entity is not valid', 'The request body is not valid JSON');
        }
        const checked = validateCreate(doc);
        if (!checked.hook) return checked;
        if (list(checked.hook.appId).length >= WEBHOOKS_PER_APP) {
          stats.refused += 1;
          return appleError(409, 'ENTITY_ERROR', 'The request entity is not valid', `You can create up to ${WEBHOOKS_PER_APP} webhooks per app.`, { pointer: '/data/relationships/app' });
        }
        const hook = { id: randomUUID(), createdDate: isoNow(now()), ...checked.hook };
        hooks.set(hook.id, hook);
        mirror(hook);
        stats.created += 1;
        return { status: 201, body: JSON.stringify({ data: render(origin, hook, true), links: { self: `${origin}/v1/webhooks/${hook.id}` } }) };
      }
      if (path === '/v1/webhookPings') {
        if (method !== 'POST') return wrongMethod('POST');
        let doc;
        try {
          doc = JSON.parse(await request.text());
        } catch {
          return appleError(422, 'ENTITY_UNPROCESSABLE', 'The request entity is not valid', 'The request body is not valid JSON');
        }
        const ref = doc?.data?.relationships?.webhook?.data;
        if (doc?.data?.type !== 'webhookPings' || ref?.type !== 'webhooks' || !hooks.has(ref.id)) {
          return appleError(409, 'ENTITY_ERROR.RELATIONSHIP.INVALID', 'The provided entity includes a relationship with an invalid value', 'The webhook relationship must name an existing webhook', { pointer: '/data/relationships/webhook' });
        }
        const delivery = await ping(ref.id);
        return { status: 201, body: JSON.stringify({ data: { type: 'webhookPings', id: delivery.eventId }, links: { self: `${origin}/v1/webhookPings` } }) };
      }
      if (appList) {
        if (method !== 'GET') return wrongMethod('GET');
        const appId = decodeURIComponent(appList[1]);
        for (const p of params) {
          if (!['limit', 'fields[webhooks]', 'fields[apps]', 'include'].includes(p)) return appleError(400, 'PARAMETER_ERROR.ILLEGAL', 'A parameter is not allowed for this request', `The parameter '${p}' can not be used with this request`, { parameter: p });
        }
        const limitText = url.searchParams.get('limit');
        const limit = limitText === null ? 50 : Number(limitText);
        if (!Number.isInteger(limit) || limit < 1 || limit > 200) return appleError(400, 'PARAMETER_ERROR.INVALID', 'A parameter has an invalid value', `'${limitText}' is not a valid value for 'limit'`, { parameter: 'limit' });
        if (!appExists(appId)) return notFound('Apps', appId);
        const all = list(appId);
        const include = url.searchParams.get('include');
        if (include !== null && include !== 'app') return appleError(400, 'PARAMETER_ERROR.INVALID', 'A parameter has an invalid value', `'${include}' is not a valid value for 'include'`, { parameter: 'include' });
        const data = all.slice(0, limit).map((h) => render(origin, h, include === 'app'));
        return { status: 200, body: JSON.stringify({ data, links: { self: `${origin}${path}${url.search}` }, meta: { paging: { total: all.length, limit } } }) };
      }
      const id = decodeURIComponent(one[1]);
      const hook = hooks.get(id);
      if (method === 'GET') {
        if (!hook) return notFound('Webhooks', id);
        const includeApp = url.searchParams.get('include') === 'app';
        return { status: 200, body: JSON.stringify({ data: render(origin, hook, includeApp), links: { self: `${origin}${path}` } }) };
      }
      if (method === 'DELETE') {
        if (!hook) return notFound('Webhooks', id);
        hooks.delete(id);
        mirror(hook, true);
        stats.deleted += 1;
        return { status: 204, body: null };
      }
      return wrongMethod('GET, DELETE');
    })().then((r) => ({ headers: r.body === null ? {} : { 'content-type': 'application/json' }, ...r }));
  }

  /** POSTs one signed body to one webhook; records and returns the delivery (never throws). */
  async function deliver(hook, eventType, payload, ping = false) {
    const body = JSON.stringify(payload);
    const delivery = { id: randomUUID(), eventId: payload.data.id, webhookId: hook.id, appId: hook.appId, eventType, ping, url: hook.url, body, status: null, error: null, sentDate: isoNow(now()) };
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-apple-signature': `hmacsha256=${await signature(hook.secret, body)}` },
        body,
      });
      delivery.status = res.status;
      await res.arrayBuffer().catch(() => {});
    } catch (err) {
      delivery.error = String(err?.message ?? err).slice(0, 200);
    }
    if (delivery.status !== null && delivery.status >= 200 && delivery.status <= 299) stats.delivered += 1;
    else stats.failed += 1;
    deliveries.push(delivery);
    return delivery;
  }

  /**
   * An event: { eventType, appId, instance: { type, id }, attributes }. The payload is
   * {"data":{"type":<camelCase eventType>,"id":<uuid>,"version":1,"attributes":{...,"timestamp"},
   * "relationships":{"instance":{"data":{type,id},"links":{"self"}}}}}, as in Apple's examples.
   * Returns one delivery per matching webhook.
   */
  async function emit({ eventType, appId, instance, attributes = {}, origin = 'https://api.appstoreconnect.apple.com' }) {
    if (!WEBHOOK_EVENT_TYPES.includes(eventType)) throw new TypeError(`unknown event type ${eventType}`);
    const targets = list(appId).filter((h) => h.enabled && h.eventTypes.includes(eventType));
    const out = [];
    for (const hook of targets) {
      const payload = {
        data: {
          type: payloadType(eventType),
          id: randomUUID(),
          version: 1,
          attributes: { ...attributes, timestamp: attributes.timestamp ?? isoNow(now()) },
          relationships: { instance: { data: { type: instance.type, id: instance.id }, links: { self: `${origin}/v1/${instance.type}/${instance.id}` } } },
        },
      };
      out.push(await deliver(hook, eventType, payload));
    }
    return out;
  }

  /** Sends Apple's ping to one webhook (what POST /v1/webhookPings and the Test button do). */
  async function ping(webhookId) {
    const hook = hooks.get(webhookId);
    if (!hook) throw new TypeError(`no webhook ${webhookId}`);
    stats.pings += 1;
    return deliver(hook, null, { data: { type: 'webhookPingCreated', id: randomUUID(), version: 1, attributes: { timestamp: isoNow(now()) } } }, true);
  }

  return {
    route,
    emit,
    ping,
    list,
    seed,
    deliveries,
    stats,
    /** An App Store version's state changed (AppVersionState values). */
    appStoreVersionStateChanged: (appId, versionId, oldValue, newValue) => emit({ eventType: 'APP_STORE_VERSION_APP_VERSION_STATE_UPDATED', appId, instance: { type: 'appStoreVersions', id: versionId }, attributes: { newValue, oldValue } }),
    /** A build upload's state changed (BuildUploadState: AWAITING_UPLOAD, PROCESSING, FAILED, COMPLETE). */
    buildUploadStateChanged: (appId, buildUploadId, oldState, newState) => emit({ eventType: 'BUILD_UPLOAD_STATE_UPDATED', appId, instance: { type: 'buildUploads', id: buildUploadId }, attributes: { newState, oldState } }),
    /** A build's external TestFlight state changed. */
    externalBetaStateChanged: (appId, buildBetaDetailId, oldExternalBuildState, newExternalBuildState) => emit({ eventType: 'BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED', appId, instance: { type: 'buildBetaDetails', id: buildBetaDetailId }, attributes: { oldExternalBuildState, newExternalBuildState } }),
    /** A tester sent feedback: kind 'screenshot' or 'crash'. */
    feedbackCreated: (appId, kind, submissionId) => emit(kind === 'crash'
      ? { eventType: 'BETA_FEEDBACK_CRASH_SUBMISSION_CREATED', appId, instance: { type: 'betaFeedbackCrashSubmissions', id: submissionId } }
      : { eventType: 'BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED', appId, instance: { type: 'betaFeedbackScreenshotSubmissions', id: submissionId } }),
  };
}
