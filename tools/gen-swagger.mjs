#!/usr/bin/env node
/**
 * Generates `apiDefinition.swagger.json` (Swagger 2.0, Power Platform flavour) from two inputs:
 *
 * - Apple's OpenAPI spec 4.4.1, the source of truth for the operations' parameters, types, enums, limits,
 *   deprecations and the attributes of every resource the records can contain;
 * - `connector/presentation.json`, the hand-written words: display names (x-ms-summary), descriptions,
 *   visibility, error descriptions, connector metadata.
 *
 * Why a generator: about a hundred parameters and several hundred response properties have to match Apple
 * exactly and follow the certification rules; writing them by hand drifts. The output is pretty-printed in a
 * fixed key order, so running the generator again gives the same bytes (the tests check that).
 *
 * Usage: node tools/gen-swagger.mjs [--check] [--vendor] [--spec FILE] [--out FILE]
 *   --check   exit 1 (and say why) if the committed file differs from what would be generated.
 *   --vendor  refresh spec/apple-apps-4.4.1.json from the full spec (--spec FILE, or spec/app-store-connect-openapi-4.4.1.json).
 * The spec is found with --spec, else $ASC_OPENAPI_SPEC, else the vendored subset, else the full spec.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in tools/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the generated swagger is committed. */
export const SWAGGER_PATH = path.join(ROOT, 'apiDefinition.swagger.json');
/** The hand-written presentation file. */
export const PRESENTATION_PATH = path.join(ROOT, 'connector', 'presentation.json');
/** The vendored part of Apple's spec this generator reads (see `vendorSubset`). */
export const SUBSET_PATH = path.join(ROOT, 'spec', 'apple-apps-4.4.1.json');
/** Apple's full spec, vendored whole (see spec/README.md). */
export const FULL_SPEC_PATH = path.join(ROOT, 'spec', 'app-store-connect-openapi-4.4.1.json');
/** Places Apple's spec is looked for, in order. */
export const DEFAULT_SPEC_PATHS = [SUBSET_PATH, FULL_SPEC_PATH];
/** `format` values the Power Platform swagger schema accepts; other formats are dropped. */
const ALLOWED_FORMATS = new Set(['int32', 'int64', 'float', 'double', 'byte', 'binary', 'date', 'date-time',
  'password', 'date-no-tz', 'html', 'uri']);

/** Finds Apple's spec file, or throws an error naming the places tried. */
export function findSpec(explicit) {
  const candidates = [explicit, process.env.ASC_OPENAPI_SPEC, ...DEFAULT_SPEC_PATHS].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`Apple's OpenAPI spec 4.4.1 not found; tried: ${candidates.join(', ')} (pass --spec FILE)`);
}

/** Reads a JSON file. */
export function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * The part of Apple's spec the generator reads: the two paths and every component schema reachable from the
 * list and read responses (plus the extra record schemas the presentation names), verbatim. Vendored so the
 * generator and its tests run from the repository alone.
 */
export function vendorSubset(spec, pres) {
  const wanted = ['AppsResponse', 'AppResponse', 'App', ...Object.values(pres.relationshipSchemas)];
  const seen = new Set();
  const queue = [...wanted];
  while (queue.length > 0) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    const schema = spec.components.schemas[name];
    if (!schema) throw new Error(`Apple's spec has no schema ${name}`);
    seen.add(name);
    JSON.stringify(schema, (k, v) => {
      if (k === '$ref' && typeof v === 'string') queue.push(refName(v));
      return v;
    });
  }
  const schemas = {};
  for (const name of [...seen].sort()) schemas[name] = spec.components.schemas[name];
  const paths = {};
  for (const op of Object.values(pres.operations)) paths[op.specPath] = { parameters: spec.paths[op.specPath].parameters, get: spec.paths[op.specPath].get };
  for (const item of Object.values(paths)) if (item.parameters === undefined) delete item.parameters;
  return {
    'x-vendored': "Subset of Apple's App Store Connect API OpenAPI spec, verbatim: the connector's two paths and the component schemas they reach. Refresh with `node tools/gen-swagger.mjs --vendor [--spec FULL_SPEC]`.",
    openapi: spec.openapi,
    info: spec.info,
    paths,
    components: { schemas },
  };
}

