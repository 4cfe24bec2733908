// Deterministic fake App Store Connect catalogue for the sandbox: apps with all 12 App attributes (some null, as
// Apple sends them), 1–3 App Store versions and 1–2 app infos each, and, linked to them, builds, pre-release
// versions, customer reviews (some with a developer response), territories, beta groups and beta testers. The same
// seed always yields the same data, so tests and the demo see stable names and ids; nothing here depends on the
// clock or on Math.random.
//
// `catalogue.resources` holds every resource by type and id as { type, id, attributes, relationships }, where each
// relationship (named as in Apple's schema of that type) is an id, an array of ids, or null. The sandbox serves
// these generically; it knows nothing about a particular type.

const ADJECTIVES = [
  'Trailhead', 'Pocket', 'Harbor', 'Quiet', 'Lumen', 'Northwind', 'Copper', 'Maple', 'Tidal', 'Summit',
  'Velvet', 'Orbit', 'Cedar', 'Bright', 'Zürich', 'Café', 'Amber', 'Paper', 'Signal', 'Meadow',
  'Granite', 'Juniper', 'Polar', 'Saffron', 'Echo', 'Willow', 'Cobalt', 'Falcon', 'Lantern', 'Pixel',
];
const NOUNS = [
  'Weather', 'Ledger', 'Notes', 'Transit', 'Tracker', 'Recipes', 'Journal', 'Radio', 'Budget', 'Atlas',
  'Timer', 'Scanner', 'Studio', 'Garden', 'Fitness', 'Reader', 'Chess', 'Planner', 'Maps', 'Tides',
];
const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'ja', 'es-ES', 'it', 'pt-BR', 'ko', 'zh-Hans', 'nl-NL', 'sv'];
const PLATFORMS = ['IOS', 'IOS', 'IOS', 'MAC_OS', 'TV_OS', 'VISION_OS'];
/** [appStoreState (deprecated), appVersionState] pairs that occur together. */
const VERSION_STATES = [
  ['READY_FOR_SALE', 'READY_FOR_DISTRIBUTION'],
  ['PREPARE_FOR_SUBMISSION', 'PREPARE_FOR_SUBMISSION'],
  ['WAITING_FOR_REVIEW', 'WAITING_FOR_REVIEW'],
  ['IN_REVIEW', 'IN_REVIEW'],
  ['PENDING_DEVELOPER_RELEASE', 'PENDING_DEVELOPER_RELEASE'],
  ['REJECTED', 'REJECTED'],
];
const RELEASE_TYPES = ['MANUAL', 'AFTER_APPROVAL', 'SCHEDULED'];
const INFO_STATES = [
  ['READY_FOR_SALE', 'READY_FOR_DISTRIBUTION'],
  ['PREPARE_FOR_SUBMISSION', 'PREPARE_FOR_SUBMISSION'],
];
const AGE_RATINGS = ['FOUR_PLUS', 'NINE_PLUS', 'TWELVE_PLUS', 'SEVENTEEN_PLUS'];

