// Shared helpers for the token tools (`token`, `inspect`): a tiny flag parser and bounded readers
// for secrets that come from a file, from stdin or from the environment. They exist so the commands
// never echo what they read and report usage mistakes the same way (exit 2, one line).
import { readFile } from 'node:fs/promises';

/** Largest secret or token we accept from a file or stdin (a .p8 is about 250 bytes). */
export const MAX_INPUT_BYTES = 64 * 1024;

/** A mistake in how the command was called; commands turn it into exit status 2. */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` against `spec` = { name: 'string' | 'boolean' | 'list' }. Accepts `--name value`
 * and `--name=value`; `-` alone and words not starting with `--` are positionals. Unknown flags,
 * missing values and values given to booleans throw UsageError.
 */
/**
 * How an unknown argument is named in a usage error: flag-shaped names are quoted, anything else
 * (for example a key pasted where a flag was expected) is never echoed.
 */
function describeArgument(arg) {
  return /^--?[A-Za-z][A-Za-z0-9-]{0,30}$/.test(arg) ? `"${arg}"` : 'an unrecognised argument (not shown)';
}

export function parseFlags(argv, spec) {
  const flags = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') {
        if (arg === '-h') {
          flags.help = true;
          continue;
        }
        throw new UsageError(`unknown option ${describeArgument(arg)}`);
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new UsageError(`unknown option ${describeArgument(`--${name}`)}`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      i += 1;
      value = argv[i];
    }
    if (kind === 'list') (flags[name] ??= []).push(value);
    else if (Object.hasOwn(flags, name)) throw new UsageError(`--${name} given twice`);
    else flags[name] = value;
  }
  return { flags, positionals };
}

/** Parses a whole number of seconds for `--name`; throws UsageError when it is not one. */
export function parseSeconds(name, text) {
  if (!/^\d{1,12}$/.test(String(text).trim())) {
    throw new UsageError(`--${name} must be a whole number of seconds, e.g. ${name === 'now' ? '1767225600' : '900'}`);
  }
  return Number(String(text).trim());
}

/**
 * Reads a readable stream to a string, refusing more than MAX_INPUT_BYTES. The content is never
 * included in an error.
 */
export async function readStream(stream, what) {
  const chunks = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new InputError(`${what} on stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A failure to read input (file missing, too large); commands turn it into exit status 1. */
export class InputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InputError';
  }
}

/** Reads a file (path `-` means stdin), bounded; errors name the path but never the content. */
export async function readFileOrStdin(path, stdin, what) {
  if (path === '-') return readStream(stdin, what);
  let data;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new InputError(`cannot read ${what} file "${path}" (${err.code ?? 'read error'})`);
  }
  if (data.length > MAX_INPUT_BYTES) throw new InputError(`${what} file "${path}" is larger than ${MAX_INPUT_BYTES} bytes`);
  return data.toString('utf8');
}

/**
 * Finds the private key: `--private-key-file` (or `-` for stdin), else `ASC_PRIVATE_KEY`, else
 * `ASC_PRIVATE_KEY_FILE`, else stdin when it is not a terminal. Returns the text, untouched (the
 * wasm parser handles every shape people paste).
 */
export async function readPrivateKey(flagPath, io) {
  const env = io.env ?? {};
  if (flagPath !== undefined) return readFileOrStdin(flagPath, io.stdin, 'private key');
  if (env.ASC_PRIVATE_KEY) return env.ASC_PRIVATE_KEY;
  if (env.ASC_PRIVATE_KEY_FILE) return readFileOrStdin(env.ASC_PRIVATE_KEY_FILE, io.stdin, 'private key');
  if (io.stdin && !io.stdin.isTTY) return readStream(io.stdin, 'private key');
  throw new UsageError('no private key: give --private-key-file FILE, set ASC_PRIVATE_KEY, or pipe the .p8 on stdin');
}

/** Writes one error line `asc-connector <cmd>: [CODE: ]message` and returns the exit status. */
export function reportError(io, command, err) {
  if (err instanceof UsageError) {
    io.stderr.write(`asc-connector ${command}: ${err.message}. Run asc-connector ${command} --help.\n`);
    return 2;
  }
  const code = err && typeof err.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(err.code) ? `${err.code}: ` : '';
  const message = err && err.message ? String(err.message).split('\n')[0] : String(err);
  io.stderr.write(`asc-connector ${command}: ${code}${message}\n`);
  return 1;
}
