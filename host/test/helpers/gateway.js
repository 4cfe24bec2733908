// Shared test helpers for the gateway tests: throwaway Apple keys made at test time, a log sink that
// captures JSON lines, a leak check for secrets, a raw-HTTP client (for request targets fetch cannot
// send) and a way to run one gateway against one sandbox. Never prints key material or tokens.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { startSandbox } from '../../src/sandbox/server.js';
import { startGateway } from '../../src/node.js';
import { leakedSecrets, pemBody } from './keys.js';

/** A fresh Apple-style key: { kid, issuerId?, individual, pem (PKCS#8), publicPem, sandboxKey }. */
export function newAppleKey({ individual = false, forbidden = false } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  const kid = randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase();
  const issuerId = individual ? undefined : randomUUID();
  const sandboxKey = individual ? { kid, publicKeyPem: publicPem, individual: true } : { kid, publicKeyPem: publicPem, issuerId };
  if (forbidden) sandboxKey.forbidden = true;
  return { kid, issuerId, individual, pem, publicPem, publicKey, sandboxKey };
}

/** Environment variables configuring `key` as the gateway's server key. */
export function serverKeyEnv(key) {
  const env = { ASC_KEY_ID: key.kid, ASC_PRIVATE_KEY: key.pem };
  if (key.individual) env.ASC_KEY_TYPE = 'individual';
  else env.ASC_ISSUER_ID = key.issuerId;
  return env;
}

/** Headers supplying `key` as a caller key. The PEM travels on one line, as a header must. */
export function callerKeyHeaders(key) {
  const h = { 'X-ASC-Key-Id': key.kid, 'X-ASC-Private-Key': key.pem.replace(/\r?\n/g, '\\n') };
  if (key.individual) h['X-ASC-Key-Type'] = 'individual';
  else h['X-ASC-Issuer-Id'] = key.issuerId;
  return h;
}

/** A log sink keeping every entry as the JSON line the default sink would print. */
export function captureLog() {
  const lines = [];
  const log = (entry) => lines.push(JSON.stringify(entry));
  return { lines, log, entries: () => lines.map((l) => JSON.parse(l)) };
}

export { leakedSecrets, pemBody };


/**
 * Sends a raw HTTP request (a Buffer, or a latin1 string so any byte value survives) to the server
 * at `url` and resolves to { status, headers, body, text } of the first response, or { status: 0 }
 * when the server closes without answering. Adds `Connection: close` when the request has none.
 * Bounded by `timeoutMs`.
 */
export function rawRequest(url, request, timeoutMs = 5000) {
  const { hostname, port } = new URL(url);
  let bytes = Buffer.isBuffer(request) ? request : Buffer.from(request, 'latin1');
  const end = bytes.indexOf('\r\n\r\n');
  if (end !== -1 && !/\r\nConnection:/i.test(bytes.subarray(0, end).toString('latin1'))) {
    bytes = Buffer.concat([bytes.subarray(0, end + 2), Buffer.from('Connection: close\r\n'), bytes.subarray(end + 2)]);
  }
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(all);
      if (!m) {
        resolve({ status: 0, headers: {}, body: all, text: all });
        return;
      }
      const headers = {};
      for (const line of m[2].split('\r\n')) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), headers, body: m[3], text: all });
    });
    socket.write(bytes);
  });
}

