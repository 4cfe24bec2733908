// The sandbox's routes, parameter tables and resource shapes, read from Apple's OpenAPI spec 4.4.1 at start-up:
// the vendored subset (spec/apple-apps-4.4.1.json, cut to the connector's paths by `gen-swagger --vendor`) for
// the operations, their parameters and the resource schemas, and the path names of the full spec
// (spec/app-store-connect-openapi-4.4.1.json) for which relationship links Apple emits. Nothing here reads the
// gateway's operation table (the wasm planner): the sandbox is the test oracle, so it learns Apple's rules from
// Apple's spec on its own.
//
// The subset is the only input that names operations; this file has no per-resource code.

import { readFileSync } from 'node:fs';

const SUBSET_URL = new URL('../../../spec/apple-apps-4.4.1.json', import.meta.url);
const FULL_URL = new URL('../../../spec/app-store-connect-openapi-4.4.1.json', import.meta.url);

/** What an operation does, from the suffix of Apple's operationId. */
const KINDS = [
  ['_getCollection', 'list'],
  ['_getInstance', 'get'],
  ['_getToManyRelated', 'relatedList'],
  ['_getToOneRelated', 'relatedGet'],
  ['_createInstance', 'create'],
  ['_deleteInstance', 'delete'],
  ['_createToManyRelationship', 'addRelationship'],
  ['_deleteToManyRelationship', 'removeRelationship'],
];

/** A schema with every $ref replaced by what it names (request schemas are small and not recursive). */
function inline(spec, schema, depth = 0) {
  if (depth > 32 || schema === null || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((s) => inline(spec, s, depth + 1));
  const s = schema.$ref ? { ...resolve(spec, schema), ...(schema.deprecated ? { deprecated: true } : {}) } : schema;
  const out = {};
  for (const [k, v] of Object.entries(s)) out[k] = inline(spec, v, depth + 1);
  return out;
}

const refName = (ref) => ref.split('/').pop();

function resolve(spec, schema) {
  let s = schema;
  for (let i = 0; s?.$ref && i < 16; i += 1) s = spec.components.schemas[refName(s.$ref)];
  return s ?? {};
}

/** One query parameter as the sandbox checks it: { type, enum?, max? } (type is the spec's schema type). */
function parameterRule(p) {
  const s = p.schema ?? {};
  const out = { type: s.type };
  const values = s.type === 'array' ? s.items?.enum : s.enum;
  if (values) out.enum = [...values];
  if (typeof s.maximum === 'number') out.max = s.maximum;
  return out;
}

/**
 * The shape of one resource type, from its schema: its attribute names, and per relationship whether it carries
 * `data` ('many' | 'one' | null for links only), the related type, and which links Apple emits.
 */
function resourceShape(spec, schemaName, pathNames) {
  const schema = spec.components.schemas[schemaName];
  const type = schema.properties.type.enum[0];
  const relationships = [];
  for (const [name, rel] of Object.entries(schema.properties.relationships?.properties ?? {})) {
    const data = rel.properties?.data;
    const cardinality = !data ? null : data.type === 'array' ? 'many' : 'one';
    const relatedType = data ? (cardinality === 'many' ? data.items : data).properties.type.enum[0] : null;
    const links = [];
    if (rel.properties?.links) {
      if (pathNames.has(`/v1/${type}/{id}/relationships/${name}`)) links.push('self');
      if (pathNames.has(`/v1/${type}/{id}/${name}`)) links.push('related');
    }
    relationships.push({ name, links, cardinality, relatedType });
  }
  return { schemaName, type, attributes: Object.keys(schema.properties.attributes?.properties ?? {}), relationships };
}

/**
 * Reads the tables from the two spec files (or from the given objects).
 * @returns {{ operations: object[], resources: Map<string, object> }}
 *   operations: { appleOperationId, kind, method, path, segments, params: { name → rule }, type (the primary
 *   resource type), parentType?, relationship? (for related and relationship kinds), requestSchema? (writes:
 *   Apple's request schema with $refs inlined, or null) }; resources: type → shape.
 */
export function loadSpecTables({ subset, pathNames } = {}) {
  const spec = subset ?? JSON.parse(readFileSync(SUBSET_URL, 'utf8'));
  const names = pathNames ?? new Set(Object.keys(JSON.parse(readFileSync(FULL_URL, 'utf8')).paths));
  const resources = new Map();
  const shapeOf = (schemaName) => {
    const shape = resourceShape(spec, schemaName, names);
    if (!resources.has(shape.type)) resources.set(shape.type, shape);
    return resources.get(shape.type);
  };
  const operations = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const kind = KINDS.find(([suffix]) => op.operationId.endsWith(suffix))?.[1];
      // (reads: list, get, relatedList, relatedGet; writes: create, delete, addRelationship, removeRelationship)
      if (!kind) throw new Error(`sandbox: cannot serve ${op.operationId} (${method.toUpperCase()} ${path})`);
      const segments = path.split('/').slice(1);
      const params = {};
      for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) if (p.in === 'query') params[p.name] = parameterRule(p);
      if (!kind.startsWith('get') && !kind.startsWith('related') && kind !== 'list') {
        // A write: Apple's request schema (inlined) and, for a create, the type of the 201 resource.
        const requestSchema = op.requestBody ? inline(spec, op.requestBody.content['application/json'].schema) : null;
        const created = op.responses['201']?.content?.['application/json']?.schema;
        const type = created ? shapeOf(refName(resolve(spec, created).properties.data.$ref)).type : segments[1];
        const entry = { appleOperationId: op.operationId, kind, method: method.toUpperCase(), path, segments, params, type, requestSchema };
        if (kind === 'addRelationship' || kind === 'removeRelationship') {
          entry.parentType = segments[1];
          entry.relationship = segments[4];
        }
        operations.push(entry);
        continue;
      }
      const response = resolve(spec, op.responses['200'].content['application/json'].schema);
      const data = response.properties.data;
      const primary = shapeOf(refName((data.type === 'array' ? data.items : data).$ref));
      // Every type the response can include gets a shape too (the sandbox renders included resources).
      const included = response.properties.included?.items;
      for (const ref of [...Object.values(included?.discriminator?.mapping ?? {}), ...(included?.oneOf ?? []).map((o) => o.$ref), included?.$ref].filter(Boolean)) {
        shapeOf(refName(ref));
      }
      const entry = { appleOperationId: op.operationId, kind, method: method.toUpperCase(), path, segments, params, type: primary.type };
      if (kind === 'relatedList' || kind === 'relatedGet') {
        entry.parentType = segments[1];
        entry.relationship = segments[3];
      }
      operations.push(entry);
    }
  }
  return { operations, resources };
}

let cached;
/** The tables from the vendored files, read once per process. */
export function specTables() {
  cached ??= loadSpecTables();
  return cached;
}
