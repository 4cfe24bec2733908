// `asc-connector sandbox`: runs the local App Store Connect stand-in in the foreground on loopback, so flows and
// the gateway can be tried without an Apple account. It trusts exactly one key, given by its public half (or the
// .p8 file, whose public half is derived here and never printed). Stops on SIGINT/SIGTERM.
import { readFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { parseCount, parseFlags, parsePort, reportError, UsageError, waitForStop } from '../cli.js';
import { startSandbox } from '../sandbox/server.js';

const HELP = `Usage: asc-connector sandbox [options]

Runs a local App Store Connect stand-in (every path of spec/apple-apps-4.4.1.json: apps, versions, builds,
reviews, beta groups and testers, an app's webhooks) on 127.0.0.1, plus Apple's webhooks resource (create,
read, delete, pings; 10 per app) for the triggers. It checks tokens the way Apple does and serves deterministic
linked sample data with Apple's paging, include, filters and error bodies.

Options:
  --port N                 port to listen on (default 0: any free port; the URL is printed)
  --key-id ID              the key id (kid) tokens are signed with
  --issuer-id UUID         team key: the issuer id tokens must carry as iss
  --individual             individual key: tokens must carry sub "user" and no iss
  --public-key-file FILE   the key's public half (SPKI PEM), or the .p8 private key (only its public half is used)
  --apps N                 number of sample apps (default 30)
  --seed S                 data seed (default 1)
  -h, --help               show this help

Without a key every request is answered 401, as Apple would. Point the gateway at it with
ASC_BASE_URL=<printed URL>.
`;

const ISSUER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads a PEM file and returns the SPKI PEM of its public half (accepts public or private keys). */
async function publicPemFrom(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--public-key-file could not be read (${err.code ?? 'error'}): ${file}`);
  }
  try {
    const key = createPublicKey(text);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('not P-256');
    }
    return key.export({ type: 'spki', format: 'pem' });
  } catch {
    throw new UsageError('--public-key-file must hold a P-256 key as PEM: a PUBLIC KEY (SPKI) or the .p8 PRIVATE KEY from App Store Connect');
  }
}

/** Parses the command line into startSandbox options (or { help: true }); throws UsageError. */
async function optionsFrom(argv) {
  const { flags: values, positionals } = parseFlags(argv, {
    port: 'string',
    'key-id': 'string',
    'issuer-id': 'string',
    individual: 'boolean',
    'public-key-file': 'string',
    apps: 'string',
    seed: 'string',
    help: 'boolean',
  });
  if (values.help) return { help: true };
  if (positionals.length > 0) throw new UsageError('the sandbox takes options only (see --help)');
  const options = { apps: 30 };
  if (values.port !== undefined) options.port = parsePort(values.port);
  if (values.apps !== undefined) options.apps = parseCount(values.apps, 'apps', 0, 600);
  if (values.seed !== undefined) options.seed = /^\d{1,9}$/.test(values.seed) ? Number(values.seed) : values.seed;

  const keyFlags = ['key-id', 'issuer-id', 'individual', 'public-key-file'].filter((f) => values[f] !== undefined);
  if (keyFlags.length > 0) {
    if (!values['key-id']) throw new UsageError('--key-id is required when a key is given');
    if (!values['public-key-file']) throw new UsageError('--public-key-file is required when a key is given');
    if (values.individual && values['issuer-id']) throw new UsageError('give either --issuer-id (team key) or --individual, not both');
    if (!values.individual && !values['issuer-id']) throw new UsageError('give --issuer-id UUID for a team key, or --individual');
    if (values['issuer-id'] && !ISSUER_ID.test(values['issuer-id'])) {
      throw new UsageError('--issuer-id must look like 57246542-96fe-1a63-e053-0824d011072a (8-4-4-4-12 hex)');
    }
    const publicKeyPem = await publicPemFrom(values['public-key-file']);
    options.keys = [
      values.individual
        ? { kid: values['key-id'], publicKeyPem, individual: true }
        : { kid: values['key-id'], publicKeyPem, issuerId: values['issuer-id'] },
    ];
  }
  return options;
}

/** Entry point: `asc-connector sandbox ...`. Resolves with the exit code once stopped. */
export async function run(argv, io) {
  let options;
  try {
    options = await optionsFrom(argv);
  } catch (err) {
    return reportError(io, 'sandbox', err);
  }
  if (options.help) {
    io.stdout.write(HELP);
    return 0;
  }
  let running;
  try {
    running = await startSandbox(options);
  } catch (err) {
    io.stderr.write(`asc-connector sandbox: could not start: ${err.message}\n`);
    return 1;
  }
  const key = options.keys?.[0];
  const keyText = key ? `key ${key.kid} (${key.individual ? 'individual' : 'team'})` : 'no key configured: every request gets 401';
  io.stdout.write(`sandbox listening on ${running.url} (${running.sandbox.catalogue.apps.length} apps, ${keyText}); Ctrl-C stops it\n`);
  // In-process callers (tests) may pass io.signal, an AbortSignal, to stop the sandbox.
  await waitForStop(io);
  const { requests, rejectedTokens } = running.sandbox.stats;
  await running.close();
  io.stdout.write(`sandbox stopped after ${requests} requests (${rejectedTokens} with a rejected token)\n`);
  return 0;
}