/** Loads both inputs. */
export function loadInputs({ specPath, presentationPath = PRESENTATION_PATH } = {}) {
  return { spec: readJson(findSpec(specPath)), presentation: readJson(presentationPath) };
}

/** Renders the swagger the one way it is committed: 2-space JSON plus a final newline. */
export function renderSwagger(doc) {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Words

/** Splits a camelCase name into words: `subscriptionStatusUrlV2` → [subscription, Status, Url, V2]. */
export function splitWords(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s._-]+/).filter(Boolean);
}

/** Title Case display name for a camelCase name, e.g. `bundleId` → `Bundle ID`. */
export function titleFor(name, pres) {
  const small = new Set(pres.smallWords);
  return splitWords(name).map((w, i) => {
    const known = pres.words[w.toLowerCase()];
    if (known) return known;
    if (i > 0 && small.has(w.toLowerCase())) return w.toLowerCase();
    return w[0].toUpperCase() + w.slice(1);
  }).join(' ');
}

/** Lower-case phrase for a camelCase name inside a sentence, keeping acronyms, e.g. `minOsVersion` → `min OS version`. */
export function phraseFor(name, pres) {
  let text = splitWords(name).map((w) => pres.words[w.toLowerCase()] ?? w.toLowerCase()).join(' ');
  // Proper names and compounds keep their spelling inside sentences (App Store, Game Center, in-app).
  for (const [from, to] of Object.entries(pres.phrases ?? {})) text = text.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
  return text;
}

/** Prefixes "Deprecated. " to a description. */
function deprecatedText(text) {
  return `Deprecated. ${text}`;
}

// ---------------------------------------------------------------------------------------------------------
// Apple spec access

function refName(ref) {
  return ref.split('/').pop();
}

function resolve(spec, schema) {
  let s = schema;
  let deprecated = Boolean(schema?.deprecated);
  for (let i = 0; s && s.$ref && i < 16; i += 1) {
    s = spec.components.schemas[refName(s.$ref)];
    deprecated = deprecated || Boolean(s?.deprecated);
  }
  return { schema: s, deprecated };
}

/** Apple's parameters of one operation, path-item parameters first (as OpenAPI merges them). */
function appleParameters(spec, specPath) {
  const item = spec.paths[specPath];
  if (!item?.get) throw new Error(`Apple's spec has no GET ${specPath}`);
  return [...(item.parameters ?? []), ...(item.get.parameters ?? [])];
}

// ---------------------------------------------------------------------------------------------------------
// Parameters

function visibilityFor(name, entry, pres, deprecated) {
  if (deprecated) return 'advanced';
  if (entry.visibility) return entry.visibility;
  for (const rule of pres.defaultVisibility) if (new RegExp(rule.pattern).test(name)) return rule.visibility;
  return undefined;
}

/** Converts one Apple parameter (OpenAPI 3) to a Swagger 2.0 parameter with the presentation's words. */
export function convertParameter(p, pres, operationId) {
  const entry = pres.parameters[p.name];
  if (!entry) throw new Error(`connector/presentation.json has no entry for parameter ${p.name} (${operationId})`);
  const deprecated = Boolean(p.deprecated);
  const out = { name: p.name, in: p.in };
  if (p.in === 'path' || p.required) out.required = true;
  else out.required = false;
  const s = p.schema ?? {};
  if (s.type === 'array') {
    out.type = 'array';
    out.items = { type: s.items?.type ?? 'string' };
    if (s.items?.enum) out.items.enum = [...s.items.enum];
    out.collectionFormat = 'csv';
  } else if (s.type === 'integer') {
    out.type = 'integer';
    out.format = 'int32';
    out.minimum = typeof s.minimum === 'number' ? s.minimum : 1;
    if (typeof s.maximum === 'number') out.maximum = s.maximum;
  } else if (s.type === 'boolean' || s.type === 'string') {
    out.type = s.type;
    if (s.enum) out.enum = [...s.enum];
  } else {
    throw new Error(`unsupported parameter type ${JSON.stringify(s)} for ${p.name}`);
  }
  out['x-ms-summary'] = entry.summary;
  out.description = deprecated ? deprecatedText(entry.description) : entry.description;
  const vis = visibilityFor(p.name, entry, pres, deprecated);
  if (vis) out['x-ms-visibility'] = vis;
  if (p.in === 'path') out['x-ms-url-encoding'] = 'single';
  return out;
}

