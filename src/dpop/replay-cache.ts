/**
 * RFC 9449 §11.1: a server must not accept the same proof twice within the window in which
 * its `iat` is acceptable. Behind an interface because one process's memory only protects
 * that process; a shared store (Redis `SET key 1 NX PXAT expiresAtMs`) protects a cluster.
 */
export interface DpopReplayStore {
  /**
   * Records `key` until `expiresAtMs` (epoch milliseconds). Resolves false when the key is
   * already recorded and not yet expired. Check-and-record must be atomic.
   */
  remember(key: string, expiresAtMs: number): Promise<boolean>;
}

export interface MemoryDpopReplayStoreOptions {
  /** Most entries kept; the oldest are evicted beyond it so memory stays bounded. @default 100_000 */
  maxEntries?: number;
  now?: () => number;
}

/**
 * One process's replay cache. Eviction trades memory for safety: an entry evicted before it
 * expires could be replayed once more, so size `maxEntries` above the number of proofs
 * accepted per leeway window (the default covers ~800 proofs per second with a 60 s leeway
 * on each side).
 */
export class MemoryDpopReplayStore implements DpopReplayStore {
  /** Key → expiry, for the lookup. */
  private readonly entries = new Map<string, number>();
  /**
   * The same entries in the order they were recorded, oldest at `head` (expiries are nearly
   * ordered since they follow `iat`). Not the Map's own order: taking its oldest key means a
   * new iterator each time, and a new iterator walks every deleted entry V8 still keeps at the
   * front of the table, 61-78 µs a proof at 100,000 entries. A queued key recorded again
   * later is stale (the Map holds its newer expiry) and is passed over.
   */
  private queuedKeys: string[] = [];
  private queuedExpiries: number[] = [];
  private head = 0;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor({ maxEntries = 100_000, now = Date.now }: MemoryDpopReplayStoreOptions = {}) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.maxEntries = maxEntries;
    this.now = now;
  }

  get size(): number {
    return this.entries.size;
  }

  // No await between the lookup and the insert: atomic within the process.
  async remember(key: string, expiresAtMs: number): Promise<boolean> {
    const now = this.now();
    this.pruneExpired(now);
    const seenUntil = this.entries.get(key);
    if (seenUntil !== undefined && seenUntil >= now) return false;
    this.entries.set(key, expiresAtMs);
    this.queuedKeys.push(key);
    this.queuedExpiries.push(expiresAtMs);
    while (this.entries.size > this.maxEntries) this.dropOldest();
    return true;
  }

  /** Drops expired entries from the oldest end; amortised O(1) since each goes once. */
  private pruneExpired(now: number): void {
    while (this.head < this.queuedKeys.length && this.queuedExpiries[this.head]! < now) this.dropOldest();
  }

  private dropOldest(): void {
    const key = this.queuedKeys[this.head]!;
    if (this.entries.get(key) === this.queuedExpiries[this.head]) this.entries.delete(key);
    this.head++;
    // Compacted once half the queue is behind the head: each entry is moved a bounded number of times.
    if (this.head >= 1024 && this.head * 2 >= this.queuedKeys.length) {
      this.queuedKeys = this.queuedKeys.slice(this.head);
      this.queuedExpiries = this.queuedExpiries.slice(this.head);
      this.head = 0;
    }
  }
}
