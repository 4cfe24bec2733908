// write-policy.js with a scripted fetch: which failures are retried (only those where Apple
// certainly did nothing) and which end as UPSTREAM_OUTCOME_UNKNOWN after exactly one send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendWriteOnce, failedBeforeSending } from '../src/write-policy.js';

/** A fetch that plays `script` (one entry per call: a Response init, or an Error to throw). */
function scripted(script) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, method: init.method, body: init.body, auth: init.headers.Authorization, type: init.headers['Content-Type'] });
    const step = script[Math.min(calls.length - 1, script.length - 1)];
    if (step instanceof Error) throw step;
    return new Response(step.body ?? null, { status: step.status, headers: step.headers ?? {} });
  };
  return { fetch, calls };
}

function deps(fetch) {
  let now = 0;
  return {
    fetch,
    clockMs: () => now,
    wallMs: () => 1_700_000_000_000 + now,
    random: () => 0.5,
    sleep: async (ms) => {
      now += ms;
    },
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (t) => clearTimeout(t),
  };
}

function tokens() {
  let n = 0;
  return async ({ fresh }) => {
    n += 1;
    return { token: `t${n}${fresh ? '-fresh' : ''}`, minted: true, invalidate() {} };
  };
}

const err = (code, viaCause = false) => {
  const e = new TypeError('fetch failed');
  if (viaCause) e.cause = { code };
  else e.code = code;
  return e;
};

async function send(script, policy = {}) {
  const s = scripted(script);
  const out = await sendWriteOnce({ url: 'https://asc.example/v1/betaTesters', method: 'POST', body: '{"data":{}}', getToken: tokens(), deps: deps(s.fetch), policy: { attemptTimeoutMs: 1000, budgetMs: 10_000, ...policy } })
    .then((r) => ({ ok: r }), (e) => ({ error: e }));
  return { ...out, calls: s.calls };
}

test('a 201 is sent once with the body, its JSON type and the token', async () => {
  const r = await send([{ status: 201, body: '{"data":{"id":"1"}}' }]);
  assert.equal(r.ok.status, 201);
  assert.equal(new TextDecoder().decode(r.ok.body), '{"data":{"id":"1"}}');
  assert.deepEqual(r.calls, [{ url: 'https://asc.example/v1/betaTesters', method: 'POST', body: '{"data":{}}', auth: 'Bearer t1', type: 'application/json' }]);
});

test('401: one fresh token, one more send; a second 401 is returned as Apple sent it', async () => {
  let r = await send([{ status: 401, body: '{"errors":[]}' }, { status: 201, body: '{}' }]);
  assert.equal(r.ok.status, 201);
  assert.deepEqual(r.calls.map((c) => c.auth), ['Bearer t1', 'Bearer t2-fresh']);
  r = await send([{ status: 401, body: '{}' }]);
  assert.equal(r.ok.status, 401);
  assert.equal(r.calls.length, 2);
});

test('429 is waited out within the budget (Retry-After honoured), then given up', async () => {
  let r = await send([{ status: 429, headers: { 'retry-after': '1' } }, { status: 201, body: '{}' }]);
  assert.equal(r.ok.status, 201);
  assert.equal(r.ok.retries, 1);
  r = await send([{ status: 429, headers: { 'retry-after': '60' } }], { backoffCapMs: 20_000 });
  assert.equal(r.ok.status, 429);
  assert.equal(r.calls.length, 1);
});

test('a connection never made (refused, DNS; Node or undici shape) is tried again, then UPSTREAM_UNREACHABLE', async () => {
  for (const e of [err('ECONNREFUSED'), err('ENOTFOUND', true), err('EAI_AGAIN')]) {
    assert.ok(failedBeforeSending(e));
    let r = await send([e, { status: 201, body: '{}' }]);
    assert.equal(r.ok.status, 201);
    assert.equal(r.calls.length, 2);
    r = await send([e]);
    assert.equal(r.error.code, 'UPSTREAM_UNREACHABLE');
    assert.ok(r.calls.length >= 2, 'tried again, within the retry budget');
  }
});

test('anything after the request may have left is sent once: UPSTREAM_OUTCOME_UNKNOWN (502)', async () => {
  const rows = [
    ['a reset', [err('ECONNRESET')]],
    ['a socket hang-up without a code', [new Error('socket hang up')]],
    ['a 500', [{ status: 500, body: '{}' }]],
    ['a 503 with Retry-After', [{ status: 503, headers: { 'retry-after': '0' } }]],
    ['a 2xx cut off mid-JSON', [{ status: 201, body: '{"data":{"id"' }]],
    ['an answer over the cap', [{ status: 201, body: 'x'.repeat(100) }]],
  ];
  for (const [name, script] of rows) {
    const r = await send(script, { maxBodyBytes: 64 });
    assert.equal(r.error?.code, 'UPSTREAM_OUTCOME_UNKNOWN', name);
    assert.equal(r.error.status, 502, name);
    assert.equal(r.calls.length, 1, name);
    assert.match(r.error.message, /did not send it again/);
  }
});

test('no answer within the attempt timeout: UPSTREAM_OUTCOME_UNKNOWN, sent once', async () => {
  const calls = [];
  const hang = (url, init) => {
    calls.push(url);
    return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  };
  const d = deps(hang);
  await assert.rejects(
    sendWriteOnce({ url: 'https://asc.example/v1/x', method: 'DELETE', body: null, getToken: tokens(), deps: d, policy: { attemptTimeoutMs: 20 } }),
    (e) => e.code === 'UPSTREAM_OUTCOME_UNKNOWN' && /within 20 ms/.test(e.message),
  );
  assert.equal(calls.length, 1);
});
