/* tslint:disable */
/* eslint-disable */

/** Options for `mintToken` and `TokenMinter`. */
export interface TokenOptions {
    /** The key ID shown next to the key in App Store Connect (the XXXX in AuthKey_XXXX.p8). */
    keyId: string;
    /** The issuer ID (UUID-shaped) of a team key. Leave out for individual keys. */
    issuerId?: string;
    /** True for an individual key: the token gets `sub: "user"` and no `iss`. */
    individual?: boolean;
    /** The .p8 contents, in any accepted shape (PEM, one line, literal \n, base64 of the file, SEC1...). */
    privateKey: string;
    /** exp − iat in seconds: 240 to 1200, default 900. */
    lifetimeSeconds?: number;
    /** Optional scope entries such as "GET /v1/apps". */
    scope?: string[];
}

/** One problem found in a token or a request. */
export interface Problem {
    code: string;
    message: string;
    parameter?: string;
}

/** Errors thrown by this module. */
export interface AscConnectorError extends Error {
    code: string;
    status: number;
    details: Problem[];
}



/** What `inspectToken` found. */
export interface TokenInspection {
    header: Record<string, unknown> | null;
    payload: Record<string, unknown> | null;
    problems: Problem[];
    issuedAt: number | null;
    expiresAt: number | null;
    lifetimeSeconds: number | null;
    signatureEncoding: "raw" | "der" | "unknown";
    signatureVerified: boolean | null;
}

/** The upstream request planned by `planRequest`. */
export interface RequestPlan {
    operationId: string;
    upstreamPath: string;
    upstreamQuery: string;
    pagingQuery: string;
    cursor: string | null;
    deprecations: Problem[];
}

/** What `shapeResponse` needs to know about the request. */
export interface ShapeOptions {
    /** The gateway's public base URL, without a trailing slash. */
    baseUrl: string;
    /** `RequestPlan.upstreamPath`. */
    path: string;
    /** `RequestPlan.pagingQuery`. */
    query: string;
    /** The origin of ASC_BASE_URL; next links elsewhere are dropped. */
    upstreamOrigin: string;
    /** Return Apple's JSON:API document instead of flat records. */
    raw?: boolean;
    /** For a write: how to check whether it was applied; added to Apple's 5xx answers. */
    outcomeHint?: string;
    /** Return the body as its UTF-8 bytes (a Uint8Array) instead of a string, for a host that writes bytes. */
    bytes?: boolean;
}

/** The caller-facing answer built by `shapeResponse`. */
export interface ShapedResponse {
    status: number;
    /** JSON text; its UTF-8 bytes when the options asked for `bytes: true`. */
    body: string | Uint8Array;
}



/**
 * Keeps one token and re-mints it shortly before it expires.
 */
export class TokenMinter {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Forgets the cached token, e.g. after Apple answered 401.
     */
    invalidate(): void;
    /**
     * Parses the key and checks the options once.
     */
    constructor(options: TokenOptions);
    /**
     * The cached token, or a fresh one when it is close to expiry. `nowSeconds` defaults to the clock.
     */
    token(nowSeconds: number | undefined): string;
    /**
     * `exp` of the cached token in seconds since 1970, if one is cached.
     */
    readonly expiresAt: number | undefined;
    /**
     * How many tokens this minter has signed.
     */
    readonly mintCount: number;
}

/**
 * The error document `{"error": {status, code, message, details?}}` as JSON text, built by the
 * crate's one builder (`error::error_document`). The status comes from the code's row in
 * `errorCodes()`, or from `status` when the caller answers with another one (an HTTP error status,
 * 400 to 599: `UPSTREAM_OUTCOME_UNKNOWN` is 504 after a timeout); an unknown code is reported as
 * `INTERNAL` (500) with a fixed message.
 */
export function errorBody(code: any, message: any, details: Array<{ code: string; message: string; parameter?: string }> | undefined, status: number | undefined): string;

/**
 * Every error code with the HTTP status the gateway answers with.
 */
export function errorCodes(): Array<{ code: string; status: number }>;

/**
 * Decodes a token WITHOUT trusting it and lists every way it breaks Apple's rules.
 *
 * The signature is checked only when `publicKeyPem` is given.
 */
export function inspectToken(jwt: any, nowSeconds: number | undefined, publicKeyPem: string | undefined): TokenInspection;

/**
 * Mints one signed App Store Connect token.
 *
 * `nowSeconds` defaults to the host clock.
 */
export function mintToken(options: TokenOptions, nowSeconds: number | undefined): string;

/**
 * The operation table: every operation with its path, method and parameters.
 */
export function operations(): Array<Record<string, unknown>>;

/**
 * Matches a request to an operation and validates its query against Apple's parameters.
 *
 * Throws `ROUTE_NOT_FOUND`, `METHOD_NOT_ALLOWED` or `REQUEST_INVALID` (with one detail per problem).
 */
export function planRequest(method: any, path: any, rawQuery: any): RequestPlan;

/**
 * Checks the body of a write and returns the JSON:API document to send to Apple, or `null` when
 * the operation takes no body and none was given.
 *
 * `body` is the request body's bytes (or text); `raw` is true for `X-ASC-Format: raw` (Apple's
 * own document), false for the flat form. Throws `BODY_NOT_ALLOWED`, `BODY_REQUIRED`,
 * `BODY_MALFORMED`, `BODY_TOO_LARGE`, `BODY_TOO_DEEP`, `BODY_DUPLICATE_KEY` or `BODY_INVALID`
 * (one detail per problem).
 */
export function prepareBody(operationId: any, body: Uint8Array | string, raw: any): string | null;

/**
 * The SPKI PEM of a private key's public half (what Apple and verifiers need; not secret).
 */
export function publicKeyPem(privateKey: any): string;

/**
 * Turns Apple's answer into the caller's answer (flat records, or the error shape). The body comes
 * as text, as its bytes, or as the list of byte chunks it arrived in (copied straight into one
 * buffer here, so the host never joins them); the answer is JSON text.
 */
export function shapeResponse(operationId: any, upstreamStatus: any, upstreamBody: string | Uint8Array | Uint8Array[], options: ShapeOptions): ShapedResponse;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_tokenminter_free: (a: number, b: number) => void;
    readonly errorBody: (a: any, b: any, c: any, d: any) => [number, number, number, number];
    readonly errorCodes: () => [number, number, number];
    readonly inspectToken: (a: any, b: any, c: any) => [number, number, number];
    readonly mintToken: (a: any, b: any) => [number, number, number, number];
    readonly operations: () => [number, number, number];
    readonly planRequest: (a: any, b: any, c: any) => [number, number, number];
    readonly prepareBody: (a: any, b: any, c: any) => [number, number, number];
    readonly publicKeyPem: (a: any) => [number, number, number, number];
    readonly shapeResponse: (a: any, b: any, c: any, d: any) => [number, number, number];
    readonly tokenminter_expiresAt: (a: number) => [number, number];
    readonly tokenminter_invalidate: (a: number) => void;
    readonly tokenminter_mintCount: (a: number) => number;
    readonly tokenminter_new: (a: any) => [number, number, number];
    readonly tokenminter_token: (a: number, b: any) => [number, number, number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
