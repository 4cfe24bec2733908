// `asc-connector demo` (what `make demo` runs): the whole path on one machine, with nothing sent to Apple. It makes
// a throwaway P-256 key, starts the sandbox (which trusts only that key's public half) and the gateway (which
// signs with it), then calls the gateway the way Power Automate would: List Apps page by page following nextLink,
// then Read App Information with include=appStoreVersions,appInfos, then the flow a maker builds for reviews: the
// newest low-rated (1–2 star) reviews of that app with their developer responses (List customer reviews with
// filter[rating], sort=-createdDate and include=response) and the response to the newest one that has one (Read
// the response to a customer review). Then the triggers (docs/TRIGGERS.md): an instant trigger subscribes with a
// local callback, a version's state changes in the sandbox, the event Apple's side posts arrives at the callback,
// and the trigger unsubscribes through its Location; and one review poll cycle (the first poll sets the watermark,
// new reviews fire once, a quiet poll fires nothing). It prints the records as tables and a summary, stops every
// server and exits 0, or 1 with one clear line on any failure. The key and the tokens stay in memory and are never
// printed.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseCount, parseFlags, reportError, UsageError } from '../cli.js';
import { startSandbox } from '../sandbox/server.js';

const HELP = `Usage: asc-connector demo [options]

Runs the gateway against the local sandbox with a throwaway key and prints what a flow would get:
all apps (List Apps, following nextLink page by page), one app's details (Read App Information) and that
app's newest low-rated reviews with their responses (List customer reviews, Read the response to a review),
an instant trigger firing (subscribe, a version's state changes, the event arrives, unsubscribe) and one
review poll cycle (When a new customer review is posted). Nothing leaves this machine.

Options:
  --apps N     sample apps in the sandbox (default 30)
  --limit N    page size asked of List Apps (default 10)
  -h, --help   show this help
`;

/** Per-request bound so a broken server can never hang the demo. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How many of the newest low-rated reviews the review flow asks for. */
const REVIEW_LIMIT = 5;
/** Upper bound on pages followed (a nextLink loop would otherwise never end). */
const MAX_PAGES = 100;

class DemoError extends Error {}

function cell(value, width) {
  const text = value === null || value === undefined ? '—' : String(value);
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text + ' '.repeat(width - chars.length);
}

/** Renders rows as an aligned text table with a header rule. */
function table(columns, rows, indent = '  ') {
  const widths = columns.map((c, i) => Math.min(c.max ?? 40, Math.max([...c.title].length, ...rows.map((r) => [...String(r[i] ?? '—')].length))));
  const line = (cells) => indent + cells.map((v, i) => cell(v, widths[i])).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), indent + widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function randomKeyId() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join('');
}

async function callGateway(url, apiKey, what, init = {}) {
  let response;
  try {
    const headers = apiKey === null ? {} : { 'x-api-key': apiKey };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new DemoError(`${what}: the gateway did not answer (${err.name === 'TimeoutError' ? 'timed out' : err.message})`);
  }
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DemoError(`${what}: HTTP ${response.status}, and the answer is not JSON`);
  }
  if (!response.ok) {
    const e = body && body.error ? body.error : {};
    throw new DemoError(`${what}: HTTP ${response.status} ${e.code ?? ''} ${e.message ?? ''}`.trim());
  }
  if (init.withHeaders) return { body, headers: response.headers };
  return body;
}

