// Hostile input against the gateway's Node entry, as a data-driven table: every row is one raw
// HTTP/1.1 request (sent byte for byte over a TCP socket, since fetch refuses CR/LF, absolute
// targets and odd methods) with the status and error code it must get, and a check that NOTHING
// reached the upstream (the sandbox's request counter and our fetch wrapper did not move). Also:
// the connector's blank X-ASC-* headers, deprecation reporting, and a timing test showing that the
// API-key check has no early exit on length or on the first differing character.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/node.js';
import { constantTimeEqual, createHandler } from '../src/handler.js';
import { locationKeyBytes, signLocation } from '../src/triggers.js';
import { newAppleKey, serverKeyEnv, callerKeyHeaders, startStack } from './helpers/gateway.js';
import { median, oneLine, rawSend, unusableKeys } from './helpers/hardening.js';

const server = newAppleKey();
const caller = newAppleKey();
const bad = unusableKeys();
const UUID = '57246542-96fe-1a63-e053-0824d011072a';

/** Caller-key headers for the open gateway (no server key) with one part replaced. */
const callerWith = (over) => Object.entries({ ...callerKeyHeaders(caller), ...over }).filter(([, v]) => v !== undefined);
const keyHeaders = (pem) => callerWith({ 'X-ASC-Private-Key': oneLine(pem) });

/**
 * The table. Fields: cat (category), name, target (default /v1/apps), method (GET), headers
 * ([[name, value]] sent as is), auth (send the right X-API-Key; default true), host (Host header
 * value; null = none), stack ('server' = own key, caller keys refused; 'open' = no server key),
 * bytes (a function building the whole request as a latin1 string), status, code (null: no body).
 */
