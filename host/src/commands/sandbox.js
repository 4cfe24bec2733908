// `asc-connector sandbox`: runs the local App Store Connect stand-in in the foreground on loopback, so flows and
// the gateway can be tried without an Apple account. It trusts exactly one key, given by its public half (or the
// .p8 file, whose public half is derived here and never printed). Stops on SIGINT/SIGTERM.
import { readFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startSandbox } from '../sandbox/server.js';

const HELP = `Usage: asc-connector sandbox [options]

Runs a local App Store Connect stand-in (every path of spec/apple-apps-4.4.1.json: apps, versions, builds,
reviews, beta groups and testers) on 127.0.0.1. It checks tokens the way Apple does and serves deterministic
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
    throw Object.assign(new Error(`--public-key-file could not be read (${err.code ?? 'error'}): ${file}`), { exitCode: 2 });
  }
  try {
    const key = createPublicKey(text);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('not P-256');
    }
    return key.export({ type: 'spki', format: 'pem' });
  } catch {
    throw Object.assign(
      new Error('--public-key-file must hold a P-256 key as PEM: a PUBLIC KEY (SPKI) or the .p8 PRIVATE KEY from App Store Connect'),
      { exitCode: 2 },
    );
  }
}

function usageError(io, message) {
  io.stderr.write(`asc-connector sandbox: ${message}\n`);
  return 2;
}

/** Parses the command line into startSandbox options, or returns an exit code after writing the error. */
async function optionsFrom(argv, io) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'key-id': { type: 'string' },
        'issuer-id': { type: 'string' },
        individual: { type: 'boolean' },
        'public-key-file': { type: 'string' },
        apps: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usageError(io, `${err.message}. Run asc-connector sandbox --help.`);
  }
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const options = { apps: 30 };
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) return usageError(io, '--port must be a number from 0 to 65535');
    options.port = Number(values.port);
  }
  if (values.apps !== undefined) {
    if (!/^\d{1,4}$/.test(values.apps) || Number(values.apps) > 600) return usageError(io, '--apps must be a number from 0 to 600');
    options.apps = Number(values.apps);
  }
  if (values.seed !== undefined) options.seed = /^\d{1,9}$/.test(values.seed) ? Number(values.seed) : values.seed;

  const keyFlags = ['key-id', 'issuer-id', 'individual', 'public-key-file'].filter((f) => values[f] !== undefined);
  if (keyFlags.length > 0) {
    if (!values['key-id']) return usageError(io, '--key-id is required when a key is given');
    if (!values['public-key-file']) return usageError(io, '--public-key-file is required when a key is given');
    if (values.individual && values['issuer-id']) return usageError(io, 'give either --issuer-id (team key) or --individual, not both');
    if (!values.individual && !values['issuer-id']) return usageError(io, 'give --issuer-id UUID for a team key, or --individual');
    if (values['issuer-id'] && !ISSUER_ID.test(values['issuer-id'])) {
      return usageError(io, '--issuer-id must look like 57246542-96fe-1a63-e053-0824d011072a (8-4-4-4-12 hex)');
    }
    try {
      const publicKeyPem = await publicPemFrom(values['public-key-file']);
      options.keys = [
        values.individual
          ? { kid: values['key-id'], publicKeyPem, individual: true }
          : { kid: values['key-id'], publicKeyPem, issuerId: values['issuer-id'] },
      ];
    } catch (err) {
      return usageError(io, err.message);
    }
  }
  return options;
}

/** Entry point: `asc-connector sandbox ...`. Resolves with the exit code once stopped. */
export async function run(argv, io) {
  const options = await optionsFrom(argv, io);
  if (typeof options === 'number') return options;
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

  await new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener?.('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // In-process callers (tests) may pass io.signal, an AbortSignal, to stop the sandbox.
    if (io.signal) {
      if (io.signal.aborted) stop();
      else io.signal.addEventListener('abort', stop, { once: true });
    }
  });
  const { requests, rejectedTokens } = running.sandbox.stats;
  await running.close();
  io.stdout.write(`sandbox stopped after ${requests} requests (${rejectedTokens} with a rejected token)\n`);
  return 0;
}
