// `asc-connector serve [--port N] [--host H]`: runs the gateway on Node until SIGINT/SIGTERM.
// Configuration comes from the environment (see docs/DESIGN.md#the-gateway); a bad configuration exits 1 with every
// problem listed, a usage mistake exits 2. Request logs are JSON lines on stdout; status on stderr.
import { parseFlags, parsePort, reportError, UsageError, waitForStop } from '../cli.js';
import { startGateway, tuneV8ForGateway } from '../node.js';

const HELP = `Usage: asc-connector serve [--port N] [--host H]

Runs the App Store Connect gateway (Node entry). Settings come from the environment:
  ASC_ISSUER_ID, ASC_KEY_ID, ASC_PRIVATE_KEY or ASC_PRIVATE_KEY_FILE, ASC_KEY_TYPE (team|individual)
  GATEWAY_API_KEY (callers send it as X-API-Key), GATEWAY_ALLOW_CALLER_KEYS=1
  ASC_BASE_URL (default https://api.appstoreconnect.apple.com), HOST, PORT, PUBLIC_URL
  GATEWAY_LOCAL_SANDBOX=1 (allows an empty GATEWAY_API_KEY on a loopback HOST)
  GATEWAY_ALLOWED_HOSTS (more Host names callers may use; a non-loopback HOST needs it or PUBLIC_URL)

Options:
  --port N   listen on port N (overrides PORT; 0 picks a free port)
  --host H   listen on host H (overrides HOST)
  --help     show this help
`;

export async function run(argv, io) {
  const args = {};
  try {
    const { flags, positionals } = parseFlags(argv, { port: 'string', host: 'string', help: 'boolean' });
    if (flags.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError('serve takes no arguments besides --port and --host (settings come from the environment)');
    if (flags.port !== undefined) args.port = parsePort(flags.port);
    if (flags.host !== undefined) {
      if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(flags.host)) throw new UsageError('--host must be a host name or IP address');
      args.host = flags.host;
    }
  } catch (err) {
    return reportError(io, 'serve', err);
  }
  let gateway;
  // This process only serves the gateway: V8's settings for that (node.js).
  tuneV8ForGateway();
  try {
    gateway = await startGateway({
      env: io.env,
      host: args.host,
      port: args.port,
      deps: { log: (entry) => io.stdout.write(`${JSON.stringify(entry)}\n`) },
    });
  } catch (err) {
    if (err && Array.isArray(err.problems)) {
      io.stderr.write(`asc-connector serve: ${err.message}\n`);
    } else {
      io.stderr.write(`asc-connector serve: could not start (${err && err.code ? err.code : 'error'}): ${err && err.message ? err.message : String(err)}\n`);
    }
    return 1;
  }
  const s = gateway.config.summary;
  io.stderr.write(`asc-connector gateway listening on ${gateway.url} (upstream ${s.baseUrl}; server key: ${s.serverKey}; caller keys: ${s.callerKeys}; caller auth: ${s.callerAuth})\n`);
  const signal = await waitForStop(io);
  io.stderr.write(`asc-connector gateway: ${signal === 'stop' ? 'stopping' : `received ${signal}, stopping`}\n`);
  await gateway.close();
  return 0;
}
