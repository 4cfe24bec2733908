// The connector definition: apiDefinition.swagger.json, apiProperties.json and connector/readme.md.
//
// - The swagger is valid Swagger 2.0 (swagger-parser).
// - Every Power Platform certification rule that can be checked from the files holds (RULES below, named
//   after the validator rules or the checklist item they come from; docs/API_NOTES.md#certification-checklist), and each
//   rule is shown to catch a broken copy.
// - The swagger's operations and parameters equal the wasm operation table both ways, and the generator
//   reproduces the committed file byte for byte.
// - Shaped answers validate against the swagger's own 200 schemas, strictly (no undeclared keys).
// - `asc-connector connector --host` writes a valid, host-specific copy and rejects bad hosts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { buildSwagger, generate, loadInputs, renderSwagger, SWAGGER_PATH } from '../../tools/gen-swagger.mjs';
import { buildConnectorPackage, validateHost, CONNECTOR_FILES } from '../src/connector.js';
import { run as runConnector, readSources } from '../src/commands/connector.js';
import { specTables } from '../src/sandbox/spec.js';
import { startStack, newAppleKey, serverKeyEnv, examplePath, writeCases } from './helpers/gateway.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const SWAGGER_TEXT = read('apiDefinition.swagger.json');
const SWAGGER = JSON.parse(SWAGGER_TEXT);
const PROPS = JSON.parse(read('apiProperties.json'));
const README = read('connector/readme.md');
const PRES = JSON.parse(read('connector/presentation.json'));
const LIST = JSON.parse(read('src/operations/operations.json'));
const clone = (x) => structuredClone(x);

/** The wasm package, when it has been built with the entry points this file needs (else null). */
async function loadWasm() {
  try {
    const mod = await import('asc-connector-wasm');
    if (typeof mod.operations !== 'function' || typeof mod.shapeResponse !== 'function') return null;
    mod.operations();
    return mod;
  } catch {
    return null;
  }
}
const WASM = await loadWasm();
const NO_PKG = WASM ? false : 'pkg/ is not built (run make pkg)';

// ---------------------------------------------------------------------------------------------------------
// Helpers over the swagger

function operations(doc) {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method)) out.push({ path: p, method, op });
    }
  }
  return out;
}

function resolveRef(doc, schema) {
  let s = schema;
  for (let i = 0; s && s.$ref && i < 10; i += 1) s = doc.definitions[s.$ref.replace('#/definitions/', '')];
  return s;
}

