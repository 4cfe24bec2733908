#!/usr/bin/env node
// Writes the benchmark page to stdout: a deterministic List Apps answer as Apple would send it for
// GET /v1/apps?include=appStoreVersions&limit=<apps>&limit[appStoreVersions]=2 (default 200 apps,
// about 0.5 MB). The one generator of this page: the Rust tests (tests/shape.rs) and the JS
// benchmarks (host/bench/shape.mjs) both run it, so both shapers are measured on the same input.
//
// Usage: node tools/gen-bench-page.mjs [apps] > page.json

const BASE = 'https://api.appstoreconnect.apple.com';
const NAMES = ['Trail', 'Ledger', 'Pocket', 'Harbor', 'Pixel', 'Summit', 'Meadow', 'Orbit'];
const LOCALES = ['en-US', 'en-GB', 'de-DE', 'ja'];
const STATES = ['READY_FOR_SALE', 'PREPARE_FOR_SUBMISSION', 'WAITING_FOR_REVIEW', 'IN_REVIEW'];
const PLATFORMS = ['IOS', 'MAC_OS', 'TV_OS'];
const APP_RELS = ['builds', 'appInfos'];

const h = (n) => Math.imul(n, 2654435761) >>> 0;
const hex8 = (n) => n.toString(16).padStart(8, '0');
const pad = (n, w) => String(n).padStart(w, '0');

function uuid(n) {
  const a = hex8(h(3 * n + 1));
  const b = hex8(h(3 * n + 2));
  const c = hex8(h(3 * n + 3));
  const d = hex8((h(3 * n + 1) ^ h(3 * n + 2)) >>> 0);
  return `${a}-${b.slice(0, 4)}-4${b.slice(4, 7)}-8${c.slice(0, 3)}-${c.slice(3, 8)}${d.slice(0, 7)}`;
}

const relLinks = (owner, id, name) => ({
  self: `${BASE}/v1/${owner}/${id}/relationships/${name}`,
  related: `${BASE}/v1/${owner}/${id}/${name}`,
});

export function benchPage(apps = 200) {
  apps = Math.min(Math.max(0, Math.floor(apps)), 100000);
  const data = [];
  const included = [];
  for (let i = 0; i < apps; i++) {
    const id = String(1400000000 + i * 7919);
    const versions = i + 1 === apps ? 1 : 2;
    const rels = {};
    for (const name of APP_RELS) rels[name] = { links: relLinks('apps', id, name) };
    const linkage = [];
    for (let v = 0; v < versions; v++) {
      const n = 2 * i + v;
      const vid = uuid(n);
      linkage.push({ type: 'appStoreVersions', id: vid });
      included.push({
        type: 'appStoreVersions',
        id: vid,
        attributes: {
          platform: PLATFORMS[n % 3],
          versionString: `${1 + (i % 9)}.${v}.${n % 10}`,
          appStoreState: STATES[n % 4],
          appVersionState: STATES[(n + 1) % 4],
          copyright: `2025 Example ${NAMES[i % 8]} Inc.`,
          reviewType: 'APP_STORE',
          releaseType: n % 2 === 0 ? 'MANUAL' : 'AFTER_APPROVAL',
          earliestReleaseDate: null,
          usesIdfa: n % 3 === 0 ? false : null,
          downloadable: true,
          createdDate: `2025-${pad(1 + (n % 12), 2)}-${pad(1 + (n % 28), 2)}T08:14:52-07:00`,
        },
        relationships: { build: { links: relLinks('appStoreVersions', vid, 'build') } },
        links: { self: `${BASE}/v1/appStoreVersions/${vid}` },
      });
    }
    rels.appStoreVersions = {
      links: relLinks('apps', id, 'appStoreVersions'),
      meta: { paging: { total: 2 + (i % 13), limit: 2 } },
      data: linkage,
    };
    data.push({
      type: 'apps',
      id,
      attributes: {
        accessibilityUrl: null,
        name: `${NAMES[i % 8]} ${NAMES[Math.floor(i / 8) % 8]} ${i}`,
        bundleId: `com.example.app${i}`,
        sku: `SKU-${pad(i, 5)}`,
        primaryLocale: LOCALES[i % 4],
        isOrEverWasMadeForKids: i % 7 === 0,
        subscriptionStatusUrl: i % 3 === 0 ? `https://example.com/asn/${i}` : null,
        subscriptionStatusUrlVersion: i % 3 === 0 ? 'V2' : null,
        subscriptionStatusUrlForSandbox: null,
        subscriptionStatusUrlVersionForSandbox: null,
        contentRightsDeclaration: i % 2 === 0 ? 'DOES_NOT_USE_THIRD_PARTY_CONTENT' : 'USES_THIRD_PARTY_CONTENT',
        streamlinedPurchasingEnabled: i % 5 !== 0,
      },
      relationships: rels,
      links: { self: `${BASE}/v1/apps/${id}` },
    });
  }
  const query = `include=appStoreVersions&limit=${apps}&limit%5BappStoreVersions%5D=2`;
  return JSON.stringify({
    data,
    included,
    links: {
      self: `${BASE}/v1/apps?${query}`,
      next: `${BASE}/v1/apps?cursor=AoJ4g7mg6o4DKzE0MDAwMDAwMDA.ANrJC88&${query}`,
    },
    meta: { paging: { total: 5 * apps, limit: apps } },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = process.argv[2];
  const apps = arg === undefined ? 200 : Number(arg);
  if (!Number.isInteger(apps) || apps < 0 || apps > 100000) {
    process.stderr.write('usage: gen-bench-page.mjs [apps: integer 0..100000]\n');
    process.exit(2);
  }
  process.stdout.write(benchPage(apps));
}
