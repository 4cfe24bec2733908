// Plain-language help for the error and problem codes of asc-connector-wasm, plus time wording.
// Shared by the token page (web/app.js) and the CLI (`asc-connector inspect`), so both say the same
// thing. Pure data and functions: no DOM, no I/O.

/** For each code: a short plain-language title and what to do about it. */
export const HELP = {
  KEY_EMPTY: ['No private key was given.', 'Choose or drop the AuthKey_XXXXXXXXXX.p8 file you downloaded from App Store Connect, or paste its contents.'],
  KEY_NOT_PEM: ['This does not look like a private key.', 'Use the .p8 file from App Store Connect (it starts with "-----BEGIN PRIVATE KEY-----"), its base64 body, or base64 of the whole file.'],
  KEY_CORRUPT: ['The key text is damaged.', 'Copy the .p8 file again without editing it; characters were lost or changed.'],
  KEY_TRUNCATED: ['The key is cut short.', 'Part of the key is missing. Copy the whole .p8 file, including the last line.'],
  KEY_RSA: ['This is an RSA key.', 'App Store Connect keys are EC P-256. Download an API key from Users and Access → Integrations.'],
  KEY_WRONG_CURVE: ['This EC key uses the wrong curve.', 'App Store Connect keys use P-256. Use the .p8 file Apple gave you, not another EC key.'],
  KEY_UNSUPPORTED_ALGORITHM: ['This key type is not supported.', 'App Store Connect keys are EC P-256 (.p8 files). Ed25519, DSA and others cannot sign these tokens.'],
  KEY_ENCRYPTED: ['This key is password-protected.', 'Apple\'s .p8 files are not encrypted. Use the original download, or decrypt it first (openssl pkcs8 -in key.p8 -out plain.p8).'],
  KEY_IS_PUBLIC: ['This is a public key.', 'Signing needs the private key: the .p8 file that starts with "-----BEGIN PRIVATE KEY-----".'],
  KEY_IS_CERTIFICATE: ['This is a certificate, not a key.', 'Use the API key (.p8) from Users and Access → Integrations, not a signing certificate.'],
  KEY_INVALID: ['The key\'s numbers are not valid.', 'The key is not a usable P-256 private key. Download a fresh key from App Store Connect.'],
  KEY_ID_INVALID: ['The key ID is not valid.', 'Team key IDs are 10 upper-case letters and digits, e.g. 2X9R4HXF34 (from the file name AuthKey_2X9R4HXF34.p8).'],
  ISSUER_ID_INVALID: ['The issuer ID is not valid.', 'The issuer ID looks like 57246542-96fe-1a63-e053-0824d011072a; copy it from Users and Access → Integrations.'],
  KEY_TYPE_CONFLICT: ['Choose team or individual key.', 'Team keys need an issuer ID; individual keys have none (tick "Individual key").'],
  LIFETIME_TOO_LONG: ['The lifetime is too long.', 'Apple rejects tokens that live more than 1200 seconds (20 minutes). 900 leaves room for clock drift.'],
  LIFETIME_TOO_SHORT: ['The lifetime is too short.', 'Use at least 240 seconds (4 minutes); the default is 900.'],
  SCOPE_INVALID: ['A scope line is not valid.', 'Each scope line is a method and a path, e.g. "GET /v1/apps" or "GET /v1/apps?filter[platform]=IOS".'],
  OPTIONS_INVALID: ['The options are not valid.', 'Check the key ID, issuer ID, lifetime and scope fields.'],
  TIME_INVALID: ['The time is not valid.', 'Give the time as whole seconds since 1970.'],
  TOKEN_MALFORMED: ['This is not a JWT.', 'A token is three base64url parts joined by dots (header.payload.signature). Copy the whole token.'],
  TOKEN_BASE64_INVALID: ['A token part is not base64url.', 'JWT parts use base64url without padding (A–Z a–z 0–9 - _). The token was changed or cut.'],
  TOKEN_JSON_INVALID: ['The header or payload is not JSON.', 'The token was changed or was not made as a JWT.'],
  TOKEN_ALG_NOT_ES256: ['The algorithm is not ES256.', 'App Store Connect accepts only ES256 (ECDSA P-256 with SHA-256). Sign with the .p8 key and alg "ES256".'],
  TOKEN_TYP_NOT_JWT: ['The type is not JWT.', 'Set the header "typ" to "JWT" or leave it out.'],
  TOKEN_KID_INVALID: ['The key ID in the header is missing or wrong.', 'Put the key ID (the KEYID in AuthKey_KEYID.p8) in the header "kid".'],
  TOKEN_AUD_INVALID: ['The audience is wrong.', 'Set "aud" to "appstoreconnect-v1".'],
  TOKEN_IAT_MISSING: ['The issued-at time is missing.', 'Set "iat" to the current time in seconds since 1970 (a little in the past is safer).'],
  TOKEN_EXP_MISSING: ['The expiry time is missing.', 'Set "exp" to at most 20 minutes after "iat".'],
  TOKEN_LIFETIME_TOO_LONG: ['The token lives longer than 20 minutes.', 'Apple rejects exp − iat above 1200 seconds for these endpoints. Mint tokens of 15 minutes and make new ones.'],
  TOKEN_EXP_TOO_FAR: ['The expiry is more than 20 minutes away.', 'Apple checks exp against its own clock; keep exp within 20 minutes of now (15 is safer).'],
  TOKEN_EXP_BEFORE_IAT: ['The token expires before it was issued.', 'Set "exp" after "iat"; both are seconds since 1970, not milliseconds.'],
  TOKEN_IAT_IN_FUTURE: ['The issued-at time is in the future.', 'The clock that made it is fast. Set "iat" about 60 seconds in the past and sync the clock.'],
  TOKEN_EXPIRED: ['The token has expired.', 'Mint a new token; tokens live at most 20 minutes.'],
  TOKEN_ISS_AND_SUB: ['The token has both "iss" and "sub".', 'Team keys use "iss" (the issuer ID); individual keys use "sub": "user". Keep only one.'],
  TOKEN_NO_ISS_OR_SUB: ['The token has neither "iss" nor "sub".', 'Team keys need "iss" (the issuer ID); individual keys need "sub": "user".'],
  TOKEN_ISS_INVALID: ['The issuer in "iss" is not an issuer ID.', 'Use the issuer ID from Users and Access → Integrations (a UUID such as 57246542-96fe-1a63-e053-0824d011072a).'],
  TOKEN_SUB_INVALID: ['"sub" is not "user".', 'Individual keys need "sub": "user" exactly.'],
  TOKEN_SCOPE_INVALID: ['The scope claim is not valid.', 'Make "scope" an array of strings like "GET /v1/apps".'],
  TOKEN_SIGNATURE_DER: ['The signature is DER-encoded.', 'JWTs need the raw 64-byte r‖s signature. In Node use crypto.sign(..., { key, dsaEncoding: "ieee-p1363" }); with openssl convert the DER output.'],
  TOKEN_SIGNATURE_LENGTH: ['The signature has the wrong length.', 'An ES256 signature is exactly 64 bytes (r and s, 32 bytes each, left-padded).'],
  TOKEN_SIGNATURE_INVALID: ['The signature does not match this public key.', 'The token was signed by another key or changed after signing; check the key ID and the .p8 file.'],
};

