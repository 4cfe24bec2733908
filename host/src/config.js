// Gateway configuration from environment variables, validated all at once: loadConfig(env) returns
// a frozen config or throws one Error listing every problem (unknown or contradictory settings stop
// start-up). Runtime-agnostic: the Node entry reads ASC_PRIVATE_KEY_FILE and passes its contents in.
// Messages name variables and never repeat a secret value.
import { TokenMinter } from 'asc-connector-wasm';
import { minterOptions } from './minters.js';
import { UPSTREAM_DEFAULTS } from './upstream.js';
import { isLoopbackHost, listenHostProblem, parseAllowedHosts } from './hosts.js';

export const DEFAULT_BASE_URL = 'https://api.appstoreconnect.apple.com';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

/** Every variable the gateway reads. Other ASC_* or GATEWAY_* names are typos and stop start-up. */
export const KNOWN_VARIABLES = Object.freeze([
  'ASC_ISSUER_ID',
  'ASC_KEY_ID',
  'ASC_PRIVATE_KEY',
  'ASC_PRIVATE_KEY_FILE',
  'ASC_KEY_TYPE',
  'ASC_BASE_URL',
  'GATEWAY_API_KEY',
  'GATEWAY_ALLOW_CALLER_KEYS',
  'GATEWAY_ALLOWED_HOSTS',
  'GATEWAY_LOCAL_SANDBOX',
  'GATEWAY_TRIGGER_SECRET',
  'GATEWAY_UPSTREAM_TIMEOUT_MS',
  'GATEWAY_UPSTREAM_BUDGET_MS',
  'HOST',
  'PORT',
  'PUBLIC_URL',
]);

/** Largest total budget allowed: Power Platform gives a request 120 s. */
const MAX_BUDGET_MS = 110_000;

/** Levenshtein distance (small strings only). */
function distance(a, b) {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The known variable nearest to a misspelt one. */
export function nearestVariable(name) {
  let best = KNOWN_VARIABLES[0];
  let bestD = Infinity;
  for (const known of KNOWN_VARIABLES) {
    const d = distance(name, known);
    if (d < bestD) {
      best = known;
      bestD = d;
    }
  }
  return best;
}

function parseBool(name, raw, problems) {
  if (raw === undefined || raw === '') return false;
  const v = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  problems.push({ variable: name, code: 'OPTIONS_INVALID', message: `${name} must be 1 or 0 (also accepted: true/false, yes/no, on/off).` });
  return false;
}

function parseMs(name, raw, fallback, max, problems) {
  if (raw === undefined || raw === '') return fallback;
  const t = String(raw).trim();
  if (!/^\d{1,9}$/.test(t) || Number(t) < 1 || Number(t) > max) {
    problems.push({ variable: name, code: 'OPTIONS_INVALID', message: `${name} must be a whole number of milliseconds from 1 to ${max}.` });
    return fallback;
  }
  return Number(t);
}

function parseUrl(name, raw, problems, { allowPath }) {
  let url;
  try {
    url = new URL(String(raw).trim());
  } catch {
    problems.push({ variable: name, code: 'OPTIONS_INVALID', message: `${name} is not an absolute URL (expected e.g. https://host.example.com).` });
    return null;
  }
  const bad = [];
  if (url.protocol !== 'https:' && url.protocol !== 'http:') bad.push('the scheme must be https');
  if (url.username || url.password) bad.push('it must not contain a user name or password');
  if (url.search || url.hash || String(raw).includes('?') || String(raw).includes('#')) bad.push('it must not contain a query or fragment');
  if (!allowPath && url.pathname !== '/') bad.push('it must not contain a path');
  if (bad.length) {
    problems.push({ variable: name, code: 'OPTIONS_INVALID', message: `${name} is not usable: ${bad.join('; ')}.` });
    return null;
  }
  return url;
}

/**
 * ASC_BASE_URL's origin (DEFAULT_BASE_URL when unset or blank): https, or plain http for a loopback
 * host only; no path, query, fragment or user info. Problems are pushed to `problems`. Also used by
 * `asc-connector request`.
 */
export function parseBaseUrl(rawBase, problems) {
  if (rawBase === undefined || rawBase.trim() === '') return DEFAULT_BASE_URL;
  const url = parseUrl('ASC_BASE_URL', rawBase, problems, { allowPath: false });
  if (!url) return DEFAULT_BASE_URL;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    problems.push({ variable: 'ASC_BASE_URL', code: 'OPTIONS_INVALID', message: 'ASC_BASE_URL must use https; plain http is allowed only for a loopback host (127.0.0.1, ::1, localhost), e.g. the local sandbox.' });
    return DEFAULT_BASE_URL;
  }
  return url.origin;
}

