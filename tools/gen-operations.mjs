#!/usr/bin/env node
// Generates the operation table (src/operations/table.rs) from Apple's App Store Connect OpenAPI spec.
// The vendored subset the tests compare the table with (spec/apple-apps-4.4.1.json: the paths and the
// schemas they reach, verbatim) is refreshed by `node tools/gen-swagger.mjs --vendor`.
//
// Usage: node tools/gen-operations.mjs [path/to/app-store-connect-openapi.json] [--check]
//   The spec path defaults to spec/app-store-connect-openapi-4.4.1.json (Apple's spec, vendored whole).
//   With --check nothing is written; the exit code is 1 when a generated file is stale.
//
// The operations come from the one operation list, src/operations/operations.json; adding an operation
// means adding an entry there (and an id rule if its path has a new kind of id). The code below has no
// per-operation branches. Output is deterministic: Apple's parameter order is
// kept, and nothing depends on time, locale or object iteration over unordered data.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPack } from './gen-spec-pack.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SPEC = join(ROOT, 'spec/app-store-connect-openapi-4.4.1.json');
const TABLE_OUT = join(ROOT, 'src/operations/table.rs');

// ---- Data -----------------------------------------------------------------------------------------

/** The one operation list (see its $comment): operations, id rules and parameter replacements. */
export const LIST_PATH = join(ROOT, 'src/operations/operations.json');

/** The Rust spelling of each kind of the list; the Apple operationId suffix each kind must carry. */
const KINDS = {
  list: { rust: 'List', appleSuffix: '_getCollection' },
  get: { rust: 'Get', appleSuffix: '_getInstance' },
  relatedList: { rust: 'RelatedList', appleSuffix: '_getToManyRelated' },
  relatedGet: { rust: 'RelatedGet', appleSuffix: '_getToOneRelated' },
  create: { rust: 'Create', appleSuffix: '_createInstance', write: true },
  update: { rust: 'Update', appleSuffix: '_updateInstance', write: true },
  delete: { rust: 'Delete', appleSuffix: '_deleteInstance', write: true },
  addRelationship: { rust: 'AddRelationship', appleSuffix: '_createToManyRelationship', write: true },
  removeRelationship: { rust: 'RemoveRelationship', appleSuffix: '_deleteToManyRelationship', write: true },
};
const CHARSETS = ['Digits', 'Token'];

/** Integers: Apple gives only a maximum; zero or negative page sizes make no sense, so we start at 1. */
const DEFAULT_INTEGER_MINIMUM = 1;

// ---- Code -----------------------------------------------------------------------------------------

function fail(message) {
  process.stderr.write(`gen-operations: ${message}\n`);
  process.exit(2);
}

/** The Rust kind of an entry; the entry's kind must agree with Apple's operationId. */
function kindOf(op) {
  const k = KINDS[op.kind];
  if (!k) fail(`${op.id}: kind ${JSON.stringify(op.kind)} is not one of ${Object.keys(KINDS).join(', ')}`);
  if (!op.appleOperationId.endsWith(k.appleSuffix)) {
    fail(`${op.id}: kind ${op.kind} needs an Apple operationId ending in ${k.appleSuffix}, not ${op.appleOperationId}`);
  }
  return k.rust;
}

