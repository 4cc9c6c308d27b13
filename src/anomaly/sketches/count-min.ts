import { hash64 } from '../../shared/hash.js';

const scratch = new Uint32Array(2);

/**
 * Count-min sketch (Cormode and Muthukrishnan, 2005) with conservative update: a fixed
 * `width × depth` table of counters answers "how many times was this key added" for any
 * number of keys. An answer is never below the truth and exceeds it by at most
 * `e / width × total` with probability `1 − e^−depth`; the memory never grows.
 */
export class CountMinSketch {
  private readonly table: Uint32Array;
  private readonly mask: number;
  /** Sum of every amount added since the last clear. */
  total = 0;

  constructor(
    readonly width = 4096,
    readonly depth = 4,
  ) {
    if (!Number.isInteger(Math.log2(width))) throw new RangeError('width must be a power of two');
    this.table = new Uint32Array(width * depth);
    this.mask = width - 1;
  }

  /** Adds `amount` to `key` and returns the key's new estimate. */
  add(key: string, amount = 1): number {
    hash64(key, scratch);
    const a = scratch[0]!;
    const b = scratch[1]! | 1;
    let estimate = Infinity;
    for (let row = 0; row < this.depth; row++) estimate = Math.min(estimate, this.table[row * this.width + ((a + Math.imul(row, b)) & this.mask)]!);
    const target = estimate + amount;
    // Conservative update: raise each counter only as far as the new estimate, which keeps
    // the overestimate of light keys far below the plain sketch's.
    for (let row = 0; row < this.depth; row++) {
      const index = row * this.width + ((a + Math.imul(row, b)) & this.mask);
      if (this.table[index]! < target) this.table[index] = target;
    }
    this.total += amount;
    return target;
  }

  estimate(key: string): number {
    hash64(key, scratch);
    const a = scratch[0]!;
    const b = scratch[1]! | 1;
    let estimate = Infinity;
    for (let row = 0; row < this.depth; row++) estimate = Math.min(estimate, this.table[row * this.width + ((a + Math.imul(row, b)) & this.mask)]!);
    return estimate;
  }

  clear(): void {
    this.table.fill(0);
    this.total = 0;
  }

  get approxBytes(): number {
    return this.table.byteLength + 64;
  }
}