const ROWS = [
  // --- size limits ---
  { cat: 'size', name: 'query string of 9,000 characters', target: `/v1/apps?filter[name]=${'a'.repeat(9000)}`, status: 431, code: 'REQUEST_TOO_LARGE' },
  { cat: 'size', name: 'query over 11 KiB', target: `/v1/apps?filter[name]=${'a'.repeat(11 * 1024)}`, status: 431, code: 'REQUEST_TOO_LARGE' },
  { cat: 'size', name: 'path of 3,000 characters', target: `/v1/apps/${'1'.repeat(3000)}`, status: 431, code: 'REQUEST_TOO_LARGE' },
  { cat: 'size', name: 'headers over 32 KiB in total', headers: [['X-Pad', 'a'.repeat(40_000)]], status: 431, code: 'REQUEST_TOO_LARGE' },
  { cat: 'size', name: 'X-API-Key over 512 bytes', auth: false, headers: [['X-API-Key', 'k'.repeat(600)]], status: 400, code: 'HEADER_INVALID' },
  { cat: 'size', name: 'X-ASC-Private-Key over 16 KiB', headers: [['X-ASC-Private-Key', 'A'.repeat(17 * 1024)]], status: 400, code: 'HEADER_INVALID' },
  { cat: 'size', name: 'X-ASC-Key-Id over 128 bytes', headers: [['X-ASC-Key-Id', 'A'.repeat(200)]], status: 400, code: 'HEADER_INVALID' },
  { cat: 'size', name: 'X-ASC-Issuer-Id over 128 bytes', headers: [['X-ASC-Issuer-Id', 'f'.repeat(300)]], status: 400, code: 'HEADER_INVALID' },
  { cat: 'size', name: 'X-ASC-Format over 32 bytes', headers: [['X-ASC-Format', 'raw'.repeat(20)]], status: 400, code: 'HEADER_INVALID' },
  { cat: 'size', name: '500 query parameters', target: `/v1/apps?${Array.from({ length: 500 }, (_, i) => `p${i}=1`).join('&')}`, status: 431, code: 'REQUEST_TOO_LARGE' },

  // --- percent-encoding and UTF-8 ---
  { cat: 'encoding', name: 'query value %ff (not UTF-8)', target: '/v1/apps?limit=%ff', status: 400, code: 'QUERY_MALFORMED' },
  { cat: 'encoding', name: 'query value %c3%28 (broken UTF-8 sequence)', target: '/v1/apps?filter[name]=%c3%28', status: 400, code: 'QUERY_MALFORMED' },
  { cat: 'encoding', name: 'lone % in a query value', target: '/v1/apps?limit=%', status: 400, code: 'QUERY_MALFORMED' },
  { cat: 'encoding', name: '%zz (not hex) in a query value', target: '/v1/apps?limit=%zz', status: 400, code: 'QUERY_MALFORMED' },
  { cat: 'encoding', name: '%ff in a parameter name', target: '/v1/apps?%ff=1', status: 400, code: 'QUERY_MALFORMED' },
  { cat: 'encoding', name: 'encoded NUL in a query value', target: '/v1/apps?limit=1%00', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'encoding', name: 'path segment %ff', target: '/v1/apps/%ff', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'encoding', name: 'path segment %c3%28', target: '/v1/apps/%c3%28', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'encoding', name: 'encoded NUL in the path', target: '/v1/apps/%00', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'encoding', name: 'raw invalid UTF-8 bytes in the request target', target: '/v1/apps/\xc3\x28', status: 400, code: 'REQUEST_TARGET_INVALID' },

  // --- path tricks and request-target forms ---
  { cat: 'path', name: '/v1/apps/../../v1/users', target: '/v1/apps/../../v1/users', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: '//evil.example/v1/apps (an empty first segment: no such route)', target: '//evil.example/v1/apps', status: 404, code: 'ROUTE_NOT_FOUND' },
  { cat: 'path', name: '/v1/apps/%2e%2e/x', target: '/v1/apps/%2e%2e/x', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: '/v1/apps/%2f', target: '/v1/apps/%2f', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'backslashes /v1/apps\\..\\users', target: '/v1/apps\\..\\users', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'encoded backslash /v1/apps/%5c', target: '/v1/apps/%5c', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'dot segment /v1/./apps', target: '/v1/./apps', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'absolute-form GET http://evil.example/v1/apps', target: 'http://evil.example/v1/apps', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'absolute-form naming the upstream itself', target: (c) => `${c.sbUrl}/v1/apps`, status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'asterisk-form OPTIONS *', method: 'OPTIONS', target: '*', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'a fragment in the target', target: '/v1/apps#x', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'path', name: 'unknown route /v1/users', target: '/v1/users', status: 404, code: 'ROUTE_NOT_FOUND' },
  { cat: 'path', name: 'sub-resource /v1/apps/1/builds', target: '/v1/apps/1/builds', status: 404, code: 'ROUTE_NOT_FOUND' },
  { cat: 'path', name: 'upper-case /V1/APPS', target: '/V1/APPS', status: 404, code: 'ROUTE_NOT_FOUND' },
  { cat: 'path', name: 'matrix parameter /v1/apps;x=1', target: '/v1/apps;x=1', status: 404, code: 'ROUTE_NOT_FOUND' },
  { cat: 'path', name: 'non-numeric app id', target: '/v1/apps/com.example.app', status: 400, code: 'ID_INVALID' },

  // --- the Host allowlist (hosts.js): only loopback names on this loopback gateway ---
  { cat: 'host', name: 'Host: evil.example (another name, DNS rebinding)', host: 'evil.example', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: evil.example with the gateway\'s own port', host: (c) => `evil.example:${c.gwPort}`, status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: the upstream\'s host:port', host: (c) => new URL(c.sbUrl).host, status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: localhost with the upstream\'s port', host: (c) => `localhost:${new URL(c.sbUrl).port}`, status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: an IP address (10.0.0.1)', host: '10.0.0.1', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: 127.0.0.2 (loopback, but not a loopback name)', host: '127.0.0.2', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'empty Host', host: '', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'no Host header (HTTP/1.1)', host: null, status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host with a path (127.0.0.1/v1)', host: '127.0.0.1/v1', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host with user info', host: 'user@127.0.0.1', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: an IPv6 literal ([2001:db8::1])', host: '[2001:db8::1]', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: IPv4-mapped loopback ([::ffff:127.0.0.1])', host: '[::ffff:127.0.0.1]', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'Host: localhost.evil.example (loopback name as a prefix)', host: 'localhost.evil.example', status: 421, code: 'HOST_NOT_ALLOWED' },
  { cat: 'host', name: 'two Host headers (a loopback name and another)', host: '127.0.0.1', headers: [['Host', 'evil.example']], status: 421, code: 'HOST_NOT_ALLOWED' },

  // --- methods (HEAD decided: refused like every non-GET on API routes; /healthz allows it) ---
  ...['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'].map((method) => ({ cat: 'method', name: `${method} /v1/apps`, method, status: 405, code: 'METHOD_NOT_ALLOWED' })),
  { cat: 'method', name: 'HEAD /v1/apps (no body, 405)', method: 'HEAD', status: 405, code: null },
  { cat: 'method', name: 'CONNECT evil.example:443', method: 'CONNECT', target: 'evil.example:443', status: 405, code: 'METHOD_NOT_ALLOWED' },
  { cat: 'method', name: 'unknown method BREW', method: 'BREW', status: 400, code: 'REQUEST_TARGET_INVALID' },
  { cat: 'method', name: 'POST with a body to /v1/apps/1', method: 'POST', target: '/v1/apps/1', headers: [['Content-Type', 'application/json'], ['Content-Length', '2']], body: '{}', status: 405, code: 'METHOD_NOT_ALLOWED' },
  // --- a body on an operation that takes none (every GET today) ---
  { cat: 'body', name: 'GET /v1/apps with a Content-Length body', headers: [['Content-Length', '2']], body: '{}', status: 400, code: 'REQUEST_BODY_NOT_ALLOWED' },
  { cat: 'body', name: 'GET /v1/apps/1 with a chunked body', target: '/v1/apps/1', headers: [['Transfer-Encoding', 'chunked']], body: '2\r\n{}\r\n0\r\n\r\n', status: 400, code: 'REQUEST_BODY_NOT_ALLOWED' },
  { cat: 'body', name: 'GET /v1/apps with an empty chunked body', headers: [['Transfer-Encoding', 'chunked']], body: '0\r\n\r\n', status: 400, code: 'REQUEST_BODY_NOT_ALLOWED' },
  { cat: 'method', name: 'Content-Length with Transfer-Encoding (smuggling shape)', method: 'POST', headers: [['Content-Length', '5'], ['Transfer-Encoding', 'chunked']], body: '0\r\n\r\n', status: 400, code: 'REQUEST_TARGET_INVALID' },

  // --- control characters and framing in X-ASC-* headers ---
  { cat: 'header', name: 'bare CR in X-ASC-Key-Id', headers: [['X-ASC-Key-Id', 'AB\rCD']], status: 400, code: 'HEADER_INVALID' },
  { cat: 'header', name: 'bare LF in X-ASC-Private-Key', headers: [['X-ASC-Private-Key', '-----BEGIN PRIVATE KEY-----\nAAAA']], status: 400, code: 'HEADER_INVALID' },
  { cat: 'header', name: 'obs-fold continuation line in X-ASC-Issuer-Id', headers: [['X-ASC-Issuer-Id', `${UUID}\r\n more`]], status: 400, code: 'HEADER_INVALID' },
  { cat: 'header', name: 'NUL byte in X-ASC-Key-Type', headers: [['X-ASC-Key-Type', 'team\x00']], status: 400, code: 'HEADER_INVALID' },
  { cat: 'header', name: 'DEL byte in X-API-Key', auth: false, headers: [['X-API-Key', 'abc\x7fdef']], status: 400, code: 'HEADER_INVALID' },
  { cat: 'header', name: 'TAB inside X-ASC-Key-Id (legal HTTP, refused by the gateway)', headers: [['X-ASC-Key-Id', 'AB\tCD']], status: 400, code: 'HEADER_INVALID' },
  { cat: 'header', name: 'space in a header name', headers: [['X Bad', '1']], status: 400, code: 'HEADER_INVALID' },
  { cat: 'header', name: 'X-ASC-Format: xml', headers: [['X-ASC-Format', 'xml']], status: 400, code: 'HEADER_INVALID' },

  // --- caller authentication ---
  { cat: 'auth', name: 'no X-API-Key', auth: false, status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'auth', name: 'empty X-API-Key', auth: false, headers: [['X-API-Key', '']], status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'auth', name: 'wrong X-API-Key of the right length', auth: false, headers: [['X-API-Key', (c) => c.apiKey.replace(/.$/, (ch) => (ch === 'a' ? 'b' : 'a'))]], status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'auth', name: 'wrong X-API-Key of another length (a prefix of the right one)', auth: false, headers: [['X-API-Key', (c) => c.apiKey.slice(0, 10)]], status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'auth', name: 'right key twice in one header list (joined with a comma)', headers: [['X-API-Key', (c) => c.apiKey]], status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'auth', name: 'API key as Authorization: Bearer instead of X-API-Key', auth: false, headers: [['Authorization', (c) => `Bearer ${c.apiKey}`]], status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'auth', name: 'API key in the query instead of the header', auth: false, target: (c) => `/v1/apps?api_key=${c.apiKey}`, status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'auth', name: 'caller key on a gateway that refuses caller keys', headers: callerWith({}), status: 403, code: 'CALLER_KEYS_NOT_ALLOWED' },

  // --- caller-supplied private keys (gateway without a key of its own) ---
  { cat: 'key', stack: 'open', name: 'no Apple key at all', status: 401, code: 'CREDENTIALS_MISSING' },
  { cat: 'key', stack: 'open', name: 'P-384 private key (wrong curve)', headers: keyHeaders(bad.p384), status: 400, code: 'KEY_WRONG_CURVE' },
  { cat: 'key', stack: 'open', name: 'secp256k1 private key (wrong curve)', headers: keyHeaders(bad.secp256k1), status: 400, code: 'KEY_WRONG_CURVE' },
  { cat: 'key', stack: 'open', name: 'RSA private key', headers: keyHeaders(bad.rsa), status: 400, code: 'KEY_RSA' },
  { cat: 'key', stack: 'open', name: 'Ed25519 private key', headers: keyHeaders(bad.ed25519), status: 400, code: 'KEY_UNSUPPORTED_ALGORITHM' },
  { cat: 'key', stack: 'open', name: 'encrypted PKCS#8 key', headers: keyHeaders(bad.encrypted), status: 400, code: 'KEY_ENCRYPTED' },
  { cat: 'key', stack: 'open', name: 'public key instead of the private key', headers: keyHeaders(bad.publicOnly), status: 400, code: 'KEY_IS_PUBLIC' },
  { cat: 'key', stack: 'open', name: 'garbage text as the private key', headers: callerWith({ 'X-ASC-Private-Key': 'not a key at all' }), status: 400, code: 'KEY_NOT_PEM' },
  { cat: 'key', stack: 'open', name: 'truncated PEM', headers: callerWith({ 'X-ASC-Private-Key': oneLine(caller.pem).slice(0, 100) }), status: 400, code: 'KEY_TRUNCATED' },
  { cat: 'key', stack: 'open', name: 'issuer id that is not a UUID', headers: callerWith({ 'X-ASC-Issuer-Id': 'not-a-uuid' }), status: 400, code: 'ISSUER_ID_INVALID' },
  { cat: 'key', stack: 'open', name: 'lower-case key id', headers: callerWith({ 'X-ASC-Key-Id': 'abcde12345' }), status: 400, code: 'KEY_ID_INVALID' },
  { cat: 'key', stack: 'open', name: 'non-ASCII key id', headers: callerWith({ 'X-ASC-Key-Id': '\xc3\xa9' }), status: 400, code: 'KEY_ID_INVALID' },
  { cat: 'key', stack: 'open', name: 'X-ASC-Key-Type: admin', headers: callerWith({ 'X-ASC-Key-Type': 'admin' }), status: 400, code: 'HEADER_INVALID' },
  { cat: 'key', stack: 'open', name: 'individual key type together with an issuer id', headers: callerWith({ 'X-ASC-Key-Type': 'individual' }), status: 400, code: 'HEADER_INVALID' },
  { cat: 'key', stack: 'open', name: 'key id without a private key', headers: callerWith({ 'X-ASC-Private-Key': undefined }), status: 400, code: 'HEADER_INVALID' },
  { cat: 'key', stack: 'open', name: 'only an issuer id', headers: [['X-ASC-Issuer-Id', UUID]], status: 400, code: 'HEADER_INVALID' },

  // --- query parameters ---
  { cat: 'query', name: 'unknown parameter foo=1', target: '/v1/apps?foo=1', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'duplicate limit', target: '/v1/apps?limit=2&limit=3', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'huge limit 999999', target: '/v1/apps?limit=999999', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'limit beyond 64-bit', target: '/v1/apps?limit=99999999999999999999999', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'limit=0', target: '/v1/apps?limit=0', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'limit=-1', target: '/v1/apps?limit=-1', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'limit=1e3', target: '/v1/apps?limit=1e3', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'included limit beyond Apple\'s 50', target: '/v1/apps?include=appStoreVersions&limit[appStoreVersions]=999', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'sort by an unknown field', target: '/v1/apps?sort=password', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'include of an unknown relationship', target: '/v1/apps?include=users', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'parameter without a name', target: '/v1/apps?=1', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'cursor on Read App Information', target: '/v1/apps/1?cursor=abc', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'query', name: 'the same value listed 2,000 times', target: `/v1/apps?filter[name]=${'x,'.repeat(2000)}x`, status: 400, code: 'REQUEST_INVALID' },

  // --- POST /v1/request: paths that try to leave Apple, refused by the planner; nothing forwarded ---
  ...[
    ['//evil.example/v1/apps', 'a network-path reference'],
    ['//api.appstoreconnect.apple.com@evil.example/v1/apps', 'user-info pointing elsewhere'],
    ['https://evil.example/v1/apps', 'an absolute URL'],
    ['http://api.appstoreconnect.apple.com/v1/apps', 'a full URL of Apple itself'],
    ['api.appstoreconnect.apple.com/v1/apps', 'a host without a scheme'],
    ['@evil.example/v1/apps', 'user-info without a scheme'],
    ['/v1/../v1/apps', 'a .. segment'],
    ['/v1/apps/%2e%2e', 'an encoded .. segment'],
    ['/v1/apps%2Fevil', 'an encoded slash'],
    ['/v1/apps/1%2F..%2F..', 'encoded slashes and dots in an id'],
    ['/v1/apps\\1', 'a backslash'],
    ['\\\\evil.example\\v1', 'a UNC-style path'],
    ['/v1/apps/%5C..', 'an encoded backslash'],
    ['/v1/apps/evil.example:443', 'a host:port segment'],
    ['/v1/apps?x=1', 'a query inside the path'],
    ['/v1/apps#x', 'a fragment'],
    ['/v1/apps/1%00', 'an encoded NUL'],
  ].map(([path, what]) => anyRequestRow(`path ${what}: ${JSON.stringify(path)}`, { method: 'GET', path }, 400, 'REQUEST_TARGET_INVALID')),
  anyRequestRow('the gateway\'s own route as the path', { method: 'POST', path: '/v1/request' }, 404, 'ROUTE_NOT_FOUND'),
  anyRequestRow('method PUT (not in Apple\'s API)', { method: 'PUT', path: '/v1/apps' }, 405, 'METHOD_NOT_ALLOWED'),
  anyRequestRow('a duplicate "path" key (the second would win in JSON.parse)', '{"method":"GET","path":"/v1/apps","path":"//evil.example/"}', 400, 'BODY_DUPLICATE_KEY'),
  anyRequestRow('an unknown envelope member "url"', { method: 'GET', path: '/v1/apps', url: 'https://evil.example/' }, 400, 'REQUEST_INVALID'),
  // --- trigger routes (docs/TRIGGERS.md): subscribe, the self-authorising unsubscribe, the review poll ---
  { cat: 'trigger', name: 'subscribe with an http callback', ...subscribe({ callbackUrl: 'http://flows.example.com/hook?sig=x' }), status: 400, code: 'CALLBACK_URL_NOT_HTTPS' },
  { cat: 'trigger', name: 'subscribe with a loopback http callback (not a local-sandbox gateway)', ...subscribe({ callbackUrl: 'http://127.0.0.1:9/hook' }), status: 400, code: 'CALLBACK_URL_NOT_HTTPS' },
  { cat: 'trigger', name: 'subscribe with a callback of 5,000 characters', ...subscribe({ callbackUrl: `https://flows.example.com/${'a'.repeat(5000)}` }), status: 400, code: 'CALLBACK_URL_TOO_LONG' },
  { cat: 'trigger', name: 'subscribe with a user name in the callback', ...subscribe({ callbackUrl: 'https://user:pw@flows.example.com/hook' }), status: 400, code: 'CALLBACK_URL_MALFORMED' },
  { cat: 'trigger', name: 'subscribe with a javascript: callback', ...subscribe({ callbackUrl: 'javascript:alert(1)' }), status: 400 },
  { cat: 'trigger', name: 'subscribe without a callback', ...subscribe({ name: 'x' }), status: 400, code: 'TRIGGER_BODY_INVALID' },
  { cat: 'trigger', name: 'subscribe with a body that is not JSON', ...subscribe('{"callbackUrl":'), status: 400, code: 'TRIGGER_BODY_INVALID' },
  { cat: 'trigger', name: 'subscribe with a body over 16 KiB', ...subscribe({ callbackUrl: 'https://flows.example.com/hook', name: 'n'.repeat(17 * 1024) }), status: 400, code: 'TRIGGER_BODY_INVALID' },
  { cat: 'trigger', name: 'subscribe to an unknown event family', ...subscribe({ callbackUrl: 'https://flows.example.com/hook' }, 'allEvents'), status: 404, code: 'TRIGGER_FAMILY_UNKNOWN' },
  { cat: 'trigger', name: 'subscribe for an app id that is not a number', ...subscribe({ callbackUrl: 'https://flows.example.com/hook' }, 'buildUploadState', 'com.example.app'), status: 400, code: 'ID_INVALID' },
  { cat: 'trigger', name: 'subscribe without the API key', ...subscribe({ callbackUrl: 'https://flows.example.com/hook' }), auth: false, status: 401, code: 'UNAUTHENTICATED' },
  { cat: 'trigger', name: 'GET on a subscribe route', target: '/v1/apps/6446998023/triggers/buildUploadState', status: 405, code: 'METHOD_NOT_ALLOWED' },
  { cat: 'trigger', name: 'unsubscribe without a sig', method: 'DELETE', auth: false, target: '/v1/apps/6446998023/triggers/buildUploadState/8c1a6f3e-5b2d-4e7a-9c1f-3d2e1b0a9f87', status: 401, code: 'TRIGGER_SIGNATURE_INVALID' },
  { cat: 'trigger', name: 'unsubscribe with a forged sig', method: 'DELETE', auth: false, target: `/v1/apps/6446998023/triggers/buildUploadState/8c1a6f3e-5b2d-4e7a-9c1f-3d2e1b0a9f87?sig=${'A'.repeat(43)}`, status: 401, code: 'TRIGGER_SIGNATURE_INVALID' },
  { cat: 'trigger', name: 'unsubscribe with two sigs', method: 'DELETE', auth: false, target: `/v1/apps/6446998023/triggers/buildUploadState/8c1a6f3e-5b2d-4e7a-9c1f-3d2e1b0a9f87?sig=${'A'.repeat(43)}&sig=x`, status: 401, code: 'TRIGGER_SIGNATURE_INVALID' },
  { cat: 'trigger', name: 'unsubscribe with a body', method: 'DELETE', auth: false, target: '/v1/apps/6446998023/triggers/buildUploadState/8c1a6f3e-5b2d-4e7a-9c1f-3d2e1b0a9f87?sig=x', headers: [['Content-Length', '2']], body: '{}', status: 400, code: 'REQUEST_BODY_NOT_ALLOWED' },
  { cat: 'trigger', name: 'review poll with a watermark it did not issue', target: '/trigger/v1/apps/6446998023/customerReviews?since=2024-01-01', status: 400, code: 'WATERMARK_INVALID' },
  { cat: 'trigger', name: 'review poll with an unknown parameter', target: '/trigger/v1/apps/6446998023/customerReviews?cursor=abc', status: 400, code: 'REQUEST_INVALID' },
  { cat: 'trigger', name: 'review poll without the API key', auth: false, target: '/trigger/v1/apps/6446998023/customerReviews', status: 401, code: 'UNAUTHENTICATED' },
];

