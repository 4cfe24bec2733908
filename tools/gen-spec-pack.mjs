#!/usr/bin/env node
// Generates the spec pack: a compact JSON description of every operation in Apple's App Store Connect
// spec (method, path template, query parameters, request-body schema), read once by the wasm module
// through `loadSpecPack(text)` and used by the generic request planner (src/anyrequest/) and the body
// validator (src/body/). It is kept out of the .wasm so the main module stays small.
//
// Usage: node tools/gen-spec-pack.mjs [path/to/spec.json] [--out DIR] [--check]
//   Writes DIR/spec-pack.mjs (ESM: `export default "<json>"`) and DIR/spec-pack.cjs (CommonJS:
//   `module.exports = "<json>"`); DIR defaults to pkg. With --check nothing is written; the exit code
//   is 1 when a file in DIR is stale. Output is deterministic (Apple's order, no time or locale).
//
// Pack format (version 1; the Rust reader is src/body/schema.rs and src/anyrequest/pack.rs):
//   { "format": 1, "spec": "4.4.1",
//     "enums":  [["A","B"], ...],                       value lists, deduplicated
//     "params": [[name, type, enum, max, flags], ...]   query parameters, deduplicated; type is
//               "a" (comma-separated list of strings), "i" (integer), "b" (boolean), "s" (one string);
//               enum is an index into enums or -1; max is Apple's maximum or -1; flags: 1 deprecated,
//               2 required
//     "nodes":  [node, ...]                              schema nodes, deduplicated, children by index
//     "ops":    [[method, path, appleOperationId, [param...], body], ...]  body: node index or -1 }
//   A node is an object: "t" type ("o" object, "a" array, "s" string, "i" integer, "n" number,
//   "b" boolean, "u" one of, "any"), "p" {property: node} and "r" [required names] and "x" node of
//   additional properties (objects; absent means unknown properties are refused), "l": 1 for a
//   relationship linkage {type, id}, "i" items node, "min"/"max" item counts (arrays), "e" enum index
//   and "f" format ("date", "date-time", "email") for strings, "min"/"max" for numbers, "u" [nodes]
//   for one-of, "z": 1 nullable, "d": 1 deprecated.
//   Arrays of linkages get "min": 1 (an empty id list is refused) except in a PATCH of a
//   /relationships/ path, where an empty list means "remove all".

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SPEC = join(ROOT, 'spec/app-store-connect-openapi-4.4.1.json');
const METHODS = ['get', 'post', 'patch', 'delete'];
const FORMATS = new Set(['date', 'date-time', 'email']);

function fail(message) {
  console.error(`gen-spec-pack: ${message}`);
  process.exit(1);
}

/**
 * Builds the pack object from the spec. Exported for other generators: with `only(method, path)`, the
 * pack has just those operations (and the nodes they use), e.g. the write actions' request schemas
 * for the operation table, read in Rust with `SpecPack::parse` or `body::Schemas::from_pack`.
 */
