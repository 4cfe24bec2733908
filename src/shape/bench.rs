//! A deterministic, realistic List Apps page for benchmarks and tests:
//! `GET /v1/apps?include=appStoreVersions&limit=<apps>&limit[appStoreVersions]=2`.
//!
//! `tools/gen-bench-page.mjs` writes byte-for-byte the same document from JavaScript, so the Rust
//! and JS shapers can be benchmarked on the same input (a test checks that they agree).

use serde_json::{json, Map, Value};

const BASE: &str = "https://api.appstoreconnect.apple.com";
const NAMES: [&str; 8] = [
    "Trail", "Ledger", "Pocket", "Harbor", "Pixel", "Summit", "Meadow", "Orbit",
];
const LOCALES: [&str; 4] = ["en-US", "en-GB", "de-DE", "ja"];
const STATES: [&str; 4] = [
    "READY_FOR_SALE",
    "PREPARE_FOR_SUBMISSION",
    "WAITING_FOR_REVIEW",
    "IN_REVIEW",
];
const PLATFORMS: [&str; 3] = ["IOS", "MAC_OS", "TV_OS"];
/// Link-only relationships of every app (as Apple sends them without `include`).
const APP_RELS: [&str; 2] = ["builds", "appInfos"];

/// A 32-bit multiplicative hash (same arithmetic as `Math.imul(n, 2654435761) >>> 0`).
fn h(n: u32) -> u32 {
    n.wrapping_mul(2_654_435_761)
}

fn hex8(n: u32) -> String {
    format!("{n:08x}")
}

/// A UUID-shaped id derived from `n`.
fn uuid(n: u32) -> String {
    let a = hex8(h(3 * n + 1));
    let b = hex8(h(3 * n + 2));
    let c = hex8(h(3 * n + 3));
    let d = hex8(h(3 * n + 1) ^ h(3 * n + 2));
    format!(
        "{}-{}-4{}-8{}-{}{}",
        &a,
        &b[0..4],
        &b[4..7],
        &c[0..3],
        &c[3..8],
        &d[0..7]
    )
}

fn rel_links(owner: &str, id: &str, name: &str) -> Value {
    json!({
        "self": format!("{BASE}/v1/{owner}/{id}/relationships/{name}"),
        "related": format!("{BASE}/v1/{owner}/{id}/{name}"),
    })
}

/// The page as a JSON string: `apps` apps, each with two included App Store versions (the last
/// app has one), `links.next` on Apple's host and `meta.paging.total`.
#[doc(hidden)]
#[must_use]
pub fn bench_page(apps: usize) -> String {
    let apps = u32::try_from(apps).unwrap_or(u32::MAX).min(100_000);
    let mut data = Vec::with_capacity(apps as usize);
    let mut included = Vec::with_capacity(2 * apps as usize);
    for i in 0..apps {
        let id = (1_400_000_000 + u64::from(i) * 7919).to_string();
        let versions = if i + 1 == apps { 1 } else { 2 };
        let mut rels = Map::new();
        for name in APP_RELS {
            rels.insert(
                name.into(),
                json!({ "links": rel_links("apps", &id, name) }),
            );
        }
        let mut linkage = Vec::new();
        for v in 0..versions {
            let n = 2 * i + v;
            let vid = uuid(n);
            linkage.push(json!({ "type": "appStoreVersions", "id": vid }));
            let idx = n as usize;
            included.push(json!({
                "type": "appStoreVersions",
                "id": vid,
                "attributes": {
                    "platform": PLATFORMS[idx % 3],
                    "versionString": format!("{}.{}.{}", 1 + i % 9, v, n % 10),
                    "appStoreState": STATES[idx % 4],
                    "appVersionState": STATES[(idx + 1) % 4],
                    "copyright": format!("2025 Example {} Inc.", NAMES[i as usize % 8]),
                    "reviewType": "APP_STORE",
                    "releaseType": if n % 2 == 0 { "MANUAL" } else { "AFTER_APPROVAL" },
                    "earliestReleaseDate": Value::Null,
                    "usesIdfa": if n % 3 == 0 { Value::Bool(false) } else { Value::Null },
                    "downloadable": true,
                    "createdDate": format!("2025-{:02}-{:02}T08:14:52-07:00", 1 + n % 12, 1 + n % 28),
                },
                "relationships": {
                    "build": { "links": rel_links("appStoreVersions", &vid, "build") },
                },
                "links": { "self": format!("{BASE}/v1/appStoreVersions/{vid}") },
            }));
        }
        rels.insert(
            "appStoreVersions".into(),
            json!({
                "links": rel_links("apps", &id, "appStoreVersions"),
                "meta": { "paging": { "total": 2 + i % 13, "limit": 2 } },
                "data": linkage,
            }),
        );
        let name = format!(
            "{} {} {}",
            NAMES[i as usize % 8],
            NAMES[(i as usize / 8) % 8],
            i
        );
        data.push(json!({
            "type": "apps",
            "id": id,
            "attributes": {
                "accessibilityUrl": Value::Null,
                "name": name,
                "bundleId": format!("com.example.app{i}"),
                "sku": format!("SKU-{i:05}"),
                "primaryLocale": LOCALES[i as usize % 4],
                "isOrEverWasMadeForKids": i % 7 == 0,
                "subscriptionStatusUrl": if i % 3 == 0 { Value::String(format!("https://example.com/asn/{i}")) } else { Value::Null },
                "subscriptionStatusUrlVersion": if i % 3 == 0 { Value::String("V2".into()) } else { Value::Null },
                "subscriptionStatusUrlForSandbox": Value::Null,
                "subscriptionStatusUrlVersionForSandbox": Value::Null,
                "contentRightsDeclaration": if i % 2 == 0 { "DOES_NOT_USE_THIRD_PARTY_CONTENT" } else { "USES_THIRD_PARTY_CONTENT" },
                "streamlinedPurchasingEnabled": i % 5 != 0,
            },
            "relationships": rels,
            "links": { "self": format!("{BASE}/v1/apps/{id}") },
        }));
    }
    let query = format!("include=appStoreVersions&limit={apps}&limit%5BappStoreVersions%5D=2");
    json!({
        "data": data,
        "included": included,
        "links": {
            "self": format!("{BASE}/v1/apps?{query}"),
            "next": format!("{BASE}/v1/apps?cursor=AoJ4g7mg6o4DKzE0MDAwMDAwMDA.ANrJC88&{query}"),
        },
        "meta": { "paging": { "total": 5 * u64::from(apps), "limit": apps } },
    })
    .to_string()
}
