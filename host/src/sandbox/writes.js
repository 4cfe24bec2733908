// Writes in the sandbox: Apple's request schema of each write operation (read from the vendored spec by spec.js,
// never from the gateway's table) checks the body, and the change lands in the in-memory catalogue, so later reads
// show it (a response on its review, a tester in its group). Answers as Apple does: 201 with the created resource,
// 204 for deletes and relationship changes, and Apple's error documents for bodies it refuses.
//
// Choices where Apple is silent (documented so nobody mistakes them for Apple facts):
//   - a body that is not JSON → 400 ENTITY_ERROR with "The request entity is not valid JSON"; a Content-Type other
//     than application/json → 415 UNSUPPORTED_MEDIA_TYPE;
//   - a body that does not fit the request schema → 409 with one error per problem, each with `source.pointer`:
//     ENTITY_ERROR.ATTRIBUTE.{REQUIRED,UNKNOWN,INVALID} under /data/attributes, ENTITY_ERROR.RELATIONSHIP.{...}
//     under /data/relationships, ENTITY_ERROR.{...} elsewhere (members the schema does not declare are unknown);
//   - a linkage to a resource that does not exist → 409 ENTITY_ERROR.RELATIONSHIP.INVALID; a beta tester whose
//     email already exists, or an invitation for a tester who is in no group of that app → 422
//     ENTITY_UNPROCESSABLE;
//   - a new response to a review that has one replaces it (Apple's page title is "Create or update a response");
//   - adding a tester who is already in the group, or removing one who is not, changes nothing and answers 204;
//   - new ids are UUID-shaped and count up: 5a4d0000-0000-4000-8000-000000000001, …;
//   - `stats.changes` counts applied changes; `stats.lastWrite` is the last body received, parsed.
// Runtime-agnostic (fetch types only).

