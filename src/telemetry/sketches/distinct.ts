import { hash } from 'node:crypto';

/**
 * A distinct-count sketch that is exact while small and becomes a HyperLogLog (Flajolet et
 * al. 2007, with linear counting for small ranges) past EXACT_LIMIT items. Hand-written
 * rather than a dependency: the two operations needed (add, merge) and a stable text form
 * for the rollup row take less code than an adapter to a library would.
 *
 * Items are 64-bit prefixes of their SHA-1, so the sketch holds no ids, only hashes; merging
 * two sketches is a union, which is what a coarser interval or a wider filter needs.
 */
const PRECISION = 12;
const REGISTERS = 1 << PRECISION;
/** Past this many distinct hashes the exact set (8 bytes each) is larger than it is worth. */
const EXACT_LIMIT = 128;
/** Bias constant for 4096 registers. */
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);
/** Standard error of the estimate once in HyperLogLog mode: 1.04 / √4096 ≈ 1.6%. */
export const DISTINCT_RELATIVE_ERROR = 1.04 / Math.sqrt(REGISTERS);

export class DistinctSketch {
  /** 16 hex digits per item while exact; undefined once in HyperLogLog mode. */
  private exact: Set<string> | undefined = new Set();
  private registers: Uint8Array | undefined;

  static hashOf(id: string): string {
    return hash('sha1', id, 'hex').slice(0, 16);
  }

  /** The id added last: a batch's events share one session and user, and a repeat changes nothing. */
  private lastId: string | undefined;

  add(id: string): void {
    if (id === this.lastId) return;
    this.lastId = id;
    this.addHash(DistinctSketch.hashOf(id));
  }

  addHash(hex: string): void {
    if (this.exact) {
      this.exact.add(hex);
      if (this.exact.size > EXACT_LIMIT) this.toRegisters();
      return;
    }
    this.observe(hex);
  }

  merge(other: DistinctSketch): void {
    if (other.exact) {
      for (const hex of other.exact) this.addHash(hex);
      return;
    }
    if (this.exact) this.toRegisters();
    const mine = this.registers!;
    const theirs = other.registers!;
    for (let index = 0; index < REGISTERS; index += 1) if (theirs[index]! > mine[index]!) mine[index] = theirs[index]!;
  }

  /** Exact below EXACT_LIMIT items; otherwise within about ±1.6% (one standard error). */
  estimate(): number {
    if (this.exact) return this.exact.size;
    const registers = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (const rank of registers) {
      sum += 2 ** -rank;
      if (rank === 0) zeros += 1;
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
    // Small-range correction: linear counting is the better estimator while registers are empty.
    if (raw <= 2.5 * REGISTERS && zeros > 0) return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
    return Math.round(raw);
  }

  /** `x:<base64 of 8-byte hashes>` while exact, `h:<base64 of the registers>` after. */
  serialize(): string {
    if (this.exact) return `x:${Buffer.from([...this.exact].join(''), 'hex').toString('base64')}`;
    return `h:${Buffer.from(this.registers!).toString('base64')}`;
  }

  static parse(text: string): DistinctSketch {
    const sketch = new DistinctSketch();
    const bytes = Buffer.from(text.slice(2), 'base64');
    if (text.startsWith('h:') && bytes.length === REGISTERS) {
      sketch.exact = undefined;
      sketch.registers = new Uint8Array(bytes);
    } else if (text.startsWith('x:') && bytes.length % 8 === 0) {
      for (let offset = 0; offset < bytes.length; offset += 8) sketch.exact!.add(bytes.subarray(offset, offset + 8).toString('hex'));
    } else {
      throw new Error('not a serialised DistinctSketch');
    }
    return sketch;
  }

  private toRegisters(): void {
    const items = this.exact ?? new Set<string>();
    this.exact = undefined;
    this.registers = new Uint8Array(REGISTERS);
    for (const hex of items) this.observe(hex);
  }

  /** The first PRECISION bits pick the register; the rank is the position of the first 1 after them. */
  private observe(hex: string): void {
    const high = Number.parseInt(hex.slice(0, 8), 16);
    const low = Number.parseInt(hex.slice(8, 16), 16);
    const index = high >>> (32 - PRECISION);
    const rest = (high << PRECISION) >>> 0;
    const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - PRECISION + (low !== 0 ? Math.clz32(low) : 32) + 1;
    if (rank > this.registers![index]!) this.registers![index] = rank;
  }
}
