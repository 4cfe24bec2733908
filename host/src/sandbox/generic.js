// The sandbox's answer for every other path of Apple's spec: any operation of the full spec 4.4.1
// (spec/app-store-connect-openapi-4.4.1.json, read on the first request that needs it, not at
// start-up) gets a well-formed answer, so the advanced action (POST /v1/request) and
// `asc-connector request` can be tried offline. The catalogue-backed operations of sandbox.js come
// first; this module only answers what they do not serve.
//
// Built from Apple's spec alone, never from the gateway's planner or spec pack: the sandbox is the
// test oracle. What it checks, as Apple would: the query names are parameters of the operation
// (else 400 PARAMETER_ERROR.ILLEGAL), a body is sent exactly when the operation takes one and is a
// JSON object (else 400 ENTITY_ERROR...). What it answers (choices where no data exists):
//   - 204 (or Apple's only 2xx without content) → 204, no body;
//   - a collection (`data` is an array) → `{"data": [], "links": {"self"}, "meta": {"paging": {"total": 0}}}`;
//   - one resource → a resource generated from the response schema: `type` from its enum, `id` the
//     last id of the path (or, for a create, a stable id made from the body), every attribute with a
//     value of its type (first enum value, a fixed date, 0, false, [] ...), the request's own
//     attributes on a create or update; 201 for a create;
//   - other JSON documents → a value generated from the schema; non-JSON answers (gzip, CSV) → 200
//     with an empty body of that content type.
//
// genericAnswer(request, url) → null when no path template of the spec fits (the caller answers
// 404/405 as before), else { status, body (string | null), contentType }.

import { readFileSync } from 'node:fs';

const FULL_URL = new URL('../../../spec/app-store-connect-openapi-4.4.1.json', import.meta.url);
/** Nesting depth of generated objects (attributes are a few levels deep; schemas can recurse). */
const MAX_DEPTH = 6;
/** Fixed values, so answers are deterministic. */
const DATE_TIME = '2024-01-01T00:00:00Z';
const DATE = '2024-01-01';

let cached = null;

/** The full spec's operations as { method, segments, op, item }, read once per process. */
export function genericTables(spec) {
  if (spec === undefined && cached) return cached;
  const s = spec ?? JSON.parse(readFileSync(FULL_URL, 'utf8'));
  const operations = [];
  for (const [path, item] of Object.entries(s.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      operations.push({ method: method.toUpperCase(), path, segments: path.split('/').slice(1), op, item });
    }
  }
  const tables = { spec: s, operations };
  if (spec === undefined) cached = tables;
  return tables;
}

function resolve(spec, schema) {
  let s = schema;
  for (let i = 0; s?.$ref && i < 16; i += 1) s = spec.components.schemas[s.$ref.split('/').pop()];
  return s ?? {};
}

/** A value of `schema`'s type (first enum value, fixed dates, minimums, empty arrays). */
export function sampleValue(spec, schema, depth = 0) {
  let s = resolve(spec, schema);
  if (s.oneOf || s.anyOf) s = resolve(spec, (s.oneOf ?? s.anyOf)[0]);
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  switch (s.type) {
    case 'string':
      if (s.format === 'date-time') return DATE_TIME;
      if (s.format === 'date') return DATE;
      if (s.format === 'email') return 'someone@example.com';
      if (s.format === 'uri' || s.format === 'uri-reference') return 'https://example.com';
      return 'string';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default: {
      if (!s.properties || depth >= MAX_DEPTH) return {};
      const out = {};
      for (const [name, prop] of Object.entries(s.properties)) out[name] = sampleValue(spec, prop, depth + 1);
      return out;
    }
  }
}

