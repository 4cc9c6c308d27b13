import { hash64 } from '../../shared/hash.js';

const scratch = new Uint32Array(2);

/**
 * HyperLogLog (Flajolet et al., 2007) distinct counter: `2^precision` one-byte registers
 * estimate how many distinct keys were added, with a relative standard error of
 * `1.04 / √(2^precision)` (p = 7: 9 %, p = 10: 3 %). Small counts use linear counting, which
 * is close to exact while most registers are still empty.
 */
export class HyperLogLog {
  private readonly registers: Uint8Array;
  private readonly m: number;
  private cached = 0;
  private dirty = false;

  constructor(readonly precision = 8) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 16) throw new RangeError('precision must be an integer from 4 to 16');
    this.m = 1 << precision;
    this.registers = new Uint8Array(this.m);
  }

  /** Adds a key; true when the estimate may have changed. */
  add(key: string): boolean {
    hash64(key, scratch);
    const index = scratch[0]! >>> (32 - this.precision);
    // The rank comes from the independent second hash, so all 32 of its bits are usable.
    const rank = Math.clz32(scratch[1]!) + 1;
    if (rank <= this.registers[index]!) return false;
    this.registers[index] = rank;
    this.dirty = true;
    return true;
  }

  count(): number {
    if (!this.dirty) return this.cached;
    const m = this.m;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = this.registers[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
    let estimate = (alpha * m * m) / sum;
    if (estimate <= 2.5 * m && zeros > 0) estimate = m * Math.log(m / zeros);
    this.cached = Math.round(estimate);
    this.dirty = false;
    return this.cached;
  }

  clear(): void {
    this.registers.fill(0);
    this.cached = 0;
    this.dirty = false;
  }

  get approxBytes(): number {
    return this.registers.byteLength + 64;
  }
}