/** Reads and checks the operation list. */
export function loadList(path = LIST_PATH) {
  const list = JSON.parse(readFileSync(path, 'utf8'));
  for (const [name, rule] of Object.entries(list.idRules ?? {})) {
    if (!CHARSETS.includes(rule.charset)) fail(`id rule ${name}: charset ${rule.charset} is not one of ${CHARSETS.join(', ')}`);
    if (!(rule.minLength >= 1 && rule.maxLength >= rule.minLength)) fail(`id rule ${name}: bad lengths`);
    if (typeof rule.example !== 'string' || typeof rule.help !== 'string' || typeof rule.noun !== 'string') fail(`id rule ${name}: noun, example and help are required`);
  }
  const replacements = Object.fromEntries(Object.entries(list.replacements ?? {}).filter(([k]) => !k.startsWith('$')));
  const ids = new Set(list.operations.map((o) => o.id));
  for (const op of list.operations) {
    for (const [name, pp] of Object.entries(op.pathParameters ?? {})) {
      if (!list.idRules[pp.idRule]) fail(`${op.id}: path parameter ${name} names an unknown id rule ${pp.idRule}`);
      if (pp.picker !== undefined) {
        const picker = list.operations.find((o) => o.id === pp.picker);
        if (!picker || !KINDS[picker.kind] || !['list', 'relatedList'].includes(picker.kind)) fail(`${op.id}: picker ${pp.picker} of ${name} is not a list operation`);
        if (!picker.pickerTitle) fail(`${op.id}: picker ${pp.picker} has no pickerTitle`);
        const needs = [...picker.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        for (const need of needs) {
          const via = pp.pickerParameters?.[need];
          const viaPicker = list.operations.find((o) => o.id === via?.picker);
          if (!via || !list.idRules[via.idRule] || !viaPicker || viaPicker.path.includes('{')) {
            fail(`${op.id}: picker ${pp.picker} of ${name} needs {${need}}: give pickerParameters.${need} = { idRule, picker (a list without path parameters) }`);
          }
        }
      }
    }
    if (!ids.has(op.id)) fail(`${op.id}: lost`);
    const write = KINDS[op.kind]?.write === true;
    for (const [field, b] of Object.entries(op.bodyIds ?? {})) {
      if (!write) fail(`${op.id}: bodyIds belong to write operations`);
      if (!list.idRules[b.idRule]) fail(`${op.id}: body field ${field} names an unknown id rule ${b.idRule}`);
      if (b.picker !== undefined && !list.operations.some((o) => o.id === b.picker && ['list', 'relatedList'].includes(o.kind))) fail(`${op.id}: picker ${b.picker} of ${field} is not a list operation`);
    }
    if (write) {
      const check = list.operations.find((o) => o.id === op.checkWith);
      if (!check || KINDS[check.kind]?.write) fail(`${op.id}: checkWith must name a read operation of the list`);
      if (typeof op.outcomeHint !== 'string' || op.outcomeHint.length < 10) fail(`${op.id}: outcomeHint is required for a write`);
    } else if (op.checkWith !== undefined || op.outcomeHint !== undefined) fail(`${op.id}: checkWith and outcomeHint belong to write operations`);
  }
  return { ...list, replacements };
}

/** Rust string literal. */
function rs(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c < 0x20 || c === 0x7f) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

function opt(v, f = String) {
  return v === undefined || v === null ? 'None' : `Some(${f(v)})`;
}

function loadSpec(path) {
  if (!existsSync(path)) fail(`spec not found: ${path}`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Finds one operation in the spec and returns its path item, method object and parameters. */
function locate(spec, op) {
  const item = spec.paths?.[op.path];
  if (!item) fail(`${op.id}: path ${op.path} is not in the spec`);
  const method = op.method.toLowerCase();
  const get = item[method];
  if (!get) fail(`${op.id}: ${op.method} ${op.path} is not in the spec`);
  if (get.operationId !== op.appleOperationId) {
    fail(`${op.id}: spec operationId is ${get.operationId}, expected ${op.appleOperationId}`);
  }
  const all = [...(item.parameters ?? []), ...(get.parameters ?? [])];
  for (const p of all) if (p.$ref) fail(`${op.id}: $ref parameters are not supported (${p.$ref})`);
  return { item, method, get, pathParams: all.filter((p) => p.in === 'path'), queryParams: all.filter((p) => p.in === 'query') };
}

function queryParameter(op, p) {
  const s = p.schema ?? {};
  let ty;
  if (s.type === 'array') {
    if (s.items?.type !== 'string') fail(`${op.id}: ${p.name}: array items must be strings`);
    if (p.style !== 'form' || p.explode !== false) fail(`${op.id}: ${p.name}: expected style form, explode false`);
    ty = 'Array';
  } else if (s.type === 'integer') ty = 'Integer';
  else if (s.type === 'boolean') ty = 'Boolean';
  else fail(`${op.id}: ${p.name}: unsupported schema type ${s.type}`);
  const values = ty === 'Array' ? s.items.enum ?? [] : [];
  const minimum = ty === 'Integer' ? s.minimum ?? DEFAULT_INTEGER_MINIMUM : undefined;
  const maximum = ty === 'Integer' ? s.maximum : undefined;
  if (ty === 'Integer' && maximum === undefined) fail(`${op.id}: ${p.name}: integer without maximum`);
  return {
    name: p.name,
    ty,
    values,
    minimum,
    maximum,
    deprecated: p.deprecated === true,
    replacement: op.replacements[p.name],
    description: p.description ?? '',
  };
}

/** The request-body schemas of the list's operations, as a spec pack of just those operations. */
function bodyPack(spec, list) {
  const wanted = new Set(list.operations.filter((o) => KINDS[o.kind]?.write).map((o) => `${o.method.toUpperCase()} ${o.path}`));
  const pack = buildPack(spec, { only: (method, path) => wanted.has(`${method.toUpperCase()} ${path}`) });
  const roots = new Map(pack.ops.filter((row) => row[4] >= 0).map((row) => [`${row[0]} ${row[1]}`, row[4]]));
  // Only the writes are packed, so `enums` and `nodes` are just their request bodies' (about 2 KB).
  return { text: JSON.stringify({ format: pack.format, spec: pack.spec, enums: pack.enums, nodes: pack.nodes }), roots };
}

function build(spec, list) {
  const ops = [];
  const pack = bodyPack(spec, list);
  for (const entry of list.operations) {
    const op = { ...entry, replacements: list.replacements };
    const { pathParams, queryParams } = locate(spec, op);
    const names = new Set();
    const parameters = queryParams.map((p) => {
      if (names.has(p.name)) fail(`${op.id}: parameter ${p.name} declared twice`);
      names.add(p.name);
      return queryParameter(op, p);
    });
    for (const p of parameters) {
      if (p.replacement && !names.has(p.replacement)) fail(`${op.id}: replacement ${p.replacement} unknown`);
    }
    const templateNames = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const pathParameters = templateNames.map((name) => {
      const declared = pathParams.find((p) => p.name === name);
      if (!declared || declared.required !== true) fail(`${op.id}: path parameter ${name} not declared as required`);
      const ruleName = op.pathParameters?.[name]?.idRule;
      const rule = list.idRules[ruleName];
      if (!rule) fail(`${op.id}: no id rule for path parameter ${name}`);
      return { name, description: declared.description ?? '', rule };
    });
    if (pathParams.length !== templateNames.length) fail(`${op.id}: path parameters do not match the template`);
    if (Object.keys(op.pathParameters ?? {}).some((n) => !templateNames.includes(n))) fail(`${op.id}: a listed path parameter is not in ${op.path}`);
    const { get } = locate(spec, op);
    const bodyRoot = pack.roots.get(`${op.method.toUpperCase()} ${op.path}`);
    const wantsBody = get.requestBody?.required === true;
    if (wantsBody !== (bodyRoot !== undefined)) fail(`${op.id}: Apple's request body and the pack disagree`);
    if (!KINDS[op.kind]?.write && get.requestBody) fail(`${op.id}: a read with a request body`);
    const bodyIds = Object.entries(op.bodyIds ?? {}).map(([field, b]) => ({ field, rule: list.idRules[b.idRule] }));
    ops.push({ ...op, kind: kindOf(op), parameters, pathParameters, bodyRoot, bodyIds });
  }
  const ids = new Set();
  for (const op of ops) {
    if (ids.has(op.id)) fail(`duplicate operation id ${op.id}`);
    ids.add(op.id);
  }
  return { ops, bodyPack: pack.text };
}

/** Formats generated Rust the way `cargo fmt` does, so the committed table passes `cargo fmt --check`. */
function rustfmt(source) {
  const r = spawnSync('rustfmt', ['--edition', '2021', '--emit', 'stdout'], { input: source, encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) fail(`rustfmt failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * The write schemas as static Rust data (`BODY_SCHEMAS`), read from the pack exactly as
 * `body::Schemas::from_pack` reads it, so the full wasm module needs no pack reader; a unit test in
 * src/write.rs checks that `Schemas::from_pack(BODY_PACK)` equals `BODY_SCHEMAS`.
 */
function renderSchemas(packText) {
  const pack = JSON.parse(packText);
  const nodes = Array.isArray(pack.nodes) ? pack.nodes : fail('body pack: no nodes');
  const enums = Array.isArray(pack.enums) ? pack.enums : [];
  const index = (v, what, len) => (Number.isInteger(v) && v >= 0 && v < len ? v : fail(`body pack: ${what} is not a valid index`));
  const num = (v) => {
    if (typeof v !== 'number') return 'None';
    const t = String(v);
    return `Some(${/[.e]/.test(t) ? t : `${t}.0`})`;
  };
  const text = (s) => `Cow::Borrowed(${rs(s)})`;
  const texts = (a) => `Cow::Borrowed(&[${(Array.isArray(a) ? a : []).filter((s) => typeof s === 'string').map(text).join(', ')}])`;
  const has = (v, k) => Object.prototype.hasOwnProperty.call(v, k);
  const FORMATS = new Map([['date', 'Date'], ['date-time', 'DateTime'], ['email', 'Email']]);
  const L = [];
  L.push('/// The same schemas as static data (see `body::Schemas::from_static`), which the write actions use.');
  L.push('pub static BODY_SCHEMAS: Schemas = Schemas::from_static(');
  L.push(`    &[${enums.map(texts).join(', ')}],`);
  L.push('    &[');
  nodes.forEach((v, i) => {
    const n = nodes.length;
    let kind;
    switch (v.t) {
      case 'o': {
        const p = v.p && typeof v.p === 'object' && !Array.isArray(v.p) ? v.p : {};
        const props = Object.entries(p).map(([k, id]) => `(${text(k)}, ${index(id, `node ${i}.p`, n)})`);
        const extra = has(v, 'x') ? `Some(${index(v.x, `node ${i}.x`, n)})` : 'None';
        kind = `Kind::Object { props: Cow::Borrowed(&[${props.join(', ')}]), required: ${texts(v.r)}, extra: ${extra}, linkage: ${has(v, 'l')} }`;
        break;
      }
      case 'a':
        kind = `Kind::Array { items: ${index(v.i, `node ${i}.i`, n)} }`;
        break;
      case 's': {
        const values = has(v, 'e') ? `Some(${index(v.e, `node ${i}.e`, enums.length)})` : 'None';
        const format = (typeof v.f === 'string' && FORMATS.get(v.f)) || 'None';
        kind = `Kind::String { values: ${values}, format: Format::${format} }`;
        break;
      }
      case 'i': kind = 'Kind::Integer'; break;
      case 'n': kind = 'Kind::Number'; break;
      case 'b': kind = 'Kind::Boolean'; break;
      case 'u': {
        const alts = (Array.isArray(v.u) ? v.u : []).map((x) => index(x, `node ${i}.u`, n));
        kind = `Kind::OneOf(Cow::Borrowed(&[${alts.join(', ')}]))`;
        break;
      }
      case 'any': kind = 'Kind::Any'; break;
      default: fail(`body pack: node ${i} has the unknown type ${JSON.stringify(v.t)}`);
    }
    L.push(`        Node { kind: ${kind}, nullable: ${has(v, 'z')}, min: ${num(v.min)}, max: ${num(v.max)} },`);
  });
  L.push('    ],');
  L.push(');');
  return L;
}

function renderTable(ops, specInfo, bodyPackText) {
  const L = [];
  L.push(`// @generated by tools/gen-operations.mjs from Apple's App Store Connect API OpenAPI spec ${specInfo.version}.`);
  L.push('// Do not edit by hand: change src/operations/operations.json and run `node tools/gen-operations.mjs`.');
  L.push('');
  L.push('//! The operation table: every operation the connector forwards, with every query parameter Apple\'s');
  L.push('//! spec defines for it (generated; see `tools/gen-operations.mjs`).');
  L.push('');
  L.push('use super::types::{');
  L.push('    BodyId, IdCharset, IdRule, Operation, OperationKind, Parameter, ParameterType, PathParameter,');
  L.push('};');
  L.push('use crate::body::{Format, Kind, Node, Schemas};');
  L.push('use std::borrow::Cow;');
  L.push('');
  L.push('/// The version of Apple\'s spec the table was generated from.');
  L.push(`pub const SPEC_VERSION: &str = ${rs(specInfo.version)};`);
  L.push('');
  L.push('/// The request-body schemas of the write operations: a spec pack of just these operations');
  L.push('/// (`buildPack` of `tools/gen-spec-pack.mjs`), as read by `body::Schemas::from_pack`.');
  L.push(`pub const BODY_PACK: &str = ${rs(bodyPackText)};`);
  L.push('');
  L.push(...renderSchemas(bodyPackText));
  L.push('');
  // Each distinct parameter definition is written once, as a const, and shared by the operations
  // that take it (GetApp's fields/include/limit[...] are ListApps' own), so the table states every
  // definition exactly once.
  const consts = new Map(); // definition key -> const name
  const usedNames = new Set();
  const constFor = (p) => {
    const key = JSON.stringify([p.name, p.ty, p.values, p.minimum, p.maximum, p.deprecated, p.replacement, p.description]);
    if (consts.has(key)) return consts.get(key);
    const base = p.name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
    let name = base;
    for (let i = 2; usedNames.has(name); i += 1) name = `${base}_${i}`;
    usedNames.add(name);
    consts.set(key, name);
    L.push(`/// \`${p.name}\`${p.deprecated ? ' (deprecated)' : ''}: ${p.description.replace(/\s+/g, ' ')}`);
    L.push(`const ${name}: Parameter = Parameter {`);
    L.push(`    name: ${rs(p.name)},`);
    L.push(`    ty: ParameterType::${p.ty},`);
    // One comma-separated string rather than a slice of strings: 8 bytes of pointers fewer per
    // value in the wasm module. List items are split at commas, so no value can hold one.
    for (const v of p.values) if (v === '' || v.includes(',')) fail(`${p.name}: enum value ${JSON.stringify(v)} is empty or has a comma`);
    L.push(`    values: ${rs(p.values.join(','))},`);
    L.push(`    minimum: ${opt(p.minimum)},`);
    L.push(`    maximum: ${opt(p.maximum)},`);
    L.push(`    deprecated: ${p.deprecated},`);
    L.push(`    replacement: ${opt(p.replacement, rs)},`);
    L.push(`    description: ${rs(p.description)},`);
    L.push('};');
    L.push('');
    return name;
  };
  const parameterNames = new Map(ops.map((op) => [op.id, op.parameters.map(constFor)]));
  const ruleLines = (r, indent) => [
    `${indent}rule: IdRule {`,
    `${indent}    noun: ${rs(r.noun)},`,
    `${indent}    charset: IdCharset::${r.charset},`,
    `${indent}    min_length: ${r.minLength},`,
    `${indent}    max_length: ${r.maxLength},`,
    `${indent}    example: ${rs(r.example)},`,
    `${indent}    help: ${rs(r.help)},`,
    `${indent}},`,
  ];
  L.push('/// Every operation, in the generator\'s order.');
  L.push('pub static OPERATIONS: &[Operation] = &[');
  for (const op of ops) {
    L.push('    Operation {');
    L.push(`        id: ${rs(op.id)},`);
    L.push(`        apple_operation_id: ${rs(op.appleOperationId)},`);
    L.push(`        method: ${rs(op.method)},`);
    L.push(`        path: ${rs(op.path)},`);
    L.push(`        summary: ${rs(op.summary)},`);
    L.push(`        description: ${rs(op.description)},`);
    L.push(`        kind: OperationKind::${op.kind},`);
    if (op.pathParameters.length === 0) L.push('        path_parameters: &[],');
    else {
      L.push('        path_parameters: &[');
      for (const pp of op.pathParameters) {
        const r = pp.rule;
        L.push('            PathParameter {');
        L.push(`                name: ${rs(pp.name)},`);
        L.push(`                description: ${rs(pp.description)},`);
        L.push('                rule: IdRule {');
        L.push(`                    noun: ${rs(r.noun)},`);
        L.push(`                    charset: IdCharset::${r.charset},`);
        L.push(`                    min_length: ${r.minLength},`);
        L.push(`                    max_length: ${r.maxLength},`);
        L.push(`                    example: ${rs(r.example)},`);
        L.push(`                    help: ${rs(r.help)},`);
        L.push('                },');
        L.push('            },');
      }
      L.push('        ],');
    }
    L.push('        parameters: &[');
    for (const name of parameterNames.get(op.id)) L.push(`            ${name},`);
    L.push('        ],');
    L.push(`        body: ${opt(op.bodyRoot)},`);
    if (op.bodyIds.length === 0) L.push('        body_ids: &[],');
    else {
      L.push('        body_ids: &[');
      for (const b of op.bodyIds) {
        L.push('            BodyId {');
        L.push(`                field: ${rs(b.field)},`);
        L.push(...ruleLines(b.rule, '                '));
        L.push('            },');
      }
      L.push('        ],');
    }
    L.push(`        check_with: ${opt(op.checkWith, rs)},`);
    L.push(`        outcome_hint: ${rs(op.outcomeHint ?? '')},`);
    L.push('    },');
  }
  L.push('];');
  return L.join('\n') + '\n';
}

function main(argv) {
  const check = argv.includes('--check');
  const rest = argv.filter((a) => a !== '--check');
  if (rest.some((a) => a.startsWith('-'))) fail(`unknown option ${rest.find((a) => a.startsWith('-'))}`);
  if (rest.length > 1) fail('at most one spec path');
  const spec = loadSpec(resolve(rest[0] ?? DEFAULT_SPEC));
  const { ops, bodyPack: packText } = build(spec, loadList());
  const outputs = [
    [TABLE_OUT, rustfmt(renderTable(ops, spec.info ?? { version: 'unknown' }, packText))],
  ];
  let stale = 0;
  for (const [path, text] of outputs) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === text) continue;
    if (check) {
      process.stderr.write(`gen-operations: ${path} is out of date\n`);
      stale += 1;
    } else writeFileSync(path, text);
  }
  for (const op of ops) process.stdout.write(`${op.id}: ${op.parameters.length} query parameters, ${op.pathParameters.length} path parameters\n`);
  process.exit(stale ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
