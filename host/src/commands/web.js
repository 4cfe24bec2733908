// `asc-connector web`: serve the token page (web/) and the wasm package (pkg/ under /pkg/) on
// loopback only, with a strict Content-Security-Policy, or write both into one deployable folder
// (`--out DIR`). The page does all work in the browser; this server only hands out static files.
import { createServer } from 'node:http';
import { cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseFlags, parsePort, reportError, UsageError, waitForStop } from '../cli.js';
import { GatewayError, describeError } from '../errors.js';
import { HOST_REFUSED_MESSAGE, hostAllowlist, isLoopbackHost } from '../hosts.js';

export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
export const PKG_DIR = fileURLToPath(new URL('../../../pkg/', import.meta.url));

/** The policy sent with every answer: only our own files, wasm compilation allowed, nothing else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
  'Cache-Control': 'no-store',
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
};

/** Maps a URL path to a file under web/ or pkg/, or null when it is outside them or not servable. */
export function resolveStatic(urlPath, { webDir = WEB_DIR, pkgDir = PKG_DIR } = {}) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  let root = webDir;
  let rest = decoded;
  if (decoded === '/pkg' || decoded.startsWith('/pkg/')) {
    root = pkgDir;
    rest = decoded.slice('/pkg'.length);
  }
  if (rest === '' || rest.endsWith('/')) rest += 'index.html';
  const file = path.resolve(root, `.${path.posix.normalize(`/${rest}`)}`);
  if (!file.startsWith(path.resolve(root) + path.sep)) return null;
  const ext = path.extname(file);
  if (!Object.hasOwn(TYPES, ext)) return null;
  if (path.basename(file).startsWith('.')) return null;
  return { file, type: TYPES[ext] };
}

function send(res, status, type, body, head = false) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/**
 * Starts the static server on `host` (loopback only) and `port` (0 = any free port). Resolves to
 * `{ url, port, close() }`. Requests whose Host header is not a loopback name (hosts.js) are
 * refused with 421, so a DNS-rebinding page cannot read the served files through another name.
 */
export async function startWebServer({ port = 0, host = '127.0.0.1', webDir = WEB_DIR, pkgDir = PKG_DIR } = {}) {
  if (!isLoopbackHost(host)) {
    throw new UsageError('the token page is served on loopback only (127.0.0.1)');
  }
  // Set once listening (the allowlist needs the actual port); nothing is served before.
  let hostAllowed = () => false;
  const server = createServer(async (req, res) => {
    try {
      if (!hostAllowed(req.headers.host ?? '')) {
        const refused = describeError(new GatewayError('HOST_NOT_ALLOWED', HOST_REFUSED_MESSAGE));
        return send(res, refused.status, 'application/json; charset=utf-8', refused.body);
      }
      const head = req.method === 'HEAD';
      if (req.method !== 'GET' && !head) {
        res.setHeader('Allow', 'GET, HEAD');
        return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const target = resolveStatic(url.pathname, { webDir, pkgDir });
      if (!target) return send(res, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
      let body;
      try {
        const info = await stat(target.file);
        if (!info.isFile()) return send(res, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
        body = await readFile(target.file);
      } catch {
        return send(res, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
      }
      return send(res, 200, target.type, body, head);
    } catch {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n');
      else res.destroy();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = server.address().port;
  hostAllowed = hostAllowlist({ listenHost: host, port: actual });
  const shownHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${shownHost}:${actual}/`,
    port: actual,
    server,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

/**
 * Writes a deployable copy: web/ at DIR, pkg/ at DIR/pkg, and a `_headers` file carrying the same
 * security headers for static hosts that read one (Cloudflare Pages, Netlify).
 */
export async function writeDist(outDir, { webDir = WEB_DIR, pkgDir = PKG_DIR } = {}) {
  await mkdir(outDir, { recursive: true });
  await cp(webDir, outDir, { recursive: true });
  await cp(pkgDir, path.join(outDir, 'pkg'), {
    recursive: true,
    filter: (src) => !path.basename(src).startsWith('.') && path.basename(src) !== 'node_modules',
  });
  const headers = Object.entries(SECURITY_HEADERS).filter(([k]) => k !== 'Cache-Control').map(([k, v]) => `  ${k}: ${v}`);
  await writeFile(path.join(outDir, '_headers'), `/*\n${headers.join('\n')}\n`);
}

export const HELP = `Usage: asc-connector web [--port N] | --out DIR

Serves the token page on http://127.0.0.1:N/ (loopback only; default port 8790, 0 = any free port).
The page mints and inspects tokens inside the browser with the wasm package; the key never leaves
the page and nothing is stored.

Options:
  --port N     Port to listen on (default 8790).
  --out DIR    Instead of serving, write web/ and pkg/ into DIR as a static site (with _headers).
  --help       Show this help.
`;

export async function run(argv, io) {
  try {
    const { flags, positionals } = parseFlags(argv, { port: 'string', out: 'string', help: 'boolean' });
    if (flags.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (flags.out !== undefined) {
      if (flags.port !== undefined) throw new UsageError('--out writes files and --port serves them; give one');
      await writeDist(path.resolve(flags.out));
      io.stdout.write(`Wrote the token page to ${path.resolve(flags.out)} (open index.html through any static server)\n`);
      return 0;
    }
    const port = flags.port === undefined ? 8790 : parsePort(flags.port);
    const web = await startWebServer({ port });
    io.stdout.write(`Token page: ${web.url}\n(Press Ctrl+C to stop.)\n`);
    await waitForStop(io);
    await web.close();
    return 0;
  } catch (err) {
    if (err && err.code === 'EADDRINUSE') {
      io.stderr.write('asc-connector web: the port is in use; choose another with --port N (0 = any free port)\n');
      return 1;
    }
    return reportError(io, 'web', err);
  }
}
