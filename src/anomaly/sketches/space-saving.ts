/**
 * Space-Saving top-k (Metwally, Agrawal and El Abbadi, 2005): at most `k` keys are tracked;
 * an untracked key takes the slot of the lightest one and inherits its count as an error
 * bound. Every key heavier than `total / k` is guaranteed to be tracked, so a heavy network
 * (a carrier NAT, a flooding /24) always has a slot to keep its own baseline in.
 *
 * Slots are stable small integers: callers keep per-key state in arrays indexed by slot and
 * reset it when `offer` reports that the slot changed hands. The lightest slot is found
 * through a min-heap, so an offer costs O(log k).
 */
export class SpaceSaving {
  private readonly index = new Map<string, number>();
  private readonly keys: (string | undefined)[];
  private readonly counts: Float64Array;
  private readonly errors: Float64Array;
  /** heap[i] is a slot; position[slot] is where it sits in the heap. */
  private readonly heap: Int32Array;
  private readonly position: Int32Array;
  private size = 0;
  /** True when the last `offer` gave its key a slot that belonged to another key (or none). */
  replaced = false;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError('k must be a positive integer');
    this.keys = new Array<string | undefined>(k);
    this.counts = new Float64Array(k);
    this.errors = new Float64Array(k);
    this.heap = new Int32Array(k);
    this.position = new Int32Array(k);
  }

  /** Counts `weight` for `key` and returns its slot. */
  offer(key: string, weight = 1): number {
    let slot = this.index.get(key);
    this.replaced = slot === undefined;
    if (slot === undefined) {
      if (this.size < this.k) {
        slot = this.size;
        this.heap[this.size] = slot;
        this.position[slot] = this.size;
        this.size++;
        this.counts[slot] = 0;
        this.errors[slot] = 0;
      } else {
        slot = this.heap[0]!;
        this.index.delete(this.keys[slot]!);
        this.errors[slot] = this.counts[slot]!;
      }
      this.keys[slot] = key;
      this.index.set(key, slot);
    }
    this.counts[slot] = this.counts[slot]! + weight;
    this.siftDown(this.position[slot]!);
    return slot;
  }

  /** The slot of a tracked key, or -1. */
  slotOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  keyOf(slot: number): string | undefined {
    return slot < this.size ? this.keys[slot] : undefined;
  }

  count(slot: number): number {
    return this.counts[slot] ?? 0;
  }

  /** The count's overestimate bound: what the slot already held when this key took it. */
  error(slot: number): number {
    return this.errors[slot] ?? 0;
  }

  get tracked(): number {
    return this.size;
  }

  /** Multiplies every count by `factor` (< 1) so that old traffic fades; the heap order is unchanged. */
  decay(factor: number): void {
    for (let slot = 0; slot < this.size; slot++) {
      this.counts[slot] = this.counts[slot]! * factor;
      this.errors[slot] = this.errors[slot]! * factor;
    }
  }

  /** The tracked keys, heaviest first. */
  top(n = this.k): { key: string; count: number; error: number }[] {
    const slots = Array.from({ length: this.size }, (_, slot) => slot).sort((a, b) => this.counts[b]! - this.counts[a]!);
    return slots.slice(0, n).map((slot) => ({ key: this.keys[slot]!, count: this.counts[slot]!, error: this.errors[slot]! }));
  }

  get approxBytes(): number {
    // Map entry and key string (~100 B) plus four numbers per slot.
    return this.k * (100 + 8 + 8 + 4 + 4 + 8);
  }

  private siftDown(at: number): void {
    const { heap, position, counts } = this;
    let i = at;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && counts[heap[right]!]! < counts[heap[left]!]! ? right : left;
      if (counts[heap[child]!]! >= counts[heap[i]!]!) break;
      const a = heap[i]!;
      const b = heap[child]!;
      heap[i] = b;
      heap[child] = a;
      position[b] = i;
      position[a] = child;
      i = child;
    }
  }
}
