// Tests for `asc-connector demo` (what `make demo` runs): the full path — throwaway key, sandbox, gateway, wasm
// signer — run as a real subprocess through the CLI, checked on its output: every app listed once over several
// pages, one app read with its versions, the sandbox accepted every token, exit 0, and no key or token text
// anywhere in the output. Needs the built wasm package (pkg/, `make pkg`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCatalogue } from '../src/sandbox/data.js';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { run as runDemo } from '../src/commands/demo.js';
import { runCli } from './helpers/process.js';



/** Secrets must never reach the output: PEM blocks, JWTs (three base64url parts starting with {"), base64 key bodies. */
function assertNoSecrets(text) {
  assert.ok(!/-----BEGIN/.test(text), 'no PEM block');
  assert.ok(!/PRIVATE KEY/.test(text), 'no private key marker');
  assert.ok(!/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/.test(text), 'no JWT');
  assert.ok(!/MIG[A-Za-z0-9+/]{40,}/.test(text), 'no DER key body in base64');
}

function section(stdout, title) {
  const start = stdout.indexOf(title);
  assert.ok(start >= 0, `output has a "${title}" section`);
  const rest = stdout.slice(start);
  const end = rest.indexOf('\n\n');
  return end === -1 ? rest : rest.slice(0, end);
}

test('make demo: lists every app over several pages, reads one app, exits 0, prints no secrets', async () => {
  const { code, stdout, stderr } = await runCli(['demo']);
  assert.equal(code, 0, `demo failed: ${stderr}`);
  assert.equal(stderr, '');
  assertNoSecrets(stdout);
  assertNoSecrets(stderr);

  const list = section(stdout, 'List Apps');
  const header = list.split('\n')[1];
  for (const col of ['Name', 'Bundle ID', 'SKU', 'Locale', 'App ID']) assert.ok(header.includes(col), `column ${col}`);
  const rows = list.split('\n').filter((l) => /^ {2}\d+ {2,}/.test(l));
  assert.equal(rows.length, 30, 'one row per app');
  const ids = rows.map((r) => /(\d{10})\s*$/.exec(r)?.[1]);
  assert.ok(ids.every(Boolean), 'every row ends with a numeric App ID');
  assert.equal(new Set(ids).size, 30, 'no app listed twice');
  const bundles = rows.map((r) => /com\.example\.[a-z0-9]+/.exec(r)?.[0]);
  assert.equal(new Set(bundles).size, 30);

  const summary = /Summary: (\d+) pages, (\d+) apps listed, 1 app read, (\d+) low-rated reviews read, 1 trigger event received, 3 new reviews fired; tokens minted by the gateway: (\d+), seen by the sandbox: (\d+), rejected: (\d+)/.exec(stdout);
  assert.ok(summary, 'summary line');
  const [, pages, apps, reviewCount, minted, seen, rejected] = summary.map(Number);
  assert.ok(pages >= 3, `30 apps at limit=10 take at least 3 pages (got ${pages})`);
  assert.equal(apps, 30);
  assert.ok(minted >= 1);
  assert.equal(seen, minted, 'the sandbox saw exactly the tokens the gateway minted');
  assert.equal(rejected, 0);

  const read = section(stdout, 'Read App Information');
  assert.ok(read.includes(ids[0]), 'the app read is the first one listed');
  assert.match(read, /App Store URL\s+https:\/\/apps\.apple\.com\/app\/id\d{10}/);
  const versions = section(stdout, 'App Store versions');
  const versionRows = versions.split('\n').filter((l) => /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*$/.test(l));
  const count = Number(/App Store versions \((\d+)\)/.exec(versions)[1]);
  assert.ok(count >= 1 && count <= 3);
  assert.equal(versionRows.length, count);

  // The review flow: the first app's newest 1–2 star reviews with their responses, as the sandbox's data says.
  const catalogue = generateCatalogue({ apps: 30, seed: 1 });
  const store = catalogue.resources;
  const low = store.get('apps').get(ids[0]).relationships.customerReviews
    .map((id) => store.get('customerReviews').get(id))
    .filter((r) => r.attributes.rating <= 2)
    .sort((a, b) => (a.attributes.createdDate < b.attributes.createdDate ? 1 : -1))
    .slice(0, 5);
  assert.ok(low.length > 0, 'the first app has low-rated reviews in the sandbox data');
  assert.equal(reviewCount, low.length);
  const reviews = section(stdout, 'Newest low-rated reviews');
  const reviewRows = reviews.split('\n').slice(3);
  assert.equal(reviewRows.length, low.length);
  low.forEach((r, i) => {
    assert.ok(reviewRows[i].startsWith(`  ${r.attributes.createdDate}`), `row ${i} is the review of ${r.attributes.createdDate}`);
    assert.ok(reviewRows[i].trimEnd().endsWith(r.id));
    assert.ok(reviewRows[i].includes(r.relationships.response ? store.get('customerReviewResponses').get(r.relationships.response).attributes.state : 'none'));
  });
  const answered = low.find((r) => r.relationships.response);
  if (answered) {
    const read = section(stdout, 'Read the response to a customer review');
    assert.ok(read.includes(answered.relationships.response), 'the response read is the newest answered review\'s');
  }

  // The instant trigger fired once and was removed; the review poll cycle fired the three new reviews once.
  const instant = section(stdout, 'Instant trigger');
  assert.match(instant, /Subscribe\s+201: webhook [0-9a-f-]{36} \(APP_STORE_VERSION_APP_VERSION_STATE_UPDATED\)/);
  assert.match(instant, /Event received\s+appStoreVersionAppVersionStateUpdated: (\w+) → (\w+) at /);
  assert.match(instant, /Signature\s+hmacsha256=[0-9a-f]{12}/);
  assert.match(instant, /deleted true; webhooks left: 0/);
  const poll = section(stdout, 'Review trigger');
  const pollRows = poll.split('\n').slice(3).map((l) => l.trim().split(/\s{2,}/));
  assert.deepEqual(pollRows.map((r) => r.slice(0, 3)), [['1', '0', '1'], ['2', '3', '1'], ['3', '0', '1']]);
  assert.match(pollRows[1][3], /"Please add dark mode", "Crashes on launch", "Love the new widgets"/);
  assert.match(stdout, /1 trigger event received, 3 new reviews fired/);
});

test('demo options: --help, unknown flags and bad values', async () => {
  const capture = () => {
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, out: '', err: '' };
    io.stdout.on('data', (c) => { io.out += c; });
    io.stderr.on('data', (c) => { io.err += c; });
    return io;
  };
  const help = capture();
  assert.equal(await runDemo(['--help'], help), 0);
  assert.match(help.out, /Usage: asc-connector demo/);
  const bogus = capture();
  assert.equal(await runDemo(['--bogus'], bogus), 2);
  assert.match(bogus.err, /bogus/);
  const badLimit = capture();
  assert.equal(await runDemo(['--limit', '500'], badLimit), 2);
  assert.match(badLimit.err, /--limit must be a whole number from 1 to 200/);
});

test('demo with a smaller page size follows more pages and still lists every app once', async () => {
  const { code, stdout, stderr } = await runCli(['demo', '--apps', '12', '--limit', '5']);
  assert.equal(code, 0, stderr);
  const summary = /Summary: (\d+) pages, (\d+) apps listed/.exec(stdout);
  assert.equal(Number(summary[1]), 3);
  assert.equal(Number(summary[2]), 12);
  assertNoSecrets(stdout);
});