/** The template that fits the path best (most literal segments), with the decoded ids. */
function fit(tables, method, pathname) {
  const segments = pathname.split('/').slice(1);
  let best = null;
  for (const o of tables.operations) {
    if (o.method !== method || o.segments.length !== segments.length) continue;
    const ids = [];
    let literal = 0;
    let ok = true;
    for (let i = 0; i < segments.length && ok; i += 1) {
      if (o.segments[i].startsWith('{')) {
        if (segments[i] === '') ok = false;
        else {
          try {
            ids.push(decodeURIComponent(segments[i]));
          } catch {
            ids.push(segments[i]);
          }
        }
      } else if (o.segments[i] === segments[i]) literal += 1;
      else ok = false;
    }
    if (ok && (!best || literal > best.literal)) best = { o, ids, literal };
  }
  return best;
}

function appleError(status, code, title, detail, source) {
  const e = { id: crypto.randomUUID(), status: String(status), code, title, detail };
  if (source) e.source = source;
  return { status, body: JSON.stringify({ errors: [e] }), contentType: 'application/json' };
}

/** FNV-1a of text as 8 hex digits: stable ids for created resources. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** One resource from its schema, with `id`, the request's attributes and its self link. */
function resource(spec, schema, id, attributes, origin) {
  const s = resolve(spec, schema);
  const type = resolve(spec, s.properties?.type).enum?.[0] ?? 'resources';
  const out = { type, id };
  const attrSchema = resolve(spec, s.properties?.attributes);
  if (attrSchema.properties) {
    const attrs = sampleValue(spec, attrSchema, 1);
    if (attributes && typeof attributes === 'object') {
      for (const [k, v] of Object.entries(attributes)) if (Object.hasOwn(attrs, k)) attrs[k] = v;
    }
    out.attributes = attrs;
  }
  if (s.properties?.links) out.links = { self: `${origin}/v1/${type}/${encodeURIComponent(id)}` };
  return out;
}

/** Answers one request for an operation of the spec, or null when no template fits. */
export async function genericAnswer(request, url) {
  const tables = genericTables();
  const { spec } = tables;
  const found = fit(tables, request.method, url.pathname);
  if (!found) return null;
  const { o, ids } = found;

  const allowed = new Set([...(o.item.parameters ?? []), ...(o.op.parameters ?? [])].filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of new Set(url.searchParams.keys())) {
    if (!allowed.has(name) && name !== 'cursor') {
      return appleError(400, 'PARAMETER_ERROR.ILLEGAL', 'A parameter is not allowed for this request', `The parameter '${name}' can not be used with this request`, { parameter: name });
    }
  }
  const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
  let body = null;
  if (o.op.requestBody) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return appleError(400, 'ENTITY_ERROR.NOT_PROVIDED', 'The provided entity is missing or invalid', 'A JSON request body is required for this request.');
    }
  } else if (text !== '') {
    return appleError(400, 'ENTITY_ERROR.NOT_ALLOWED', 'A request body is not allowed', 'This request takes no request body.');
  }

  const codes = Object.keys(o.op.responses).filter((c) => /^2\d\d$/.test(c)).sort();
  const code = codes.find((c) => o.op.responses[c].content) ?? codes[0] ?? '204';
  const content = o.op.responses[code]?.content;
  if (!content) return { status: Number(code) === 202 ? 204 : Number(code), body: null, contentType: 'application/json' };
  const jsonType = Object.keys(content).find((t) => /json$/.test(t));
  if (!jsonType) return { status: Number(code), body: '', contentType: Object.keys(content)[0] };

  const schema = resolve(spec, content[jsonType].schema);
  const data = resolve(spec, schema.properties?.data);
  let doc;
  if (schema.properties?.data && data.type === 'array') {
    doc = { data: [], links: { self: url.href }, meta: { paging: { total: 0, limit: Number(url.searchParams.get('limit') ?? 50) || 50 } } };
  } else if (schema.properties?.data) {
    const created = request.method === 'POST';
    const id = created ? `sandbox-${hash(`${url.pathname}|${text}`)}` : ids[ids.length - 1] ?? 'sandbox';
    doc = { data: resource(spec, data, id, body?.data?.attributes, url.origin), links: { self: created ? `${url.origin}${url.pathname}/${id}` : url.href } };
  } else {
    doc = sampleValue(spec, schema);
  }
  return { status: Number(code), body: JSON.stringify(doc), contentType: jsonType };
}
