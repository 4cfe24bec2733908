/* tslint:disable */
/* eslint-disable */

/** One instant trigger: a route segment, its connector operation and Apple's event types. */
export interface TriggerFamily {
    family: string;
    operationId: string;
    eventTypes: string[];
}

/** What `planSubscribe` decided: reuse a webhook, or POST this document to /v1/webhooks. */
export type SubscribePlan =
| { action: "reuse"; webhookId: string }
| { action: "create"; document: string };

/** One review poll's parameters (GET /trigger/v1/apps/{id}/customerReviews). */
export interface ReviewPollRequest {
    appId: string;
    since?: string;
    rating?: string;
    territory?: string;
    /** 1 to 200 (default 200): Apple's page size and the most reviews one poll fires. */
    pageSize?: number;
    nowSeconds?: number;
}

/** The next step of a review poll. */
export type ReviewPollStep =
| { fetch: { path: string; query: string } }
| { done: { body: string; watermark: string; count: number; skipped: boolean } };



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
 * Apple's id of the webhook it just created; throws `UPSTREAM_BAD_RESPONSE`.
 */
export function createdWebhookId(body: any): string;

/**
 * Decides how to subscribe from Apple's list of the app's webhooks (JSON text); throws
 * `TRIGGER_FAMILY_UNKNOWN`, `WEBHOOK_LIMIT_REACHED` (details list this connector's webhooks) or
 * `UPSTREAM_BAD_RESPONSE`.
 */
export function planSubscribe(appId: any, family: any, callbackUrl: any, name: string | null | undefined, listBody: any, secret: any): SubscribePlan;

/**
 * `"delete"` or `"gone"` for a webhook, from Apple's list of the app's webhooks; throws
 * `WEBHOOK_NOT_OURS` for a webhook this connector did not create.
 */
export function planUnsubscribe(webhookId: any, listBody: any): "delete" | "gone";

/**
 * Reads the subscribe body (JSON text): `{ callbackUrl, name }`; throws `TRIGGER_BODY_INVALID` or `CALLBACK_URL_*`.
 */
export function readSubscribeBody(body: any, allowLoopbackHttp: boolean | undefined): { callbackUrl: string; name: string | null };

/**
 * One step of a review poll: call it with the Apple pages read so far (none at first) until it
 * answers `{ done }`; `{ fetch: { path, query } }` names the next Apple request.
 */
export function reviewPoll(request: ReviewPollRequest, pages: string[]): ReviewPollStep;

/**
 * The instant-trigger families: `[{ family, operationId, eventTypes }]`.
 */
export function triggerFamilies(): TriggerFamily[];

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly createdWebhookId: (a: any) => [number, number, number, number];
    readonly planSubscribe: (a: any, b: any, c: any, d: any, e: any, f: any) => [number, number, number];
    readonly planUnsubscribe: (a: any, b: any) => [number, number, number, number];
    readonly readSubscribeBody: (a: any, b: any) => [number, number, number];
    readonly reviewPoll: (a: any, b: any) => [number, number, number];
    readonly triggerFamilies: () => [number, number, number];
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
