// The command line's shared parts, used by every command in commands/: one flag parser, one way to
// report a mistake (`asc-connector <cmd>: message`, exit 2 for usage, 1 otherwise) and one wait for
// Ctrl-C (or SIGTERM) for the commands that run a server in the foreground.

/** A mistake in how the command was called; commands turn it into exit status 2. */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * How an unknown argument is named in a usage error: flag-shaped names are quoted, anything else
 * (for example a key pasted where a flag was expected) is never echoed.
 */
function describeArgument(arg) {
  return /^--?[A-Za-z][A-Za-z0-9-]{0,30}$/.test(arg) ? `"${arg}"` : 'an unrecognised argument (not shown)';
}

/**
 * Parses `argv` against `spec` = { name: 'string' | 'boolean' | 'list' }. Accepts `--name value`
 * and `--name=value`; `-h` is `--help`; `-` alone and words not starting with `--` are
 * positionals. Unknown flags, missing values, repeated flags and values given to booleans throw
 * UsageError.
 */
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

/** Parses a port number flag (0..65535; 0 = any free port); throws UsageError otherwise. */
export function parsePort(text, name = 'port') {
  if (!/^\d{1,5}$/.test(String(text)) || Number(text) > 65535) throw new UsageError(`--${name} must be a whole number from 0 to 65535 (0 = any free port)`);
  return Number(text);
}

/**
 * Parses a whole number flag from `min` to `max`; throws UsageError naming the range otherwise.
 */
export function parseCount(text, name, min, max) {
  if (!/^\d{1,9}$/.test(String(text)) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(text);
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

/**
 * Waits until the process gets SIGINT (Ctrl-C) or SIGTERM, or until an in-process caller (a test)
 * stops it through `io.stop` (a promise) or `io.signal` (an AbortSignal). Resolves to the signal
 * name, or 'stop'. Removes its listeners either way.
 */
export function waitForStop(io = {}) {
  return new Promise((resolve) => {
    const finish = (why) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.signal?.removeEventListener?.('abort', onAbort);
      resolve(why);
    };
    const onSignal = (sig) => finish(sig);
    const onAbort = () => finish('stop');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (io.stop) io.stop.then(() => finish('stop'));
    if (io.signal) {
      if (io.signal.aborted) onAbort();
      else io.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
