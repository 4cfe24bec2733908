// The generic write of POST /v1/request and the CLI's `request` command, on top of the ONE write
// rule in upstream.js (`callUpstream` with `write`): a write is sent again only when Apple certainly
// did nothing — its 401 (re-mint once), its 429 (waited out within the budget), a connection that
// was never made — and never once it may have reached Apple (timeout, reset, cut-off answer), which
// ends with UPSTREAM_OUTCOME_UNKNOWN. What this adds for a request that names no operation of the
// table: Apple's 5xx and an unreadable 2xx to a write are outcome-unknown errors too (a generic
// request has no read of its own to point at), with a hint built from the path.
// Runtime-agnostic (fetch API only).
import { callUpstream, failedBeforeSending, outcomeUnknown } from './upstream.js';

export { failedBeforeSending };

/** True when a 2xx body is present and not JSON text (a cut-off answer). */
function unreadable(bytes) {
  if (bytes.byteLength === 0) return false;
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return false;
  } catch {
    return true;
  }
}

/**
 * Sends one write (`body` JSON text or null) under the rule above. `getToken({ fresh })` returns
 * { token, minted, invalidate }; `deps` and `policy` as for callUpstream. Resolves to { status,
 * headers, body (bytes), retries, minted } for a status below 500; throws UPSTREAM_OUTCOME_UNKNOWN
 * (502, 504 after a timeout) once the request may have reached Apple and no usable answer came back.
 */
export async function sendWriteOnce({ url, method, body, getToken, deps, policy }) {
  const path = new URL(url).pathname;
  const write = {
    operationId: `${method} ${path}`,
    outcomeHint: `read the resource with a GET request (for example GET ${path}) before sending it again`,
  };
  const up = await callUpstream({ url, method, body: body ?? null, write, getToken, deps, policy });
  if (up.status >= 500) throw outcomeUnknown(write, `App Store Connect answered ${up.status}`, false);
  if (up.status >= 200 && up.status < 300 && unreadable(up.body)) {
    throw outcomeUnknown(write, `App Store Connect answered ${up.status} with a body that is not complete JSON`, false);
  }
  return up;
}