function extraParameter(x) {
  const out = { name: x.name, in: 'query', required: false, type: x.type };
  out['x-ms-summary'] = x.summary;
  out.description = x.description;
  out['x-ms-visibility'] = x.visibility;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Response schemas

/** Converts an Apple attribute schema to a Swagger 2.0 property with words; `owner` is a noun phrase. */
function convertProperty(spec, pres, name, raw, owner, words) {
  const { schema, deprecated } = resolve(spec, raw);
  const s = schema ?? {};
  const out = {};
  const type = s.type ?? (s.properties ? 'object' : 'string');
  out.type = type;
  if (typeof s.format === 'string' && ALLOWED_FORMATS.has(s.format)) out.format = s.format;
  if (s.enum) {
    out.enum = [...s.enum];
    const named = s.enum.filter((v) => pres.enumDisplayNames[v]);
    if (named.length > 0) {
      out['x-ms-enum-values'] = s.enum.map((v) => ({ value: v, displayName: pres.enumDisplayNames[v] ?? v }));
    }
  }
  if (type === 'array') {
    const item = resolve(spec, s.items ?? { type: 'string' }).schema ?? { type: 'string' };
    if (item.type === 'object' || item.properties) {
      out.items = convertObject(spec, pres, item, `${phraseFor(name, pres)} entry`);
    } else {
      out.items = { type: item.type ?? 'string' };
      if (item.enum) out.items.enum = [...item.enum];
    }
  } else if (type === 'object') {
    out.properties = convertObject(spec, pres, s, phraseFor(name, pres)).properties;
  }
  const w = words ?? {};
  out['x-ms-summary'] = w.summary ?? titleFor(name, pres);
  let text = w.description ?? (type === 'boolean'
    ? `Whether the ${phraseFor(name, pres)} flag is set on the ${owner}.`
    : `The ${phraseFor(name, pres)} of the ${owner}.`);
  if (deprecated || raw.deprecated) text = deprecatedText(text);
  out.description = text;
  if (deprecated || raw.deprecated) out['x-ms-visibility'] = 'advanced';
  out['x-nullable'] = true;
  return reorder(out);
}

function convertObject(spec, pres, s, owner) {
  const props = {};
  for (const [k, v] of Object.entries(s.properties ?? {})) props[k] = convertProperty(spec, pres, k, v, owner);
  return { type: 'object', properties: props };
}

/** A fixed key order for schema objects, so the output reads the same way everywhere. */
const KEY_ORDER = ['type', 'format', 'required', 'items', 'properties', 'enum', 'x-ms-enum-values', 'x-ms-summary',
  'description', 'x-ms-visibility', 'x-nullable'];
function reorder(o) {
  const out = {};
  for (const k of KEY_ORDER) if (k in o) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out)) out[k] = o[k];
  return out;
}

/** The includable relationships of App: name, cardinality, Apple schema name, `type` value. */
export function includables(spec, pres) {
  const appRels = spec.components.schemas.App.properties.relationships.properties;
  const getParams = appleParameters(spec, '/v1/apps');
  const include = getParams.find((p) => p.name === 'include');
  const mapping = spec.components.schemas.AppsResponse.properties.included.items.discriminator.mapping;
  return include.schema.items.enum.map((rel) => {
    const data = appRels[rel]?.properties?.data;
    if (!data) throw new Error(`App relationship ${rel} has no data in Apple's spec`);
    const many = data.type === 'array';
    const typeValue = (many ? data.items : data).properties.type.enum[0];
    const schemaName = pres.relationshipSchemas[rel] ?? refName(mapping[typeValue]);
    return { rel, many, typeValue, schemaName, deprecated: Boolean(appRels[rel].deprecated) };
  });
}

/** A reference to another resource, `{id, type}`, as the shaper writes relationships it does not resolve. */
function referenceSchema(pres, typeValue) {
  return {
    type: 'object',
    required: ['id', 'type'],
    properties: {
      id: { type: 'string', 'x-ms-summary': 'ID', description: 'The App Store Connect ID of the related resource.' },
      type: { type: 'string', 'x-ms-summary': 'Resource Type', description: `The kind of the related resource, ${typeValue}.` },
    },
  };
}