/** The form field an error code belongs to on the token page. */
export function fieldForCode(code) {
  if (code === 'KEY_ID_INVALID') return 'keyId';
  if (code === 'ISSUER_ID_INVALID' || code === 'KEY_TYPE_CONFLICT') return 'issuer';
  if (typeof code === 'string' && code.startsWith('KEY_')) return 'key';
  if (typeof code === 'string' && code.startsWith('LIFETIME_')) return 'lifetime';
  if (code === 'SCOPE_INVALID') return 'scope';
  return 'form';
}

/** "14 minutes", "1 second", "2 hours", "3 days" for a non-negative number of seconds. */
export function spanInWords(seconds) {
  const s = Math.abs(Math.round(seconds));
  const units = [[86400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [size, name] of units) {
    if (s >= size) {
      const n = Math.floor(s / size);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${s} second${s === 1 ? '' : 's'}`;
}

/** "expires in 14 minutes" / "expired 3 minutes ago" for an expiry time relative to now (seconds). */
export function expiryInWords(exp, now) {
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'no expiry time';
  return exp > now ? `expires in ${spanInWords(exp - now)}` : `expired ${spanInWords(now - exp)} ago`;
}

/** "issued 1 minute ago" / "issued in 5 minutes" (a future iat). */
export function issuedInWords(iat, now) {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return 'no issue time';
  return iat <= now ? `issued ${spanInWords(now - iat)} ago` : `issued in ${spanInWords(iat - now)} (in the future)`;
}

/** ISO 8601 for seconds since 1970, or '' when out of range. */
export function isoTime(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '';
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace('.000Z', 'Z');
}
