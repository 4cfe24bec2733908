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



/** The request `planAnyRequest` checks: any operation of Apple's spec. */
export interface AnyRequest {
    /** GET, POST, PATCH or DELETE (any case). */
    method: string;
    /** Apple's path with ids filled in, e.g. "/v1/apps/6446998023/appInfos". */
    path: string;
    /** A raw query string, or name → string (Apple's form: "a,b", "10") | number | boolean | array. */
    query?: string | Record<string, string | number | boolean | Array<string | number | boolean> | null>;
    /** The JSON:API document (or its JSON text) for operations that take a body. */
    body?: unknown;
    /** Ask for flat records instead of Apple's document (checked to be a boolean; see AnyRequestPlan.shape). */
    shape?: boolean;
}

/** What to send upstream, from `planAnyRequest`. */
export interface AnyRequestPlan {
    method: "GET" | "POST" | "PATCH" | "DELETE";
    /** The upstream path (ids percent-encoded). */
    path: string;
    /** The canonical query without "?" (may be empty). */
    query: string;
    /** The body to send (compact JSON text), or null. */
    body: string | null;
    /** Apple's operationId. */
    operationId: string;
    /** The matched path template. */
    template: string;
    /** Deprecated parameters that were used (warnings). */
    deprecations: Problem[];
    /** Present (true) when the request asked for `shape: true`. */
    shape?: true;
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
 * Reads the spec pack (the default export of `asc-connector-wasm/spec-pack`) for `planAnyRequest`.
 *
 * The first pack loaded is kept for the life of the module; later calls return its summary.
 */
export function loadSpecPack(text: string): { spec: string; operations: number };

/**
 * Checks any request of Apple's spec against the loaded spec pack and returns what to send.
 *
 * `request` is an object `{method, path, query?, body?}` or its JSON text/bytes (duplicate keys
 * refused). Throws `SPEC_PACK_NOT_LOADED`, `REQUEST_TARGET_INVALID`, `ROUTE_NOT_FOUND` (nearest
 * paths in the message), `METHOD_NOT_ALLOWED`, `ID_INVALID`, `BODY_*`, or `REQUEST_INVALID` with one
 * detail per query parameter or body field (its name or JSON path in `parameter`).
 */
export function planAnyRequest(request: AnyRequest | string | Uint8Array): AnyRequestPlan;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly loadSpecPack: (a: any) => [number, number, number];
    readonly planAnyRequest: (a: any) => [number, number, number];
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