/** One included resource as a flat record definition: id, type, every attribute, then relationship references. */
function recordDefinition(spec, pres, schemaName) {
  const apple = spec.components.schemas[schemaName];
  const noun = pres.resourceNames[schemaName];
  if (!noun) throw new Error(`connector/presentation.json resourceNames has no entry for ${schemaName}`);
  const typeValue = apple.properties.type.enum[0];
  const properties = {
    id: { type: 'string', 'x-ms-summary': 'ID', description: `The App Store Connect ID of the ${noun}.` },
    type: { type: 'string', enum: [typeValue], 'x-ms-summary': 'Resource Type', description: `The kind of resource, always ${typeValue}.` },
  };
  for (const [k, v] of Object.entries(apple.properties.attributes?.properties ?? {})) {
    // The shaper never lets an attribute replace the record's own id or type: it renames it.
    const key = k === 'id' ? 'attributeId' : k === 'type' ? 'attributeType' : k;
    properties[key] = convertProperty(spec, pres, k, v, noun);
  }
  // Relationships of an included record stay references ({id, type}), one level deep.
  for (const [k, v] of Object.entries(apple.properties.relationships?.properties ?? {})) {
    const data = v.properties?.data;
    if (!data) continue;
    let key = k;
    if (key in properties) key = `${k}Relationship`;
    if (key in properties) continue;
    const many = data.type === 'array';
    const target = (many ? data.items : data).properties.type.enum[0];
    const ref = referenceSchema(pres, target);
    const phrase = phraseFor(k, pres);
    properties[key] = many
      ? { type: 'array', items: ref, 'x-ms-summary': titleFor(k, pres),
        description: `References to the related ${phrase} of the ${noun}, when Apple sends them.`, 'x-ms-visibility': 'advanced' }
      : { ...ref, 'x-ms-summary': titleFor(k, pres),
        description: `A reference to the related ${phrase} of the ${noun}, when Apple sends it.`, 'x-ms-visibility': 'advanced', 'x-nullable': true };
  }
  const title = noun.replace(/\s*\(.*\)$/, '');
  return {
    type: 'object',
    required: ['id', 'type'],
    properties,
    'x-ms-summary': title.split(' ').map((w) => (pres.brandWords.includes(w) ? w : w[0].toUpperCase() + w.slice(1))).join(' '),
    description: `One ${noun} as a flat record: its ID, its type and its attributes.`,
  };
}

/** The App record: id, type, appStoreUrl, the attributes, and every includable relationship. */
function appDefinition(spec, pres, incl) {
  const words = pres.record.App;
  const attrs = spec.components.schemas.App.properties.attributes.properties;
  const properties = {
    id: { type: 'string', 'x-ms-summary': words.properties.id.summary, description: words.properties.id.description },
    type: { type: 'string', enum: ['apps'], 'x-ms-summary': words.properties.type.summary, description: words.properties.type.description },
    appStoreUrl: { type: 'string', format: 'uri', 'x-ms-summary': words.properties.appStoreUrl.summary, description: words.properties.appStoreUrl.description },
  };
  for (const [k, v] of Object.entries(attrs)) {
    const w = words.properties[k];
    if (!w) throw new Error(`connector/presentation.json record.App has no words for attribute ${k}`);
    properties[k] = convertProperty(spec, pres, k, v, 'app', w);
  }
  for (const r of incl) {
    const noun = pres.resourceNames[r.schemaName];
    const ref = { $ref: `#/definitions/${r.schemaName}` };
    let p;
    if (r.many) {
      p = { type: 'array', items: ref, 'x-ms-summary': titleFor(r.rel, pres),
        description: `The related ${noun} records, present when include lists ${r.rel}.` };
    } else {
      // A to-one relationship: the record itself, or null when the app has none.
      p = { ...ref };
    }
    if (r.deprecated) {
      p.description = deprecatedText(p.description ?? '');
      p['x-ms-visibility'] = 'advanced';
    }
    properties[r.rel] = p;
  }
  return { type: 'object', required: ['id', 'type'], properties, 'x-ms-summary': words.summary, description: words.description };
}

// ---------------------------------------------------------------------------------------------------------
// The document

