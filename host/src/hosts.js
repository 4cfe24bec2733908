// The Host allowlist: which `Host` header values a server that owns a listen address answers.
// One rule for the gateway's Node and Deno entries, the token-page server (`asc-connector web`) and
// the sandbox: a request is served only when its Host names
//   - the host of PUBLIC_URL,
//   - the listen address (with the port actually listened on),
//   - a loopback name (localhost, 127.0.0.1, [::1]), with no port or the listen port,
//   - or an entry of GATEWAY_ALLOWED_HOSTS (a comma list of names, each optionally with :port).
// Anything else (another name, an IP, the upstream's host:port, an empty Host, a Host with a path or
// user info) is refused with 421 Misdirected Request before anything else happens. With no
// PUBLIC_URL and a loopback listen address only loopback names pass, which stops a DNS-rebinding
// page (a hostile name that resolves to 127.0.0.1) from driving a local server through the browser.
// A server that listens on a non-loopback address with neither PUBLIC_URL nor GATEWAY_ALLOWED_HOSTS
// would answer 421 to every call, so `listenHostProblem` stops such a start-up instead.
// Entries without a listen address of their own (Cloudflare Workers) do not use this module: the
// platform routes only the Worker's own host names to it. Runtime-agnostic: no `node:` imports.

/** The loopback names every local server answers to. */
export const LOOPBACK_NAMES = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/** A host name, an IPv4 address or a bracketed IPv6 literal, then an optional :port. */
const HOST_VALUE = /^((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** Whether a listen address (HOST, as given to listen()) is loopback-only. */
export function isLoopbackHost(host) {
  const h = String(host).toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Splits a Host value into { name, port } (name lower-cased, IPv6 kept in brackets, port a number
 * or null), or null when it is not a plain host[:port] (empty, a path, user info, spaces, ...).
 */
export function parseHostValue(value) {
  if (typeof value !== 'string') return null;
  const m = HOST_VALUE.exec(value.toLowerCase());
  if (!m) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) return null;
  return { name: m[1], port };
}

/** The name of a listen address as it appears in a Host header (IPv6 in brackets). */
function hostName(listenHost) {
  const h = String(listenHost).toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/**
 * Parses GATEWAY_ALLOWED_HOSTS (a comma list of host[:port]). Returns { entries, bad } where
 * entries are { name, port } and bad lists the items that are not plain host names.
 */
export function parseAllowedHosts(raw) {
  const entries = [];
  const bad = [];
  for (const item of String(raw ?? '').split(',')) {
    const text = item.trim();
    if (text === '') continue;
    const parsed = parseHostValue(text);
    if (parsed) entries.push(parsed);
    else bad.push(text);
  }
  return { entries, bad };
}

/**
 * The start-up problem of a server listening on `listenHost`, or null: a non-loopback listen
 * address needs PUBLIC_URL or GATEWAY_ALLOWED_HOSTS, or every request would be refused.
 */
export function listenHostProblem({ listenHost, publicUrl, allowedHosts = [] }) {
  if (isLoopbackHost(listenHost) || publicUrl || allowedHosts.length > 0) return null;
  return `HOST=${listenHost} is not a loopback address, so callers reach this gateway by a name it does not know yet: set PUBLIC_URL (e.g. https://gw.example.com) or GATEWAY_ALLOWED_HOSTS (a comma list of the host names callers use, e.g. gw.example.com,gw.internal:8787); requests with any other Host are refused with 421.`;
}

/**
 * Builds the allowlist of a server listening on `listenHost`:`port` (the actual port). Returns
 * `allows(hostHeader) → boolean` for the raw Host header value (null or '' when absent).
 */
export function hostAllowlist({ listenHost, port, publicUrl = null, allowedHosts = [] }) {
  const entries = [];
  for (const name of LOOPBACK_NAMES) entries.push({ name, port });
  entries.push({ name: hostName(listenHost), port });
  if (publicUrl) {
    const url = new URL(publicUrl);
    entries.push({ name: hostName(url.hostname), port: url.port === '' ? null : Number(url.port) });
  }
  entries.push(...allowedHosts);
  return function allows(hostHeader) {
    const got = parseHostValue(hostHeader);
    if (!got) return false;
    return entries.some((e) => e.name === got.name && (got.port === null || e.port === null || e.port === got.port));
  };
}

/** The message of the 421 answer (never echoes the Host value, which the caller chose). */
export const HOST_REFUSED_MESSAGE = 'This server does not answer to the Host this request names (421 Misdirected Request): use the address it printed at start-up, the host of PUBLIC_URL or a name in GATEWAY_ALLOWED_HOSTS.';
