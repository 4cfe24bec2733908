// `asc-connector token`: mint one App Store Connect token with the wasm core and print it. The key
// is read from a file, ASC_PRIVATE_KEY or stdin and is never echoed; errors are one line with the
// core's stable code (exit 1), usage mistakes exit 2.
import { parseFlags, reportError, UsageError } from '../cli.js';
import { parseSeconds, readPrivateKey } from '../keyinput.js';

const SPEC = {
  'key-id': 'string',
  'issuer-id': 'string',
  individual: 'boolean',
  'private-key-file': 'string',
  lifetime: 'string',
  scope: 'list',
  now: 'string',
  help: 'boolean',
};

export const HELP = `Usage: asc-connector token --key-id ID (--issuer-id UUID | --individual) [options]

Mints one ES256 token for the App Store Connect API and prints it (nothing else) to stdout.

Options:
  --key-id ID              Key ID (the KEYID in AuthKey_KEYID.p8). Default: $ASC_KEY_ID
  --issuer-id UUID         Issuer ID of a team key. Default: $ASC_ISSUER_ID
  --individual             The key is an individual key (token carries sub "user", no iss).
                           Default when $ASC_KEY_TYPE is "individual".
  --private-key-file F     The .p8 file; "-" reads stdin. Otherwise $ASC_PRIVATE_KEY (contents),
                           $ASC_PRIVATE_KEY_FILE (path), or stdin when it is not a terminal.
  --lifetime S             Seconds between iat and exp, 240..1200 (default 900).
  --scope "GET /v1/apps"   Limit the token to a request; repeat for several.
  --now EPOCH              Use this time (seconds since 1970) instead of the clock.
  --help                   Show this help.

Example:
  asc-connector token --key-id 2X9R4HXF34 --issuer-id 57246542-96fe-1a63-e053-0824d011072a \\
    --private-key-file AuthKey_2X9R4HXF34.p8
`;

/** Builds the mint options from flags and environment; throws UsageError for missing/contradictory input. */
export function tokenOptions(flags, env) {
  const keyId = flags['key-id'] ?? env.ASC_KEY_ID;
  if (!keyId) throw new UsageError('no key ID: give --key-id or set ASC_KEY_ID');
  if (flags.individual && flags['issuer-id'] !== undefined) {
    throw new UsageError('--issuer-id and --individual contradict each other: team keys have an issuer ID, individual keys do not');
  }
  const keyType = (env.ASC_KEY_TYPE ?? '').trim().toLowerCase();
  if (keyType && keyType !== 'team' && keyType !== 'individual') {
    throw new UsageError('ASC_KEY_TYPE must be "team" or "individual"');
  }
  const individual = Boolean(flags.individual) || (flags['issuer-id'] === undefined && keyType === 'individual');
  const options = { keyId };
  if (individual) options.individual = true;
  else {
    const issuerId = flags['issuer-id'] ?? env.ASC_ISSUER_ID;
    if (!issuerId) throw new UsageError('no issuer ID: give --issuer-id UUID (team key) or --individual (individual key), or set ASC_ISSUER_ID');
    options.issuerId = issuerId;
  }
  if (flags.lifetime !== undefined) options.lifetimeSeconds = parseSeconds('lifetime', flags.lifetime);
  if (flags.scope) options.scope = flags.scope;
  return options;
}

export async function run(argv, io) {
  let flags;
  try {
    ({ flags } = parseFlagsNoPositionals(argv));
    if (flags.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const env = io.env ?? {};
    const options = tokenOptions(flags, env);
    const now = flags.now !== undefined ? parseSeconds('now', flags.now) : Math.floor(Date.now() / 1000);
    options.privateKey = await readPrivateKey(flags['private-key-file'], io);
    const { mintToken } = await import('asc-connector-wasm');
    const token = mintToken(options, now);
    io.stdout.write(`${token}\n`);
    return 0;
  } catch (err) {
    return reportError(io, 'token', err);
  }
}

function parseFlagsNoPositionals(argv) {
  const parsed = parseFlags(argv, SPEC);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0] === '-' ? '-' : 'positional'}" (the key goes in --private-key-file, ASC_PRIVATE_KEY or stdin)`);
  return parsed;
}
