// The sandbox's customer reviews arriving over time: `add` writes a new review into the catalogue
// (data.js), newest first, so the one generic route of sandbox.js serves it with Apple's parameters
// (filter[rating], filter[territory], sort=-createdDate, limit, cursor, include, fields) exactly as it
// serves the generated reviews. This is what the review trigger polls in tests and `make demo`.
// Runtime-agnostic: no imports.
//
// createReviewFeed(store, { now }) → { add(appId, review?) → the stored record, stats }
//
// Choices where Apple is silent (documented so nobody mistakes them for Apple facts):
//   - createdDate is written with a -07:00 offset, as the generated reviews and Apple's review dates
//     appear; every sandbox review date has that offset, so their text order is their time order;
//   - a new review is listed before older ones of the same second (ties keep the newer arrival first).

/** Seconds since 1970 as Apple writes review dates: local time at -07:00. */
export function appleDate(seconds) {
  return `${new Date((Math.floor(seconds) - 7 * 3600) * 1000).toISOString().slice(0, 19)}-07:00`;
}

/** Builds the feed over the catalogue's resource store. See the comment block at the top of this file. */
export function createReviewFeed(store, { now = () => Date.now() / 1000 } = {}) {
  const stats = { added: 0 };
  let serial = 0;

  /** Adds a review (what arrives when a customer posts one); fields default to realistic values. */
  function add(appId, { rating = 5, title = 'Great app', body = 'Does what it says.', reviewerNickname = 'reviewer', territory = 'USA', seconds = now(), id } = {}) {
    const app = store.get('apps')?.get(appId);
    if (!app) throw new TypeError(`the sandbox has no app ${appId}`);
    serial += 1;
    const review = {
      type: 'customerReviews',
      id: id ?? `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
      attributes: { rating, title, body, reviewerNickname, createdDate: appleDate(seconds), territory },
      relationships: { response: null, reviewTerritory: territory },
    };
    if (!store.has('customerReviews')) store.set('customerReviews', new Map());
    store.get('customerReviews').set(review.id, review);
    app.relationships.customerReviews = [review.id, ...(app.relationships.customerReviews ?? [])];
    stats.added += 1;
    return review;
  }

  return { add, stats };
}
