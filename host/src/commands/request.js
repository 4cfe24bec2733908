// `asc-connector request METHOD PATH`: curl for App Store Connect with checking and signing. The
// request is checked against Apple's whole spec by the same planner as the gateway's
// POST /v1/request (every problem named, nothing sent), signed with the key from the same flags
// and ASC_* variables as `token`, and sent under the same rules (GETs: the read retry policy;
// writes: sent once, write-policy.js). Prints flat records by default, Apple's document with --raw.
// Exit status: 0 for a 2xx answer (or a --dry-run that passed the check), 1 for a refused request,
// an error answer or no answer, 2 for usage mistakes.
import { parseFlags, reportError, UsageError } from '../cli.js';
import { readFileOrStdin, readPrivateKey } from '../keyinput.js';
import { parseBaseUrl } from '../config.js';
import { defaultDeps } from '../handler.js';
import { anyRequestPlanner } from '../anyrequest-route.js';
import { UPSTREAM_DEFAULTS, callUpstream } from '../upstream.js';
import { sendWriteOnce } from '../write-policy.js';
import { tokenOptions } from './token.js';

const SPEC = {
  query: 'list',
  body: 'string',
  raw: 'boolean',
  'dry-run': 'boolean',
  'key-id': 'string',
  'issuer-id': 'string',
  individual: 'boolean',
  'private-key-file': 'string',
  help: 'boolean',
};

export const HELP = `Usage: asc-connector request METHOD PATH [--query NAME=VALUE]... [--body JSON|@FILE] [options]

Checks one App Store Connect request against Apple's spec (path, method, every query parameter
and body field; every problem is named and nothing is sent), then signs it and sends it.
Prints the answer as flat records, or Apple's JSON:API document with --raw.
Exit status: 0 for a 2xx answer, 1 when the request is refused or Apple answers an error, 2 for
usage errors.

Arguments:
  METHOD                   GET, POST, PATCH or DELETE.
  PATH                     Apple's path with the ids filled in, e.g. /v1/apps/6446998023/appInfos.
Options:
  --query NAME=VALUE       A query parameter in Apple's form (lists comma-separated); repeat it.
  --body JSON | @FILE      The JSON:API request body, inline or from a file ("@-" reads stdin).
  --raw                    Print Apple's document instead of flat records.
  --dry-run                Check only: print the method, full URL and body; no key, no network.
  --key-id, --issuer-id, --individual, --private-key-file
                           The Apple key, exactly as for "asc-connector token" (or ASC_KEY_ID,
                           ASC_ISSUER_ID, ASC_KEY_TYPE, ASC_PRIVATE_KEY, ASC_PRIVATE_KEY_FILE).
  --help                   Show this help.
Environment:
  ASC_BASE_URL             Where to send (default https://api.appstoreconnect.apple.com; plain
                           http only for a loopback host such as the local sandbox).

Example:
  asc-connector request GET /v1/apps --query 'filter[bundleId]=com.example.app' --query limit=5
`;

/** `--query NAME=VALUE` flags as the planner's query object (a repeated name becomes a list). */
export function queryObject(items = []) {
  const query = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError('--query takes NAME=VALUE, e.g. --query limit=5');
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (!Object.hasOwn(query, name)) query[name] = value;
    else query[name] = [query[name]].flat().concat(value);
  }
  return query;
}

/** The base URL from ASC_BASE_URL, checked by the gateway's own rule (config.js). */
function baseUrlFrom(env) {
  const problems = [];
  const baseUrl = parseBaseUrl(env.ASC_BASE_URL, problems);
  if (problems.length > 0) throw new UsageError(problems[0].message.replace(/\.$/, ''));
  return baseUrl;
}

/** Writes `asc-connector request: CODE: message` and one line per detail; returns 1. */
function reportProblems(io, err) {
  const status = reportError(io, 'request', err);
  for (const d of Array.isArray(err?.details) ? err.details : []) {
    io.stderr.write(`  ${d.parameter ? `${d.parameter}: ` : ''}${d.code}: ${d.message}\n`);
  }
  return status;
}

export async function run(argv, io) {
  try {
    const { flags, positionals } = parseFlags(argv, SPEC);
    if (flags.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError('give METHOD and PATH, e.g. asc-connector request GET /v1/apps');
    const env = io.env ?? {};
    const [method, path] = positionals;
    const envelope = { method, path, query: queryObject(flags.query) };
    if (flags.body !== undefined) {
      envelope.body = flags.body.startsWith('@') ? await readFileOrStdin(flags.body.slice(1), io.stdin, 'body') : flags.body;
    }
    const baseUrl = baseUrlFrom(env);
    const planAnyRequest = await anyRequestPlanner();
    let plan;
    try {
      plan = planAnyRequest(envelope);
    } catch (err) {
      return reportProblems(io, err);
    }
    const target = `${baseUrl}${plan.path}${plan.query ? `?${plan.query}` : ''}`;
    if (flags['dry-run']) {
      io.stdout.write(`${plan.method} ${target}\n`);
      if (plan.body !== null) io.stdout.write(`\n${plan.body}\n`);
      return 0;
    }

    const options = tokenOptions(flags, env);
    options.privateKey = await readPrivateKey(flags['private-key-file'], io);
    const wasm = await import('asc-connector-wasm');
    const minter = new wasm.TokenMinter(options);
    try {
      const deps = defaultDeps();
      const getToken = async () => {
        const before = minter.mintCount;
        const token = minter.token(deps.now());
        return { token, minted: minter.mintCount > before, invalidate: () => minter.invalidate() };
      };
      const up = plan.method === 'GET'
        ? await callUpstream({ url: target, getToken, deps, policy: UPSTREAM_DEFAULTS })
        : await sendWriteOnce({ url: target, method: plan.method, body: plan.body, getToken, deps, policy: UPSTREAM_DEFAULTS });
      const ok = up.status >= 200 && up.status < 300;
      if (ok && up.body.byteLength === 0) return 0;
      if (ok && flags.raw) {
        io.stdout.write(`${new TextDecoder().decode(up.body)}\n`);
        return 0;
      }
      const shaped = wasm.shapeResponse(plan.operationId, up.status, up.body, {
        baseUrl,
        path: plan.path,
        query: plan.query.split('&').filter((p) => p !== '' && !p.startsWith('cursor=')).join('&'),
        upstreamOrigin: new URL(baseUrl).origin,
        raw: false,
      });
      if (shaped.status < 300) {
        io.stdout.write(`${JSON.stringify(JSON.parse(shaped.body), null, 2)}\n`);
        return 0;
      }
      const { error } = JSON.parse(shaped.body);
      return reportProblems(io, error);
    } finally {
      minter.free();
    }
  } catch (err) {
    return reportProblems(io, err);
  }
}
