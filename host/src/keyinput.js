// Shared helpers for the token tools (`token`, `inspect`): bounded readers for secrets that come
// from a file, from stdin or from the environment, so the commands never echo what they read.
// Flag parsing and error reporting live in cli.js (one parser for every command).
import { readFile } from 'node:fs/promises';
import { UsageError } from './cli.js';

/** Largest secret or token we accept from a file or stdin (a .p8 is about 250 bytes). */
export const MAX_INPUT_BYTES = 64 * 1024;

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
