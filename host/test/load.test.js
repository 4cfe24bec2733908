// Load through the Node entry against the sandbox: 10,000 requests at concurrency 100, with the
// server key and 100 caller-supplied keys (every fourth an individual key) mixed in, while an
// injected clock (30 s of fake time per 25 requests issued) carries every token across its refresh
// point at least five times. Asserts zero failed requests, exactly one mint per key per refresh (the
// minters' counts equal the distinct tokens the sandbox saw, and each re-mint happened once the
// 120 s margin was reached, never before, and by the key's next request after it), tokens that
// verify with jose, a minter cache no larger than its capacity, and flat resident memory (the RSS
// slope is reported). LOAD_REQUESTS, LOAD_CONCURRENCY and LOAD_CALLER_KEYS change the size
// (bench/reliability.mjs runs it as is; a smaller run is handy while editing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import { startSandbox } from '../src/sandbox/server.js';
import { startGateway } from '../src/node.js';
import { DEFAULT_MINTER_CAPACITY, keyFingerprint } from '../src/minters.js';
import { newAppleKey, serverKeyEnv, callerKeyHeaders } from './helpers/gateway.js';
import { pool, rssMiB } from './helpers/hardening.js';

const envInt = (name, dflt) => (Number.isInteger(Number(process.env[name])) && Number(process.env[name]) > 0 ? Number(process.env[name]) : dflt);
const REQUESTS = envInt('LOAD_REQUESTS', 10_000);
const CONCURRENCY = envInt('LOAD_CONCURRENCY', 100);
const CALLER_KEYS = envInt('LOAD_CALLER_KEYS', 100);
const T0 = 1_800_000_000;
const STEP_REQUESTS = 25;
/**
 * Fake seconds per STEP_REQUESTS issued requests: 0.6 s a request. With CONCURRENCY requests in flight the
 * clock moves up to CONCURRENCY × 0.6 = 60 s between the minter's look at a token and the sandbox's, well
 * inside MARGIN; at 1.2 s a request it could reach the margin and the sandbox then refused a token that the
 * minter had rightly kept (a flaky 401, retried by the gateway but counted by the sandbox).
 */
const STEP_SECONDS = 15;
/** The wasm minter's refresh margin (a new token when fewer than this many seconds remain). */
const MARGIN = 120;
/** Requests before the first memory sample (sockets, JIT and heap settle). */
const WARM_UP = Math.min(1000, Math.floor(REQUESTS / 8));
/** Memory is sampled every this many requests. */
const SAMPLE_EVERY = Math.max(50, Math.floor(REQUESTS / 40));

/** Least-squares slope of [x, y] points. */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

