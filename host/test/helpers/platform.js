// A Power Platform emulator for the tests, written from the connector files alone
// (apiDefinition.swagger.json + apiProperties.json) and Microsoft's documented behaviour
// (docs/TRIGGERS.md): it calls operations by operationId the way a flow would, applies the
// apiProperties policies, follows nextLink, runs the polling-trigger protocol and the
// webhook-trigger protocol with a real local callback server. Nothing here knows the gateway's
// code: a test through it checks the connector files and the gateway together.
//
// createPlatform({ swagger, apiProperties, backend, connection, ... })
//   backend      the gateway's base URL; replaces the swagger's scheme + host (basePath is kept),
//                as a maker does when importing the connector with their own host
//   connection   connection parameter values, e.g. { api_key, issuer_id, key_type, key_id, private_key }
//   apimPrefix   this "API Hub" connection's own URL (default https://apihub.emulator.invalid/apim/asc/<id>);
//                URLs under it re-enter the connector (policies, API key) instead of going direct
//   referrerPrefix  send X-MS-APIM-Referrer-Prefix: apimPrefix to the backend (default true; whether
//                custom-connector backends receive it is unverified, so tests cover both)
//   deleteWithoutHeaders  emulate the reported bug: the unsubscribe DELETE goes to the Location
//                directly, with no connector headers, even when it is under apimPrefix
//   fetch        used for backend calls (default globalThis.fetch)
// → { call, callPaged, pollingTrigger, webhookTrigger, requests }
//
// Behaviour taken from Microsoft's documentation and the policy schemas (see docs/TRIGGERS.md):
//   - securityDefinitions apiKey in header: the connection's api_key is sent in that header;
//   - setheader / setqueryparameter with @connectionParameters('x'[, 'default']), @headers('x'),
//     @queryParameters('x'); existsAction override (default) | skip | append;
//   - updatenextlink: the root nextLink of the named operations is rewritten under apimPrefix, so
//     following it re-enters the connector; without the policy the link is fetched directly, with
//     no connector headers (PowerPlatformConnectors issue #2959);
//   - pollingtrigger: the first poll only establishes state (202); later polls send each
//     triggerConfig parameter evaluated on the previous triggerBody(); items come from
//     triggerDataPath; no items → 202 and the state is kept; items → 200, one run per item (Split On);
//   - webhook triggers: the body property marked x-ms-notification-url gets the callback URL; the 201
//     answer's Location is DELETEd on unsubscribe; deliveries are validated against the path item's
//     x-ms-notification-content schema.
import { createServer } from 'node:http';
import { randomUUID, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';

/** Reads the connector files from a directory (default: the repository root). */
export function loadConnector(dir = new URL('../../../', import.meta.url)) {
  const read = (name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
  return { swagger: read('apiDefinition.swagger.json'), apiProperties: read('apiProperties.json') };
}

// ---------------------------------------------------------------------------------------------
// Expressions (the subset the connector's policies use): @fn(args)accessors, @{...} interpolation,
// string/number literals, functions triggerBody, triggerOutputs, coalesce, connectionParameters,
// headers, queryParameters; accessors .name, ?.name, [n], ['key'].

function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length) {
        if (src[j] === "'" && src[j + 1] === "'") {
          s += "'";
          j += 2;
        } else if (src[j] === "'") break;
        else s += src[j++];
      }
      if (j >= src.length) throw new Error(`unterminated string in expression: ${src}`);
      tokens.push({ t: 'str', v: s });
      i = j + 1;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      tokens.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w-]*/.exec(src.slice(i));
      tokens.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if (src.startsWith('?.', i)) {
      tokens.push({ t: '?.' });
      i += 2;
    } else if ('().,[]'.includes(c)) {
      tokens.push({ t: c });
      i += 1;
    } else {
      throw new Error(`unexpected character ${c} in expression: ${src}`);
    }
  }
  return tokens;
}

