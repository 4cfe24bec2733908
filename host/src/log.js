// One structured JSON line per request. Only fields chosen here reach the log: never a token, a
// key, the caller's API key or any header value; query parameters appear by NAME only, and only
// names the operation table knows (anything else a caller typed, which could be a pasted secret,
// is logged as "(unknown)").
// Runtime-agnostic: console is available in Node, Workers and Deno.

/** The default sink: one JSON line on standard output (console.log in Workers/Deno). */
export function consoleLog(entry) {
  console.log(JSON.stringify(entry));
}

/**
 * Names of the query parameters in a raw query string (values dropped), in order, deduplicated.
 * With `known` (a Set of accepted names), any other name becomes "(unknown)".
 */
export function queryParameterNames(rawQuery, known) {
  if (!rawQuery) return [];
  const names = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    let name = eq === -1 ? part : part.slice(0, eq);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      name = '(malformed)';
    }
    if (known && !known.has(name)) name = '(unknown)';
    else if (name.length > 64) name = `${name.slice(0, 64)}…`;
    if (!names.includes(name)) names.push(name);
    if (names.length >= 32) break;
  }
  return names;
}

/**
 * Builds the log entry for one request from an explicit list of fields; anything else the
 * handler knows (headers, tokens, bodies) is simply not an input here.
 */
export function requestLogEntry(f) {
  return {
    ts: new Date(f.tsMs).toISOString(),
    requestId: f.requestId,
    method: f.method,
    path: f.path,
    query: f.queryNames,
    operation: f.operation ?? null,
    deprecated: Array.isArray(f.deprecated) ? f.deprecated : [],
    status: f.status,
    code: f.code ?? null,
    upstreamStatus: f.upstreamStatus ?? null,
    durationMs: f.durationMs,
    retries: f.retries ?? 0,
    minted: Boolean(f.minted),
    keySource: f.keySource ?? null,
  };
}
