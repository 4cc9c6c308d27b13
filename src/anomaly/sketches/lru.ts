import { hash64 } from '../../shared/hash.js';

type Column = Float64Array | Float32Array | Uint32Array | Int32Array | Uint16Array | Int16Array | Uint8Array;

/** A column of a SlotTable; `a` is replaced when the table grows, so always read it through the handle. */
export interface ColumnHandle<T extends Column> {
  a: T;
}

const scratch = new Uint32Array(2);

/**
 * A bounded LRU from string keys (session ids, user ids) to small integer slots, with the
 * per-key data kept by the caller in typed-array columns indexed by slot. Nothing per key is
 * a JavaScript object: the key is remembered as its 64-bit hash (hash.ts), the index is an
 * open-addressing table (linear probing, backward-shift deletion) and the recency list is two
 * Int32Arrays. A key costs about 24 bytes plus its columns, which is what keeps a million
 * sessions within the memory budget. Columns grow by doubling up to `maxEntries`; beyond it
 * the least recently used key gives up its slot.
 *
 * The probe table is sized for `maxEntries` from the start (8 bytes per possible key): growing
 * then only copies columns (a memcpy), where rehashing a full table of a million keys would
 * stall the event that triggers it for tens of milliseconds.
 */
export class SlotTable {
  private h1: Uint32Array;
  private h2: Uint32Array;
  private prev: Int32Array;
  private next: Int32Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  private capacity: number;
  private head = -1;
  private tail = -1;
  private readonly columns: { ctor: new (length: number) => Column; handle: ColumnHandle<Column> }[] = [];
  size = 0;
  /** True when the last `acquire` created its key (the slot's columns are zero). */
  fresh = false;
  evictions = 0;

  constructor(
    readonly maxEntries: number,
    initialCapacity = 1024,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.capacity = Math.min(maxEntries, initialCapacity);
    this.h1 = new Uint32Array(this.capacity);
    this.h2 = new Uint32Array(this.capacity);
    this.prev = new Int32Array(this.capacity);
    this.next = new Int32Array(this.capacity);
    this.table = new Int32Array(tableSizeFor(maxEntries));
    this.mask = this.table.length - 1;
  }

  /** A typed-array column with one zeroed cell per slot. */
  column<T extends Column>(ctor: new (length: number) => T): ColumnHandle<T> {
    const handle: ColumnHandle<T> = { a: new ctor(this.capacity) };
    this.columns.push({ ctor, handle: handle as ColumnHandle<Column> });
    return handle;
  }

  /** The slot of `key`, without making it young; -1 when absent. */
  find(key: string): number {
    hash64(key, scratch);
    return this.lookup(scratch[0]!, scratch[1]!);
  }

  /** The slot of `key`, created (and zeroed) when absent; either way the key becomes the youngest. */
  acquire(key: string): number {
    hash64(key, scratch);
    const a = scratch[0]!;
    const b = scratch[1]!;
    let slot = this.lookup(a, b);
    if (slot >= 0) {
      this.fresh = false;
      this.touch(slot);
      return slot;
    }
    if (this.size < this.capacity) slot = this.size++;
    else if (this.capacity < this.maxEntries) {
      this.grow();
      slot = this.size++;
    } else {
      slot = this.tail;
      this.unindex(slot);
      this.unlink(slot);
      for (const { handle } of this.columns) handle.a[slot] = 0;
      this.evictions++;
    }
    this.h1[slot] = a;
    this.h2[slot] = b;
    this.index(slot);
    this.linkHead(slot);
    this.fresh = true;
    return slot;
  }

  get approxBytes(): number {
    let bytes = this.h1.byteLength + this.h2.byteLength + this.prev.byteLength + this.next.byteLength + this.table.byteLength;
    for (const { handle } of this.columns) bytes += handle.a.byteLength;
    return bytes;
  }

  private lookup(a: number, b: number): number {
    const { table, mask, h1, h2 } = this;
    for (let i = a & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (h1[slot] === a && h2[slot] === b) return slot;
    }
  }

  private index(slot: number): void {
    const { table, mask } = this;
    let i = this.h1[slot]! & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  /** Removes a slot from the probe table, shifting later entries of its run back (no tombstones). */
  private unindex(slot: number): void {
    const { table, mask, h1 } = this;
    let i = h1[slot]! & mask;
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const entry = table[j]!;
      if (entry === 0) break;
      const home = h1[entry - 1]! & mask;
      // Move the entry back unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        table[i] = entry;
        i = j;
      }
    }
    table[i] = 0;
  }

  private touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.linkHead(slot);
  }

  private linkHead(slot: number): void {
    this.prev[slot] = -1;
    this.next[slot] = this.head;
    if (this.head >= 0) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }

  private unlink(slot: number): void {
    const before = this.prev[slot]!;
    const after = this.next[slot]!;
    if (before >= 0) this.next[before] = after;
    else this.head = after;
    if (after >= 0) this.prev[after] = before;
    else this.tail = before;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, this.capacity * 2);
    const widen = <T extends Column>(old: T, ctor: new (length: number) => T): T => {
      const next = new ctor(capacity);
      next.set(old);
      return next;
    };
    this.h1 = widen(this.h1, Uint32Array);
    this.h2 = widen(this.h2, Uint32Array);
    this.prev = widen(this.prev, Int32Array);
    this.next = widen(this.next, Int32Array);
    for (const column of this.columns) column.handle.a = widen(column.handle.a, column.ctor);
    this.capacity = capacity;
  }
}

/** A power of two at least twice the capacity: linear probing stays short below half full. */
function tableSizeFor(capacity: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(2, capacity * 2)));
}
