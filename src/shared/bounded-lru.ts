/** An entry of a BoundedLru: its place in the recency list is kept by the entry, not by the Map. */
interface LruEntry<K, V> {
  key: K;
  value: V;
  /** Toward the youngest entry. */
  younger: LruEntry<K, V> | undefined;
  /** Toward the oldest entry. */
  older: LruEntry<K, V> | undefined;
}

/**
 * A bounded least-recently-used map for small tables (clients, prefixes with failed logins,
 * allow-listed entities, geo answers per prefix, open alerts, dedupe keys). The Map only finds
 * entries; recency is a doubly linked list through them, so a hit relinks a few pointers and an
 * eviction takes the list's tail: O(1) both ways, at any size.
 *
 * Why not the Map's own insertion order (delete and re-insert a key on each hit, evict the first
 * key): V8's ordered hash table keeps a deleted entry in its bucket's chain until it rehashes,
 * so a busy key re-inserted again and again makes its own chain longer with every use, and
 * every lookup of it walks that chain. With one busy key among tens of thousands (a client's,
 * while every visitor brings a new network; or an attacker's) a hit and an eviction cost 2 µs at
 * 1,000 entries, 37 µs at 10,000, 124 µs at 50,000 and 249 µs at 100,000 on the 2-core
 * machine; here 0.4 to 1 µs. The price is one small object per entry.
 */
export class BoundedLru<K, V> {
  private readonly entries = new Map<K, LruEntry<K, V>>();
  private youngest: LruEntry<K, V> | undefined;
  private oldest: LruEntry<K, V> | undefined;
  /** Called with each entry pushed out by a newer one. */
  onEvict?: (key: K, value: V) => void;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, made young; `has` tells a cached undefined from a miss. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.makeYoungest(entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The value without making it young. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.makeYoungest(existing);
      return;
    }
    const entry: LruEntry<K, V> = { key, value, younger: undefined, older: this.youngest };
    if (this.youngest) this.youngest.younger = entry;
    this.youngest = entry;
    this.oldest ??= entry;
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) {
      const evicted = this.oldest;
      this.unlink(evicted);
      this.entries.delete(evicted.key);
      this.onEvict?.(evicted.key, evicted.value);
    }
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.unlink(entry);
    return this.entries.delete(key);
  }

  /** The values, oldest first. The entry being visited may be deleted meanwhile, not the others. */
  *values(): IterableIterator<V> {
    for (const [, value] of this.entriesIterator()) yield value;
  }

  /** The entries, oldest first. The entry being visited may be deleted meanwhile, not the others. */
  *entriesIterator(): IterableIterator<[K, V]> {
    for (let entry = this.oldest; entry; ) {
      const younger = entry.younger;
      yield [entry.key, entry.value];
      entry = younger;
    }
  }

  private makeYoungest(entry: LruEntry<K, V>): void {
    if (entry === this.youngest) return;
    this.unlink(entry);
    entry.older = this.youngest;
    if (this.youngest) this.youngest.younger = entry;
    this.youngest = entry;
    this.oldest ??= entry;
  }

  private unlink(entry: LruEntry<K, V>): void {
    if (entry.younger) entry.younger.older = entry.older;
    else this.youngest = entry.older;
    if (entry.older) entry.older.younger = entry.younger;
    else this.oldest = entry.younger;
    entry.younger = undefined;
    entry.older = undefined;
  }
}