function evaluateExpr(src, ctx) {
  const tokens = tokenize(src);
  let p = 0;
  const peek = () => tokens[p];
  const take = (t) => {
    const tok = tokens[p];
    if (!tok || (t && tok.t !== t)) throw new Error(`expected ${t} in expression: ${src}`);
    p += 1;
    return tok;
  };
  function primary() {
    const tok = take();
    if (tok.t === 'str' || tok.t === 'num') return tok.v;
    if (tok.t !== 'id') throw new Error(`unexpected token in expression: ${src}`);
    take('(');
    const args = [];
    while (peek()?.t !== ')') {
      args.push(expr());
      if (peek()?.t === ',') take(',');
    }
    take(')');
    const fn = ctx.functions[tok.v];
    if (!fn) throw new Error(`unsupported function ${tok.v}() in expression: ${src}`);
    return fn(...args);
  }
  function expr() {
    let value = primary();
    for (;;) {
      const tok = peek();
      if (!tok) return value;
      if (tok.t === '.' || tok.t === '?.') {
        take();
        const name = take('id').v;
        if (value == null) {
          if (tok.t === '?.') return null;
          throw new Error(`cannot read ${name} of ${value} in expression: ${src}`);
        }
        value = value[name];
      } else if (tok.t === '[') {
        take('[');
        const key = expr();
        take(']');
        if (value == null) throw new Error(`cannot index ${value} in expression: ${src}`);
        if (Array.isArray(value) && typeof key === 'number' && key >= value.length) {
          throw new Error(`index ${key} is out of range (array of ${value.length}) in expression: ${src}`);
        }
        value = value[key];
      } else {
        return value;
      }
    }
  }
  const value = expr();
  if (p !== tokens.length) throw new Error(`trailing input in expression: ${src}`);
  return value;
}

/**
 * Evaluates a Logic Apps expression string: "@expr" → the value; text with "@{expr}" parts → a
 * string; anything else → the text itself ("@@" escapes "@").
 */