/** A local stand-in for a flow's callback URL: collects the JSON bodies POSTed to it. */
async function startCallback() {
  const events = [];
  let arrived = () => {};
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        events.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), signature: req.headers['x-apple-signature'] ?? null });
      } catch {
        events.push({ body: null, signature: null });
      }
      res.writeHead(202).end();
      arrived();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/workflows/demo/triggers/manual/paths/invoke?sig=${randomBytes(8).toString('hex')}`,
    events,
    /** Resolves once `n` events arrived (or after the request timeout). */
    waitFor: (n) => new Promise((resolve) => {
      const timer = setTimeout(resolve, REQUEST_TIMEOUT_MS);
      arrived = () => {
        if (events.length >= n) {
          clearTimeout(timer);
          resolve();
        }
      };
      arrived();
    }),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The demo's options ({ apps, limit }, or { help: true }); throws UsageError. */
function parseOptions(argv) {
  const { flags, positionals } = parseFlags(argv, { apps: 'string', limit: 'string', help: 'boolean' });
  if (flags.help) return { help: true };
  if (positionals.length > 0) throw new UsageError('the demo takes options only (see --help)');
  return {
    apps: flags.apps === undefined ? 30 : parseCount(flags.apps, 'apps', 1, 600),
    limit: flags.limit === undefined ? 10 : parseCount(flags.limit, 'limit', 1, 200),
  };
}

/** Entry point: `asc-connector demo`. Returns the exit code. */
export async function run(argv, io) {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    return reportError(io, 'demo', err);
  }
  if (options.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const started = Date.now();
  const out = (text = '') => io.stdout.write(`${text}\n`);
  let sandbox = null;
  let gateway = null;
  let callback = null;
  try {
    // Loaded here so `demo --help` works even before the wasm package is built.
    let startGateway;
    try {
      ({ startGateway } = await import('../node.js'));
    } catch (err) {
      throw new DemoError(`the gateway could not be loaded (${err.message}); build the wasm package with \`make pkg\``);
    }

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyId = randomKeyId();
    const issuerId = randomUUID();
    sandbox = await startSandbox({
      apps: options.apps,
      keys: [{ kid: keyId, issuerId, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) }],
    });
    const apiKey = randomBytes(24).toString('base64url');
    let minted = 0;
    gateway = await startGateway({
      env: {
        ASC_KEY_ID: keyId,
        ASC_ISSUER_ID: issuerId,
        ASC_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        ASC_BASE_URL: sandbox.url,
        GATEWAY_API_KEY: apiKey,
        // The demo's callback listens on loopback http; only a local-sandbox gateway accepts that.
        GATEWAY_LOCAL_SANDBOX: '1',
        HOST: '127.0.0.1',
        PORT: '0',
      },
      host: '127.0.0.1',
      port: 0,
      deps: {
        log: (entry) => {
          if (entry && entry.minted) minted += 1;
        },
      },
    });

    out(`asc-connector demo: gateway ${gateway.url} → sandbox ${sandbox.url} (throwaway key ${keyId}; nothing leaves this machine)`);
    out();

    // List Apps, following nextLink the way Power Automate's pagination does.
    const apps = [];
    let pages = 0;
    let total = null;
    let next = `${gateway.url}/v1/apps?limit=${options.limit}`;
    while (next) {
      if (pages >= MAX_PAGES) throw new DemoError(`List Apps: stopped after ${MAX_PAGES} pages; nextLink never ended`);
      if (!next.startsWith(`${gateway.url}/`)) throw new DemoError('List Apps: nextLink points away from the gateway; refusing to follow it');
      const page = await callGateway(next, apiKey, `List Apps page ${pages + 1}`);
      if (!Array.isArray(page.value)) throw new DemoError(`List Apps page ${pages + 1}: the answer has no "value" array`);
      pages += 1;
      apps.push(...page.value);
      if (typeof page.total === 'number') total = page.total;
      next = typeof page.nextLink === 'string' ? page.nextLink : null;
    }
    out(`List Apps — ${apps.length} apps in ${pages} pages of up to ${options.limit}${total !== null ? ` (Apple-side total ${total})` : ''}`);
    out(table(
      [{ title: '#' }, { title: 'Name', max: 28 }, { title: 'Bundle ID', max: 36 }, { title: 'SKU', max: 24 }, { title: 'Locale' }, { title: 'App ID' }],
      apps.map((a, i) => [i + 1, a.name, a.bundleId, a.sku, a.primaryLocale, a.id]),
    ));
    out();
    if (apps.length === 0) throw new DemoError('List Apps returned no apps');

    // Read App Information for the first app listed, with its versions and app infos included.
    const chosen = apps[0];
    const app = await callGateway(
      `${gateway.url}/v1/apps/${encodeURIComponent(chosen.id)}?include=appStoreVersions,appInfos`,
      apiKey,
      'Read App Information',
    );
    out(`Read App Information — ${app.name} (include=appStoreVersions,appInfos)`);
    const yesNo = (v) => (v === true ? 'yes' : v === false ? 'no' : v);
    out(table(
      [{ title: 'Field' }, { title: 'Value', max: 70 }],
      [
        ['App ID', app.id],
        ['Name', app.name],
        ['Bundle ID', app.bundleId],
        ['SKU', app.sku],
        ['Primary locale', app.primaryLocale],
        ['Made for kids', yesNo(app.isOrEverWasMadeForKids)],
        ['Content rights', app.contentRightsDeclaration],
        ['Subscription status URL', app.subscriptionStatusUrl],
        ['App Store URL', app.appStoreUrl],
      ],
    ));
    out();
    const versions = Array.isArray(app.appStoreVersions) ? app.appStoreVersions : [];
    out(`App Store versions (${versions.length})`);
    out(table(
      [{ title: 'Version' }, { title: 'Platform' }, { title: 'State' }, { title: 'Release' }, { title: 'Created' }, { title: 'Version ID' }],
      versions.map((v) => [v.versionString, v.platform, v.appVersionState, v.releaseType, v.createdDate, v.id]),
    ));
    const infos = Array.isArray(app.appInfos) ? app.appInfos : [];
    out();
    out(`App infos (${infos.length})`);
    out(table(
      [{ title: 'State' }, { title: 'Age rating' }, { title: 'App info ID' }],
      infos.map((i) => [i.state, i.appStoreAgeRating, i.id]),
    ));
    out();

    // The newest low-rated reviews of the app, with the developer responses included inline.
    const reviews = await callGateway(
      `${gateway.url}/v1/apps/${encodeURIComponent(chosen.id)}/customerReviews?filter[rating]=1,2&sort=-createdDate&include=response&limit=${REVIEW_LIMIT}`,
      apiKey,
      'List customer reviews',
    );
    if (!Array.isArray(reviews.value)) throw new DemoError('List customer reviews: the answer has no "value" array');
    const stars = (n) => (Number.isInteger(n) && n >= 0 && n <= 5 ? '★'.repeat(n) + '☆'.repeat(5 - n) : n);
    out(`Newest low-rated reviews — ${app.name} (filter[rating]=1,2, sort=-createdDate, include=response): ${reviews.value.length} of ${reviews.total ?? '?'}`);
    out(table(
      [{ title: 'Date' }, { title: 'Rating' }, { title: 'Territory' }, { title: 'Title', max: 26 }, { title: 'Response' }, { title: 'Response text', max: 44 }, { title: 'Review ID' }],
      reviews.value.map((r) => [r.createdDate, stars(r.rating), r.territory, r.title, r.response ? r.response.state : 'none', r.response?.responseBody, r.id]),
    ));
    out();
    const answered = reviews.value.find((r) => r.response);
    if (answered) {
      const response = await callGateway(
        `${gateway.url}/v1/customerReviews/${encodeURIComponent(answered.id)}/response`,
        apiKey,
        'Read the response to a customer review',
      );
      out(`Read the response to a customer review — "${answered.title}"`);
      out(table(
        [{ title: 'Field' }, { title: 'Value', max: 70 }],
        [['State', response.state], ['Last modified', response.lastModifiedDate], ['Text', response.responseBody], ['Response ID', response.id]],
      ));
      out();
    }

    // An instant trigger: When the state of an app version changes.
    const sb = sandbox.sandbox;
    callback = await startCallback();
    const sub = await callGateway(`${gateway.url}/v1/apps/${encodeURIComponent(chosen.id)}/triggers/appStoreVersionState`, apiKey, 'Subscribe the instant trigger', { method: 'POST', body: JSON.stringify({ callbackUrl: callback.url, name: 'demo' }), withHeaders: true });
    const location = sub.headers.get('location');
    if (!location) throw new DemoError('Subscribe the instant trigger: the answer has no Location');
    const version = versions[0];
    if (!version) throw new DemoError('the app has no App Store version to change');
    const newState = version.appVersionState === 'WAITING_FOR_REVIEW' ? 'IN_REVIEW' : 'WAITING_FOR_REVIEW';
    await sb.setVersionState(version.id, newState);
    await callback.waitFor(1);
    const event = callback.events[0]?.body?.data;
    if (!event) throw new DemoError('the instant trigger received no event');
    const gone = await callGateway(location, null, 'Unsubscribe the instant trigger', { method: 'DELETE' });
    const left = sb.webhooks.list(chosen.id).filter((h) => h.name.startsWith('asc-connector:')).length;
    out(`Instant trigger — When the state of an app version changes (OnAppStoreVersionStateChanged) on ${app.name}`);
    out(table(
      [{ title: 'Step' }, { title: 'What happened', max: 110 }],
      [
        ['Subscribe', `201: webhook ${sub.body.webhookId} (${sub.body.eventTypes.join(', ')}), posting to the callback`],
        ['State change', `version ${version.versionString}: ${version.appVersionState} → ${newState} (in the sandbox)`],
        ['Event received', `${event.type}: ${event.attributes.oldValue} → ${event.attributes.newValue} at ${event.attributes.timestamp}, instance ${event.relationships.instance.data.type} ${event.relationships.instance.data.id}`],
        ['Signature', callback.events[0].signature ? `${callback.events[0].signature.slice(0, 24)}… (x-apple-signature)` : 'none'],
        ['Unsubscribe', `DELETE on the Location, no gateway key (its sig authorises it): deleted ${gone.deleted}; webhooks left: ${left}`],
      ],
    ));
    out();

    // One review poll cycle: When a new customer review is posted.
    const pollUrl = (since) => `${gateway.url}/trigger/v1/apps/${encodeURIComponent(chosen.id)}/customerReviews${since ? `?since=${encodeURIComponent(since)}` : ''}`;
    const reviewPath = `/v1/apps/${chosen.id}/customerReviews`;
    const appleCalls = () => sb.stats.byPath[reviewPath] ?? 0;
    const start = appleCalls();
    const first = await callGateway(pollUrl(null), apiKey, 'Review poll 1');
    const firstCalls = appleCalls() - start;
    const t = Math.floor(Date.now() / 1000);
    sb.addReview(chosen.id, { title: 'Love the new widgets', rating: 5, seconds: t - 2, reviewerNickname: 'mara' });
    sb.addReview(chosen.id, { title: 'Crashes on launch', rating: 1, seconds: t - 1, reviewerNickname: 'jon' });
    sb.addReview(chosen.id, { title: 'Please add dark mode', rating: 3, seconds: t - 1, territory: 'GBR', reviewerNickname: 'ines' });
    const before = appleCalls();
    const second = await callGateway(pollUrl(first.watermark), apiKey, 'Review poll 2');
    const mid = appleCalls();
    const third = await callGateway(pollUrl(second.watermark), apiKey, 'Review poll 3');
    out(`Review trigger — When a new customer review is posted (OnNewCustomerReview) on ${app.name}`);
    out(table(
      [{ title: 'Poll' }, { title: 'New reviews' }, { title: 'Apple requests' }, { title: 'What the platform does', max: 90 }],
      [
        [1, first.value.length, firstCalls, 'first poll: only sets the watermark (existing reviews never fire)'],
        [2, second.value.length, mid - before, `one run per review: ${second.value.map((r) => `"${r.title}"`).join(', ')}`],
        [3, third.value.length, appleCalls() - mid, third.watermark === second.watermark ? 'quiet: nothing fires, the watermark is unchanged' : 'the watermark moved'],
      ],
    ));
    out();
    if (second.value.length !== 3 || third.value.length !== 0) throw new DemoError('the review poll did not fire exactly the three new reviews');

    const s = sandbox.sandbox.stats;
    const ms = Date.now() - started;
    out(`Summary: ${pages} pages, ${apps.length} apps listed, 1 app read, ${reviews.value.length} low-rated reviews read, 1 trigger event received, ${second.value.length} new reviews fired; tokens minted by the gateway: ${minted}, ` +
      `seen by the sandbox: ${s.tokensSeen}, rejected: ${s.rejectedTokens}; sandbox requests: ${s.requests}; ${ms} ms`);
    if (s.rejectedTokens > 0) throw new DemoError(`the sandbox rejected ${s.rejectedTokens} token(s)`);
    return 0;
  } catch (err) {
    const message = err instanceof DemoError ? err.message : `unexpected failure: ${err && err.code ? `${err.code}: ` : ''}${err && err.message ? err.message : String(err)}`;
    io.stderr.write(`asc-connector demo: ${message}\n`);
    return 1;
  } finally {
    await Promise.allSettled([gateway?.close(), sandbox?.close(), callback?.close()]);
  }
}