/** Fetches `url` (GET unless `init` says otherwise) and resolves to { status, headers, text, json } (json is null when the body is not JSON). */
export async function fetchJson(url, headers = {}, init = {}) {
  const res = await fetch(url, { headers, ...init });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Starts a sandbox (with `keys`) and a gateway in front of it. `env` is merged over a default
 * test environment (API key set, ASC_BASE_URL = sandbox); `deps` go to the handler (a capturing
 * log is added). Returns { gw, sb, sandbox, log, apiKey, get(path, headers), close() }.
 */
export async function startStack({ keys = [], env = {}, deps = {}, sandbox = {}, apps = 30 } = {}) {
  const sb = await startSandbox({ host: '127.0.0.1', port: 0, keys, apps, ...sandbox });
  const log = captureLog();
  const apiKey = `gw-test-${randomUUID()}`;
  let gw;
  try {
    gw = await startGateway({
      env: { GATEWAY_API_KEY: apiKey, ASC_BASE_URL: sb.url, ...env },
      host: '127.0.0.1',
      port: 0,
      deps: { log: log.log, ...deps },
    });
  } catch (err) {
    await sb.close();
    throw err;
  }
  const get = (path, headers = {}, init = {}) => fetchJson(`${gw.url}${path}`, { 'X-API-Key': apiKey, ...headers }, init);
  return {
    gw,
    sb,
    sandbox: sb.sandbox,
    log,
    apiKey,
    get,
    async close() {
      await gw.close();
      await sb.close();
    },
  };
}

/**
 * The path of one table operation (from `operations()`) filled with ids from the sandbox catalogue that have
 * data for it (an app with several reviews, a review with a response). The sandbox's own tables (read from
 * Apple's spec) say which resource each path's id names. Returns { path, type } (type: the records' type).
 */
export function examplePath(op, catalogue, sandboxOperations) {
  const sop = sandboxOperations.find((o) => o.path === op.path && o.method === op.method);
  if (op.pathParameters.length === 0) return { path: op.path, type: sop.type };
  const ownType = sop.kind === 'get' ? sop.type : sop.parentType;
  const records = [...catalogue.resources.get(ownType).values()];
  // Resources the catalogue does not hold (an app's webhooks live in the sandbox's webhooks store) fall back
  // to the first record: the answer is then an empty list.
  const rec = sop.relationship
    ? records.find((r) => [r.relationships[sop.relationship]].flat().filter(Boolean).length >= (sop.kind === 'relatedList' ? 3 : 1)) ?? records[0]
    : records[0];
  return { path: op.path.replace('{id}', encodeURIComponent(rec.id)), type: sop.type };
}

/**
 * One stamp per test process for the emails of writeCases: the same case built twice (a flat and a
 * raw stack compare the documents Apple received) must carry the same email, whatever the clock did
 * in between.
 */
const RUN_STAMP = Date.now();

/**
 * One case per write: the path, the flat body (or none), the expected status, and the read that must show the
 * change afterwards, and invalid flat bodies with the problems each must get. Ids come from the sandbox catalogue
 * (same seed in every stack, so the same ids); `n` picks other records, so several runs can share one sandbox.
 */
export function writeCases(store, n = 0) {
  const all = (type) => [...store.get(type).values()];
  const reviewWithout = all('customerReviews').filter((r) => !r.relationships.response)[n];
  const reviewWith = all('customerReviews').filter((r) => r.relationships.response)[n];
  const group = all('betaGroups')[n];
  // The sandbox seeds a few webhooks on its first apps (host/src/sandbox/webhooks.js).
  const hook = all('webhooks')[n];
  const outsider = all('betaTesters').find((t) => !group.relationships.betaTesters.includes(t.id) && t.relationships.apps.length > 0);
  const member = store.get('betaTesters').get(group.relationships.betaTesters[0]);
  const invitee = all('betaTesters').filter((t) => t.relationships.apps.length > 0)[n + 1];
  const email = `writes.${n}.${RUN_STAMP}@example.com`;
  return {
    CreateCustomerReviewResponse: {
      path: '/v1/customerReviewResponses',
      flat: { review: reviewWithout.id, responseBody: 'Thank you! Fixed in 2.1.' },
      status: 201,
      read: [`/v1/customerReviews/${reviewWithout.id}/response`, (r) => r.status === 200 && r.json.responseBody === 'Thank you! Fixed in 2.1.'],
      invalid: [[{ reviw: reviewWithout.id, responseBody: 5 }, [['FIELD_UNKNOWN', 'reviw'], ['FIELD_TYPE_INVALID', 'responseBody'], ['FIELD_REQUIRED', 'review']]]],
    },
    DeleteCustomerReviewResponse: {
      path: `/v1/customerReviewResponses/${reviewWith.relationships.response}`,
      flat: null,
      status: 204,
      read: [`/v1/customerReviews/${reviewWith.id}/response`, (r) => r.status === 404],
      invalid: [],
    },
    CreateBetaTester: {
      path: '/v1/betaTesters',
      flat: { email, firstName: 'Ada', betaGroups: [group.id] },
      status: 201,
      read: [`/v1/betaTesters?filter[email]=${encodeURIComponent(email)}&filter[betaGroups]=${group.id}`, (r) => r.status === 200 && r.json.value.length === 1 && r.json.value[0].firstName === 'Ada'],
      invalid: [
        [{ emial: 'x', betaGroups: [], builds: 'b1', firstName: 3 }, [['FIELD_UNKNOWN', 'emial'], ['FIELD_REQUIRED', 'email'], ['ID_LIST_EMPTY', 'betaGroups'], ['FIELD_TYPE_INVALID', 'builds'], ['FIELD_TYPE_INVALID', 'firstName']]],
        [{ email: 'not-an-email', betaGroups: ['ok', 'bad id'] }, [['FIELD_FORMAT_INVALID', 'email'], ['ID_INVALID', 'betaGroups[1]']]],
      ],
    },
    DeleteBetaTester: {
      path: `/v1/betaTesters/${member.id}`,
      flat: null,
      status: 204,
      read: [`/v1/betaTesters?filter[email]=${encodeURIComponent(member.attributes.email)}`, (r) => r.status === 200 && r.json.value.length === 0],
      invalid: [],
    },
    AddBetaTestersToGroup: {
      path: `/v1/betaGroups/${group.id}/relationships/betaTesters`,
      flat: { betaTesters: [outsider.id] },
      status: 204,
      read: [`/v1/betaTesters?filter[betaGroups]=${group.id}&limit=200`, (r) => r.status === 200 && r.json.value.some((t) => t.id === outsider.id)],
      invalid: [[{ betaTesters: [], testers: 1 }, [['ID_LIST_EMPTY', 'betaTesters'], ['FIELD_UNKNOWN', 'testers']]], [{ betaTesters: 'one' }, [['FIELD_TYPE_INVALID', 'betaTesters']]]],
    },
    RemoveBetaTestersFromGroup: {
      path: `/v1/betaGroups/${group.id}/relationships/betaTesters`,
      flat: { betaTesters: [member.id] },
      status: 204,
      read: [`/v1/betaTesters?filter[betaGroups]=${group.id}&limit=200`, (r) => r.status === 200 && !r.json.value.some((t) => t.id === member.id)],
      invalid: [[{}, [['FIELD_REQUIRED', 'betaTesters']]]],
    },
    DeleteWebhook: {
      path: `/v1/webhooks/${hook.id}`,
      flat: null,
      status: 204,
      read: [`/v1/apps/${hook.relationships.app}/webhooks?limit=200`, (r) => r.status === 200 && !r.json.value.some((w) => w.id === hook.id)],
      invalid: [],
    },
    SendBetaTesterInvitation: {
      path: '/v1/betaTesterInvitations',
      flat: { app: invitee.relationships.apps[0], betaTester: invitee.id },
      status: 201,
      read: [`/v1/betaTesters?filter[email]=${encodeURIComponent(invitee.attributes.email)}`, (r) => r.status === 200 && r.json.value[0].state === 'INVITED'],
      invalid: [[{ app: 'com.example.app', betaTester: 7 }, [['ID_INVALID', 'app'], ['FIELD_TYPE_INVALID', 'betaTester']]], [{ betaTester: invitee.id }, [['FIELD_REQUIRED', 'app']]]],
    },
  };
}