export function evaluate(text, ctx) {
  if (typeof text !== 'string') return text;
  if (text.startsWith('@') && !text.startsWith('@{') && !text.startsWith('@@')) return evaluateExpr(text.slice(1), ctx);
  if (text.startsWith('@@')) return text.slice(1);
  return text.replace(/@\{([^}]*)\}/g, (_, inner) => {
    const v = evaluateExpr(inner, ctx);
    return v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function baseFunctions({ connection = {}, headers = {}, query = {}, triggerBody, triggerOutputs }) {
  return {
    connectionParameters: (name, fallback) => (connection[name] !== undefined && connection[name] !== '' ? connection[name] : fallback ?? ''),
    headers: (name) => headers[String(name).toLowerCase()] ?? null,
    queryParameters: (name) => query[name] ?? null,
    coalesce: (...args) => args.find((a) => a != null) ?? null,
    triggerBody: () => triggerBody,
    triggerOutputs: () => triggerOutputs,
  };
}

// ---------------------------------------------------------------------------------------------

/** Builds an emulated connection. See the comment block at the top of this file. */
export function createPlatform({ swagger, apiProperties, backend, connection = {}, apimPrefix, referrerPrefix = true, deleteWithoutHeaders = false, fetch = (...a) => globalThis.fetch(...a) }) {
  const prefix = (apimPrefix ?? `https://apihub.emulator.invalid/apim/asc/${randomUUID()}`).replace(/\/+$/, '');
  const basePath = (swagger.basePath ?? '/').replace(/\/+$/, '');
  const backendBase = `${new URL(backend).origin}${basePath}`;
  const policies = apiProperties.properties.policyTemplateInstances ?? [];
  const requests = [];

  const operations = [];
  for (const [path, item] of Object.entries(swagger.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => (p.$ref ? swagger.parameters[p.$ref.split('/').pop()] : p));
      operations.push({ id: op.operationId, method: method.toUpperCase(), path, op, item, params });
    }
  }
  const byId = new Map(operations.map((o) => [o.id, o]));
  const operation = (id) => {
    const o = byId.get(id);
    if (!o) throw new Error(`the connector has no operation ${id}`);
    return o;
  };
  const appliesTo = (policy, id) => {
    const names = policy.parameters?.['x-ms-apimTemplate-operationName'];
    return !Array.isArray(names) || names.length === 0 || names.includes(id);
  };

  /** Matches a method + path (under basePath) to an operation and its path parameters. */
  function matchOperation(method, path) {
    for (const o of operations) {
      if (o.method !== method) continue;
      const names = [];
      const re = new RegExp(`^${o.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
      const m = re.exec(path);
      if (m) return { o, pathParams: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
    }
    return null;
  }

  /** Security and Request-section policies: the headers and query a connector request gets. */
  function connectorHeaders(o, headers, query) {
    for (const def of Object.values(swagger.securityDefinitions ?? {})) {
      if (def.type === 'apiKey' && def.in === 'header' && connection.api_key !== undefined) headers[def.name.toLowerCase()] = connection.api_key;
    }
    const ctx = { functions: baseFunctions({ connection, headers, query }) };
    for (const policy of policies) {
      if (!appliesTo(policy, o.id)) continue;
      const section = policy.parameters?.['x-ms-apimTemplate-policySection'] ?? 'Request';
      if (section !== 'Request') continue;
      const id = policy.templateId.toLowerCase();
      if (id !== 'setheader' && id !== 'setqueryparameter') continue;
      const target = id === 'setheader' ? headers : query;
      const rawName = policy.parameters['x-ms-apimTemplateParameter.name'];
      const name = id === 'setheader' ? rawName.toLowerCase() : rawName;
      const value = String(evaluate(policy.parameters['x-ms-apimTemplateParameter.value'], ctx) ?? '');
      const action = policy.parameters['x-ms-apimTemplateParameter.existsAction'] ?? 'override';
      if (target[name] !== undefined && action === 'skip') continue;
      target[name] = target[name] !== undefined && action === 'append' ? `${target[name]},${value}` : value;
    }
    if (referrerPrefix) headers['x-ms-apim-referrer-prefix'] = prefix;
    return headers;
  }

  /** Response-section policies (updatenextlink). */
  function applyResponsePolicies(o, json) {
    for (const policy of policies) {
      if (!appliesTo(policy, o.id) || policy.templateId.toLowerCase() !== 'updatenextlink') continue;
      const prop = policy.parameters['x-ms-apimTemplateParameter.nextLinkPropertyName'];
      if (json && typeof json[prop] === 'string' && json[prop].startsWith(backendBase)) {
        json[prop] = `${prefix}${json[prop].slice(backendBase.length)}`;
      }
    }
    return json;
  }

  async function send(method, url, headers, body, o) {
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    if (o) json = applyResponsePolicies(o, json);
    const entry = { method, url, status: res.status, operationId: o?.id ?? null, viaConnector: Boolean(o), sentApiKey: headers['x-api-key'] !== undefined };
    requests.push(entry);
    return { status: res.status, headers: res.headers, text, json };
  }

  /** Calls an operation by operationId with `params` (name → value; body parameters by name). */
  async function call(operationId, params = {}) {
    const o = operation(operationId);
    let path = o.path;
    const query = {};
    const headers = {};
    let body;
    for (const p of o.params) {
      let value = params[p.name];
      if (value === undefined && p.default !== undefined && (p.required || p['x-ms-visibility'] === 'internal')) value = p.default;
      if (value === undefined) {
        if (p.required) throw new Error(`${operationId}: parameter ${p.name} is required`);
        continue;
      }
      if (p.in === 'path') path = path.replace(`{${p.name}}`, p['x-ms-url-encoding'] === 'double' ? encodeURIComponent(encodeURIComponent(value)) : encodeURIComponent(value));
      else if (p.in === 'query') query[p.name] = String(value);
      else if (p.in === 'header') headers[p.name.toLowerCase()] = String(value);
      else if (p.in === 'body') body = JSON.stringify(value);
    }
    for (const name of Object.keys(params)) {
      if (!o.params.some((p) => p.name === name)) throw new Error(`${operationId} has no parameter ${name}`);
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    connectorHeaders(o, headers, query);
    const qs = new URLSearchParams(query).toString();
    return send(o.method, `${backendBase}${path}${qs ? `?${qs}` : ''}`, headers, body, o);
  }

  /**
   * Sends a request to a URL the platform was handed (nextLink, Location): under apimPrefix it
   * re-enters the connector (the matching operation's policies and the API key apply); anywhere
   * else it goes out directly with no connector headers.
   */
  async function follow(method, url, { direct = false } = {}) {
    if (!direct && url.startsWith(`${prefix}/`)) {
      const rest = new URL(url.slice(prefix.length), 'http://x');
      const match = matchOperation(method, rest.pathname.slice(basePath.length) || '/');
      if (!match) return { status: 404, text: 'no connector operation matches', json: null, headers: new Headers() };
      const query = Object.fromEntries(rest.searchParams);
      const headers = connectorHeaders(match.o, {}, query);
      const qs = new URLSearchParams(query).toString();
      return send(method, `${backendBase}${rest.pathname.slice(basePath.length)}${qs ? `?${qs}` : ''}`, headers, undefined, match.o);
    }
    const target = url.startsWith(`${prefix}/`) ? `${backendBase}${url.slice(prefix.length + basePath.length)}` : url;
    return send(method, target, {}, undefined, null);
  }

  /**
   * A pageable operation with Pagination on: the first page, then each nextLink until none is left
   * or `threshold` items are reached. Returns { items, pages, responses }.
   */
  async function callPaged(operationId, params = {}, { threshold = 100_000 } = {}) {
    const o = operation(operationId);
    const nextName = o.op['x-ms-pageable']?.nextLinkName;
    if (!nextName) throw new Error(`${operationId} is not x-ms-pageable`);
    const responses = [await call(operationId, params)];
    const items = [];
    for (;;) {
      const last = responses[responses.length - 1];
      if (last.status !== 200) break;
      items.push(...(last.json?.value ?? []));
      const next = last.json?.[nextName];
      if (!next || items.length >= threshold) break;
      responses.push(await follow('GET', next));
    }
    return { items, pages: responses.length, responses };
  }

  /** The pollingtrigger policy of an operation. */
  function pollingPolicy(operationId) {
    const p = policies.find((x) => x.templateId.toLowerCase() === 'pollingtrigger' && appliesTo(x, operationId));
    if (!p) throw new Error(`no pollingtrigger policy names ${operationId}`);
    return { triggerConfig: p.parameters['x-ms-apimTemplateParameter.triggerConfig'], dataPath: p.parameters['x-ms-apimTemplateParameter.triggerDataPath'] };
  }

  /**
   * A polling trigger (pattern A). `poll()` resolves to { status: 202|200, runs: [items], state,
   * response }: the first poll establishes state and fires nothing; later polls send the state.
   */
  function pollingTrigger(operationId, params = {}) {
    const o = operation(operationId);
    if (o.op['x-ms-trigger'] !== 'batch') throw new Error(`${operationId} is not a batch trigger`);
    const { triggerConfig, dataPath } = pollingPolicy(operationId);
    let state = null;
    return {
      get state() {
        return state;
      },
      async poll() {
        const response = await call(operationId, { ...params, ...(state ?? {}) });
        if (response.status !== 200) return { status: response.status, runs: [], state, response };
        const ctx = { functions: baseFunctions({ connection, triggerBody: response.json, triggerOutputs: { body: response.json, headers: Object.fromEntries(response.headers), statusCode: response.status } }) };
        const items = evaluate(dataPath, ctx) ?? [];
        if (!Array.isArray(items)) throw new Error(`triggerDataPath ${dataPath} did not select an array`);
        const first = state === null;
        if (!first && items.length === 0) return { status: 202, runs: [], state, response };
        const next = {};
        for (const [name, expression] of Object.entries(triggerConfig)) {
          if (name === 'x-ms-triggerConfig-nextLink') continue;
          next[name] = evaluate(expression, ctx);
        }
        state = next;
        return first ? { status: 202, runs: [], state, response } : { status: 200, runs: items, state, response };
      },
    };
  }

  /**
   * A webhook trigger: `subscribe()` starts a callback server and registers it; `events` collects
   * each delivery ({ body, json, headers, valid, errors }); `unsubscribe()` DELETEs the Location;
   * `close()` stops the server.
   */
  async function webhookTrigger(operationId, params = {}) {
    const o = operation(operationId);
    if (o.op['x-ms-trigger'] !== 'single') throw new Error(`${operationId} is not a single (webhook) trigger`);
    const bodyParam = o.params.find((p) => p.in === 'body');
    const schema = bodyParam?.schema?.$ref ? swagger.definitions[bodyParam.schema.$ref.split('/').pop()] : bodyParam?.schema;
    const urlProp = Object.entries(schema?.properties ?? {}).find(([, s]) => s['x-ms-notification-url'] === true)?.[0];
    if (!urlProp) throw new Error(`${operationId} has no x-ms-notification-url property`);
    const content = o.item['x-ms-notification-content'];
    if (!content?.schema) throw new Error(`${operationId}'s path has no x-ms-notification-content schema`);
    const ajv = new Ajv({ strict: false, allErrors: true });
    const resolve = (s) => (s.$ref ? swagger.definitions[s.$ref.split('/').pop()] : s);
    const validate = ajv.compile({ ...resolve(content.schema), definitions: swagger.definitions });

    const sig = randomBytes(16).toString('hex');
    const events = [];
    const server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url, 'http://x');
        if (req.method !== 'POST' || u.searchParams.get('sig') !== sig) {
          res.writeHead(401).end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(body);
        } catch {
          // kept as text
        }
        const valid = json !== null && validate(json);
        events.push({ body, json, headers: req.headers, valid, errors: valid ? null : validate.errors });
        res.writeHead(202).end();
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const callbackUrl = `http://127.0.0.1:${server.address().port}/workflows/${randomUUID().replace(/-/g, '')}/triggers/${operationId}/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2F${operationId}%2Frun&sv=1.0&sig=${sig}`;
    let location = null;
    return {
      callbackUrl,
      events,
      get location() {
        return location;
      },
      async subscribe() {
        const body = { ...(params[bodyParam.name] ?? {}), [urlProp]: callbackUrl };
        const response = await call(operationId, { ...params, [bodyParam.name]: body });
        if (response.status === 200 || response.status === 201) location = response.headers.get('location');
        return response;
      },
      async unsubscribe() {
        if (!location) throw new Error('no Location to unsubscribe with');
        return follow('DELETE', location, { direct: deleteWithoutHeaders });
      },
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  return { call, callPaged, follow, pollingTrigger, webhookTrigger, requests, apimPrefix: prefix };
}
