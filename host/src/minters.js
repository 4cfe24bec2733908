// A bounded cache of TokenMinter objects, one per Apple key, so each key's token is minted once and
// reused until it nears expiry (the wasm minter re-mints when < 120 s remain). Keys are identified
// by a SHA-256 fingerprint of key id + type + issuer + private key text: the raw key text is never a
// map key. At most one mint per key is in flight (callers share one promise), and an evicted
// minter is freed (wasm memory). Runtime-agnostic: crypto.subtle and TextEncoder only.

/** Default number of distinct caller keys kept warm. */
export const DEFAULT_MINTER_CAPACITY = 256;

const encoder = new TextEncoder();

/** Hex SHA-256 fingerprint of one key's identity. */
export async function keyFingerprint(key) {
  const material = [
    key.keyId ?? '',
    key.individual ? 'individual' : 'team',
    key.issuerId ?? '',
    key.privateKey ?? '',
  ].join('\u0000');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(material)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** One cached minter. */
class Entry {
  constructor(minter) {
    this.minter = minter;
    this.inFlight = null;
    this.freed = false;
  }

  /** Forgets the cached token (after Apple answered 401), unless the minter was freed meanwhile. */
  invalidate() {
    if (!this.freed) this.minter.invalidate();
  }

  free() {
    if (this.freed) return;
    this.freed = true;
    if (this.inFlight) {
      // Free once the mint that is running finishes.
      this.inFlight.finally(() => this.minter.free()).catch(() => {});
    } else {
      this.minter.free();
    }
  }
}

/**
 * LRU of minters. `TokenMinter` is the wasm class (injected so tests and runtimes share one path).
 * `token(key, nowSeconds)` resolves to { token, minted, entry } where `minted` says whether this
 * call produced a new signature and `entry.invalidate()` forgets it.
 */
export class MinterCache {
  constructor({ TokenMinter, capacity = DEFAULT_MINTER_CAPACITY }) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError('capacity must be a positive integer');
    this.TokenMinter = TokenMinter;
    this.capacity = capacity;
    this.entries = new Map();
    this.pinned = new Map();
  }

  /** Number of minters currently cached (pinned ones included). */
  get size() {
    return this.entries.size + this.pinned.size;
  }

  /** Adds a minter that is never evicted (the gateway's own server key). Returns its entry. */
  pin(name, key) {
    const entry = new Entry(new this.TokenMinter(minterOptions(key)));
    this.pinned.set(name, entry);
    return entry;
  }

  /** Looks up (or creates) the entry for a caller key. Construction errors (KEY_*) propagate. */
  async entryFor(key) {
    const fp = await keyFingerprint(key);
    let entry = this.entries.get(fp);
    if (entry) {
      // Refresh the LRU position.
      this.entries.delete(fp);
      this.entries.set(fp, entry);
      return entry;
    }
    entry = new Entry(new this.TokenMinter(minterOptions(key)));
    // Another request may have created the same entry while we were hashing.
    const raced = this.entries.get(fp);
    if (raced) {
      entry.free();
      return raced;
    }
    this.entries.set(fp, entry);
    while (this.entries.size > this.capacity) {
      const [oldest, victim] = this.entries.entries().next().value;
      this.entries.delete(oldest);
      victim.free();
    }
    return entry;
  }

  /**
   * Mints (or reuses) the token of an entry. While one mint runs, other callers for the same key
   * await that same promise instead of signing again.
   */
  async tokenFrom(entry, nowSeconds) {
    if (entry.inFlight) {
      const shared = await entry.inFlight;
      return { token: shared.token, minted: false, entry };
    }
    const run = Promise.resolve().then(() => {
      const before = entry.minter.mintCount;
      const token = entry.minter.token(nowSeconds);
      return { token, minted: entry.minter.mintCount !== before };
    });
    entry.inFlight = run;
    try {
      // Named fields, not `{ ...(await run), entry }`: see callUpstream's return (upstream.js).
      const { token, minted } = await run;
      return { token, minted, entry };
    } finally {
      if (entry.inFlight === run) entry.inFlight = null;
    }
  }

  /** Frees every minter (shutdown). */
  clear() {
    for (const e of this.entries.values()) e.free();
    for (const e of this.pinned.values()) e.free();
    this.entries.clear();
    this.pinned.clear();
  }
}

/** The TokenMinter options for a key description. */
export function minterOptions(key) {
  const opts = { keyId: key.keyId, privateKey: key.privateKey };
  if (key.individual) opts.individual = true;
  else opts.issuerId = key.issuerId;
  return opts;
}
