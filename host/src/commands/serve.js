// `asc-connector serve [--port N] [--host H]`: runs the gateway on Node until SIGINT/SIGTERM.
// Configuration comes from the environment (see docs/DESIGN.md#the-gateway); a bad configuration exits 1 with every
// problem listed, a usage mistake exits 2. Request logs are JSON lines on stdout; status on stderr.
import { startGateway } from '../node.js';

const HELP = `Usage: asc-connector serve [--port N] [--host H]

Runs the App Store Connect gateway (Node entry). Settings come from the environment:
  ASC_ISSUER_ID, ASC_KEY_ID, ASC_PRIVATE_KEY or ASC_PRIVATE_KEY_FILE, ASC_KEY_TYPE (team|individual)
  GATEWAY_API_KEY (callers send it as X-API-Key), GATEWAY_ALLOW_CALLER_KEYS=1
  ASC_BASE_URL (default https://api.appstoreconnect.apple.com), HOST, PORT, PUBLIC_URL
  GATEWAY_LOCAL_SANDBOX=1 (allows an empty GATEWAY_API_KEY on a loopback HOST)

Options:
  --port N   listen on port N (overrides PORT; 0 picks a free port)
  --host H   listen on host H (overrides HOST)
  --help     show this help
`;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    const m = /^--(port|host)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown option "${arg}"`);
    let value = m[2];
    if (value === undefined) {
      i += 1;
      if (i >= argv.length) throw new Error(`--${m[1]} needs a value`);
      value = argv[i];
    }
    if (m[1] === 'port') {
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new Error('--port must be a whole number from 0 to 65535');
      out.port = Number(value);
    } else {
      if (!/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(value)) throw new Error('--host must be a host name or IP address');
      out.host = value;
    }
  }
  return out;
}

/** Waits for SIGINT or SIGTERM (or `io.stop`, a promise tests may pass). */
function waitForStop(io) {
  return new Promise((resolve) => {
    const onSignal = (sig) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (io.stop) io.stop.then(() => onSignal('stop'));
  });
}

export async function run(argv, io) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`asc-connector serve: ${err.message}. Run asc-connector serve --help.\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(HELP);
    return 0;
  }
  let gateway;
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
