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
 * Mints one signed App Store Connect token.
 *
 * `nowSeconds` defaults to the host clock.
 */
export function mintToken(options: TokenOptions, nowSeconds: number | undefined): string;

/**
 * The SPKI PEM of a private key's public half (what Apple and verifiers need; not secret).
 */
export function publicKeyPem(privateKey: any): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_tokenminter_free: (a: number, b: number) => void;
    readonly mintToken: (a: any, b: any) => [number, number, number, number];
    readonly publicKeyPem: (a: any) => [number, number, number, number];
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
