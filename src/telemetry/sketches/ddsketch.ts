/**
 * DDSketch (Masson, Rim and Lee, VLDB 2019): a quantile sketch with a relative-error
 * guarantee that merges exactly, so one-minute rollups add up to any interval. Hand-written
 * (about a hundred lines) because the rollup row needs a compact, stable JSON form, and the
 * published packages bring protobuf encodings and mapping variants this does not need.
 *
 * A value v > 0 falls in bucket ⌈log_γ v⌉ with γ = (1 + α) / (1 − α); answering with the
 * bucket's midpoint 2γ^i / (γ + 1) is within α of every value in it. Negative values use a
 * mirrored store; values too close to zero are counted as zero.
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
const MIN_INDEXABLE = 1e-9;
/** Bound on buckets per store; the lowest are collapsed past it (tail quantiles stay exact-ish). */
const MAX_BUCKETS = 2048;

/** The serialised form: count, sum, min, max, zero count, and flat [index, count, …] lists. */
export interface DDSketchJson {
  n: number;
  s: number;
  lo: number;
  hi: number;
  z: number;
  p: number[];
  m: number[];
}

export class DDSketch {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private zero = 0;
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();

  add(value: number, weight = 1): void {
    if (!Number.isFinite(value)) return;
    this.count += weight;
    this.sum += value * weight;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value > MIN_INDEXABLE) DDSketch.bump(this.positive, DDSketch.indexOf(value), weight);
    else if (value < -MIN_INDEXABLE) DDSketch.bump(this.negative, DDSketch.indexOf(-value), weight);
    else this.zero += weight;
  }

  merge(other: DDSketch): void {
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.zero += other.zero;
    for (const [index, weight] of other.positive) DDSketch.bump(this.positive, index, weight);
    for (const [index, weight] of other.negative) DDSketch.bump(this.negative, index, weight);
  }

  /** The q-quantile (0 ≤ q ≤ 1), within RELATIVE_ACCURACY of a true value; undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = q * (this.count - 1);
    let seen = 0;
    // Ascending value order: most negative first, then zero, then positive.
    for (const index of [...this.negative.keys()].sort((a, b) => b - a)) {
      seen += this.negative.get(index)!;
      if (seen > rank) return this.clamp(-DDSketch.valueOf(index));
    }
    seen += this.zero;
    if (seen > rank) return this.clamp(0);
    for (const index of [...this.positive.keys()].sort((a, b) => a - b)) {
      seen += this.positive.get(index)!;
      if (seen > rank) return this.clamp(DDSketch.valueOf(index));
    }
    return this.max;
  }

  toJSON(): DDSketchJson {
    const flat = (store: Map<number, number>) => [...store].sort(([a], [b]) => a - b).flat();
    return { n: this.count, s: this.sum, lo: this.min, hi: this.max, z: this.zero, p: flat(this.positive), m: flat(this.negative) };
  }

  static fromJSON(json: DDSketchJson): DDSketch {
    const sketch = new DDSketch();
    sketch.count = json.n;
    sketch.sum = json.s;
    sketch.min = json.n > 0 ? json.lo : Infinity;
    sketch.max = json.n > 0 ? json.hi : -Infinity;
    sketch.zero = json.z;
    for (let i = 0; i + 1 < json.p.length; i += 2) sketch.positive.set(json.p[i]!, json.p[i + 1]!);
    for (let i = 0; i + 1 < json.m.length; i += 2) sketch.negative.set(json.m[i]!, json.m[i + 1]!);
    return sketch;
  }

  private clamp(value: number): number {
    return Math.min(this.max, Math.max(this.min, value));
  }

  private static indexOf(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / LN_GAMMA);
  }

  private static valueOf(index: number): number {
    return (2 * GAMMA ** index) / (GAMMA + 1);
  }

  private static bump(store: Map<number, number>, index: number, weight: number): void {
    store.set(index, (store.get(index) ?? 0) + weight);
    if (store.size > MAX_BUCKETS) DDSketch.collapseLowest(store);
  }

  /** Folds the smallest-magnitude bucket into the next one: low quantiles lose accuracy first. */
  private static collapseLowest(store: Map<number, number>): void {
    const [lowest, next] = [...store.keys()].sort((a, b) => a - b);
    if (lowest === undefined || next === undefined) return;
    store.set(next, store.get(next)! + store.get(lowest)!);
    store.delete(lowest);
  }
}
