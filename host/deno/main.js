// Deno entry: `deno run --allow-read --allow-net --allow-env host/deno/main.js`.
// Reads the configuration from Deno.env (ASC_PRIVATE_KEY_FILE through config.js's readKeyFile, as
// the Node entry does), builds the runtime-agnostic handler and serves it with Deno.serve. The
// wasm package resolves to its browser/Deno entry through the "deno" export condition.
import { loadConfig, readKeyFile } from '../src/config.js';
import { createHandler } from '../src/handler.js';
import { GatewayError, errorResponse } from '../src/errors.js';
import { HOST_REFUSED_MESSAGE, hostAllowlist } from '../src/hosts.js';

/** Starts the gateway; resolves to { url, close(), handler }. Exported for embedding and tests. */
export async function startDenoGateway(env = Deno.env.toObject()) {
  const config = loadConfig(env, await readKeyFile(env, (path) => Deno.readTextFile(path)));
  const handler = createHandler(config);
  // The Host allowlist (hosts.js) needs the port actually listened on.
  let hostAllowed = () => false;
  let resolveListening;
  const listening = new Promise((resolve) => {
    resolveListening = resolve;
  });
  const server = Deno.serve(
    { hostname: config.host, port: config.port, onListen: (addr) => resolveListening(addr) },
    (request) => (hostAllowed(request.headers.get('host'))
      ? handler(request)
      : errorResponse(new GatewayError('HOST_NOT_ALLOWED', HOST_REFUSED_MESSAGE), crypto.randomUUID()).response),
  );
  const addr = await listening;
  hostAllowed = hostAllowlist({ listenHost: config.host, port: addr.port, publicUrl: config.publicUrl, allowedHosts: config.allowedHosts });
  const host = addr.hostname.includes(':') ? `[${addr.hostname}]` : addr.hostname;
  return {
    url: `http://${host}:${addr.port}`,
    handler,
    async close() {
      await server.shutdown();
      handler.close();
    },
  };
}

if (import.meta.main) {
  try {
    const gateway = await startDenoGateway();
    console.error(`asc-connector gateway (Deno) listening on ${gateway.url}`);
    const stop = async () => {
      await gateway.close();
      Deno.exit(0);
    };
    Deno.addSignalListener('SIGINT', stop);
    Deno.addSignalListener('SIGTERM', stop);
  } catch (err) {
    console.error(`asc-connector gateway: ${err?.message ?? String(err)}`);
    Deno.exit(1);
  }
}
