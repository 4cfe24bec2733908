// The sandbox's customer reviews: `GET /v1/apps/{id}/customerReviews` built from Apple's OpenAPI spec
// 4.4.1 (CustomerReview, CustomerReviewsResponse and the operation's parameters), with reviews that
// arrive over time (`add`) so the review trigger can be exercised. Independent of the gateway's Rust
// core: it is the test oracle. Runtime-agnostic: fetch types only.
//
// createReviews({ appExists, now }) → { route(request, url) → null | Promise<{ status, body, headers }>,
//   add(appId, review?) → the stored review, list(appId), stats }
//
// Choices where Apple is silent (documented so nobody mistakes them for Apple facts):
//   - createdDate is written with a -07:00 offset (as Apple's review dates appear); order uses the instant;
//   - the default page size is 50; ties in the sort keep the newer arrival first;
//   - cursor = base64url("o:<offset>"), an unreadable cursor → 400 PARAMETER_ERROR.INVALID;
//   - `include`, `exists[publishedResponse]`, `filter[reviewTerritory]` and the other fields[...] are
//     accepted; the sandbox has no responses, so included data is empty;
//   - unknown parameters → 400 PARAMETER_ERROR.ILLEGAL, a repeated one → 400 PARAMETER_ERROR.INVALID.

const SORTS = ['rating', '-rating', 'createdDate', '-createdDate'];
const FIELDS = ['rating', 'title', 'body', 'reviewerNickname', 'createdDate', 'territory', 'response', 'reviewTerritory'];
const ACCEPTED = new Set(['filter[territory]', 'filter[rating]', 'filter[reviewTerritory]', 'exists[publishedResponse]', 'sort', 'fields[customerReviews]', 'fields[customerReviewResponses]', 'fields[territories]', 'limit', 'include', 'cursor']);
export const DEFAULT_REVIEW_PAGE_SIZE = 50;

function apple(status, code, title, detail, parameter) {
  const e = { id: crypto.randomUUID(), status: String(status), code, title, detail };
  if (parameter) e.source = { parameter };
  return { status, body: JSON.stringify({ errors: [e] }) };
}

/** Seconds since 1970 as Apple writes review dates: local time at -07:00. */
export function appleDate(seconds) {
  return `${new Date((Math.floor(seconds) - 7 * 3600) * 1000).toISOString().slice(0, 19)}-07:00`;
}

function b64url(text) {
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function readCursor(text) {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(text)) return null;
  try {
    const m = /^o:(\d{1,9})$/.exec(atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Builds the reviews store. See the comment block at the top of this file. */
export function createReviews({ appExists = () => true, now = () => Date.now() / 1000 } = {}) {
  const byApp = new Map();
  const stats = { added: 0, requests: 0 };
  let serial = 0;

  /** Adds a review (what arrives when a customer posts one); fields default to realistic values. */
  function add(appId, { rating = 5, title = 'Great app', body = 'Does what it says.', reviewerNickname = 'reviewer', territory = 'USA', seconds = now(), id } = {}) {
    serial += 1;
    const review = { id: id ?? `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`, seconds: Math.floor(seconds), serial, attributes: { rating, title, body, reviewerNickname, createdDate: appleDate(seconds), territory } };
    if (!byApp.has(appId)) byApp.set(appId, []);
    byApp.get(appId).push(review);
    stats.added += 1;
    return review;
  }

  const list = (appId) => [...(byApp.get(appId) ?? [])];

  function route(request, url) {
    const m = /^\/v1\/apps\/([^/]+)\/customerReviews$/.exec(url.pathname);
    if (!m) return null;
    return (async () => {
      stats.requests += 1;
      if (request.method !== 'GET') return apple(405, 'METHOD_NOT_ALLOWED', 'The request method is not valid for the resource path.', `The request method '${request.method}' is not valid for the resource path '${url.pathname}'. Allowed: GET`);
      const appId = decodeURIComponent(m[1]);
      const params = new Map();
      for (const [name, value] of url.searchParams) {
        if (params.has(name)) return apple(400, 'PARAMETER_ERROR.INVALID', 'A parameter has an invalid value', `The parameter '${name}' was given more than once`, name);
        if (!ACCEPTED.has(name)) return apple(400, 'PARAMETER_ERROR.ILLEGAL', 'A parameter is not allowed for this request', `The parameter '${name}' can not be used with this request`, name);
        params.set(name, value);
      }
      const listParam = (name) => (params.has(name) ? params.get(name).split(',') : null);
      const invalid = (name, value) => apple(400, 'PARAMETER_ERROR.INVALID', 'A parameter has an invalid value', `'${value}' is not a valid value for '${name}'`, name);
      const limit = params.has('limit') ? Number(params.get('limit')) : DEFAULT_REVIEW_PAGE_SIZE;
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) return invalid('limit', params.get('limit'));
      const sort = listParam('sort') ?? [];
      for (const s of sort) if (!SORTS.includes(s)) return invalid('sort', s);
      const ratings = listParam('filter[rating]');
      for (const r of ratings ?? []) if (!/^[1-5]$/.test(r)) return invalid('filter[rating]', r);
      const territories = listParam('filter[territory]');
      for (const t of territories ?? []) if (!/^[A-Z]{3}$/.test(t)) return invalid('filter[territory]', t);
      const fields = listParam('fields[customerReviews]');
      for (const f of fields ?? []) if (!FIELDS.includes(f)) return invalid('fields[customerReviews]', f);
      let offset = 0;
      if (params.has('cursor')) {
        offset = readCursor(params.get('cursor'));
        if (offset === null) return invalid('cursor', params.get('cursor'));
      }
      if (!appExists(appId)) return apple(404, 'NOT_FOUND', 'The specified resource does not exist', `There is no resource of type 'Apps' with id '${appId}'`);

      let rows = list(appId);
      if (ratings) rows = rows.filter((r) => ratings.includes(String(r.attributes.rating)));
      if (territories) rows = rows.filter((r) => territories.includes(r.attributes.territory));
      rows.sort((a, b) => {
        for (const key of sort) {
          const desc = key.startsWith('-');
          const attr = desc ? key.slice(1) : key;
          const x = attr === 'createdDate' ? a.seconds : a.attributes[attr];
          const y = attr === 'createdDate' ? b.seconds : b.attributes[attr];
          if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
        }
        return b.serial - a.serial;
      });
      const page = rows.slice(offset, offset + limit);
      const origin = url.origin;
      const data = page.map((r) => {
        const attributes = fields ? Object.fromEntries(Object.entries(r.attributes).filter(([k]) => fields.includes(k))) : r.attributes;
        return {
          type: 'customerReviews',
          id: r.id,
          attributes,
          relationships: { response: { links: { self: `${origin}/v1/customerReviews/${r.id}/relationships/response`, related: `${origin}/v1/customerReviews/${r.id}/response` } } },
          links: { self: `${origin}/v1/customerReviews/${r.id}` },
        };
      });
      const links = { self: `${origin}${url.pathname}${url.search}` };
      if (offset + limit < rows.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', b64url(`o:${offset + limit}`));
        links.next = next.href;
      }
      const doc = { data, links, meta: { paging: { total: rows.length, limit } } };
      if (params.has('include')) doc.included = [];
      return { status: 200, body: JSON.stringify(doc) };
    })().then((r) => ({ headers: { 'content-type': 'application/json' }, ...r }));
  }

  return { route, add, list, stats };
}
