// Bearer-token verification the way App Store Connect does it (docs/API_NOTES.md#token-checks), written with WebCrypto
// only and independently of the connector's own signer, so the sandbox can catch the signer's mistakes instead
// of sharing them. Every failure maps to the same Apple 401 body; the reason code returned here is for test
// diagnostics only and never goes into a response.
//
// Clock rules (now = the sandbox's injected clock, seconds):
//   exp − iat ≤ 1200, exp − now ≤ 1200 (no leeway: field reports show Apple has none on exp),
//   iat ≤ now + IAT_LEEWAY_SECONDS (5 s: Apple's tolerance for a future iat is undocumented; small and explicit),
//   exp > now.

/** Seconds a token's iat may lie in the future of the sandbox clock. */
export const IAT_LEEWAY_SECONDS = 5;
/** Apple's hard cap on exp − iat and on exp − now for /v1/apps tokens. */
export const MAX_LIFETIME_SECONDS = 1200;
const AUDIENCE = 'appstoreconnect-v1';
/** Query parameters Apple ignores when it matches a token's scope (docs/API_NOTES.md#scope). */
const SCOPE_IGNORED = new Set(['limit', 'cursor', 'sort']);
const B64URL = /^[A-Za-z0-9_-]+$/;

function b64urlToBytes(text) {
  if (typeof text !== 'string' || !B64URL.test(text) || text.length % 4 === 1) return null;
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function parseJsonPart(text) {
  const bytes = b64urlToBytes(text);
  if (!bytes) return null;
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** Imports an SPKI PEM public key for ES256 verification. */
export async function importPublicKey(pem) {
  const body = String(pem)
    .replace(/-----BEGIN PUBLIC KEY-----/, '')
    .replace(/-----END PUBLIC KEY-----/, '')
    .replace(/\s+/g, '');
  let bytes;
  try {
    bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    throw new Error('sandbox key: publicKeyPem is not an SPKI PEM');
  }
  return crypto.subtle.importKey('spki', bytes, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
}

/** Sorted, decoded `name=value` pairs of a query string, minus the parameters scope matching ignores. */
function scopeQueryKey(query) {
  const pairs = [];
  for (const [k, v] of new URLSearchParams(query)) {
    if (!SCOPE_IGNORED.has(k)) pairs.push(`${k}=${v}`);
  }
  return pairs.sort().join('&');
}

/** True when one scope entry allows `method path?query` (order-insensitive, limit/cursor/sort ignored). */
export function scopeAllows(scope, method, path, query) {
  const want = scopeQueryKey(query);
  for (const entry of scope) {
    if (typeof entry !== 'string') continue;
    const m = /^([A-Z]+) (\/[^?\s]*)(?:\?(\S*))?$/.exec(entry.trim());
    if (!m) continue;
    if (m[1] !== method || m[2] !== path) continue;
    if (scopeQueryKey(m[3] ?? '') === want) return true;
  }
  return false;
}

/**
 * Verifies `Authorization: Bearer <jwt>` against the configured keys.
 * @param {string | null} authorization the header value
 * @param {{ method: string, path: string, query: string, now: number, keyFor: (kid: string) => object | undefined }} ctx
 *   `keyFor` returns `{ kid, issuerId?, individual?, cryptoKey: Promise<CryptoKey> }`.
 * @returns {Promise<{ ok: true, key: object, token: string } | { ok: false, reason: string, kid?: string }>}
 */
export async function verifyBearer(authorization, { method, path, query, now, keyFor }) {
  const fail = (reason, kid) => ({ ok: false, reason, kid });
  if (typeof authorization !== 'string' || authorization.length === 0) return fail('AUTH_HEADER_MISSING');
  const m = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
  if (!m) return fail('AUTH_NOT_BEARER');
  const token = m[1];
  const parts = token.split('.');
  if (parts.length !== 3) return fail('TOKEN_NOT_THREE_PARTS');
  const header = parseJsonPart(parts[0]);
  const payload = parseJsonPart(parts[1]);
  if (!header) return fail('HEADER_NOT_JSON');
  if (!payload) return fail('PAYLOAD_NOT_JSON');
  if (header.alg !== 'ES256') return fail('ALG_NOT_ES256');
  if (header.typ !== undefined && header.typ !== 'JWT') return fail('TYP_NOT_JWT');
  if (header.crit !== undefined) return fail('CRIT_UNSUPPORTED');
  if (typeof header.kid !== 'string') return fail('KID_MISSING');
  const key = keyFor(header.kid);
  if (!key) return fail('KID_UNKNOWN');
  const kid = header.kid;

  const signature = b64urlToBytes(parts[2]);
  if (!signature) return fail('SIGNATURE_NOT_BASE64URL', kid);
  // JWS ES256 is raw r‖s, exactly 64 bytes; a DER (ASN.1) signature is 70–72 bytes and Apple rejects it.
  if (signature.length !== 64) return fail('SIGNATURE_NOT_RAW_64_BYTES', kid);
  const signingInput = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  let valid = false;
  try {
    valid = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, await key.cryptoKey, signature, signingInput);
  } catch {
    valid = false;
  }
  if (!valid) return fail('SIGNATURE_INVALID', kid);

  if (payload.aud !== AUDIENCE) return fail('AUD_INVALID', kid);
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('IAT_NOT_NUMBER', kid);
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail('EXP_NOT_NUMBER', kid);
  if (exp - iat > MAX_LIFETIME_SECONDS) return fail('LIFETIME_OVER_1200', kid);
  if (exp - now > MAX_LIFETIME_SECONDS) return fail('EXP_TOO_FAR_AHEAD', kid);
  if (iat > now + IAT_LEEWAY_SECONDS) return fail('IAT_IN_FUTURE', kid);
  if (exp <= now) return fail('EXPIRED', kid);

  if (key.individual) {
    if (payload.iss !== undefined) return fail('ISS_WITH_INDIVIDUAL_KEY', kid);
    if (payload.sub !== 'user') return fail('SUB_NOT_USER', kid);
  } else {
    if (payload.sub !== undefined) return fail('SUB_WITH_TEAM_KEY', kid);
    if (payload.iss !== key.issuerId) return fail('ISS_MISMATCH', kid);
  }

  if (payload.scope !== undefined) {
    if (!Array.isArray(payload.scope)) return fail('SCOPE_NOT_ARRAY', kid);
    if (!scopeAllows(payload.scope, method, path, query)) return fail('SCOPE_MISMATCH', kid);
  }
  return { ok: true, key, token };
}
