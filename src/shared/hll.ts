/**
 * A mergeable distinct-count sketch: exact while small, a HyperLogLog (Flajolet et al. 2007)
 * with 2^14 one-byte registers after. The estimate uses Ertl's improved estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017, algorithm 6), which is
 * unbiased from one item to billions without the empirical bias tables of HyperLogLog++.
 *
 * - Accuracy: exact up to EXACT_LIMIT distinct items (two ids collide in the 53-bit hash with
 *   odds of about 1 in 10^9 at that size); past it, a relative standard error of
 *   1.04 / √16384 ≈ 0.81 %, so ±2 % is about 2.5 standard errors.
 * - Merging is a union: the maximum of each register, which is commutative, associative and
 *   idempotent, so sketches from several nodes, or the same sketch merged twice, give the same
 *   answer.
 * - Privacy: it holds 53-bit hashes while exact and register maxima after, never an id.
 *
 * The hash is a fast non-cryptographic one (two FNV-1a lanes over UTF-16 code units, finished
 * with the murmur3 mixer): ids here are chosen by the server or by a client for its own
 * users, and a sketch only counts them, so speed matters more than resistance to crafted input.
 */
import { hash53 } from './hash.js';

export const HLL_PRECISION = 14;
const REGISTERS = 1 << HLL_PRECISION;
/** Bits of the hash left for the rank once the register index is taken. */
const RANK_BITS = 53 - HLL_PRECISION;
/** While exact, a sketch serialises at 8 bytes an item: at this size it is as large as the registers. */
export const EXACT_LIMIT = REGISTERS / 8;
/** One standard error of the estimate past EXACT_LIMIT. */
export const HLL_RELATIVE_ERROR = 1.04 / Math.sqrt(REGISTERS);

const TWO_TO_21 = 2 ** 21;
const RANK_SPAN = 2 ** RANK_BITS;

export class HllSketch {
  /** The item hashes while exact; undefined once the registers took over. */
  private exact: Set<number> | undefined = new Set();
  private registers: Uint8Array | undefined;

  add(id: string): void {
    this.addHash(hash53(id));
  }

  addHash(hash: number): void {
    if (this.exact) {
      this.exact.add(hash);
      if (this.exact.size > EXACT_LIMIT) this.toRegisters();
      return;
    }
    this.observe(hash);
  }

  /** Makes this sketch the union of itself and `other`. */
  merge(other: HllSketch): this {
    if (other.exact) {
      for (const hash of other.exact) this.addHash(hash);
      return this;
    }
    if (this.exact) this.toRegisters();
    const mine = this.registers!;
    const theirs = other.registers!;
    for (let index = 0; index < REGISTERS; index++) if (theirs[index]! > mine[index]!) mine[index] = theirs[index]!;
    return this;
  }

  get isExact(): boolean {
    return this.exact !== undefined;
  }

  estimate(): number {
    if (this.exact) return this.exact.size;
    // Ertl 2017, algorithm 6: from the histogram of register values.
    const histogram = new Array<number>(RANK_BITS + 2).fill(0);
    for (const rank of this.registers!) histogram[rank]! += 1;
    let z = REGISTERS * tau(1 - histogram[RANK_BITS + 1]! / REGISTERS);
    for (let k = RANK_BITS; k >= 1; k--) z = 0.5 * (z + histogram[k]!);
    z += REGISTERS * sigma(histogram[0]! / REGISTERS);
    return Math.round((REGISTERS * REGISTERS) / (2 * Math.LN2 * z));
  }

  /**
   * `x:` and the item hashes (8 bytes each, big-endian: the high 32 bits, then the low 21) while
   * exact; `h14:` and the registers after. Base64 either way.
   */
  serialize(): string {
    if (!this.exact) return `h${HLL_PRECISION}:${Buffer.from(this.registers!).toString('base64')}`;
    const bytes = Buffer.alloc(this.exact.size * 8);
    let offset = 0;
    for (const hash of this.exact) {
      bytes.writeUInt32BE(Math.floor(hash / TWO_TO_21), offset);
      bytes.writeUInt32BE(hash % TWO_TO_21, offset + 4);
      offset += 8;
    }
    return `x:${bytes.toString('base64')}`;
  }

  static parse(text: string): HllSketch {
    const sketch = new HllSketch();
    const colon = text.indexOf(':');
    const bytes = Buffer.from(text.slice(colon + 1), 'base64');
    const kind = text.slice(0, colon);
    if (kind === `h${HLL_PRECISION}` && bytes.length === REGISTERS && bytes.every((rank) => rank <= RANK_BITS + 1)) {
      sketch.exact = undefined;
      sketch.registers = new Uint8Array(bytes);
      return sketch;
    }
    if (kind === 'x' && bytes.length % 8 === 0) {
      for (let offset = 0; offset < bytes.length; offset += 8) {
        const low = bytes.readUInt32BE(offset + 4);
        if (low >= TWO_TO_21) throw new Error('not a serialised HllSketch: a hash is wider than 53 bits');
        sketch.addHash(bytes.readUInt32BE(offset) * TWO_TO_21 + low);
      }
      return sketch;
    }
    throw new Error('not a serialised HllSketch');
  }

  private toRegisters(): void {
    const hashes = this.exact ?? new Set<number>();
    this.exact = undefined;
    this.registers = new Uint8Array(REGISTERS);
    for (const hash of hashes) this.observe(hash);
  }

  /** The top HLL_PRECISION bits pick the register; the rank is one more than the leading zeros of the other RANK_BITS. */
  private observe(hash: number): void {
    const index = Math.floor(hash / RANK_SPAN);
    const rest = hash % RANK_SPAN;
    // The rest as its top RANK_BITS - 32 bits and its low 32 (`>>> 0` keeps an integer's low 32 bits).
    const top = Math.floor(rest / 2 ** 32);
    const bottom = rest >>> 0;
    const zeros = top !== 0 ? Math.clz32(top) - (64 - RANK_BITS) : RANK_BITS - 32 + (bottom !== 0 ? Math.clz32(bottom) : 32);
    const rank = zeros + 1;
    if (rank > this.registers![index]!) this.registers![index] = rank;
  }
}

/** σ(x) of Ertl 2017: the correction for empty registers. */
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

/** τ(x) of Ertl 2017: the correction for saturated registers. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === previous) return z / 3;
  }
}