/** Builds the whole swagger document from Apple's spec and the presentation words. */
export function buildSwagger(spec, pres, { host } = {}) {
  const incl = includables(spec, pres);
  const definitions = {};
  definitions.App = appDefinition(spec, pres, incl);
  const listWords = pres.record.AppList;
  definitions.AppList = {
    type: 'object',
    required: ['value'],
    properties: {
      value: { type: 'array', items: { $ref: '#/definitions/App' }, 'x-ms-summary': listWords.properties.value.summary, description: listWords.properties.value.description },
      nextLink: { type: 'string', format: 'uri', 'x-ms-summary': listWords.properties.nextLink.summary, description: listWords.properties.nextLink.description, 'x-ms-visibility': 'advanced' },
      total: { type: 'integer', format: 'int32', 'x-ms-summary': listWords.properties.total.summary, description: listWords.properties.total.description },
    },
    'x-ms-summary': listWords.summary,
    description: listWords.description,
  };
  // Included record definitions, each named after Apple's schema, in a stable (sorted) order.
  const names = [...new Set(incl.map((r) => r.schemaName))].sort();
  for (const n of names) {
    const def = recordDefinition(spec, pres, n);
    // To-one relationships may be null when the app has no such resource.
    if (incl.some((r) => r.schemaName === n && !r.many)) def['x-nullable'] = true;
    definitions[n] = def;
  }

  const paths = {};
  for (const [operationId, op] of Object.entries(pres.operations)) {
    const params = appleParameters(spec, op.specPath).map((p) => convertParameter(p, pres, operationId));
    for (const x of op.extraParameters ?? []) params.push(extraParameter(x));
    const idParam = params.find((p) => p.in === 'path' && p.name === 'id');
    if (idParam) {
      idParam['x-ms-dynamic-values'] = { operationId: 'ListApps', 'value-collection': 'value', 'value-path': 'id', 'value-title': 'name' };
    }
    const responses = {};
    for (const code of op.responses) {
      if (code === '200') {
        responses['200'] = { description: op.okDescription, schema: { $ref: `#/definitions/${operationId === 'ListApps' ? 'AppList' : 'App'}` } };
      } else {
        const text = pres.errors[code];
        if (!text) throw new Error(`connector/presentation.json errors has no text for ${code}`);
        responses[code] = { description: text };
      }
    }
    const operation = {
      operationId,
      summary: op.summary,
      description: op.description,
      'x-ms-visibility': op.visibility,
      produces: ['application/json'],
      parameters: params,
      responses,
    };
    if (operationId === 'ListApps') operation['x-ms-pageable'] = { nextLinkName: 'nextLink' };
    paths[op.specPath] = { get: operation };
  }

  return {
    swagger: '2.0',
    info: {
      title: pres.info.title,
      description: pres.info.description,
      version: pres.info.version,
      contact: pres.info.contact,
    },
    host: host ?? pres.host,
    basePath: '/',
    schemes: ['https'],
    produces: ['application/json'],
    paths,
    definitions,
    securityDefinitions: {
      [pres.security.name]: { type: 'apiKey', in: 'header', name: pres.security.header, description: pres.security.description },
    },
    security: [{ [pres.security.name]: [] }],
    'x-ms-connector-metadata': pres.connectorMetadata,
  };
}

/** Generates the swagger text from the default inputs. */
export function generate(options = {}) {
  const { spec, presentation } = loadInputs(options);
  return renderSwagger(buildSwagger(spec, presentation));
}

function main(argv) {
  let check = false;
  let vendor = false;
  let specPath;
  let out = SWAGGER_PATH;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--check') check = true;
    else if (a === '--vendor') vendor = true;
    else if (a === '--spec') specPath = argv[++i];
    else if (a === '--out') out = argv[++i];
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node tools/gen-swagger.mjs [--check] [--vendor] [--spec FILE] [--out FILE]\n');
      return 0;
    } else {
      process.stderr.write(`gen-swagger: unknown argument ${a} (accepted: --check, --vendor, --spec FILE, --out FILE)\n`);
      return 2;
    }
  }
  if (vendor) {
    const full = readJson(specPath ?? FULL_SPEC_PATH);
    const text = renderSwagger(vendorSubset(full, readJson(PRESENTATION_PATH)));
    fs.writeFileSync(SUBSET_PATH, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), SUBSET_PATH)} (${Buffer.byteLength(text)} bytes)\n`);
    return 0;
  }
  const text = generate({ specPath });
  if (check) {
    const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(`gen-swagger: ${path.relative(process.cwd(), out)} is out of date; run node tools/gen-swagger.mjs\n`);
      return 1;
    }
    return 0;
  }
  fs.writeFileSync(out, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)} (${Buffer.byteLength(text)} bytes)\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