/** Every schema object in the document, with a readable location and whether it is a property. */
function schemas(doc) {
  const out = [];
  const seen = new Set();
  const walk = (s, where, isProperty) => {
    if (!s || typeof s !== 'object') return;
    out.push({ s, where, isProperty });
    if (s.$ref) return;
    if (seen.has(s)) return;
    seen.add(s);
    for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${where}.${k}`, true);
    if (s.items) walk(s.items, `${where}[]`, false);
  };
  for (const [name, def] of Object.entries(doc.definitions ?? {})) walk(def, `#/definitions/${name}`, false);
  for (const { path: p, method, op } of operations(doc)) {
    for (const [code, r] of Object.entries(op.responses ?? {})) if (r.schema) walk(r.schema, `${method} ${p} ${code}`, false);
    // A body parameter's schema: its properties are inputs with the same word rules.
    for (const prm of op.parameters ?? []) if (prm.in === 'body' && prm.schema) walk(prm.schema, `${method} ${p} body`, false);
  }
  return out;
}

function parameters(doc) {
  const out = [];
  for (const { path: p, method, op } of operations(doc)) {
    for (const prm of op.parameters ?? []) out.push({ where: `${op.operationId ?? `${method} ${p}`} ${prm.name}`, p: prm, op });
  }
  return out;
}

const SMALL = new Set(PRES.smallWords);
const BRANDS = PRES.brandWords;
/** Title Case: every word capitalised (hyphen parts too), except small words after the first, and brand names. */
function isTitleCase(text) {
  return text.split(/\s+/).every((word, i) => {
    const core = word.replace(/^[("']+|[)"',.:]+$/g, '');
    if (core === '' || BRANDS.includes(core)) return true;
    if (/^[A-Z0-9]/.test(core)) {
      return core.split('-').every((part, j) => part === '' || /^[A-Z0-9]/.test(part) || (j > 0 && (SMALL.has(part) || BRANDS.includes(part))));
    }
    return i > 0 && SMALL.has(core);
  });
}
/** Sentence case: a capital first letter; later words lower case unless an acronym or a brand. */
function isSentenceCase(text) {
  // Proper names (App Store Connect) keep their capitals inside a sentence.
  const plain = (PRES.properNames ?? []).reduce((t, name) => t.replaceAll(name, name.toLowerCase()), text);
  const words = plain.split(' ');
  return /^[A-Z]/.test(words[0]) && words.slice(1).every((w) => /^[a-z0-9(]/.test(w) || BRANDS.includes(w) || /^[A-Z0-9]{2,}$/.test(w));
}
const endsWithPunctuation = (t) => /[.!?]$/.test(t);
const PRODUCT_NAMES = [/power\s*automate/i, /power\s*apps/i, /logic\s*apps/i, /copilot/i, /\bflow\b/i];
const CATEGORIES = ['AI', 'Business Management', 'Business Intelligence', 'Collaboration', 'Commerce', 'Communication',
  'Content and Files', 'Finance', 'Data', 'Human Resources', 'Internet of Things', 'IT Operations',
  'Lifestyle and Entertainment', 'Marketing', 'Productivity', 'Sales and CRM', 'Security', 'Social Media', 'Website'];
const SCHEMA_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'date', 'date-time', 'password',
  'date-no-tz', 'html', 'uri'];
/** x-ms-* extensions the Power Platform swagger schema allows, per location. */
const EXTENSIONS = {
  root: ['x-ms-connector-metadata'],
  info: ['x-ms-api-annotation', 'x-ms-deployment-version'],
  operation: ['x-ms-visibility', 'x-ms-pageable', 'x-ms-api-annotation', 'x-ms-no-generic-test', 'x-ms-trigger',
    'x-ms-trigger-hint', 'x-ms-trigger-metadata', 'x-ms-operation-context', 'x-ms-safe-operation'],
  query: ['x-ms-summary', 'x-ms-visibility', 'x-ms-dynamic-values', 'x-ms-dynamic-list', 'x-ms-test-value'],
  path: ['x-ms-summary', 'x-ms-visibility', 'x-ms-dynamic-values', 'x-ms-dynamic-list', 'x-ms-test-value', 'x-ms-url-encoding'],
  header: ['x-ms-summary', 'x-ms-visibility', 'x-ms-dynamic-values', 'x-ms-dynamic-list', 'x-ms-test-value'],
  // Dynamic extensions are not allowed on a body parameter itself, only inside its schema.
  body: ['x-ms-summary', 'x-ms-visibility'],
  items: [],
  response: [],
  schema: ['x-ms-summary', 'x-ms-visibility', 'x-ms-enum-values', 'x-ms-dynamic-values', 'x-ms-dynamic-list',
    'x-ms-test-value', 'x-ms-dynamic-schema', 'x-ms-dynamic-properties', 'x-ms-notification-url'],
};
const msKeys = (o) => Object.keys(o ?? {}).filter((k) => k.startsWith('x-ms-'));
const connParams = (props) => Object.entries(props.properties?.connectionParameters ?? {});
const policies = (props) => props.properties?.policyTemplateInstances ?? [];

// ---------------------------------------------------------------------------------------------------------
// The certification rules. Each returns a list of problems (empty = rule holds).

const RULES = [
  // docs/API_NOTES.md#certification-connector-level
  ['SpecificationVersionIncorrect: swagger is "2.0"', ({ sw }) => (sw.swagger === '2.0' ? [] : [`swagger is ${sw.swagger}`])],
  ['HostNameNotValid: host is a bare host with an optional port', ({ sw }) => (/^[^{}/ :\\]+(?::\d+)?$/.test(sw.host ?? '') ? [] : [`host ${sw.host}`])],
  ['basePath starts with /', ({ sw }) => (/^\//.test(sw.basePath ?? '') ? [] : [`basePath ${sw.basePath}`])],
  ['SchemesArrayEmpty: schemes is ["https"]', ({ sw }) => (JSON.stringify(sw.schemes) === '["https"]' ? [] : [`schemes ${JSON.stringify(sw.schemes)}`])],
  ['info.title is at most 30 characters', ({ sw }) => (sw.info?.title && sw.info.title.length <= 30 ? [] : [`title ${JSON.stringify(sw.info?.title)}`])],
  ['info.title has no "API", "Connector" or product name', ({ sw }) => {
    const t = sw.info?.title ?? '';
    return /\bAPI\b/i.test(t) || /connector/i.test(t) || PRODUCT_NAMES.some((r) => r.test(t)) ? [t] : [];
  }],
  ['info.title ends with an alphanumeric character', ({ sw }) => (/[A-Za-z0-9]$/.test(sw.info?.title ?? '') ? [] : [sw.info?.title])],
  ['info.description is 30 to 500 characters', ({ sw }) => {
    const n = (sw.info?.description ?? '').length;
    return n >= 30 && n <= 500 ? [] : [`${n} characters`];
  }],
  ['info.description has no "API" and no product name', ({ sw }) => {
    const d = sw.info?.description ?? '';
    return /\bAPIs?\b/.test(d) || PRODUCT_NAMES.some((r) => r.test(d)) ? [d] : [];
  }],
  ['info.version is set', ({ sw }) => (sw.info?.version ? [] : ['no version'])],
  ['ContactEmailNotValid: contact has name, url and a valid email', ({ sw }) => {
    const c = sw.info?.contact ?? {};
    const p = [];
    if (!c.name) p.push('no name');
    if (!/^https:\/\/[^\s/]+/.test(c.url ?? '')) p.push(`url ${c.url}`);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c.email ?? '')) p.push(`email ${c.email}`);
    return p;
  }],
  ['ConnectorMetadataPropertiesMissing: Website, Privacy policy and Categories', ({ sw }) => {
    const meta = sw['x-ms-connector-metadata'] ?? [];
    const names = meta.map((m) => m.propertyName);
    const p = ['Website', 'Privacy policy', 'Categories'].filter((n) => !names.includes(n)).map((n) => `missing ${n}`);
    for (const m of meta) if (m.propertyName !== 'Categories' && !/^https:\/\//.test(m.propertyValue)) p.push(`${m.propertyName} is not an https URL`);
    return p;
  }],
  ['Categories: at most 2, from the fixed list', ({ sw }) => {
    const c = (sw['x-ms-connector-metadata'] ?? []).find((m) => m.propertyName === 'Categories');
    if (!c) return ['no Categories'];
    const list = c.propertyValue.split(';');
    const p = list.filter((x) => !CATEGORIES.includes(x)).map((x) => `unknown category ${x}`);
    if (list.length > 2) p.push(`${list.length} categories`);
    return p;
  }],
  ['the swagger is at most 1 MB', ({ text }) => (Buffer.byteLength(text) <= 1024 * 1024 ? [] : [`${Buffer.byteLength(text)} bytes`])],
  ['only supported x-ms-* extensions, each where it is allowed', ({ sw }) => {
    const p = [];
    const check = (o, kind, where) => {
      for (const k of msKeys(o)) if (!EXTENSIONS[kind].includes(k)) p.push(`${where}: ${k} not allowed on ${kind}`);
    };
    check(sw, 'root', 'root');
    check(sw.info, 'info', 'info');
    for (const { path: pa, method, op } of operations(sw)) {
      check(op, 'operation', `${method} ${pa}`);
      for (const [code, r] of Object.entries(op.responses ?? {})) check(r, 'response', `${method} ${pa} ${code}`);
    }
    for (const { where, p: prm } of parameters(sw)) {
      check(prm, prm.in, where);
      if (prm.items) check(prm.items, 'items', `${where} items`);
    }
    for (const { s, where } of schemas(sw)) check(s, 'schema', where);
    return p;
  }],
  ['securityDefinitions: an apiKey header, required by security, paired with api_key', ({ sw, props }) => {
    const defs = Object.entries(sw.securityDefinitions ?? {});
    const p = [];
    if (defs.length !== 1 || defs[0][1].type !== 'apiKey' || defs[0][1].in !== 'header') p.push('not one apiKey header definition');
    else if (JSON.stringify(sw.security) !== JSON.stringify([{ [defs[0][0]]: [] }])) p.push('security does not require it');
    const key = props.properties?.connectionParameters?.api_key;
    if (!key || key.type !== 'securestring') p.push('no api_key securestring connection parameter');
    return p;
  }],
  // docs/API_NOTES.md#certification-operations
  ['OperationIdNotUnique / OperationIdSanitized: unique CamelCase operationIds', ({ sw }) => {
    const ids = operations(sw).map((o) => o.op.operationId);
    const p = ids.filter((id) => !/^[A-Z][A-Za-z0-9]*(_V\d+)?$/.test(id ?? '')).map((id) => `operationId ${id}`);
    if (new Set(ids).size !== ids.length) p.push('duplicate operationId');
    return p;
  }],
  ['summary: present, sentence case, at most 80 characters, letters/digits/spaces/parentheses only', ({ sw }) => {
    const p = [];
    for (const { op } of operations(sw)) {
      const s = op.summary ?? '';
      if (!s || s.length > 80 || !/^[A-Za-z0-9 ()]+$/.test(s) || !/[A-Za-z0-9)]$/.test(s) || !isSentenceCase(s)) p.push(`${op.operationId}: ${JSON.stringify(s)}`);
    }
    return p;
  }],
  ['operation description: a sentence ending in punctuation that differs from the summary', ({ sw }) => {
    const p = [];
    for (const { op } of operations(sw)) {
      const d = op.description ?? '';
      if (!endsWithPunctuation(d) || d.split(' ').length < 3 || d === op.summary || PRODUCT_NAMES.some((r) => r.test(d))) p.push(`${op.operationId}: ${JSON.stringify(d)}`);
    }
    return p;
  }],
  ['every operation has x-ms-visibility', ({ sw }) => operations(sw)
    .filter(({ op }) => !['important', 'advanced', 'internal'].includes(op['x-ms-visibility'])).map(({ op }) => op.operationId)],
  ['OperationShouldHaveSuccessfulResponse / SchemaDefinitionSetIncorrectly: reads 200 with a schema, creates and webhook registrations 201 with one, other writes 204', ({ sw }) => operations(sw)
    .filter(({ method, op }) => (op['x-ms-trigger'] === 'single' ? !op.responses?.['201']?.schema
      : method === 'get' ? !op.responses?.['200']?.schema
        : !(op.responses?.['200']?.schema || op.responses?.['201']?.schema || (op.responses?.['204'] && !op.responses['204'].schema))))
    .map(({ op }) => op.operationId)],
  ['OperationHasManyResponsesWithSchema: one response with a schema (none for a 204 write)', ({ sw }) => operations(sw)
    .filter(({ op }) => Object.values(op.responses ?? {}).filter((r) => r.schema).length !== (op.responses?.['204'] && !op.responses['200'] && !op.responses['201'] ? 0 : 1)).map(({ op }) => op.operationId)],
  ['writes: a JSON body exactly when Apple takes one, flat (every property typed, described, titled), ids with a pattern', ({ sw }) => {
    const p = [];
    for (const { method, op } of operations(sw)) {
      const table = LIST.operations.find((o) => o.id === op.operationId);
      // Trigger routes and gateway actions have their own rules (below and in the trigger checks).
      if (method === 'get' || !table) continue;
      const body = (op.parameters ?? []).filter((x) => x.in === 'body');
      const takes = method === 'post' || table?.kind === 'removeRelationship';
      if (body.length !== (takes ? 1 : 0)) p.push(`${op.operationId}: ${body.length} body parameters`);
      if (takes && JSON.stringify(op.consumes) !== '["application/json"]') p.push(`${op.operationId}: consumes`);
      for (const b of body) {
        if (b.required !== true || b.schema?.type !== 'object') p.push(`${op.operationId}: body not a required object`);
        for (const [k, v] of Object.entries(b.schema?.properties ?? {})) {
          if (!['string', 'array', 'integer', 'number', 'boolean'].includes(v.type) || v.properties) p.push(`${op.operationId}.${k}: not flat`);
          if (!v['x-ms-summary'] || !isTitleCase(v['x-ms-summary']) || !/^[A-Z].*\.$/.test(v.description ?? '')) p.push(`${op.operationId}.${k}: words`);
          const id = table?.bodyIds?.[k] ? (v.type === 'array' ? v.items : v) : null;
          if (id && !id.pattern) p.push(`${op.operationId}.${k}: id without a pattern`);
        }
        for (const r of b.schema?.required ?? []) if (!b.schema.properties[r] || b.schema.properties[r]['x-ms-visibility'] !== 'important') p.push(`${op.operationId}.${r}: required but not important`);
      }
    }
    return p;
  }],
  ['DefaultResponseHasSchema: the default response has no schema', ({ sw }) => operations(sw)
    .filter(({ op }) => !op.responses?.default || op.responses.default.schema).map(({ op }) => op.operationId)],
  ['every response has a sentence description (400, 401, 403, 429 at least; 404 for reads)', ({ sw }) => {
    const p = [];
    for (const { op } of operations(sw)) {
      const needed = ['400', '401', '403', '429', ...(op.operationId === 'GetApp' ? ['404'] : [])];
      for (const code of needed) if (!op.responses?.[code]) p.push(`${op.operationId}: no ${code}`);
      for (const [code, r] of Object.entries(op.responses ?? {})) {
        if (!endsWithPunctuation(r.description ?? '') || /^default$/i.test(r.description)) p.push(`${op.operationId} ${code}: ${JSON.stringify(r.description)}`);
      }
    }
    return p;
  }],
  ['BodyOrFormDataParameterInFetchOperationNotAllowed', ({ sw }) => parameters(sw)
    .filter(({ p, op }) => ['body', 'formData'].includes(p.in) && operations(sw).some((o) => o.op === op && o.method === 'get')).map(({ where }) => where)],
  ['paths have no ?, # or *', ({ sw }) => Object.keys(sw.paths ?? {}).filter((p) => /[?#*]/.test(p))],
  ['DuplicateOperationPath / PartialDuplicateOperationPath: paths unique ignoring case and parameter names', ({ sw }) => {
    const norm = Object.keys(sw.paths ?? {}).map((p) => p.toLowerCase().replace(/\{[^}]+\}/g, '{}'));
    return norm.length === new Set(norm).size ? [] : ['duplicate paths'];
  }],
  ['path template parameters are declared', ({ sw }) => {
    const p = [];
    for (const { path: pa, op } of operations(sw)) {
      for (const m of pa.matchAll(/\{([^}]+)\}/g)) if (!(op.parameters ?? []).some((x) => x.in === 'path' && x.name === m[1])) p.push(`${pa}: ${m[1]}`);
    }
    return p;
  }],
  ['InvalidNextLinkNameValue: nextLinkName is nextLink or @odata.nextLink, at the root of the 200 schema', ({ sw }) => {
    const p = [];
    for (const { op } of operations(sw)) {
      const pg = op['x-ms-pageable'];
      if (!pg) continue;
      if (!['nextLink', '@odata.nextLink'].includes(pg.nextLinkName)) p.push(`${op.operationId}: ${pg.nextLinkName}`);
      const root = resolveRef(sw, op.responses?.['200']?.schema);
      if (root?.properties?.[pg.nextLinkName]?.type !== 'string') p.push(`${op.operationId}: no root ${pg.nextLinkName} string`);
    }
    return p;
  }],
  ['updatenextlink policy for every pageable operation, with the same property name', ({ sw, props }) => {
    const p = [];
    for (const { op } of operations(sw)) {
      const pg = op['x-ms-pageable'];
      if (!pg) continue;
      const pol = policies(props).find((x) => x.templateId === 'updatenextlink'
        && (x.parameters?.['x-ms-apimTemplate-operationName'] ?? []).includes(op.operationId));
      if (!pol) p.push(`${op.operationId}: no updatenextlink`);
      else if (pol.parameters['x-ms-apimTemplateParameter.nextLinkPropertyName'] !== pg.nextLinkName) p.push(`${op.operationId}: property differs`);
    }
    return p;
  }],
  ['pageable operations declare an internal, optional cursor parameter', ({ sw }) => operations(sw)
    .filter(({ op }) => op['x-ms-pageable'])
    .filter(({ op }) => {
      const c = (op.parameters ?? []).find((x) => x.name === 'cursor');
      return !c || c.in !== 'query' || c['x-ms-visibility'] !== 'internal' || c.required !== false;
    }).map(({ op }) => op.operationId)],
  // docs/API_NOTES.md#certification-parameters
  ['visible parameters have an x-ms-summary in Title Case of at most 80 characters', ({ sw }) => parameters(sw)
    .filter(({ p }) => p['x-ms-visibility'] !== 'internal' || p['x-ms-summary'] !== undefined)
    .filter(({ p }) => { const s = p['x-ms-summary'] ?? ''; return !s || s.length > 80 || !isTitleCase(s) || /[|]/.test(s); })
    .map(({ where, p }) => `${where}: ${JSON.stringify(p['x-ms-summary'])}`)],
  ['parameters have a description that is a sentence ending with a period', ({ sw }) => parameters(sw)
    .filter(({ p }) => !/^[A-Z].*\.$/.test(p.description ?? '')).map(({ where, p }) => `${where}: ${JSON.stringify(p.description)}`)],
  ['parameter display names are unique within an operation', ({ sw }) => {
    const p = [];
    for (const { op } of operations(sw)) {
      const names = (op.parameters ?? []).map((x) => x['x-ms-summary']);
      for (const n of names) if (names.indexOf(n) !== names.lastIndexOf(n)) p.push(`${op.operationId}: ${n}`);
    }
    return [...new Set(p)];
  }],
  ['PathParameterMustBeRequired / PathParameterMissingEncoding', ({ sw }) => parameters(sw)
    .filter(({ p }) => p.in === 'path' && (p.required !== true || !['single', 'double'].includes(p['x-ms-url-encoding'])))
    .map(({ where }) => where)],
  ['QueryParameterEncodingNotSupported: no x-ms-url-encoding on query parameters', ({ sw }) => parameters(sw)
    .filter(({ p }) => p.in !== 'path' && p['x-ms-url-encoding'] !== undefined).map(({ where }) => where)],
  ['ConnectionIdParameterNotAllowed', ({ sw }) => parameters(sw).filter(({ p }) => /^connectionid$/i.test(p.name)).map(({ where }) => where)],
  ['internal + required needs a default; internal with a default must be required', ({ sw }) => parameters(sw)
    .filter(({ p }) => p['x-ms-visibility'] === 'internal' && (p.required === true) !== (p.default !== undefined))
    .map(({ where }) => where)],
  ['parameter types: arrays csv with typed items, integers bounded, booleans plain', ({ sw }) => {
    const p = [];
    for (const { where, p: prm } of parameters(sw)) {
      if (prm.in === 'body') {
        if (prm.schema?.type !== 'object') p.push(`${where}: a body parameter needs an object schema`);
        continue;
      }
      if (prm.type === 'array' && (prm.collectionFormat !== 'csv' || prm.items?.type !== 'string')) p.push(`${where}: array`);
      if (prm.type === 'integer' && (typeof prm.minimum !== 'number' || typeof prm.maximum !== 'number' || prm.minimum > prm.maximum)) p.push(`${where}: integer bounds`);
      if (prm.in === 'body') {
        if (prm.schema?.type !== 'object' || !prm.schema.properties) p.push(`${where}: body without an object schema`);
      } else if (!['array', 'integer', 'boolean', 'string'].includes(prm.type)) p.push(`${where}: type ${prm.type}`);
    }
    return p;
  }],
  ['dynamic values point at an operation that returns the collection and the properties', ({ sw }) => {
    const p = [];
    const bodyIds = [];
    for (const { where, p: prm } of parameters(sw).filter((x) => x.p.in === 'body')) {
      for (const [k, v] of Object.entries(prm.schema?.properties ?? {})) bodyIds.push({ where: `${where}.${k}`, p: v.items ?? v });
    }
    for (const { where, p: prm } of [...parameters(sw), ...bodyIds]) {
      const dv = prm['x-ms-dynamic-values'];
      if (!dv) continue;
      const target = operations(sw).find((o) => o.op.operationId === dv.operationId);
      if (!target) { p.push(`${where}: no operation ${dv.operationId}`); continue; }
      const coll = resolveRef(sw, target.op.responses?.['200']?.schema)?.properties?.[dv['value-collection']];
      const item = resolveRef(sw, coll?.items);
      if (coll?.type !== 'array' || !item) p.push(`${where}: no array ${dv['value-collection']}`);
      else for (const k of [dv['value-path'], dv['value-title']]) if (!item.properties?.[k]) p.push(`${where}: no property ${k}`);
    }
    return p;
  }],
  ['enums are non-empty and unique; x-ms-enum-values have display names matching the enum, no duplicates', ({ sw }) => {
    const p = [];
    const check = (o, where) => {
      if (o.enum && (o.enum.length === 0 || new Set(o.enum).size !== o.enum.length)) p.push(`${where}: enum`);
      const ev = o['x-ms-enum-values'];
      if (ev) {
        const vals = ev.map((e) => e.value);
        if (ev.some((e) => !e.displayName) || new Set(vals).size !== vals.length || JSON.stringify(vals) !== JSON.stringify(o.enum)) p.push(`${where}: x-ms-enum-values`);
      }
    };
    for (const { where, p: prm } of parameters(sw)) { check(prm, where); if (prm.items) check(prm.items, `${where} items`); }
    for (const { s, where } of schemas(sw)) check(s, where);
    return p;
  }],
  ['ArrayHasNoItems: every array has items', ({ sw }) => [
    ...parameters(sw).filter(({ p }) => p.type === 'array' && !p.items).map(({ where }) => where),
    ...schemas(sw).filter(({ s }) => s.type === 'array' && !s.items).map(({ where }) => where),
  ]],
  ['RequiredPropertyArrayEmpty: no empty required arrays; required only on objects and names real properties', ({ sw }) => schemas(sw)
    .filter(({ s }) => s.required !== undefined && (!Array.isArray(s.required) || s.required.length === 0 || s.type !== 'object'
      || s.required.some((r) => !s.properties?.[r])))
    .map(({ where }) => where)],
  // The one exception is declared, not implied: an object without properties says it is dynamic
  // (additionalProperties: true), as the advanced action's free-form inputs and untyped answer do.
  ['response schemas are exact: every schema has a type or a $ref, objects have properties (or say they are dynamic)', ({ sw }) => schemas(sw)
    .filter(({ s }) => !s.$ref && (!s.type || (s.type === 'object' && Object.keys(s.properties ?? {}).length === 0 && s.additionalProperties !== true)))
    .map(({ where }) => where)],
  ['response properties have an x-ms-summary in Title Case of at most 80 characters', ({ sw }) => schemas(sw)
    .filter(({ s, isProperty }) => isProperty && !s.$ref)
    .filter(({ s }) => { const t = s['x-ms-summary'] ?? ''; return !t || t.length > 80 || !isTitleCase(t); })
    .map(({ where, s }) => `${where}: ${JSON.stringify(s['x-ms-summary'])}`)],
  ['response properties have a description that is a sentence ending with a period', ({ sw }) => schemas(sw)
    .filter(({ s, isProperty }) => isProperty && !s.$ref && !/^[A-Z].*\.$/.test(s.description ?? ''))
    .map(({ where, s }) => `${where}: ${JSON.stringify(s.description)}`)],
  ['schema formats are ones the Power Platform schema accepts', ({ sw }) => schemas(sw)
    .filter(({ s }) => s.format !== undefined && !SCHEMA_FORMATS.includes(s.format)).map(({ where, s }) => `${where}: ${s.format}`)],
  ['deprecated items are advanced and say "Deprecated."', ({ sw }) => [
    ...parameters(sw).filter(({ p }) => /^Deprecated\./.test(p.description ?? '') && p['x-ms-visibility'] !== 'advanced').map(({ where }) => where),
    ...schemas(sw).filter(({ s, isProperty }) => isProperty && /^Deprecated\./.test(s.description ?? '') && s['x-ms-visibility'] !== 'advanced').map(({ where }) => where),
  ]],
  // docs/API_NOTES.md#certification-apiproperties
  ['apiProperties has only the keys the paconn schema allows', ({ props }) => {
    const allowed = ['iconBrandColor', 'publisher', 'stackOwner', 'capabilities', 'connectionParameters', 'policyTemplateInstances'];
    const p = Object.keys(props).filter((k) => k !== 'properties').map((k) => `top-level ${k}`);
    return [...p, ...Object.keys(props.properties ?? {}).filter((k) => !allowed.includes(k))];
  }],
  ['iconBrandColor is #da3b01 (independent publisher)', ({ props }) => (props.properties?.iconBrandColor === '#da3b01' ? [] : [props.properties?.iconBrandColor])],
  ['publisher and stackOwner are set; capabilities is a list', ({ props }) => {
    const x = props.properties ?? {};
    return [!x.publisher && 'publisher', x.stackOwner !== 'Apple' && 'stackOwner', !Array.isArray(x.capabilities) && 'capabilities'].filter(Boolean);
  }],
  ['connection parameter names match ^[0-9a-zA-Z_]+$ and types are known', ({ props }) => connParams(props)
    .filter(([k, v]) => !/^[0-9a-zA-Z_]+$/.test(k) || !['string', 'securestring', 'int', 'bool'].includes(v.type)).map(([k]) => k)],
  ['connection parameter constraints are strings (required, hidden), with display names and descriptions', ({ props }) => {
    const p = [];
    for (const [k, v] of connParams(props)) {
      const ui = v.uiDefinition ?? {};
      const c = ui.constraints ?? {};
      for (const key of ['required', 'hidden']) if (c[key] !== undefined && !['true', 'false'].includes(c[key])) p.push(`${k}.${key} is ${JSON.stringify(c[key])}`);
      if (!ui.displayName || !endsWithPunctuation(ui.description ?? '')) p.push(`${k}: display name or description`);
      for (const av of c.allowedValues ?? []) if (typeof av.value !== 'string' || typeof av.text !== 'string') p.push(`${k}: allowedValues`);
    }
    return p;
  }],
  ['secrets are securestring; the gateway key is required, the caller key parts are optional', ({ props }) => {
    const cp = props.properties?.connectionParameters ?? {};
    const p = [];
    for (const k of ['api_key', 'private_key']) if (cp[k]?.type !== 'securestring') p.push(`${k} not securestring`);
    if (cp.api_key?.uiDefinition?.constraints?.required !== 'true') p.push('api_key not required');
    for (const k of ['issuer_id', 'key_id', 'private_key']) if (cp[k]?.uiDefinition?.constraints?.required !== 'false') p.push(`${k} not optional`);
    return p;
  }],
  ['policy templates carry their required parameters and name existing operations', ({ sw, props }) => {
    const need = { setheader: ['name', 'value'], updatenextlink: ['nextLinkPropertyName'], pollingtrigger: ['triggerConfig', 'triggerDataPath'] };
    const ids = operations(sw).map((o) => o.op.operationId);
    const p = [];
    for (const pol of policies(props)) {
      if (!need[pol.templateId]) { p.push(`unexpected template ${pol.templateId}`); continue; }
      for (const k of need[pol.templateId]) if (!pol.parameters?.[`x-ms-apimTemplateParameter.${k}`]) p.push(`${pol.templateId}: no ${k}`);
      for (const id of pol.parameters?.['x-ms-apimTemplate-operationName'] ?? []) if (!ids.includes(id)) p.push(`${pol.templateId}: unknown operation ${id}`);
    }
    return p;
  }],
  ['setheader values name existing connection parameters, with an empty default for optional ones', ({ props }) => {
    const cp = props.properties?.connectionParameters ?? {};
    const p = [];
    for (const pol of policies(props).filter((x) => x.templateId === 'setheader')) {
      const value = pol.parameters?.['x-ms-apimTemplateParameter.value'] ?? '';
      const m = /^@connectionParameters\('([0-9A-Za-z_]+)'(?:,\s*'([^']*)')?\)$/.exec(value);
      if (!m || !cp[m[1]]) { p.push(`bad value ${value}`); continue; }
      if (cp[m[1]].uiDefinition?.constraints?.required === 'false' && m[2] === undefined) p.push(`${m[1]} has no default`);
    }
    return p;
  }],
  // Triggers: docs/TRIGGERS.md §2 and §4
  ['WebhookOperationsMissingNotificationUrlProperty / OperationMustHaveNotificationContentExtension: each single trigger is a POST with an internal, required x-ms-notification-url body property under a path item with x-ms-notification-content', ({ sw }) => {
    const p = [];
    for (const { path: pa, method, op } of operations(sw).filter((o) => o.op['x-ms-trigger'] === 'single')) {
      const item = sw.paths[pa];
      if (method !== 'post') p.push(`${op.operationId}: not a POST`);
      if (!item['x-ms-notification-content']?.schema) p.push(`${op.operationId}: no x-ms-notification-content`);
      if (op['x-ms-notification']) p.push(`${op.operationId}: x-ms-notification on a webhook operation`);
      const body = (op.parameters ?? []).find((x) => x.in === 'body')?.schema;
      const url = Object.entries(body?.properties ?? {}).filter(([, s]) => s['x-ms-notification-url'] === true);
      if (url.length !== 1) p.push(`${op.operationId}: ${url.length} x-ms-notification-url properties`);
      else if (url[0][1].type !== 'string' || url[0][1]['x-ms-visibility'] !== 'internal' || !body.required?.includes(url[0][0])) p.push(`${op.operationId}: the callback property is not an internal, required string`);
    }
    return p;
  }],
  ['trigger words: summary "When ...", description "This operation triggers when ...", an x-ms-trigger-hint', ({ sw }) => operations(sw)
    .filter(({ op }) => op['x-ms-trigger'])
    .filter(({ op }) => !/^When [a-z]/.test(op.summary ?? '') || !/^This operation triggers /.test(op.description ?? '') || !/^To see it work, .+\.$/.test(op['x-ms-trigger-hint'] ?? ''))
    .map(({ op }) => op.operationId)],
  ['webhook triggers have an internal DELETE operation for their Location', ({ sw }) => {
    const hooks = operations(sw).filter((o) => o.op['x-ms-trigger'] === 'single');
    const del = operations(sw).filter((o) => o.method === 'delete' && o.op['x-ms-visibility'] === 'internal');
    return hooks.length > 0 && del.length === 0 ? ['no internal DELETE'] : [];
  }],
  ['batch triggers: a GET under /trigger with the polling metadata and a pollingtrigger policy; capabilities list triggers', ({ sw, props }) => {
    const p = [];
    const triggers = operations(sw).filter((o) => o.op['x-ms-trigger']);
    for (const { path: pa, method, op } of triggers.filter((o) => o.op['x-ms-trigger'] === 'batch')) {
      if (method !== 'get' || !pa.startsWith('/trigger/')) p.push(`${op.operationId}: not a GET under /trigger`);
      if (JSON.stringify(op['x-ms-trigger-metadata']) !== '{"kind":"query","mode":"polling"}') p.push(`${op.operationId}: x-ms-trigger-metadata`);
      const pol = policies(props).find((x) => x.templateId === 'pollingtrigger' && (x.parameters?.['x-ms-apimTemplate-operationName'] ?? []).includes(op.operationId));
      if (!pol) { p.push(`${op.operationId}: no pollingtrigger policy`); continue; }
      for (const name of Object.keys(pol.parameters['x-ms-apimTemplateParameter.triggerConfig'] ?? {})) {
        const prm = (op.parameters ?? []).find((x) => x.name === name);
        if (!prm || prm.in !== 'query' || prm['x-ms-visibility'] !== 'internal' || prm.required) p.push(`${op.operationId}: state parameter ${name} is not an optional internal query parameter`);
      }
    }
    if (triggers.length > 0 && !(props.properties?.capabilities ?? []).includes('triggers')) p.push('capabilities do not list triggers');
    return p;
  }],
  // docs/API_NOTES.md#certification-files-and-readme
  ['no secrets or tokens in the connector files', ({ text, propsText, readme }) => {
    const all = `${text}\n${propsText}\n${readme}`;
    const p = [];
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(all)) p.push('a private key');
    if (/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./.test(all)) p.push('a JWT');
    return p;
  }],
  ['no icon is submitted', () => ['connector/icon.png', 'icon.png'].filter((f) => fs.existsSync(path.join(ROOT, f)))],
  ['readme has the independent-publisher sections', ({ readme }) => {
    const need = [/^# \S.*$/m, /^## Publisher: \S/m, /^## Prerequisites$/m, /^## Supported Operations$/m, /^## Obtaining Credentials$/m, /^## Known Issues and Limitations$/m];
    return need.filter((r) => !r.test(readme)).map(String);
  }],
  ['readme: the title matches info.title and is followed by a paragraph', ({ sw, readme }) => {
    const m = /^# (.+)\n\n([^#\n][^\n]*)/.exec(readme);
    return m && m[1] === sw.info?.title ? [] : ['title or paragraph'];
  }],
  ['readme has a ### section per operation, named by its summary', ({ sw, readme }) => operations(sw)
    .filter(({ op }) => !readme.includes(`### ${op.summary}\n`)).map(({ op }) => op.summary)],
];

const CTX = () => ({ sw: clone(SWAGGER), props: clone(PROPS), text: SWAGGER_TEXT, propsText: JSON.stringify(PROPS), readme: README });

describe(`certification rules (${RULES.length} rules)`, () => {
  for (const [name, rule] of RULES) {
    test(name, () => {
      assert.deepEqual(rule(CTX()), []);
    });
  }
});

/** Broken copies: each must be caught by the rule named (proves the rules can fail). */
const BREAKS = [
  ['info.title has no "API", "Connector" or product name', (c) => { c.sw.info.title = 'App Store API'; }],
  ['info.title is at most 30 characters', (c) => { c.sw.info.title = 'App Store Connect Gateway For Apps'; }],
  ['info.title ends with an alphanumeric character', (c) => { c.sw.info.title = 'App Store Connect.'; }],
  ['info.description has no "API" and no product name', (c) => { c.sw.info.description += ' Works with the App Store Connect API.'; }],
  ['HostNameNotValid: host is a bare host with an optional port', (c) => { c.sw.host = 'https://gw.example.com'; }],
  ['Categories: at most 2, from the fixed list', (c) => { c.sw['x-ms-connector-metadata'][2].propertyValue = 'Productivity;Data;AI'; }],
  ['summary: present, sentence case, at most 80 characters, letters/digits/spaces/parentheses only', (c) => { c.sw.paths['/v1/apps'].get.summary = 'List Apps.'; }],
  ['operation description: a sentence ending in punctuation that differs from the summary', (c) => { c.sw.paths['/v1/apps'].get.description = 'List apps'; }],
  ['DefaultResponseHasSchema: the default response has no schema', (c) => { c.sw.paths['/v1/apps'].get.responses.default.schema = { type: 'object', properties: { a: { type: 'string' } } }; }],
  ['OperationHasManyResponsesWithSchema: one response with a schema (none for a 204 write)', (c) => { c.sw.paths['/v1/apps'].get.responses['400'].schema = { $ref: '#/definitions/App' }; }],
  ['writes: a JSON body exactly when Apple takes one, flat (every property typed, described, titled), ids with a pattern', (c) => { delete c.sw.paths['/v1/betaTesters'].post.parameters[0].schema.properties.betaGroups.items.pattern; }],
  ['writes: a JSON body exactly when Apple takes one, flat (every property typed, described, titled), ids with a pattern', (c) => { c.sw.paths['/v1/betaTesters/{id}'].delete.parameters.push({ name: 'body', in: 'body', required: true, schema: { type: 'object' } }); }],
  ['writes: a JSON body exactly when Apple takes one, flat (every property typed, described, titled), ids with a pattern', (c) => { c.sw.paths['/v1/customerReviewResponses'].post.parameters.find((x) => x.in === 'body').schema.properties.responseBody['x-ms-visibility'] = 'advanced'; }],
  ['dynamic values point at an operation that returns the collection and the properties', (c) => { c.sw.paths['/v1/betaTesters'].post.parameters[0].schema.properties.betaGroups.items['x-ms-dynamic-values'].operationId = 'ListNothing'; }],
  ['OperationShouldHaveSuccessfulResponse / SchemaDefinitionSetIncorrectly: reads 200 with a schema, creates and webhook registrations 201 with one, other writes 204', (c) => { delete c.sw.paths['/v1/customerReviewResponses'].post.responses['201']; }],
  ['visible parameters have an x-ms-summary in Title Case of at most 80 characters', (c) => { c.sw.paths['/v1/apps'].get.parameters[0]['x-ms-summary'] = 'app name'; }],
  ['parameters have a description that is a sentence ending with a period', (c) => { c.sw.paths['/v1/apps'].get.parameters[1].description = 'filter by attribute'; }],
  ['PathParameterMustBeRequired / PathParameterMissingEncoding', (c) => { delete c.sw.paths['/v1/apps/{id}'].get.parameters[0]['x-ms-url-encoding']; }],
  ['QueryParameterEncodingNotSupported: no x-ms-url-encoding on query parameters', (c) => { c.sw.paths['/v1/apps'].get.parameters[0]['x-ms-url-encoding'] = 'single'; }],
  ['internal + required needs a default; internal with a default must be required', (c) => {
    c.sw.paths['/v1/apps'].get.parameters.find((p) => p.name === 'cursor').required = true;
  }],
  ['InvalidNextLinkNameValue: nextLinkName is nextLink or @odata.nextLink, at the root of the 200 schema', (c) => { c.sw.paths['/v1/apps'].get['x-ms-pageable'].nextLinkName = 'links.next'; }],
  ['updatenextlink policy for every pageable operation, with the same property name', (c) => { c.props.properties.policyTemplateInstances = c.props.properties.policyTemplateInstances.filter((p) => p.templateId !== 'updatenextlink'); }],
  ['only supported x-ms-* extensions, each where it is allowed', (c) => { c.sw.paths['/v1/apps'].get.parameters[0]['x-ms-enum-values'] = []; }],
  ['ArrayHasNoItems: every array has items', (c) => { delete c.sw.definitions.AppList.properties.value.items; }],
  ['RequiredPropertyArrayEmpty: no empty required arrays; required only on objects and names real properties', (c) => { c.sw.definitions.App.required = []; }],
  ['response properties have an x-ms-summary in Title Case of at most 80 characters', (c) => { delete c.sw.definitions.App.properties.name['x-ms-summary']; }],
  ['response properties have a description that is a sentence ending with a period', (c) => { c.sw.definitions.AppStoreVersion.properties.platform.description = 'platform'; }],
  ['enums are non-empty and unique; x-ms-enum-values have display names matching the enum, no duplicates', (c) => { c.sw.definitions.AppStoreVersion.properties.platform['x-ms-enum-values'].pop(); }],
  ['dynamic values point at an operation that returns the collection and the properties', (c) => { c.sw.paths['/v1/apps/{id}'].get.parameters[0]['x-ms-dynamic-values']['value-title'] = 'title'; }],
  ['schema formats are ones the Power Platform schema accepts', (c) => { c.sw.definitions.App.properties.appStoreUrl.format = 'uri-reference'; }],
  ['iconBrandColor is #da3b01 (independent publisher)', (c) => { c.props.properties.iconBrandColor = '#007ee5'; }],
  ['connection parameter constraints are strings (required, hidden), with display names and descriptions', (c) => { c.props.properties.connectionParameters.api_key.uiDefinition.constraints.required = true; }],
  ['setheader values name existing connection parameters, with an empty default for optional ones', (c) => {
    const pol = c.props.properties.policyTemplateInstances.find((p) => p.templateId === 'setheader');
    pol.parameters['x-ms-apimTemplateParameter.value'] = "@connectionParameters('issuer_id')";
  }],
  ['no secrets or tokens in the connector files', (c) => { c.readme += '\n-----BEGIN PRIVATE KEY-----\n'; }],
  ['readme has the independent-publisher sections', (c) => { c.readme = c.readme.replace('## Obtaining Credentials', '## Credentials'); }],
  ['the swagger is at most 1 MB', (c) => { c.text = ' '.repeat(1024 * 1024 + 1); }],
  ['WebhookOperationsMissingNotificationUrlProperty / OperationMustHaveNotificationContentExtension: each single trigger is a POST with an internal, required x-ms-notification-url body property under a path item with x-ms-notification-content', (c) => { delete c.sw.paths['/v1/apps/{id}/triggers/buildUploadState']['x-ms-notification-content']; }],
  ['trigger words: summary "When ...", description "This operation triggers when ...", an x-ms-trigger-hint', (c) => { delete c.sw.paths['/v1/apps/{id}/triggers/betaFeedback'].post['x-ms-trigger-hint']; }],
  ['webhook triggers have an internal DELETE operation for their Location', (c) => { c.sw.paths['/v1/apps/{id}/triggers/{family}/{webhookId}'].delete['x-ms-visibility'] = 'advanced'; }],
  ['batch triggers: a GET under /trigger with the polling metadata and a pollingtrigger policy; capabilities list triggers', (c) => { c.props.properties.capabilities = []; }],
];

describe('each certification rule catches a broken copy', () => {
  for (const [name, breakIt] of BREAKS) {
    test(name, () => {
      const rule = RULES.find(([n]) => n === name);
      assert.ok(rule, `no rule named ${name}`);
      const ctx = CTX();
      breakIt(ctx);
      assert.notDeepEqual(rule[1](ctx), [], 'the rule did not notice');
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// Swagger 2.0 validity and the generator

test('apiDefinition.swagger.json validates as Swagger 2.0 (swagger-parser)', async () => {
  const api = await SwaggerParser.validate(clone(SWAGGER));
  assert.equal(api.swagger, '2.0');
  const triggerPaths = [
    ...LIST.triggers.webhook.map((h) => LIST.triggers.subscribePath.replace('{family}', h.family)),
    LIST.triggers.unsubscribe.path,
    ...LIST.triggers.polling.map((t) => t.path),
  ];
  assert.deepEqual(Object.keys(api.paths).sort(), [...new Set([...LIST.operations.map((o) => o.path), ...(LIST.gatewayActions ?? []).map((o) => o.path), ...triggerPaths])].sort());
});

test('swagger-parser rejects a broken copy (the validation is real)', async () => {
  const broken = clone(SWAGGER);
  broken.paths['/v1/apps/{id}'].get.parameters[0].required = false;
  await assert.rejects(SwaggerParser.validate(broken));
});

test('the generator reproduces the committed swagger byte for byte (no drift)', () => {
  assert.equal(generate(), SWAGGER_TEXT);
  // Deterministic: two builds in a row render the same text.
  const { spec, presentation, list } = loadInputs();
  assert.equal(renderSwagger(buildSwagger(spec, presentation, list)), renderSwagger(buildSwagger(spec, presentation, list)));
  assert.equal(path.resolve(SWAGGER_PATH), path.join(ROOT, 'apiDefinition.swagger.json'));
});

test('the generator fails clearly when a parameter has neither presentation words nor a family to build them from', () => {
  const { spec, presentation, list } = loadInputs();
  const broken = structuredClone(spec);
  broken.paths['/v1/apps'].get.parameters.push({ name: 'surprise', in: 'query', schema: { type: 'integer', maximum: 5 } });
  assert.throws(() => buildSwagger(broken, presentation, list), /no words for parameter surprise/);
  // Without the presentation's words, a family parameter gets built words naming the operation's resource.
  delete presentation.resourceParameters.App['filter[sku]'];
  const sku = buildSwagger(spec, presentation, list).paths['/v1/apps'].get.parameters.find((p) => p.name === 'filter[sku]');
  assert.equal(sku['x-ms-summary'], 'SKU');
  assert.match(sku.description, /^Returns only apps whose SKU is one of these values/);
});

test('the generator names no resource: a kind that disagrees with Apple\'s response is refused', () => {
  const { spec, presentation, list } = loadInputs();
  const broken = structuredClone(list);
  broken.operations.find((o) => o.id === 'GetApp').kind = 'list';
  assert.throws(() => buildSwagger(spec, presentation, broken), /GetApp: kind list but Apple's AppResponse data is one resource/);
});

test('the advanced action SendRequest: POST /v1/request, advanced, a method enum, path/query/body/shape inputs, an untyped answer', () => {
  const op = SWAGGER.paths['/v1/request'].post;
  assert.equal(op.operationId, 'SendRequest');
  assert.equal(op.summary, 'Send a request to App Store Connect (advanced)');
  assert.equal(op['x-ms-visibility'], 'advanced');
  const [body] = op.parameters;
  assert.equal(op.parameters.length, 1);
  assert.equal(body.in, 'body');
  assert.deepEqual(Object.keys(body.schema.properties), ['method', 'path', 'query', 'body', 'shape']);
  assert.deepEqual(body.schema.required, ['method', 'path']);
  assert.deepEqual(body.schema.properties.method.enum, ['GET', 'POST', 'PATCH', 'DELETE']);
  for (const free of ['query', 'body']) assert.deepEqual([body.schema.properties[free].type, body.schema.properties[free].additionalProperties], ['object', true]);
  assert.equal(body.schema.properties.shape.type, 'boolean');
  assert.deepEqual(op.responses['200'].schema.type, 'object');
  assert.equal(op.responses['200'].schema.properties, undefined, 'untyped: Apple\'s document or records');
  assert.ok(op.responses['201'] && op.responses['204'] && !op.responses['201'].schema);
  // Built from the kind: an unknown kind is refused, and the generator names no resource for it.
  const { spec, presentation, list } = loadInputs();
  const broken = structuredClone(list);
  broken.gatewayActions[0].kind = 'teleport';
  assert.throws(() => buildSwagger(spec, presentation, broken), /SendRequest: unknown gateway action kind teleport/);
});

test('the swagger follows Apple\'s spec: every App attribute, every includable relationship, deprecations marked', () => {
  const { spec } = loadInputs();
  const app = SWAGGER.definitions.App.properties;
  for (const k of Object.keys(spec.components.schemas.App.properties.attributes.properties)) assert.ok(app[k], `App.${k}`);
  const include = SWAGGER.paths['/v1/apps'].get.parameters.find((p) => p.name === 'include').items.enum;
  assert.equal(include.length, 25);
  for (const rel of include) {
    assert.ok(app[rel], `App.${rel}`);
    const isMany = spec.components.schemas.App.properties.relationships.properties[rel].properties.data.type === 'array';
    assert.equal(app[rel].type === 'array', isMany, rel);
  }
  // Typed records: appStoreVersions and appInfos carry Apple's attributes with their enums.
  const asv = resolveRef(SWAGGER, app.appStoreVersions.items);
  assert.deepEqual(asv.properties.platform.enum, ['IOS', 'MAC_OS', 'TV_OS', 'VISION_OS']);
  assert.match(asv.properties.usesIdfa.description, /^Deprecated\./);
  const info = resolveRef(SWAGGER, app.appInfos.items);
  assert.ok(info.properties.state.enum.includes('READY_FOR_DISTRIBUTION'));
  assert.match(info.properties.kidsAgeBand.description, /^Deprecated\./);
  assert.equal(resolveRef(SWAGGER, app.inAppPurchasesV2.items).properties.familySharable.type, 'boolean');
  for (const p of spec.paths['/v1/apps'].get.parameters.filter((x) => x.deprecated)) {
    const mine = SWAGGER.paths['/v1/apps'].get.parameters.find((x) => x.name === p.name);
    assert.equal(mine['x-ms-visibility'], 'advanced', p.name);
    assert.match(mine.description, /^Deprecated\./, p.name);
  }
  const vis = (n) => SWAGGER.paths['/v1/apps'].get.parameters.find((x) => x.name === n)['x-ms-visibility'];
  for (const n of ['filter[bundleId]', 'filter[name]', 'limit']) assert.equal(vis(n), 'important', n);
  for (const n of ['filter[sku]', 'filter[appStoreVersions.platform]', 'sort', 'include']) assert.equal(vis(n), undefined, n);
  assert.equal(vis('cursor'), 'internal');
});

// ---------------------------------------------------------------------------------------------------------
// The wasm operation table, both ways

/** The swagger's view of one operation in the table's terms. */
/** The operations of the operation list (the table's); the triggers are the gateway's own routes. */
function actions(doc) {
  const ids = new Set(LIST.operations.map((o) => o.id));
  return operations(doc).filter(({ op }) => ids.has(op.operationId));
}

function swaggerAsTable(doc) {
  return actions(doc).map(({ path: p, method, op }) => ({
    id: op.operationId,
    method: method.toUpperCase(),
    path: p,
    summary: op.summary,
    pageable: Boolean(op['x-ms-pageable']),
    pathParameters: op.parameters.filter((x) => x.in === 'path').map((x) => ({ name: x.name, type: x.type, required: x.required })),
    parameters: op.parameters.filter((x) => x.in === 'query' && x.name !== 'cursor').map((x) => ({
      name: x.name,
      type: x.type,
      enum: x.items?.enum ?? x.enum ?? null,
      minimum: x.minimum ?? null,
      maximum: x.maximum ?? null,
      deprecated: /^Deprecated\./.test(x.description),
    })),
  }));
}

function tableAsSwagger(table) {
  return table.map((op) => ({
    id: op.id,
    method: op.method,
    path: op.path,
    summary: op.summary,
    pageable: op.pageable,
    pathParameters: op.pathParameters.map((x) => ({ name: x.name, type: x.type, required: x.required })),
    parameters: op.parameters.map((x) => ({
      name: x.name,
      type: x.type,
      enum: x.enum && x.enum.length > 0 ? x.enum : null,
      minimum: x.minimum ?? null,
      maximum: x.maximum ?? null,
      deprecated: Boolean(x.deprecated),
    })),
  }));
}

test('the swagger\'s operations, parameters, enums and limits equal the wasm operation table', { skip: NO_PKG }, () => {
  const table = WASM.operations();
  const mine = swaggerAsTable(SWAGGER);
  const theirs = tableAsSwagger(table);
  // Both ways: same operations, and for each the same parameters with the same types, enums and limits.
  assert.deepEqual(mine.map((o) => o.id).sort(), theirs.map((o) => o.id).sort());
  for (const t of theirs) {
    const m = mine.find((o) => o.id === t.id);
    assert.deepEqual(m, t, t.id);
  }
  // Pageable operations accept the cursor (the table leaves it out; the swagger declares it internal).
  for (const t of table.filter((o) => o.pageable)) {
    const op = operations(SWAGGER).find((o) => o.op.operationId === t.id).op;
    assert.ok(op.parameters.some((p) => p.name === 'cursor'));
  }
  // A replacement named by the table is named (by display name) in the deprecated parameter's description.
  for (const op of table) {
    const sw = operations(SWAGGER).find((o) => o.op.operationId === op.id).op;
    for (const p of op.parameters.filter((x) => x.replacement)) {
      const repl = sw.parameters.find((x) => x.name === p.replacement)['x-ms-summary'];
      assert.ok(sw.parameters.find((x) => x.name === p.name).description.includes(repl), `${p.name} → ${repl}`);
    }
  }
});

test('the table comparison notices a difference (an extra enum value)', { skip: NO_PKG }, () => {
  const broken = clone(SWAGGER);
  broken.paths['/v1/apps'].get.parameters.find((p) => p.name === 'sort').items.enum.push('-id');
  const theirs = tableAsSwagger(WASM.operations());
  const mine = swaggerAsTable(broken);
  assert.notDeepEqual(mine.find((o) => o.id === 'ListApps'), theirs.find((o) => o.id === 'ListApps'));
});

// ---------------------------------------------------------------------------------------------------------
// Shaped answers against the swagger's own 200 schemas

/** Turns the swagger definitions into draft-04 JSON Schema: x-nullable → null allowed; strict objects. */
function toJsonSchema(node, strict) {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, strict));
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-')) continue;
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toJsonSchema(pv, strict)]));
    else if (k === 'enum' || k === 'required') out[k] = [...v];
    else out[k] = toJsonSchema(v, strict);
  }
  if (strict && out.type === 'object' && out.properties) out.additionalProperties = false;
  if (node['x-nullable'] === true) {
    if (out.$ref) return { anyOf: [{ type: 'null' }, out] };
    out.type = [out.type, 'null'];
    if (out.enum) out.enum = [...out.enum, null];
  }
  return out;
}

function validatorFor(definition, strict = true) {
  const ajv = new Ajv04({ strict: false, allErrors: true });
  addFormats(ajv);
  const definitions = toJsonSchema(SWAGGER.definitions, strict);
  return ajv.compile({ $ref: `#/definitions/${definition}`, definitions });
}

const FIXTURES = [
  ['list', 'ListApps', 'AppList'],
  ['list_inc', 'ListApps', 'AppList'],
  ['one', 'GetApp', 'App'],
];
const fixture = (name) => fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', `${name}.json`), 'utf8');

describe('shaped answers validate against the swagger\'s 200 schemas (strict: no undeclared keys)', () => {
  for (const [name, , def] of FIXTURES) {
    test(`tests/fixtures/${name}.shaped.json → ${def}`, () => {
      const validate = validatorFor(def);
      const body = JSON.parse(fixture(`${name}.shaped`));
      assert.ok(validate(body), JSON.stringify(validate.errors, null, 2));
    });
  }
  for (const [name, operationId, def] of FIXTURES) {
    test(`shapeResponse(${operationId}, examples/${name}.json) → ${def}`, { skip: NO_PKG }, () => {
      const validate = validatorFor(def);
      const out = WASM.shapeResponse(operationId, 200, fixture(name), {
        baseUrl: 'https://gw.example.com',
        path: operationId === 'ListApps' ? '/v1/apps' : '/v1/apps/1493245621',
        query: 'limit=2',
        upstreamOrigin: 'https://api.appstoreconnect.apple.com',
        raw: false,
      });
      assert.equal(out.status, 200);
      const body = JSON.parse(out.body);
      assert.ok(validate(body), JSON.stringify(validate.errors, null, 2));
      if (operationId === 'ListApps' && name === 'list_inc') {
        assert.ok(body.value[0].appStoreVersions.length > 0);
        assert.match(body.nextLink, /^https:\/\/gw\.example\.com\/v1\/apps\?/);
      }
    });
  }
  test('every operation: the gateway\'s shaped sandbox answers (plain, with every include, with fields) validate against its 200 schema', { skip: NO_PKG }, async () => {
    const team = newAppleKey();
    const stack = await startStack({ keys: [team.sandboxKey], env: serverKeyEnv(team) });
    try {
      let checked = 0;
      for (const { path: p, method, op } of actions(SWAGGER).filter((o) => o.method === 'get')) {
        const def = op.responses['200'].schema.$ref.replace('#/definitions/', '');
        const validate = validatorFor(def);
        const table = WASM.operations().find((o) => o.id === op.operationId);
        const { path: example } = examplePath(table, stack.sandbox.catalogue, specTables().operations);
        assert.equal(method, 'get');
        assert.ok(p === table.path);
        const include = table.parameters.find((x) => x.name === 'include');
        for (const query of ['', include ? `include=${include.enum.join(',')}` : null].filter((q) => q !== null)) {
          const r = await stack.get(`${example}?${query}`);
          assert.equal(r.status, 200, `${op.operationId}: ${r.text.slice(0, 300)}`);
          assert.ok(validate(r.json), `${op.operationId} ${query}: ${JSON.stringify(validate.errors?.slice(0, 3), null, 2)}`);
          checked += 1;
        }
      }
      assert.ok(checked >= 2 * actions(SWAGGER).filter((o) => o.method === 'get').length - 2);
    } finally {
      await stack.close();
    }
  });

  test('every write: the swagger body is what the gateway accepts, and its 201 record or 204 is what comes back', { skip: NO_PKG }, async () => {
    const team = newAppleKey();
    const stack = await startStack({ keys: [team.sandboxKey], env: serverKeyEnv(team) });
    try {
      for (const { path: p, method, op } of actions(SWAGGER).filter((o) => o.method !== 'get')) {
        const c = writeCases(stack.sandbox.catalogue.resources)[op.operationId];
        assert.ok(c, op.operationId);
        const body = op.parameters.find((x) => x.in === 'body');
        if (c.flat !== null) {
          // The flat body the gateway accepts validates against the swagger's body schema (no undeclared keys).
          const ajv = new Ajv04({ strict: false, allErrors: true });
          const schema = { ...body.schema, additionalProperties: false };
          assert.ok(ajv.validate(schema, c.flat), `${op.operationId}: ${JSON.stringify(ajv.errors)}`);
        } else assert.equal(body, undefined, op.operationId);
        const tpl = p.split('/');
        const segs = c.path.split('/');
        assert.ok(tpl.length === segs.length && tpl.every((s, i) => s.startsWith('{') || s === segs[i]), `${c.path} fits ${p}`);
        const r = await stack.get(c.path, c.flat === null ? {} : { 'Content-Type': 'application/json' }, { method: method.toUpperCase(), ...(c.flat === null ? {} : { body: JSON.stringify(c.flat) }) });
        assert.equal(r.status, c.status, `${op.operationId}: ${r.text.slice(0, 300)}`);
        if (c.status === 201) {
          const def = op.responses['201'].schema.$ref.replace('#/definitions/', '');
          const validate = validatorFor(def);
          assert.ok(validate(r.json), `${op.operationId}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
        } else {
          assert.ok(op.responses['204'], op.operationId);
          assert.equal(r.text, '');
        }
      }
    } finally {
      await stack.close();
    }
  });

  test('every id in a write body has a picker from its list; a list that needs an id gets it from a parameter of the operation', () => {
    let checked = 0;
    for (const entry of LIST.operations.filter((o) => o.bodyIds)) {
      const op = operations(SWAGGER).find((o) => o.op.operationId === entry.id).op;
      const body = op.parameters.find((x) => x.in === 'body');
      for (const [field, b] of Object.entries(entry.bodyIds)) {
        if (!b.picker) continue;
        const prop = body.schema.properties[field];
        const dv = (prop.items ?? prop)['x-ms-dynamic-values'];
        assert.equal(dv?.operationId, b.picker, `${entry.id} ${field}`);
        const picker = LIST.operations.find((o) => o.id === b.picker);
        const needs = [...picker.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        assert.deepEqual(Object.keys(dv.parameters ?? {}), needs, `${entry.id} ${field}`);
        for (const need of needs) {
          const via = op.parameters.find((x) => x.name === dv.parameters[need].parameter);
          assert.ok(via?.['x-ms-dynamic-values'], `${entry.id} ${field}: ${need} comes from a parameter with its own picker`);
        }
        checked += 1;
      }
    }
    assert.ok(checked >= 6, `${checked} body ids checked`);
  });

  test('every id has a picker from the list named in the operation list; a list that needs an id gets it from a picker-only header', () => {
    for (const entry of LIST.operations) {
      const sw = operations(SWAGGER).find((o) => o.op.operationId === entry.id).op;
      for (const [name, pp] of Object.entries(entry.pathParameters)) {
        const dv = sw.parameters.find((x) => x.in === 'path' && x.name === name)['x-ms-dynamic-values'];
        if (pp.picker === undefined) {
          assert.equal(dv, undefined, `${entry.id} ${name}`);
          continue;
        }
        const picker = LIST.operations.find((o) => o.id === pp.picker);
        assert.equal(dv.operationId, picker.id, `${entry.id} ${name}`);
        assert.equal(dv['value-title'], picker.pickerTitle);
        const needs = [...picker.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        assert.deepEqual(Object.keys(dv.parameters ?? {}), needs, `${entry.id} ${name}`);
        for (const need of needs) {
          const helper = sw.parameters.find((x) => x.name === dv.parameters[need].parameter);
          assert.equal(helper.in, 'header', `${entry.id}: the picker's ${need} comes from a header the gateway ignores`);
          assert.equal(helper.required, false);
          assert.equal(helper['x-ms-dynamic-values'].operationId, pp.pickerParameters[need].picker);
        }
      }
    }
  });

  test('the schemas reject what the swagger does not describe (a wrong enum value, an undeclared key, a missing id)', () => {
    const validate = validatorFor('AppList');
    const body = JSON.parse(fixture('list_inc.shaped'));
    const bad1 = clone(body);
    bad1.value[0].appStoreVersions[0].platform = 'ANDROID';
    assert.equal(validate(bad1), false);
    const bad2 = clone(body);
    bad2.value[0].surprise = 1;
    assert.equal(validate(bad2), false);
    const bad3 = clone(body);
    delete bad3.value[1].id;
    assert.equal(validate(bad3), false);
    // Nulls are fine exactly where the swagger says x-nullable.
    const ok = clone(body);
    ok.value[0].name = null;
    assert.equal(validate(ok), true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// `asc-connector connector --host`

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += chunk; cb(); } });
  return { stream, get text() { return text; } };
}

async function runCli(argv) {
  const out = sink();
  const err = sink();
  const code = await runConnector(argv, { stdout: out.stream, stderr: err.stream, stdin: process.stdin, env: {} });
  return { code, stdout: out.text, stderr: err.text };
}

describe('asc-connector connector', () => {
  test('writes a valid copy with the host set, plus apiProperties, readme and paconn settings', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asc-connector-'));
    try {
      const env = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
      const r = await runCli(['--host', 'GW.Example.com:8443', '--out', dir, '--environment', env]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(fs.readdirSync(dir).sort(), [...CONNECTOR_FILES].sort());
      const swagger = JSON.parse(fs.readFileSync(path.join(dir, 'apiDefinition.swagger.json'), 'utf8'));
      assert.equal(swagger.host, 'gw.example.com:8443');
      const api = await SwaggerParser.validate(clone(swagger));
      assert.equal(api.host, 'gw.example.com:8443');
      // Everything but the host is the committed definition.
      assert.deepEqual({ ...swagger, host: SWAGGER.host }, SWAGGER);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'apiProperties.json'), 'utf8')), PROPS);
      assert.equal(fs.readFileSync(path.join(dir, 'readme.md'), 'utf8'), README);
      const settings = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'));
      const allowed = ['connectorId', 'environment', 'apiProperties', 'apiDefinition', 'icon', 'powerAppsUrl', 'powerAppsApiVersion', 'flowUrl', 'flowApiVersion'];
      for (const k of Object.keys(settings)) assert.ok(allowed.includes(k), `settings key ${k}`);
      assert.equal(settings.environment, env);
      assert.equal(settings.apiDefinition, 'apiDefinition.swagger.json');
      assert.equal(settings.apiProperties, 'apiProperties.json');
      assert.equal(settings.powerAppsApiVersion, '2016-11-01');
      assert.match(r.stdout, /https:\/\/gw\.example\.com:8443/);
      // The certification rules still hold for the copy.
      const ctx = { sw: swagger, props: PROPS, text: JSON.stringify(swagger), propsText: JSON.stringify(PROPS), readme: README };
      for (const [name, rule] of RULES) assert.deepEqual(rule(ctx), [], name);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without --environment, settings.json has no environment', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asc-connector-'));
    try {
      const r = await runCli([`--host=gw.example.com`, `--out=${dir}`]);
      assert.equal(r.code, 0, r.stderr);
      const settings = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'));
      assert.equal(settings.environment, undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const BAD_HOSTS = [
    ['https://gw.example.com', /has a scheme/],
    ['http://gw.example.com', /has a scheme/],
    ['gw.example.com/api', /path/],
    ['gw.example.com?x=1', /path, query/],
    ['gw example.com', /whitespace/],
    [' gw.example.com', /whitespace/],
    ['', /empty/],
    ['user@gw.example.com', /user information/],
    ['gw.example.com:0', /port/],
    ['gw.example.com:99999', /port/],
    ['gw.example.com:', /not a host name/],
    ['[::1]:8080', /not a host name/],
    ['gw_example.com', /not a valid DNS name/],
    ['-gw.example.com', /not a valid DNS name/],
    ['gw..example.com', /not a valid DNS name/],
    ['{host}', /not a host name/],
  ];
  for (const [host, why] of BAD_HOSTS) {
    test(`rejects --host ${JSON.stringify(host)} with exit 2`, async () => {
      const r = await runCli(['--host', host, '--out', path.join(os.tmpdir(), 'never-written')]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.equal(r.stdout, '');
      assert.equal(fs.existsSync(path.join(os.tmpdir(), 'never-written')), false);
    });
  }

  test('rejects unknown flags, a missing --host and a bad --environment with exit 2', async () => {
    for (const argv of [['--hots', 'gw.example.com'], [], ['--host'], ['--host', 'gw.example.com', '--environment', 'prod'], ['--host', 'a.com', '--host', 'b.com']]) {
      const r = await runCli(argv);
      assert.equal(r.code, 2, JSON.stringify(argv));
      assert.match(r.stderr, /^asc-connector connector: .+\n$/);
    }
  });

  test('--help prints usage and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--host HOST/);
  });

  test('validateHost accepts bare hosts and ports and lower-cases them', () => {
    assert.equal(validateHost('gw.example.com'), 'gw.example.com');
    assert.equal(validateHost('localhost:8787'), 'localhost:8787');
    assert.equal(validateHost('ASC-Gateway.Contoso.net'), 'asc-gateway.contoso.net');
    assert.equal(validateHost('10.0.0.5:443'), '10.0.0.5:443');
  });

  test('buildConnectorPackage works from the committed sources', () => {
    const files = buildConnectorPackage({ host: 'gw.example.org', sources: readSources() });
    assert.equal(JSON.parse(files['apiDefinition.swagger.json']).host, 'gw.example.org');
  });
});

test('the webhook triggers of the operation list are the gateway\'s families (triggerFamilies) and Apple event types', { skip: NO_PKG }, async () => {
  const fromList = LIST.triggers.webhook.map((h) => ({ family: h.family, operationId: h.id, eventTypes: h.eventTypes }));
  const { triggerFamilies } = await import('asc-connector-wasm/triggers');
  assert.deepEqual(triggerFamilies(), fromList);
  const appleTypes = JSON.parse(read('spec/app-store-connect-openapi-4.4.1.json')).components.schemas.WebhookEventType.enum;
  for (const h of fromList) for (const t of h.eventTypes) assert.ok(appleTypes.includes(t), t);
  // Each family's payload schema is in the swagger, under the subscribe path.
  for (const h of LIST.triggers.webhook) {
    const item = SWAGGER.paths[LIST.triggers.subscribePath.replace('{family}', h.family)];
    assert.equal(item.post.operationId, h.id);
    assert.ok(item['x-ms-notification-content'].schema.$ref.endsWith(`/${h.id}Event`));
  }
});