const JSON_TYPE = /^application\/json\s*(;\s*charset=("?)utf-8\2\s*)?$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** One Apple error object. */
function appleError(status, code, title, detail, pointer) {
  const e = { id: crypto.randomUUID(), status: String(status), code, title, detail };
  if (pointer !== undefined) e.source = { pointer };
  return e;
}

/** The code family of a JSON pointer: attributes, relationships or the document. */
function family(pointer) {
  if (pointer.startsWith('/data/attributes')) return 'ENTITY_ERROR.ATTRIBUTE';
  if (pointer.startsWith('/data/relationships')) return 'ENTITY_ERROR.RELATIONSHIP';
  return 'ENTITY_ERROR';
}

function typeOk(schema, value) {
  switch (schema.type) {
    case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

/** Every problem of `value` against an inlined OpenAPI schema, as Apple error objects. */
export function checkAgainstSchema(schema, value, pointer = '', out = []) {
  if (value === null && schema.nullable) return out;
  if (!typeOk(schema, value)) {
    out.push(appleError(409, `${family(pointer)}.INVALID`, 'The provided entity includes an attribute with an invalid value',
      `'${pointer || '/'}' must be of type ${schema.type}`, pointer || '/'));
    return out;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    out.push(appleError(409, `${family(pointer)}.INVALID`, 'The provided entity includes an attribute with an invalid value',
      `'${String(value)}' is not a valid value for '${pointer}'; expected one of ${schema.enum.join(', ')}`, pointer));
  }
  if (schema.type === 'string' && schema.format === 'email' && !EMAIL.test(value)) {
    out.push(appleError(409, `${family(pointer)}.INVALID`, 'The provided entity includes an attribute with an invalid value',
      `'${value}' is not a valid email address`, pointer));
  }
  if (schema.type === 'array') value.forEach((item, i) => checkAgainstSchema(schema.items ?? {}, item, `${pointer}/${i}`, out));
  if (schema.type === 'object') {
    const props = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (!Object.hasOwn(value, name)) {
        out.push(appleError(409, `${family(`${pointer}/${name}`)}.REQUIRED`, 'The provided entity is missing a required field',
          `You must provide a value for the field '${pointer}/${name}' with this request`, `${pointer}/${name}`));
      }
    }
    for (const [name, v] of Object.entries(value)) {
      if (!Object.hasOwn(props, name)) {
        out.push(appleError(409, `${family(`${pointer}/${name}`)}.UNKNOWN`, 'The provided entity includes an unknown field',
          `'${name}' is not a valid field name for this request`, `${pointer}/${name}`));
      } else checkAgainstSchema(props[name], v, `${pointer}/${name}`, out);
    }
  }
  return out;
}

/**
 * Creates the write handler over the sandbox's store. `ctx`: { store, find, one (renders one resource as Apple's
 * document), stats, nowIso() }. Returns `applyWrite(op, ids, request, url)` → { status, body } or
 * { status, errors }.
 */
export function createWrites(ctx) {
  const { store, find, stats } = ctx;
  let counter = 0;
  const newId = () => {
    counter += 1;
    return `5a4d0000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
  };
  const put = (type, rec) => {
    if (!store.has(type)) store.set(type, new Map());
    store.get(type).set(rec.id, rec);
  };
  const refused = (status, code, title, detail, pointer) => ({ status, errors: [appleError(status, code, title, detail, pointer)] });
  const missingLink = (pointer, type, id) => refused(409, 'ENTITY_ERROR.RELATIONSHIP.INVALID', 'The provided entity includes a relationship with an invalid value',
    `There is no resource of type '${type}' with id '${id}'`, pointer);
  const unlink = (list, id) => {
    const i = list.indexOf(id);
    if (i >= 0) list.splice(i, 1);
  };

  /** Reads and checks the body against the operation's request schema; { doc } or a refusal. */
  async function readBody(op, request) {
    const text = await request.text();
    if (!JSON_TYPE.test(request.headers.get('content-type') ?? '')) {
      return refused(415, 'UNSUPPORTED_MEDIA_TYPE', 'The request entity has an unsupported media type', 'Send the request entity as application/json.');
    }
    let doc;
    try {
      doc = JSON.parse(text);
    } catch {
      return refused(400, 'ENTITY_ERROR', 'The request entity is not valid JSON', 'The request entity could not be parsed as JSON.');
    }
    stats.lastWrite = doc;
    const errors = checkAgainstSchema(op.requestSchema, doc);
    if (errors.length > 0) return { status: 409, errors };
    return { doc };
  }

  const handlers = {
    customerReviewResponses(doc, url) {
      const reviewId = doc.data.relationships.review.data.id;
      const review = find('customerReviews', reviewId);
      if (!review) return missingLink('/data/relationships/review/data/id', 'customerReviews', reviewId);
      const old = review.relationships.response;
      if (old) store.get('customerReviewResponses')?.delete(old);
      const rec = {
        type: 'customerReviewResponses',
        id: newId(),
        attributes: { responseBody: doc.data.attributes.responseBody, lastModifiedDate: ctx.nowIso(), state: 'PENDING_PUBLISH' },
        relationships: { review: reviewId },
      };
      put(rec.type, rec);
      review.relationships.response = rec.id;
      return created(rec, url);
    },
    betaTesters(doc, url) {
      const a = doc.data.attributes;
      const email = a.email.toLowerCase();
      for (const t of store.get('betaTesters')?.values() ?? []) {
        if (String(t.attributes.email).toLowerCase() === email) {
          return refused(422, 'ENTITY_UNPROCESSABLE', 'The request entity is not processable', `A beta tester with the email '${a.email}' already exists`, '/data/attributes/email');
        }
      }
      const rels = doc.data.relationships ?? {};
      const groups = (rels.betaGroups?.data ?? []).map((l) => l.id);
      const builds = (rels.builds?.data ?? []).map((l) => l.id);
      for (const [i, id] of groups.entries()) if (!find('betaGroups', id)) return missingLink(`/data/relationships/betaGroups/data/${i}/id`, 'betaGroups', id);
      for (const [i, id] of builds.entries()) if (!find('builds', id)) return missingLink(`/data/relationships/builds/data/${i}/id`, 'builds', id);
      const rec = {
        type: 'betaTesters',
        id: newId(),
        attributes: { firstName: a.firstName ?? null, lastName: a.lastName ?? null, email: a.email, inviteType: 'EMAIL', state: 'INVITED', appDevices: [] },
        relationships: { apps: [], betaGroups: [], builds: [...new Set(builds)] },
      };
      put(rec.type, rec);
      for (const id of new Set(groups)) join(find('betaGroups', id), rec);
      return created(rec, url);
    },
    betaTesterInvitations(doc, url) {
      const rels = doc.data.relationships;
      const appId = rels.app.data.id;
      if (!find('apps', appId)) return missingLink('/data/relationships/app/data/id', 'apps', appId);
      const testerId = rels.betaTester?.data?.id;
      const tester = testerId === undefined ? null : find('betaTesters', testerId);
      if (testerId !== undefined && !tester) return missingLink('/data/relationships/betaTester/data/id', 'betaTesters', testerId);
      if (!tester || !tester.relationships.apps.includes(appId)) {
        return refused(422, 'ENTITY_UNPROCESSABLE', 'The request entity is not processable', 'The beta tester is not in a beta group of this app, so there is nothing to invite them to', '/data/relationships/betaTester');
      }
      tester.attributes.state = 'INVITED';
      const rec = { type: 'betaTesterInvitations', id: newId(), attributes: {}, relationships: {} };
      put(rec.type, rec);
      return created(rec, url);
    },
  };

  /** Puts a tester into a group (and the group's app); false when it already was there. */
  function join(group, tester) {
    if (group.relationships.betaTesters.includes(tester.id)) return false;
    group.relationships.betaTesters.push(tester.id);
    tester.relationships.betaGroups.push(group.id);
    const app = group.relationships.app;
    if (app && !tester.relationships.apps.includes(app)) tester.relationships.apps.push(app);
    return true;
  }

  function created(rec, url) {
    stats.changes += 1;
    const self = new URL(`${url.pathname}/${rec.id}`, url.origin);
    return { status: 201, body: ctx.one(self, rec) };
  }

  return async function applyWrite(op, ids, request, url) {
    if (op.kind === 'delete') {
      const rec = find(op.type, ids[0]);
      if (!rec) return { status: 404, notFound: [op.type, ids[0]] };
      store.get(op.type).delete(rec.id);
      if (op.type === 'customerReviewResponses') {
        const review = find('customerReviews', rec.relationships.review);
        if (review && review.relationships.response === rec.id) review.relationships.response = null;
      }
      if (op.type === 'betaTesters') {
        for (const g of store.get('betaGroups')?.values() ?? []) unlink(g.relationships.betaTesters, rec.id);
      }
      stats.changes += 1;
      return { status: 204, body: null };
    }
    const parent = op.parentType ? find(op.parentType, ids[0]) : null;
    if (op.parentType && !parent) return { status: 404, notFound: [op.parentType, ids[0]] };
    const read = await readBody(op, request);
    if (!read.doc) return read;
    const { doc } = read;
    if (op.kind === 'create') {
      const handler = handlers[op.type];
      if (!handler) return refused(403, 'FORBIDDEN_ERROR', 'This request is forbidden', 'The sandbox does not create this resource type');
      return handler(doc, url);
    }
    // addRelationship / removeRelationship of a group's testers.
    const testers = [];
    for (const [i, link] of doc.data.entries()) {
      const t = find(link.type, link.id);
      if (!t) return missingLink(`/data/${i}/id`, link.type, link.id);
      testers.push(t);
    }
    let changed = false;
    for (const t of testers) {
      if (op.kind === 'addRelationship') changed = join(parent, t) || changed;
      else if (parent.relationships[op.relationship].includes(t.id)) {
        unlink(parent.relationships[op.relationship], t.id);
        unlink(t.relationships.betaGroups, parent.id);
        changed = true;
      }
    }
    if (changed) stats.changes += 1;
    return { status: 204, body: null };
  };
}