/** A POST /v1/request row: `envelope` (an object or its JSON text) as the body, with its length. */
function anyRequestRow(name, envelope, status, code) {
  const body = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
  return { cat: 'any-request', name, method: 'POST', target: '/v1/request', headers: [['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(body))]], body, status, code };
}

/** A subscribe row: POST /v1/apps/{app}/triggers/{family} with `body` (an object as JSON, or raw text). */
function subscribe(body, family = 'buildUploadState', app = '6446998023') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { method: 'POST', target: `/v1/apps/${app}/triggers/${family}`, headers: [['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(text))]], body: text };
}

function buildRequest(row, ctx) {
  const v = (x) => (typeof x === 'function' ? x(ctx) : x);
  const method = row.method ?? 'GET';
  const target = v(row.target ?? '/v1/apps');
  const lines = [`${method} ${target} HTTP/1.1`];
  const host = row.host === undefined ? '127.0.0.1' : v(row.host);
  if (host !== null) lines.push(`Host: ${host}`);
  if (row.auth !== false) lines.push(`X-API-Key: ${ctx.apiKey}`);
  for (const [name, value] of row.headers ?? []) lines.push(`${name}: ${v(value)}`);
  return `${lines.join('\r\n')}\r\n\r\n${row.body ?? ''}`;
}

describe('hostile requests: a table of requests that must be refused and never forwarded', () => {
  const stacks = {};
  const upstreamUrls = [];
  const recordingFetch = (url, init) => {
    upstreamUrls.push(String(url));
    return fetch(url, init);
  };
  const tried = {};
  before(async () => {
    const keys = [server.sandboxKey, caller.sandboxKey];
    stacks.server = await startStack({ keys, env: serverKeyEnv(server), deps: { fetch: recordingFetch } });
    stacks.open = await startStack({ keys, deps: { fetch: recordingFetch } });
  });
  after(async () => {
    await stacks.server?.close();
    await stacks.open?.close();
  });

  for (const row of ROWS) {
    test(`[${row.cat}] ${row.name} → ${row.status} ${row.code ?? '(no body)'}`, async () => {
      const stack = stacks[row.stack ?? 'server'];
      const ctx = { apiKey: stack.apiKey, sbUrl: stack.sb.url, gwPort: new URL(stack.gw.url).port };
      const before = stack.sandbox.stats.requests;
      const fetchesBefore = upstreamUrls.length;
      const res = await rawSend(stack.gw.url, buildRequest(row, ctx));
      assert.equal(res.status, row.status, `status: ${res.text.slice(0, 300)}`);
      if (row.code === null) {
        assert.equal(res.body, '', 'no body');
      } else {
        const doc = JSON.parse(res.body);
        if (row.code !== undefined) assert.equal(doc.error.code, row.code, res.body.slice(0, 300));
        assert.equal(doc.error.status, row.status);
        assert.ok(doc.error.message.length > 10, 'a message that says what is wrong');
      }
      assert.ok(!res.text.includes(stack.apiKey), 'the API key is never echoed');
      assert.equal(stack.sandbox.stats.requests, before, 'nothing reached the sandbox');
      assert.equal(upstreamUrls.length, fetchesBefore, 'the gateway fetched nothing');
      tried[row.cat] = (tried[row.cat] ?? 0) + 1;
    });
  }

  test('Host: localhost and [::1] (loopback names, with and without the port) are served', async () => {
    const stack = stacks.server;
    const port = new URL(stack.gw.url).port;
    for (const host of ['localhost', `localhost:${port}`, '[::1]', `[::1]:${port}`, `127.0.0.1:${port}`, 'LOCALHOST']) {
      const res = await rawSend(stack.gw.url, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      assert.equal(res.status, 200, `${host}: ${res.text.slice(0, 200)}`);
    }
    tried.host = (tried.host ?? 0) + 1;
  });

  test('HEAD /healthz answers 200 without a body (the only HEAD the gateway serves)', async () => {
    const res = await rawSend(stacks.server.gw.url, 'HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
  });

  test('rows tried, by category (at least 40)', (t) => {
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    t.diagnostic(`hostile rows passed: ${total} of ${ROWS.length + 1} (${Object.entries(tried).map(([k, n]) => `${k} ${n}`).join(', ')})`);
    assert.equal(total, ROWS.length + 1, 'every row passed');
    assert.ok(total >= 40);
  });
});

describe('unsubscribe URLs signed with the gateway\'s key but aimed elsewhere', () => {
  let stack;
  let key;
  const deletes = [];
  before(async () => {
    stack = await startStack({ keys: [server.sandboxKey], env: serverKeyEnv(server), deps: { fetch: (url, init) => { if (init?.method === 'DELETE') deletes.push(String(url)); return fetch(url, init); } } });
    key = await locationKeyBytes({ apiKey: stack.apiKey });
  });
  after(() => stack.close());

  const del = async (app, family, id, sig) => rawSend(stack.gw.url, `DELETE /v1/apps/${app}/triggers/${family}/${id}?sig=${sig} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);

  test('a signature for one app, family or webhook does not unsubscribe another; nothing is forwarded', async () => {
    const [a, b] = stack.sandbox.catalogue.apps;
    const hook = stack.sandbox.webhooks.list(a.id)[0];
    const sig = await signLocation(key, a.id, 'buildUploadState', hook.id);
    const before = stack.sandbox.stats.requests;
    for (const [app, family, id] of [[b.id, 'buildUploadState', hook.id], [a.id, 'betaFeedback', hook.id], [a.id, 'buildUploadState', stack.sandbox.webhooks.list(b.id)[0].id]]) {
      const res = await del(app, family, id, sig);
      assert.equal(res.status, 401, res.text);
      assert.equal(JSON.parse(res.body).error.code, 'TRIGGER_SIGNATURE_INVALID');
    }
    assert.equal(stack.sandbox.stats.requests, before, 'nothing reached the sandbox');
  });

  test('a webhook this connector did not create is never deleted, even with a valid signature', async () => {
    const app = stack.sandbox.catalogue.apps[0];
    const hook = stack.sandbox.webhooks.list(app.id).find((h) => !h.name.startsWith('asc-connector:'));
    const res = await del(app.id, 'buildUploadState', hook.id, await signLocation(key, app.id, 'buildUploadState', hook.id));
    assert.equal(res.status, 403, res.text);
    assert.equal(JSON.parse(res.body).error.code, 'WEBHOOK_NOT_OURS');
    assert.deepEqual(deletes, [], 'no DELETE was sent to Apple (only its read-only list was read)');
    assert.ok(stack.sandbox.webhooks.list(app.id).some((h) => h.id === hook.id), 'the webhook is still there');
  });
});

describe('the Host allowlist with PUBLIC_URL and GATEWAY_ALLOWED_HOSTS (hosts.js)', () => {
  let stack;
  const upstreamUrls = [];
  before(async () => {
    stack = await startStack({
      keys: [server.sandboxKey],
      env: { ...serverKeyEnv(server), PUBLIC_URL: 'https://gw.example.com/base', GATEWAY_ALLOWED_HOSTS: ' gw.internal:8443 , other.example ' },
      deps: { fetch: (url, init) => { upstreamUrls.push(String(url)); return fetch(url, init); } },
    });
  });
  after(async () => stack?.close());

  const send = (host) => rawSend(stack.gw.url, `GET /v1/apps?limit=2 HTTP/1.1\r\nHost: ${host}\r\nX-API-Key: ${stack.apiKey}\r\n\r\n`);

  test('the PUBLIC_URL host, listed names and loopback names are served, and only ASC_BASE_URL is called', async () => {
    for (const host of ['gw.example.com', 'GW.Example.com:443', 'gw.internal:8443', 'other.example', 'other.example:9000', '127.0.0.1']) {
      const before = upstreamUrls.length;
      const res = await send(host);
      assert.equal(res.status, 200, `${host}: ${res.text.slice(0, 200)}`);
      assert.equal(upstreamUrls.length, before + 1, `${host}: one upstream request`);
      assert.equal(new URL(upstreamUrls.at(-1)).origin, stack.sb.url, 'forwarded to ASC_BASE_URL and nowhere else');
      // nextLink always names PUBLIC_URL, whatever Host the caller used.
      assert.ok(JSON.parse(res.body).nextLink.startsWith('https://gw.example.com/base/v1/apps?'), res.body.slice(0, 300));
    }
  });

  test('a listed name on another port, or any other name, gets 421 and nothing is forwarded', async () => {
    for (const host of ['gw.internal:1', 'gw.internal:8444', 'evil.example', 'gw.example.com.evil.example', 'example.com']) {
      const before = upstreamUrls.length;
      const sbBefore = stack.sandbox.stats.requests;
      const res = await send(host);
      assert.equal(res.status, 421, `${host}: ${res.text.slice(0, 200)}`);
      assert.equal(JSON.parse(res.body).error.code, 'HOST_NOT_ALLOWED');
      assert.equal(upstreamUrls.length, before, `${host}: nothing fetched`);
      assert.equal(stack.sandbox.stats.requests, sbBefore, `${host}: nothing reached the sandbox`);
    }
  });
});

describe('start-up: a non-loopback listen address needs PUBLIC_URL or GATEWAY_ALLOWED_HOSTS', () => {
  const base = { GATEWAY_API_KEY: 'k'.repeat(32) };
  test('HOST=0.0.0.0 alone stops start-up, naming both variables', () => {
    assert.throws(() => loadConfig({ ...base, HOST: '0.0.0.0' }), (err) => {
      assert.equal(err.code, 'OPTIONS_INVALID');
      assert.match(err.message, /HOST=0\.0\.0\.0 is not a loopback address/);
      assert.match(err.message, /PUBLIC_URL/);
      assert.match(err.message, /GATEWAY_ALLOWED_HOSTS/);
      return true;
    });
  });
  test('HOST=0.0.0.0 with PUBLIC_URL, or with GATEWAY_ALLOWED_HOSTS, starts', () => {
    assert.equal(loadConfig({ ...base, HOST: '0.0.0.0', PUBLIC_URL: 'https://gw.example.com' }).host, '0.0.0.0');
    assert.deepEqual(loadConfig({ ...base, HOST: '0.0.0.0', GATEWAY_ALLOWED_HOSTS: 'gw.example.com:8787' }).allowedHosts, [{ name: 'gw.example.com', port: 8787 }]);
  });
  test('loopback HOST needs neither; a malformed GATEWAY_ALLOWED_HOSTS entry stops start-up', () => {
    assert.equal(loadConfig({ ...base, HOST: '127.0.0.1' }).publicUrl, null);
    assert.throws(() => loadConfig({ ...base, GATEWAY_ALLOWED_HOSTS: 'gw.example.com,https://x.example/path' }), /GATEWAY_ALLOWED_HOSTS must be a comma list/);
  });
  test('the Node entry refuses to listen on 0.0.0.0 without them', async () => {
    await assert.rejects(startGateway({ env: base, host: '0.0.0.0', port: 0 }), /set PUBLIC_URL .* or GATEWAY_ALLOWED_HOSTS/);
  });
});

describe('the same Host rule on the token-page server and the sandbox (loopback names only)', () => {
  const FOREIGN = ['evil.example', 'evil.example:80', '10.0.0.1', '', '127.0.0.1/x', '[2001:db8::1]', '127.0.0.2'];
  const LOCAL = ['127.0.0.1', 'localhost', '[::1]'];

  test('asc-connector web: a foreign Host gets 421 in the error shape; loopback names are served', async () => {
    const { startWebServer } = await import('../src/commands/web.js');
    const web = await startWebServer({ port: 0 });
    try {
      for (const host of FOREIGN) {
        const res = await rawSend(web.url, `GET /index.html HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        assert.equal(res.status, 421, `${JSON.stringify(host)}: ${res.text.slice(0, 200)}`);
        assert.equal(JSON.parse(res.body).error.code, 'HOST_NOT_ALLOWED');
        assert.ok(!res.body.includes('<html'), 'no page content');
      }
      for (const name of LOCAL) {
        for (const host of [name, `${name}:${web.port}`]) {
          const res = await rawSend(web.url, `GET /index.html HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
          assert.equal(res.status, 200, host);
        }
      }
      assert.equal((await rawSend(web.url, `GET / HTTP/1.1\r\nHost: localhost:${web.port + 1}\r\n\r\n`)).status, 421, 'another port');
    } finally {
      await web.close();
    }
  });

  test('the sandbox: a foreign Host gets 421 and is not counted as a request; loopback names are served', async () => {
    const { startSandbox } = await import('../src/sandbox/server.js');
    const sb = await startSandbox({ port: 0, keys: [server.sandboxKey] });
    try {
      for (const host of FOREIGN) {
        const res = await rawSend(sb.url, `GET /v1/apps HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        assert.equal(res.status, 421, `${JSON.stringify(host)}: ${res.text.slice(0, 200)}`);
        assert.equal(JSON.parse(res.body).error.code, 'HOST_NOT_ALLOWED');
      }
      assert.equal(sb.sandbox.stats.requests, 0, 'no refused request reached the sandbox');
      for (const host of LOCAL) {
        const res = await rawSend(sb.url, `GET /v1/apps HTTP/1.1\r\nHost: ${host}:${sb.port}\r\n\r\n`);
        assert.equal(res.status, 401, `${host}: answered by the sandbox itself (no token)`);
      }
      assert.equal(sb.sandbox.stats.requests, LOCAL.length);
    } finally {
      await sb.close();
    }
  });
});

describe('the connector\'s optional key headers and deprecations', () => {
  let stack;
  let open;
  before(async () => {
    stack = await startStack({ keys: [server.sandboxKey], env: serverKeyEnv(server) });
    open = await startStack({ keys: [server.sandboxKey] });
  });
  after(async () => {
    await stack?.close();
    await open?.close();
  });

  test('X-ASC-Key-Type plus blank X-ASC-* values (what the connector sends) use the server key', async () => {
    for (const type of ['team', 'individual', '']) {
      const res = await stack.get('/v1/apps?limit=1', { 'X-ASC-Key-Type': type, 'X-ASC-Issuer-Id': '', 'X-ASC-Key-Id': '', 'X-ASC-Private-Key': '' });
      assert.equal(res.status, 200, `${type}: ${res.text.slice(0, 300)}`);
      assert.equal(stack.log.entries().at(-1).keySource, 'server');
    }
    const withId = await stack.get('/v1/apps?limit=1', { 'X-ASC-Key-Type': 'team', 'X-ASC-Key-Id': 'ABCDE12345' });
    assert.equal(withId.status, 403, 'a key id still counts as a caller key');
    assert.equal(withId.json.error.code, 'CALLER_KEYS_NOT_ALLOWED');
    const withKey = await stack.get('/v1/apps?limit=1', { 'X-ASC-Private-Key': 'x' });
    assert.equal(withKey.json.error.code, 'CALLER_KEYS_NOT_ALLOWED');
  });

  test('without a server key, blank headers are CREDENTIALS_MISSING and a lone key type says what is missing', async () => {
    const before = open.sandbox.stats.requests;
    const blank = await open.get('/v1/apps', { 'X-ASC-Issuer-Id': '', 'X-ASC-Key-Id': '', 'X-ASC-Private-Key': '' });
    assert.equal(blank.status, 401);
    assert.equal(blank.json.error.code, 'CREDENTIALS_MISSING');
    const lone = await open.get('/v1/apps', { 'X-ASC-Key-Type': 'team' });
    assert.equal(lone.status, 400);
    assert.equal(lone.json.error.code, 'HEADER_INVALID');
    assert.deepEqual(lone.json.error.details.map((d) => d.parameter).sort(), ['X-ASC-Issuer-Id', 'X-ASC-Key-Id', 'X-ASC-Private-Key']);
    assert.equal(open.sandbox.stats.requests, before);
  });

  test('deprecated parameters are named in X-ASC-Deprecated and in the log, never silently dropped', async () => {
    const q = 'limit=1&exists[gameCenterEnabledVersions]=false&filter[appStoreVersions.appStoreState]=READY_FOR_SALE';
    const res = await stack.get(`/v1/apps?${q}`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.headers.get('x-asc-deprecated'), 'exists[gameCenterEnabledVersions], filter[appStoreVersions.appStoreState]');
    assert.deepEqual(stack.log.entries().at(-1).deprecated, ['exists[gameCenterEnabledVersions]', 'filter[appStoreVersions.appStoreState]']);
    // Also on an error answer after planning, and absent when nothing deprecated was used.
    const refused = await stack.get('/v1/apps?exists[gameCenterEnabledVersions]=true', { 'X-ASC-Key-Id': 'ABCDE12345' });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('x-asc-deprecated'), 'exists[gameCenterEnabledVersions]');
    const clean = await stack.get('/v1/apps?limit=1');
    assert.equal(clean.headers.get('x-asc-deprecated'), null);
    assert.deepEqual(stack.log.entries().at(-1).deprecated, []);
  });
});

describe('timing of the API-key check', () => {
  test('no early exit on length or on the first differing character (medians of in-process handle())', async (t) => {
    const key = newAppleKey();
    const apiKey = `gw-${'k'.repeat(37)}`; // 40 characters
    const config = loadConfig({ GATEWAY_API_KEY: apiKey, ASC_BASE_URL: 'http://127.0.0.1:9', ...serverKeyEnv(key) });
    let fetched = 0;
    const handle = createHandler(config, {
      fetch: async () => { fetched += 1; throw new Error('must not fetch'); },
      log: () => {},
    });
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'x' ? 'y' : 'x') + s.slice(i + 1);
    const variants = {
      sameLengthFirstCharWrong: { key: flip(apiKey, 0), path: '/v1/apps', status: 401 },
      sameLengthLastCharWrong: { key: flip(apiKey, apiKey.length - 1), path: '/v1/apps', status: 401 },
      shorter: { key: apiKey.slice(0, 8), path: '/v1/apps', status: 401 },
      longer: { key: `${apiKey}${'z'.repeat(200)}`, path: '/v1/apps', status: 401 },
      rightKeyThenRouteNotFound: { key: apiKey, path: '/v1/nope', status: 404 },
    };
    const names = Object.keys(variants);
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    const once = async (n) => {
      const v = variants[n];
      const req = new Request(`http://gw.test${v.path}`, { headers: { 'X-API-Key': v.key } });
      const t0 = process.hrtime.bigint();
      const res = await handle(req);
      const dt = Number(process.hrtime.bigint() - t0) / 1000;
      assert.equal(res.status, v.status, n);
      return dt;
    };
    for (let i = 0; i < 200; i += 1) for (const n of names) await once(n); // warm-up
    const ROUNDS = 2000;
    for (let r = 0; r < ROUNDS; r += 1) {
      const order = r % 2 ? names : [...names].reverse();
      for (const n of order) samples[n].push(await once(n));
    }
    handle.close();
    assert.equal(fetched, 0);
    const med = Object.fromEntries(names.map((n) => [n, median(samples[n])]));
    t.diagnostic(`API-key check medians over ${ROUNDS} interleaved rounds (µs): ${names.map((n) => `${n} ${med[n].toFixed(1)}`).join(', ')}`);
    const base = med.sameLengthFirstCharWrong;
    for (const n of ['sameLengthLastCharWrong', 'shorter', 'longer']) {
      const ratio = med[n] / base;
      assert.ok(ratio >= 0.5 && ratio <= 2.0, `${n}: median ${med[n].toFixed(1)} µs is ${ratio.toFixed(2)}× the same-length wrong key`);
    }
    // The right key goes on to plan the request, so it may only take longer, never return sooner.
    assert.ok(med.rightKeyThenRouteNotFound / base >= 0.5, 'the right key takes no shortcut');

    // The comparison itself, without the request around it.
    const direct = { first: [], last: [], length: [] };
    const cands = { first: flip(apiKey, 0), last: flip(apiKey, apiKey.length - 1), length: apiKey.slice(0, 8) };
    for (let r = 0; r < 3000; r += 1) {
      for (const n of Object.keys(direct)) {
        const t0 = process.hrtime.bigint();
        assert.equal(await constantTimeEqual(cands[n], apiKey), false);
        direct[n].push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
    const dm = Object.fromEntries(Object.entries(direct).map(([n, s]) => [n, median(s)]));
    t.diagnostic(`constantTimeEqual medians (µs): first char differs ${dm.first.toFixed(1)}, last char differs ${dm.last.toFixed(1)}, other length ${dm.length.toFixed(1)}`);
    for (const n of ['last', 'length']) {
      const ratio = dm[n] / dm.first;
      assert.ok(ratio >= 0.5 && ratio <= 2.0, `constantTimeEqual ${n}: ${ratio.toFixed(2)}×`);
    }
  });
});
