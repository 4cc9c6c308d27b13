/**
 * Remembers DPoP proof ids until they expire (RFC 9449 §11.1). An API on several nodes plugs
 * in a shared store (e.g. Redis `SET key 1 PX ttl NX`), or a proof replayed against another
 * node is accepted there once.
 */
export interface ReplayStore {
  /** True the first time `key` is seen before `expiresAtMs`; false when it is a replay. */
  remember(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

export interface MemoryReplayStoreOptions {
  /** Most ids kept; past it the oldest go first, so memory stays bounded under a flood. @default 100_000 */
  maxEntries?: number;
  now?: () => number;
}

/** The in-process store: a Map in insertion order, swept of expired ids as it is used. */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor({ maxEntries = 100_000, now = Date.now }: MemoryReplayStoreOptions = {}) {
    this.maxEntries = maxEntries;
    this.now = now;
  }

  remember(key: string, expiresAtMs: number): boolean {
    const now = this.now();
    const known = this.seen.get(key);
    if (known !== undefined && known > now) return false;
    this.sweep(now);
    this.seen.delete(key);
    this.seen.set(key, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Drops expired ids from the front, then the oldest while over the bound. */
  private sweep(now: number): void {
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > now && this.seen.size < this.maxEntries) break;
      this.seen.delete(key);
    }
  }
}
