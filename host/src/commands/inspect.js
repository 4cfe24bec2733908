// `asc-connector inspect`: decode a token (without trusting it) and list every way it breaks Apple's
// rules, each with its code and a fix. Exit 1 when there is any problem, 0 for a clean token. The
// token text itself is never printed back.
import { parseFlags, reportError, UsageError } from '../cli.js';
import { parseSeconds, readFileOrStdin, readStream } from '../keyinput.js';
import { HELP as CODE_HELP, expiryInWords, issuedInWords, isoTime } from '../../../web/explain.js';

const SPEC = {
  now: 'string',
  'public-key-file': 'string',
  json: 'boolean',
  help: 'boolean',
};

export const HELP = `Usage: asc-connector inspect <jwt | -> [options]

Decodes an App Store Connect token without trusting it and lists every way it breaks Apple's
rules (algorithm, kid, audience, lifetime, iat/exp against now, iss/sub, DER signatures, ...).
Exit status: 0 when the token has no problem, 1 when it has one or more, 2 for usage errors.

Arguments:
  <jwt>                    The token; "-" (or no argument with a pipe) reads it from stdin.
Options:
  --now EPOCH              Judge expiry against this time (seconds since 1970) instead of the clock.
  --public-key-file F      Also verify the signature with this public key (SPKI PEM) or .p8 key.
  --json                   Print the inspection as JSON.
  --help                   Show this help.
`;

/** Renders an inspection as the human-readable report. */
export function formatInspection(result, now) {
  const lines = [];
  lines.push(result.header ? `Header:\n${indent(JSON.stringify(result.header, null, 2))}` : 'Header:    (could not be decoded)');
  lines.push(result.payload ? `Payload:\n${indent(JSON.stringify(result.payload, null, 2))}` : 'Payload:   (could not be decoded)');
  const iat = result.issuedAt ?? result.payload?.iat;
  const exp = result.expiresAt ?? result.payload?.exp;
  lines.push(`Issued:    ${issuedInWords(iat, now)}${isoTime(iat) ? ` (${isoTime(iat)})` : ''}`);
  lines.push(`Expires:   ${expiryInWords(exp, now)}${isoTime(exp) ? ` (${isoTime(exp)})` : ''}`);
  const lifetime = result.lifetimeSeconds ?? (typeof iat === 'number' && typeof exp === 'number' ? exp - iat : undefined);
  if (typeof lifetime === 'number') lines.push(`Lifetime:  ${lifetime} s (Apple's limit: 1200 s)`);
  lines.push(`Signature: ${describeEncoding(result.signatureEncoding)}${describeVerified(result.signatureVerified)}`);
  const problems = result.problems ?? [];
  if (problems.length === 0) {
    lines.push('', 'No problems found: App Store Connect should accept this token (if the key is valid and not revoked).');
  } else {
    lines.push('', `${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
    for (const p of problems) {
      const help = CODE_HELP[p.code];
      lines.push(`  ${p.code}: ${p.message}`);
      if (help) lines.push(`    fix: ${help[1]}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function indent(text) {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

function describeEncoding(encoding) {
  if (encoding === 'raw') return 'raw r‖s (64 bytes), as JWT ES256 requires';
  if (encoding === 'der') return 'ASN.1 DER (not accepted: JWT ES256 needs raw r‖s)';
  return 'unknown encoding';
}

function describeVerified(verified) {
  if (verified === true) return '; verified with the public key given';
  if (verified === false) return '; does NOT verify with the public key given';
  return '; not verified (give --public-key-file to check it)';
}

export async function run(argv, io) {
  try {
    const { flags, positionals } = parseFlags(argv, SPEC);
    if (flags.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('give one token (or "-" to read it from stdin)');
    let jwt;
    if (positionals.length === 1 && positionals[0] !== '-') jwt = positionals[0];
    else if (positionals[0] === '-' || (io.stdin && !io.stdin.isTTY)) jwt = await readStream(io.stdin, 'token');
    else throw new UsageError('no token: give it as an argument or pipe it on stdin with "-"');
    jwt = jwt.trim();
    if (jwt === '') throw new UsageError('no token: the input was empty');
    if (/^bearer\s+/i.test(jwt)) jwt = jwt.replace(/^bearer\s+/i, '');
    const now = flags.now !== undefined ? parseSeconds('now', flags.now) : Math.floor(Date.now() / 1000);
    const wasm = await import('asc-connector-wasm');
    let publicKey;
    if (flags['public-key-file'] !== undefined) {
      const text = await readFileOrStdin(flags['public-key-file'], io.stdin, 'public key');
      // A private key file is accepted too: derive its public half so the user need not.
      publicKey = /PUBLIC KEY-----/.test(text) ? text : wasm.publicKeyPem(text);
    }
    const result = publicKey === undefined ? wasm.inspectToken(jwt, now) : wasm.inspectToken(jwt, now, publicKey);
    if (flags.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout.write(formatInspection(result, now));
    return (result.problems ?? []).length > 0 ? 1 : 0;
  } catch (err) {
    return reportError(io, 'inspect', err);
  }
}