/** mulberry32: a small, well-mixed 32-bit PRNG; good enough for fake data, and identical everywhere. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Turns any seed (number or string) into a 32-bit integer. */
function seedNumber(seed) {
  if (typeof seed === 'number' && Number.isFinite(seed)) return seed >>> 0;
  let h = 0x811c9dc5;
  for (const ch of String(seed ?? 'asc-sandbox')) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function uuid(rand) {
  const hex = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(rand() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(rand() * 4)];
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Apple writes dates in Pacific time with a numeric offset, e.g. 2025-03-11T08:14:52-07:00. */
function pacificDate(epochSeconds) {
  const d = new Date((epochSeconds - 7 * 3600) * 1000);
  return `${d.toISOString().slice(0, 19)}-07:00`;
}

function slug(text) {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

/**
 * Builds the catalogue.
 * @param {{ apps?: number, seed?: number | string }} options
 * @returns {{ apps: object[], versions: Map<string, object>, appInfos: Map<string, object> }}
 *   apps in the sandbox's default order (ascending id); each app has `attributes`, `versionIds` (newest first)
 *   and `appInfoIds`.
 */
export function generateCatalogue({ apps = 30, seed = 1 } = {}) {
  const count = Math.max(0, Math.min(Math.floor(Number(apps) || 0), ADJECTIVES.length * NOUNS.length));
  const rand = prng(seedNumber(seed));
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const usedNames = new Set();
  const out = { apps: [], versions: new Map(), appInfos: new Map() };
  let nextId = 1400000000 + Math.floor(rand() * 100000000);
  // Base time for all dates: 2024-01-01T00:00:00Z, so dates never depend on the clock.
  const base = 1704067200;

  for (let i = 0; i < count; i++) {
    let name;
    do {
      name = `${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    } while (usedNames.has(name));
    usedNames.add(name);
    nextId += 1 + Math.floor(rand() * 5000000);
    const id = String(nextId);
    const s = slug(name);
    const year = 2015 + Math.floor(rand() * 10);
    const hasSubs = rand() < 0.4;
    const subVersion = hasSubs ? pick(['V1', 'V2']) : null;
    const attributes = {
      accessibilityUrl: rand() < 0.3 ? `https://www.example.com/${s}/accessibility` : null,
      name,
      bundleId: `com.example.${s}`,
      sku: `${s.toUpperCase()}${year}`,
      primaryLocale: pick(LOCALES),
      isOrEverWasMadeForKids: rand() < 0.15,
      subscriptionStatusUrl: hasSubs ? `https://api.example.com/${s}/asn/${subVersion.toLowerCase()}` : null,
      subscriptionStatusUrlVersion: subVersion,
      subscriptionStatusUrlForSandbox: hasSubs ? `https://sandbox.example.com/${s}/asn/${subVersion.toLowerCase()}` : null,
      subscriptionStatusUrlVersionForSandbox: subVersion,
      contentRightsDeclaration: rand() < 0.2 ? null : pick(['DOES_NOT_USE_THIRD_PARTY_CONTENT', 'USES_THIRD_PARTY_CONTENT']),
      streamlinedPurchasingEnabled: rand() < 0.7,
    };

    // Versions: the first is the live one, later ones are newer; listed newest first like Apple.
    const versionCount = 1 + Math.floor(rand() * 3);
    const platform = pick(PLATFORMS);
    let major = 1 + Math.floor(rand() * 5);
    let minor = Math.floor(rand() * 10);
    let created = base + Math.floor(rand() * 200 * 86400);
    const versionIds = [];
    for (let v = 0; v < versionCount; v++) {
      const versionId = uuid(rand);
      const states = v === 0 ? VERSION_STATES[0] : pick(VERSION_STATES.slice(1));
      const releaseType = pick(RELEASE_TYPES);
      // A second platform for some apps' newest version (e.g. a Mac edition).
      const vPlatform = v > 0 && rand() < 0.25 ? pick(PLATFORMS.filter((p) => p !== platform)) : platform;
      out.versions.set(versionId, {
        id: versionId,
        appId: id,
        attributes: {
          platform: vPlatform,
          versionString: `${major}.${minor}${rand() < 0.5 ? '.0' : ''}`,
          appStoreState: states[0],
          appVersionState: states[1],
          copyright: `${year + v} Example ${pick(['Inc.', 'Ltd', 'GmbH', 'LLC'])}`,
          reviewType: 'APP_STORE',
          releaseType,
          earliestReleaseDate: releaseType === 'SCHEDULED' ? pacificDate(created + 30 * 86400) : null,
          usesIdfa: rand() < 0.3 ? null : rand() < 0.2,
          downloadable: true,
          createdDate: pacificDate(created),
        },
      });
      versionIds.unshift(versionId);
      minor += 1;
      if (minor > 9) {
        major += 1;
        minor = 0;
      }
      created += 20 * 86400 + Math.floor(rand() * 60 * 86400);
    }

    const infoCount = versionCount > 1 && rand() < 0.5 ? 2 : 1;
    const appInfoIds = [];
    for (let k = 0; k < infoCount; k++) {
      const infoId = uuid(rand);
      const states = INFO_STATES[k];
      out.appInfos.set(infoId, {
        id: infoId,
        appId: id,
        attributes: {
          appStoreState: states[0],
          state: states[1],
          appStoreAgeRating: pick(AGE_RATINGS),
          australiaAgeRating: null,
          brazilAgeRating: pick(['L', 'TEN', 'TWELVE']),
          brazilAgeRatingV2: pick(['SELF_RATED_L', 'SELF_RATED_TEN', 'OFFICIAL_L']),
          franceAgeRating: null,
          koreaAgeRating: pick(['ALL', 'TWELVE']),
          kidsAgeBand: attributes.isOrEverWasMadeForKids ? pick(['FIVE_AND_UNDER', 'SIX_TO_EIGHT', 'NINE_TO_ELEVEN']) : null,
        },
      });
      appInfoIds.push(infoId);
    }

    out.apps.push({ id, attributes, versionIds, appInfoIds });
  }
  out.resources = linkedResources(out, seed);
  return out;
}

const FIRST_NAMES = ['Ada', 'Björn', 'Chen', 'Dana', 'Emeka', 'Farah', 'Giulia', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Noor', 'Olga', 'Priya'];
const LAST_NAMES = ['Okafor', 'Lindqvist', 'Wang', 'Müller', 'García', 'Tanaka', 'Rossi', 'Haddad', 'Novak', 'Silva', 'Kim', 'Dubois'];
const TERRITORIES = [['USA', 'USD'], ['GBR', 'GBP'], ['DEU', 'EUR'], ['FRA', 'EUR'], ['JPN', 'JPY'], ['CAN', 'CAD'], ['AUS', 'AUD'], ['BRA', 'BRL']];
const REVIEW_TEXT = [
  [1, 'Crashes on launch', 'Since the last update the app closes as soon as I open it. Please fix.'],
  [1, 'Lost my data', 'Everything I saved is gone after the update.'],
  [2, 'Too many ads', 'Useful, but an ad after every tap makes it hard to use.'],
  [2, 'Sync is unreliable', 'Changes on my phone do not show up on my iPad.'],
  [3, 'Decent', 'Does the job, though the design feels dated.'],
  [4, 'Very handy', 'I use it every day; a dark mode would be nice.'],
  [5, 'Love it', 'Exactly what I needed, simple and fast.'],
  [5, 'Five stars', 'Great support and regular updates. Ünïcödé welcome: 👍'],
];

/** Every resource by type: the legacy app, version and app info records plus the linked resources around them. */
function linkedResources(out, seed) {
  // A second stream, so the apps, versions and app infos stay what they were for a seed.
  const rand = prng(seedNumber(`${String(seed)}:linked`));
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const res = new Map();
  const put = (type, id, attributes, relationships = {}) => {
    if (!res.has(type)) res.set(type, new Map());
    const r = { type, id, attributes, relationships };
    res.get(type).set(id, r);
    return r;
  };
  const rel = (r, name) => r.relationships[name] ?? (r.relationships[name] = []);
  const base = 1704067200;
  for (const [code, currency] of TERRITORIES) put('territories', code, { currency });
  const testers = [];
  for (let i = 0; i < 24; i++) {
    const firstName = FIRST_NAMES[i % FIRST_NAMES.length];
    const lastName = pick(LAST_NAMES);
    testers.push(put('betaTesters', uuid(rand), {
      firstName,
      lastName,
      email: `${slug(firstName)}.${slug(lastName)}${i}@example.com`,
      inviteType: rand() < 0.75 ? 'EMAIL' : 'PUBLIC_LINK',
      state: pick(['INVITED', 'ACCEPTED', 'INSTALLED', 'INSTALLED', 'REVOKED']),
      appDevices: [],
    }, { apps: [], betaGroups: [], builds: [] }));
  }
  for (const app of out.apps) {
    const a = put('apps', app.id, app.attributes, {
      appStoreVersions: [...app.versionIds], appInfos: [...app.appInfoIds], builds: [], preReleaseVersions: [], betaGroups: [], customerReviews: [],
    });
    const versions = app.versionIds.map((id) => out.versions.get(id));
    for (const v of versions) put('appStoreVersions', v.id, v.attributes, { app: app.id, build: null });
    for (const id of app.appInfoIds) put('appInfos', id, out.appInfos.get(id).attributes, { app: app.id });
    // One pre-release version per App Store version, with 1–3 builds each (newest last).
    let build = 100 + Math.floor(rand() * 400);
    for (const v of [...versions].reverse()) {
      const pre = put('preReleaseVersions', uuid(rand), { version: v.attributes.versionString, platform: v.attributes.platform }, { app: app.id, builds: [] });
      rel(a, 'preReleaseVersions').push(pre.id);
      const created = Date.parse(v.attributes.createdDate) / 1000;
      const count = 1 + Math.floor(rand() * 3);
      for (let b = 0; b < count; b++) {
        build += 1 + Math.floor(rand() * 3);
        const uploaded = created - (count - b) * 86400 - Math.floor(rand() * 40000);
        const newest = b === count - 1;
        const state = newest && rand() < 0.3 ? 'PROCESSING' : rand() < 0.08 ? pick(['FAILED', 'INVALID']) : 'VALID';
        const expired = uploaded + 90 * 86400 < base + 300 * 86400;
        const bd = put('builds', uuid(rand), {
          version: String(build),
          uploadedDate: pacificDate(uploaded),
          expirationDate: pacificDate(uploaded + 90 * 86400),
          expired,
          minOsVersion: v.attributes.platform === 'MAC_OS' ? '13.0' : pick(['15.0', '16.0', '17.0']),
          lsMinimumSystemVersion: v.attributes.platform === 'MAC_OS' ? '13.0' : null,
          computedMinMacOsVersion: null,
          computedMinVisionOsVersion: null,
          iconAssetToken: null,
          processingState: state,
          buildAudienceType: rand() < 0.8 ? 'APP_STORE_ELIGIBLE' : 'INTERNAL_ONLY',
          usesNonExemptEncryption: rand() < 0.2 ? null : false,
        }, { app: app.id, preReleaseVersion: pre.id, appStoreVersion: null, betaGroups: [], individualTesters: [] });
        pre.relationships.builds.push(bd.id);
        rel(a, 'builds').push(bd.id);
        if (newest && state === 'VALID') {
          bd.relationships.appStoreVersion = v.id;
          res.get('appStoreVersions').get(v.id).relationships.build = bd.id;
        }
      }
    }
    // Beta groups: an internal group, and for some apps an external one with a public link.
    const groupCount = 1 + Math.floor(rand() * 2);
    for (let g = 0; g < groupCount; g++) {
      const internal = g === 0;
      const publicLink = !internal && rand() < 0.6;
      const linkId = publicLink ? uuid(rand).slice(0, 8) : null;
      const group = put('betaGroups', uuid(rand), {
        name: internal ? 'Internal Testers' : pick(['External Beta', 'QA', 'Friends and Family']),
        createdDate: pacificDate(base + Math.floor(rand() * 100 * 86400)),
        isInternalGroup: internal,
        hasAccessToAllBuilds: internal,
        publicLinkEnabled: publicLink,
        publicLinkId: linkId,
        publicLinkLimitEnabled: publicLink,
        publicLinkLimit: publicLink ? 100 : null,
        publicLink: publicLink ? `https://testflight.apple.com/join/${linkId}` : null,
        feedbackEnabled: true,
        iosBuildsAvailableForAppleSiliconMac: rand() < 0.5,
        iosBuildsAvailableForAppleVision: false,
      }, { app: app.id, builds: [], betaTesters: [] });
      rel(a, 'betaGroups').push(group.id);
      const builds = a.relationships.builds.slice(-2);
      for (const b of builds) {
        group.relationships.builds.push(b);
        res.get('builds').get(b).relationships.betaGroups.push(group.id);
      }
      const members = 2 + Math.floor(rand() * 4);
      for (let m = 0; m < members; m++) {
        const t = testers[Math.floor(rand() * testers.length)];
        if (group.relationships.betaTesters.includes(t.id)) continue;
        group.relationships.betaTesters.push(t.id);
        t.relationships.betaGroups.push(group.id);
        if (!t.relationships.apps.includes(app.id)) t.relationships.apps.push(app.id);
        for (const b of builds) if (!t.relationships.builds.includes(b)) t.relationships.builds.push(b);
      }
    }
    // Customer reviews, newest first; about half the low-rated ones have a developer response.
    const reviewCount = 3 + Math.floor(rand() * 10);
    let when = base + 200 * 86400 + Math.floor(rand() * 100 * 86400);
    for (let r = 0; r < reviewCount; r++) {
      const [rating, title, body] = pick(REVIEW_TEXT);
      const territory = pick(TERRITORIES)[0];
      const review = put('customerReviews', uuid(rand), {
        rating,
        title,
        body,
        reviewerNickname: `${pick(FIRST_NAMES)}${Math.floor(rand() * 900) + 100}`,
        createdDate: pacificDate(when),
        territory,
      }, { response: null, reviewTerritory: territory });
      rel(a, 'customerReviews').push(review.id);
      if (rating <= 3 ? rand() < 0.5 : rand() < 0.15) {
        const response = put('customerReviewResponses', uuid(rand), {
          responseBody: `Thank you for the review, ${review.attributes.reviewerNickname}. We are looking into it; please write to support@example.com.`,
          lastModifiedDate: pacificDate(when + 3600 + Math.floor(rand() * 3 * 86400)),
          state: rand() < 0.8 ? 'PUBLISHED' : 'PENDING_PUBLISH',
        }, { review: review.id });
        review.relationships.response = response.id;
      }
      when -= 3600 + Math.floor(rand() * 6 * 86400);
    }
  }
  return res;
}