test(`${REQUESTS} requests at concurrency ${CONCURRENCY}, ${CALLER_KEYS} caller keys + the server key, across token refreshes`, { timeout: 300_000 }, async (t) => {
  const server = newAppleKey();
  const callers = Array.from({ length: CALLER_KEYS }, (_, i) => newAppleKey({ individual: i % 4 === 3 }));
  let issued = 0;
  const now = () => T0 + Math.floor(issued / STEP_REQUESTS) * STEP_SECONDS;
  const tokensByKid = new Map();
  let logged = 0;
  const sb = await startSandbox({ host: '127.0.0.1', port: 0, keys: [server, ...callers].map((k) => k.sandboxKey), now, rateLimitPerHour: 1_000_000 });
  const apiKey = `gw-load-${'q'.repeat(24)}`;
  let gw;
  try {
    gw = await startGateway({
      env: { GATEWAY_API_KEY: apiKey, ASC_BASE_URL: sb.url, GATEWAY_ALLOW_CALLER_KEYS: '1', ...serverKeyEnv(server) },
      host: '127.0.0.1',
      port: 0,
      deps: {
        now,
        log: () => { logged += 1; },
        fetch: (url, init) => {
          // Collect the tokens in the test (the sandbox only keeps hashes); never printed.
          const token = init.headers.Authorization.slice('Bearer '.length);
          const { kid } = decodeProtectedHeader(token);
          if (!tokensByKid.has(kid)) tokensByKid.set(kid, new Set());
          tokensByKid.get(kid).add(token);
          return fetch(url, init);
        },
      },
    });
    const apps = sb.sandbox.catalogue.apps;
    const keys = [null, ...callers];
    const failures = [];
    const samples = [];
    let rssBefore = null;
    let started = null;
    await pool(Array.from({ length: REQUESTS }, (_, i) => i), CONCURRENCY, async (i) => {
      if (i === WARM_UP) {
        rssBefore = rssMiB();
        started = Date.now();
      }
      if (i >= WARM_UP && i % SAMPLE_EVERY === 0) samples.push([i, rssMiB()]);
      const key = keys[i % keys.length];
      const path = i % 3 === 0 ? `/v1/apps/${apps[i % apps.length].id}` : `/v1/apps?limit=${1 + (i % 5)}`;
      const headers = { 'X-API-Key': apiKey, ...(key ? callerKeyHeaders(key) : {}) };
      issued += 1;
      const res = await fetch(`${gw.url}${path}`, { headers });
      const body = await res.text();
      if (res.status !== 200) failures.push(`${i} ${path} → ${res.status} ${body.slice(0, 120)}`);
    });
    const seconds = (Date.now() - started) / 1000;
    const rssAfter = rssMiB();
    samples.push([REQUESTS, rssAfter]);

    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failed requests`);
    assert.equal(logged, REQUESTS, 'one log line per request');
    assert.equal(sb.sandbox.stats.rejectedTokens, 0, 'the sandbox accepted every token');
    const fakeSpan = now() - T0;

    // Minters: the pinned server key and one cached entry per caller key.
    const minters = gw.handler.minters;
    assert.equal(minters.entries.size, Math.min(callers.length, DEFAULT_MINTER_CAPACITY), 'one cached minter per caller key');
    assert.ok(minters.entries.size <= minters.capacity, 'the minter cache stays within its capacity');
    const mintCountOf = async (key) => {
      if (!key) return minters.pinned.get('server').minter.mintCount;
      const h = callerKeyHeaders(key);
      const desc = key.individual
        ? { keyId: key.kid, individual: true, privateKey: h['X-ASC-Private-Key'] }
        : { keyId: key.kid, issuerId: key.issuerId, privateKey: h['X-ASC-Private-Key'] };
      return minters.entries.get(await keyFingerprint(desc)).minter.mintCount;
    };

    let totalMints = 0;
    const perKey = [];
    const mintCounts = [];
    // A key is used every keys.length requests, i.e. every ceil(keys.length / STEP_REQUESTS) clock steps.
    const visitSeconds = STEP_SECONDS * Math.ceil(keys.length / STEP_REQUESTS);
    for (const key of keys) {
      const k = key ?? server;
      const tokens = [...(tokensByKid.get(k.kid) ?? [])];
      const mints = await mintCountOf(key);
      totalMints += mints;
      if (!key || perKey.length < 3) perKey.push(`${key ? (key.individual ? 'caller individual' : 'caller team') : 'server'} ${mints}`);
      mintCounts.push(mints);
      assert.equal(tokens.length, mints, `${k.kid}: every mint reached the sandbox and no token was minted twice`);
      assert.ok(mints >= 6, `${k.kid}: crossed the refresh point at least 5 times (${mints} mints)`);
      const publicKey = k.publicKey;
      const claims = [];
      for (const tok of tokens) {
        await compactVerify(tok, publicKey); // independent signature check (jose)
        claims.push(decodeJwt(tok));
      }
      claims.sort((a, b) => a.iat - b.iat);
      for (let j = 1; j < claims.length; j += 1) {
        const refreshAt = claims[j - 1].exp - MARGIN;
        const mintedAt = claims[j].iat + 60;
        assert.ok(mintedAt > refreshAt - 1, `${k.kid}: re-minted only once the margin was reached`);
        assert.ok(mintedAt <= refreshAt + visitSeconds, `${k.kid}: re-minted by the key's first request after the refresh point`);
      }
    }
    assert.equal(sb.sandbox.stats.tokensSeen, totalMints, 'the sandbox saw exactly the minted tokens');
    t.diagnostic(`load: ${REQUESTS} requests, concurrency ${CONCURRENCY}, ${seconds.toFixed(1)} s wall for the last ${REQUESTS - WARM_UP} (${Math.round((REQUESTS - WARM_UP) / seconds)} req/s), ${fakeSpan} s of fake time, 0 failed`);
    t.diagnostic(`mints per key: ${perKey.join(', ')}, ...; min ${Math.min(...mintCounts)}, max ${Math.max(...mintCounts)} over ${keys.length} keys (total ${totalMints}; sandbox saw ${sb.sandbox.stats.tokensSeen} distinct tokens; minter cache ${minters.size} of capacity ${minters.capacity} + pinned)`);
    const rssSlope = slope(samples) * 1000;
    t.diagnostic(`RSS after ${WARM_UP} warm-up requests ${rssBefore} MiB, at the end ${rssAfter} MiB, slope ${rssSlope.toFixed(2)} MiB per 1,000 requests (${samples.length} samples every ${SAMPLE_EVERY} requests: ${samples.map(([, y]) => y).join(', ')})`);
    assert.ok(rssAfter - rssBefore < 100, `RSS grew by ${(rssAfter - rssBefore).toFixed(1)} MiB (bound 100)`);
  } finally {
    await gw?.close();
    await sb.close();
  }
});