/** The one error a bad configuration throws: every problem listed, `.code` the first one's. */
function configError(problems) {
  const lines = problems.map((p) => `  - ${p.message}`);
  const err = new Error(`Invalid gateway configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
  err.code = problems[0].code;
  err.problems = problems.map((p) => Object.freeze({ ...p }));
  return err;
}

/**
 * Reads ASC_PRIVATE_KEY_FILE for the entries that can read files (Node, Deno), with the runtime's
 * own `readText(path) → Promise<string>`. Resolves to the `files` argument of loadConfig (empty
 * when the variable is unset or ASC_PRIVATE_KEY is also set, which loadConfig reports). A file that
 * cannot be read throws the configuration error (`.code` OPTIONS_INVALID, `.problems`).
 */
export async function readKeyFile(env, readText) {
  const path = typeof env.ASC_PRIVATE_KEY_FILE === 'string' ? env.ASC_PRIVATE_KEY_FILE.trim() : '';
  const inline = typeof env.ASC_PRIVATE_KEY === 'string' && env.ASC_PRIVATE_KEY.trim() !== '';
  if (path === '' || inline) return {};
  try {
    return { privateKeyFile: await readText(path) };
  } catch (err) {
    const why = (err && (typeof err.code === 'string' ? err.code : err.name)) || 'error';
    throw configError([{ variable: 'ASC_PRIVATE_KEY_FILE', code: 'OPTIONS_INVALID', message: `ASC_PRIVATE_KEY_FILE could not be read (${why}); give the path of the .p8 file.` }]);
  }
}

/**
 * Validates the environment. `env` is an object of strings (process.env, a Worker's env, Deno's
 * env); non-string values (Worker bindings) are ignored. `files.privateKeyFile` carries the
 * contents of ASC_PRIVATE_KEY_FILE when the entry could read it. Returns a frozen config; throws an
 * Error whose message lists every problem (also in `.problems`) and whose `.code` is the first
 * problem's code (e.g. KEY_NOT_PEM for an unusable server key).
 */
export function loadConfig(env = {}, files = {}) {
  const problems = [];
  const get = (name) => (typeof env[name] === 'string' ? env[name] : undefined);

  for (const name of Object.keys(env)) {
    if ((name.startsWith('ASC_') || name.startsWith('GATEWAY_')) && !KNOWN_VARIABLES.includes(name)) {
      problems.push({ variable: name, code: 'OPTIONS_INVALID', message: `${name} is not a setting of this gateway; did you mean ${nearestVariable(name)}?` });
    }
  }

  // --- listening address ---
  const host = (get('HOST') ?? '').trim() || DEFAULT_HOST;
  if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(host)) {
    problems.push({ variable: 'HOST', code: 'OPTIONS_INVALID', message: 'HOST must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0.' });
  }
  let port = DEFAULT_PORT;
  const rawPort = get('PORT');
  if (rawPort !== undefined && rawPort.trim() !== '') {
    const t = rawPort.trim();
    if (!/^\d{1,5}$/.test(t) || Number(t) > 65535) {
      problems.push({ variable: 'PORT', code: 'OPTIONS_INVALID', message: `PORT must be a whole number from 0 to 65535 (got "${t.slice(0, 16)}").` });
    } else {
      port = Number(t);
    }
  }

  // --- upstream ---
  const baseUrl = parseBaseUrl(get('ASC_BASE_URL'), problems);

  let publicUrl = null;
  const rawPublic = get('PUBLIC_URL');
  if (rawPublic !== undefined && rawPublic.trim() !== '') {
    const url = parseUrl('PUBLIC_URL', rawPublic, problems, { allowPath: true });
    if (url) publicUrl = url.href.replace(/\/+$/, '');
  }

  // --- which Host names callers may use (hosts.js) ---
  const allowed = parseAllowedHosts(get('GATEWAY_ALLOWED_HOSTS'));
  if (allowed.bad.length) {
    problems.push({ variable: 'GATEWAY_ALLOWED_HOSTS', code: 'OPTIONS_INVALID', message: `GATEWAY_ALLOWED_HOSTS must be a comma list of host names, each optionally with :port (e.g. gw.example.com,gw.internal:8787); ${allowed.bad.length} item${allowed.bad.length === 1 ? ' is' : 's are'} not.` });
  }
  const allowedHosts = Object.freeze(allowed.entries.map((e) => Object.freeze(e)));
  const hostProblem = listenHostProblem({ listenHost: host, publicUrl: rawPublic?.trim() || null, allowedHosts: allowed.entries.length ? allowed.entries : allowed.bad });
  if (hostProblem) problems.push({ variable: 'HOST', code: 'OPTIONS_INVALID', message: hostProblem });

  // --- caller authentication ---
  const apiKey = get('GATEWAY_API_KEY') ?? '';
  const localSandbox = parseBool('GATEWAY_LOCAL_SANDBOX', get('GATEWAY_LOCAL_SANDBOX'), problems);
  if (apiKey === '') {
    if (!(localSandbox && isLoopbackHost(host))) {
      problems.push({ variable: 'GATEWAY_API_KEY', code: 'OPTIONS_INVALID', message: 'GATEWAY_API_KEY is required (callers send it as X-API-Key). Running without one is allowed only when HOST is loopback and GATEWAY_LOCAL_SANDBOX=1.' });
    }
  } else if (apiKey.trim() !== apiKey || /[\u0000-\u001f\u007f]/.test(apiKey)) {
    problems.push({ variable: 'GATEWAY_API_KEY', code: 'OPTIONS_INVALID', message: 'GATEWAY_API_KEY must not contain spaces at either end or control characters (it is compared with the X-API-Key header as is).' });
  }
  // Optional key for the trigger unsubscribe URLs (docs/TRIGGERS.md §3.4); derived from the API
  // key when unset.
  const triggerSecret = get('GATEWAY_TRIGGER_SECRET') ?? '';
  if (triggerSecret !== '' && (triggerSecret.length < 32 || triggerSecret.trim() !== triggerSecret || /[\u0000-\u001f\u007f]/.test(triggerSecret))) {
    problems.push({ variable: 'GATEWAY_TRIGGER_SECRET', code: 'OPTIONS_INVALID', message: 'GATEWAY_TRIGGER_SECRET must be at least 32 characters without spaces at either end or control characters (for example the output of openssl rand -hex 32), or unset.' });
  }
  const allowCallerKeys = parseBool('GATEWAY_ALLOW_CALLER_KEYS', get('GATEWAY_ALLOW_CALLER_KEYS'), problems);

  // --- the server's Apple key ---
  const issuerId = (get('ASC_ISSUER_ID') ?? '').trim();
  const keyId = (get('ASC_KEY_ID') ?? '').trim();
  const inlineKey = get('ASC_PRIVATE_KEY') ?? '';
  const keyFile = (get('ASC_PRIVATE_KEY_FILE') ?? '').trim();
  const rawType = (get('ASC_KEY_TYPE') ?? '').trim().toLowerCase();
  let privateKey = inlineKey;
  if (inlineKey.trim() !== '' && keyFile !== '') {
    problems.push({ variable: 'ASC_PRIVATE_KEY_FILE', code: 'OPTIONS_INVALID', message: 'Set either ASC_PRIVATE_KEY (the key text) or ASC_PRIVATE_KEY_FILE (a path to the .p8 file), not both.' });
  } else if (keyFile !== '') {
    if (typeof files.privateKeyFile === 'string') {
      privateKey = files.privateKeyFile;
    } else {
      problems.push({ variable: 'ASC_PRIVATE_KEY_FILE', code: 'OPTIONS_INVALID', message: 'ASC_PRIVATE_KEY_FILE can only be used by the Node entry (asc-connector serve); on this runtime put the key text in ASC_PRIVATE_KEY.' });
    }
  }
  let individual = false;
  if (rawType !== '' && rawType !== 'team' && rawType !== 'individual') {
    problems.push({ variable: 'ASC_KEY_TYPE', code: 'OPTIONS_INVALID', message: 'ASC_KEY_TYPE must be "team" or "individual".' });
  } else {
    individual = rawType === 'individual';
  }
  let serverKey = null;
  const keyParts = { ASC_KEY_ID: keyId !== '', 'ASC_PRIVATE_KEY or ASC_PRIVATE_KEY_FILE': inlineKey.trim() !== '' || keyFile !== '' };
  if (!individual) keyParts.ASC_ISSUER_ID = issuerId !== '';
  const anyKeySetting = Object.values(keyParts).some(Boolean) || rawType !== '' || issuerId !== '';
  if (individual && issuerId !== '') {
    problems.push({ variable: 'ASC_ISSUER_ID', code: 'KEY_TYPE_CONFLICT', message: 'ASC_KEY_TYPE=individual keys have no issuer: remove ASC_ISSUER_ID, or use ASC_KEY_TYPE=team.' });
  } else if (anyKeySetting) {
    const missing = Object.entries(keyParts).filter(([, set]) => !set).map(([name]) => name);
    if (missing.length) {
      problems.push({ variable: missing[0], code: 'OPTIONS_INVALID', message: `The server's Apple key is only partly configured: missing ${missing.join(', ')}. Set all of them, or none to accept caller-supplied keys only.` });
    } else if (!problems.some((p) => p.variable === 'ASC_PRIVATE_KEY_FILE')) {
      const candidate = individual ? { keyId, individual: true, privateKey } : { keyId, issuerId, privateKey };
      try {
        // Construct a minter once so an unusable key stops start-up with its KEY_* code.
        const minter = new TokenMinter(minterOptions(candidate));
        minter.free();
        serverKey = Object.freeze(candidate);
      } catch (err) {
        const code = err && typeof err.code === 'string' ? err.code : 'KEY_INVALID';
        const message = err && typeof err.message === 'string' ? err.message : 'the key could not be read';
        problems.push({ variable: keyFile ? 'ASC_PRIVATE_KEY_FILE' : 'ASC_PRIVATE_KEY', code, message: `The server's Apple key is unusable (${code}): ${message}` });
      }
    }
  }

  const upstream = Object.freeze({
    attemptTimeoutMs: parseMs('GATEWAY_UPSTREAM_TIMEOUT_MS', get('GATEWAY_UPSTREAM_TIMEOUT_MS'), UPSTREAM_DEFAULTS.attemptTimeoutMs, MAX_BUDGET_MS, problems),
    budgetMs: parseMs('GATEWAY_UPSTREAM_BUDGET_MS', get('GATEWAY_UPSTREAM_BUDGET_MS'), UPSTREAM_DEFAULTS.budgetMs, MAX_BUDGET_MS, problems),
  });

  if (problems.length) throw configError(problems);

  const config = {
    host,
    port,
    baseUrl,
    publicUrl,
    allowedHosts,
    localSandbox,
    allowCallerKeys,
    upstream,
    /** A description safe to print (no secrets). */
    summary: Object.freeze({
      host,
      port,
      baseUrl,
      publicUrl,
      callerAuth: apiKey ? 'X-API-Key' : 'none (local sandbox)',
      serverKey: serverKey ? `${serverKey.individual ? 'individual' : 'team'} key ${keyId}` : 'none',
      callerKeys: !serverKey || allowCallerKeys ? 'accepted' : 'refused',
    }),
  };
  // Secrets are non-enumerable so that printing or JSON-serialising the config shows none of them.
  Object.defineProperty(config, 'apiKey', { value: apiKey, enumerable: false });
  Object.defineProperty(config, 'serverKey', { value: serverKey, enumerable: false });
  Object.defineProperty(config, 'triggerSecret', { value: triggerSecret === '' ? null : triggerSecret, enumerable: false });
  return Object.freeze(config);
}