export function buildPack(spec, { only } = {}) {
  const schemas = spec.components?.schemas ?? {};
  const enums = [];
  const enumIndex = new Map();
  const params = [];
  const paramIndex = new Map();
  const nodes = [];
  const nodeIndex = new Map();

  const internEnum = (values) => {
    const key = JSON.stringify(values);
    if (!enumIndex.has(key)) {
      enumIndex.set(key, enums.length);
      enums.push(values);
    }
    return enumIndex.get(key);
  };
  const internNode = (node) => {
    const key = JSON.stringify(node);
    if (!nodeIndex.has(key)) {
      nodeIndex.set(key, nodes.length);
      nodes.push(node);
    }
    return nodeIndex.get(key);
  };
  const deref = (s, seen) => {
    while (s && s.$ref) {
      const name = s.$ref.replace('#/components/schemas/', '');
      if (seen.includes(name)) fail(`recursive schema ${name}`);
      seen = [...seen, name];
      s = schemas[name];
      if (!s) fail(`unresolved $ref ${name}`);
    }
    return [s, seen];
  };
  const isLinkage = (s) =>
    s.type === 'object' && s.properties && Object.keys(s.properties).sort().join(',') === 'id,type' &&
    Array.isArray(s.properties.type.enum);

  /** One schema to a node index. `emptyListOk`: linkage arrays may be empty (PATCH of a relationship). */
  const node = (schema, seen, emptyListOk) => {
    const [s, refs] = deref(schema, seen);
    const n = {};
    if (s.oneOf) {
      n.t = 'u';
      n.u = s.oneOf.map((alt) => node(alt, refs, emptyListOk));
    } else if (s.type === 'object') {
      n.t = 'o';
      if (s.properties) {
        n.p = {};
        for (const [k, v] of Object.entries(s.properties)) n.p[k] = node(v, refs, emptyListOk);
      }
      if (s.required?.length) n.r = [...s.required];
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        n.x = node(s.additionalProperties, refs, emptyListOk);
      } else if (s.additionalProperties === true || !s.properties) {
        n.x = internNode({ t: 'any' });
      }
      if (isLinkage(s)) n.l = 1;
    } else if (s.type === 'array') {
      n.t = 'a';
      const [items] = deref(s.items, refs);
      n.i = node(s.items, refs, emptyListOk);
      if (s.minItems !== undefined) n.min = s.minItems;
      else if (isLinkage(items) && !emptyListOk) n.min = 1;
      if (s.maxItems !== undefined) n.max = s.maxItems;
    } else if (s.type === 'string') {
      n.t = 's';
      if (s.enum) n.e = internEnum(s.enum);
      if (FORMATS.has(s.format)) n.f = s.format;
      if (s.maxLength !== undefined) n.max = s.maxLength;
    } else if (s.type === 'integer' || s.type === 'number') {
      n.t = s.type === 'integer' ? 'i' : 'n';
      if (s.minimum !== undefined) n.min = s.minimum;
      if (s.maximum !== undefined) n.max = s.maximum;
    } else if (s.type === 'boolean') {
      n.t = 'b';
    } else {
      n.t = 'any';
    }
    // `nullable`/`deprecated` may sit next to a $ref, on the referring schema.
    if (s.nullable || schema.nullable) n.z = 1;
    if (s.deprecated || schema.deprecated) n.d = 1;
    return internNode(n);
  };

  const param = (p) => {
    const s = p.schema ?? {};
    let type;
    let values;
    if (s.type === 'array') {
      type = 'a';
      values = s.items?.enum;
    } else if (s.type === 'integer') type = 'i';
    else if (s.type === 'boolean') type = 'b';
    else if (s.type === 'string') {
      type = 's';
      values = s.enum;
    } else fail(`parameter ${p.name} has type ${s.type}`);
    const flags = (p.deprecated ? 1 : 0) | (p.required ? 2 : 0);
    const row = [p.name, type, values ? internEnum(values) : -1, s.maximum ?? -1, flags];
    const key = JSON.stringify(row);
    if (!paramIndex.has(key)) {
      paramIndex.set(key, params.length);
      params.push(row);
    }
    return paramIndex.get(key);
  };

  const ops = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op || (only && !only(method.toUpperCase(), path))) continue;
      const inPath = [...(item.parameters ?? []), ...(op.parameters ?? [])].filter((p) => p.in === 'path');
      for (const p of inPath) {
        if (!path.includes(`{${p.name}}`)) fail(`${method} ${path}: path parameter ${p.name} not in the template`);
      }
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map(param);
      let body = -1;
      const content = op.requestBody?.content;
      if (content) {
        const json = content['application/json'];
        if (!json) fail(`${method} ${path}: request body is not application/json`);
        const emptyListOk = method === 'patch' && path.includes('/relationships/');
        body = node(json.schema, [], emptyListOk);
      }
      ops.push([method.toUpperCase(), path, op.operationId ?? '', query, body]);
    }
  }
  return { format: 1, spec: spec.info?.version ?? '', enums, params, nodes, ops };
}

/** The pack as text: compact JSON. */
export function packText(spec) {
  return JSON.stringify(buildPack(spec));
}

function outputs(text) {
  const literal = JSON.stringify(text);
  const head = '// Generated by tools/gen-spec-pack.mjs from Apple\'s App Store Connect spec; do not edit.\n';
  return {
    'spec-pack.mjs': `${head}export default ${literal};\n`,
    'spec-pack.cjs': `${head}module.exports = ${literal};\n`,
  };
}

function main(argv) {
  const check = argv.includes('--check');
  let out = join(ROOT, 'pkg');
  let specPath = DEFAULT_SPEC;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--out') out = resolve(argv[++i] ?? fail('--out needs a directory'));
    else if (argv[i] !== '--check') specPath = resolve(argv[i]);
  }
  const spec = JSON.parse(readFileSync(specPath, 'utf8'));
  const files = outputs(packText(spec));
  let stale = false;
  for (const [name, content] of Object.entries(files)) {
    const file = join(out, name);
    if (check) {
      let current = null;
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // missing: stale
      }
      if (current !== content) {
        console.error(`${file} is stale: run 'make pkg' (or node tools/gen-spec-pack.mjs)`);
        stale = true;
      }
    } else {
      mkdirSync(out, { recursive: true });
      writeFileSync(file, content);
    }
  }
  if (stale) process.exit(1);
  if (!check) console.log(`wrote ${out}/spec-pack.{mjs,cjs}: ${files['spec-pack.mjs'].length} bytes each`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
