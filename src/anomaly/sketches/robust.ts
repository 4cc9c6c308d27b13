/**
 * Robust statistics for baselines. The median and the median absolute deviation (MAD) are
 * barely moved by the outliers a detector is looking for, unlike the mean and the standard
 * deviation; the modified z-score of Iglewicz and Hoaglin (1993) puts a value on that scale,
 * and |z| > 3.5 is their recommended cut-off for "outlier".
 */

/** 0.6745 · (x − median) / MAD, with MAD raised to `madFloor` (a constant series has MAD 0). */
export function modifiedZ(x: number, median: number, mad: number, madFloor: number): number {
  return (0.6745 * (x - median)) / Math.max(mad, madFloor);
}

/** Maps a z-score onto 0..1: 0.5 at the threshold, 1 at twice the threshold and beyond. */
export function scoreFromZ(z: number, threshold: number): number {
  return Math.min(1, Math.max(0, 0.5 + (0.5 * (z - threshold)) / threshold));
}

export interface RobustStats {
  median: number;
  mad: number;
}

/** Median and MAD of `values[0..length)`; sorts `work` (same length or longer) in place. */
export function medianMad(values: ArrayLike<number>, length: number, work: Float64Array): RobustStats {
  if (length === 0) return { median: 0, mad: 0 };
  for (let i = 0; i < length; i++) work[i] = values[i]!;
  const sorted = work.subarray(0, length).sort();
  const median = middle(sorted);
  for (let i = 0; i < length; i++) sorted[i] = Math.abs(sorted[i]! - median);
  sorted.sort();
  return { median, mad: middle(sorted) };
}

function middle(sorted: Float64Array): number {
  const n = sorted.length;
  const half = n >> 1;
  return n % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/**
 * The median and MAD of the last `size` observations of a population (per-session refresh
 * rates, per-prefix failure counts). Recomputed at most every `size / 8` additions, so the
 * cost per event stays a few array writes; a baseline that is a few samples stale is as good.
 */
export class RobustWindow {
  private readonly values: Float64Array;
  private readonly work: Float64Array;
  private next = 0;
  private sinceCompute = Infinity;
  private stats: RobustStats = { median: 0, mad: 0 };
  /** Observations ever added. */
  count = 0;

  constructor(readonly size = 512) {
    this.values = new Float64Array(size);
    this.work = new Float64Array(size);
  }

  add(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
    this.count++;
    this.sinceCompute++;
  }

  current(): RobustStats {
    if (this.sinceCompute >= Math.max(1, this.size >> 3) || (this.sinceCompute > 0 && this.count < this.size)) {
      this.stats = medianMad(this.values, Math.min(this.count, this.size), this.work);
      this.sinceCompute = 0;
    }
    return this.stats;
  }

  get approxBytes(): number {
    return this.values.byteLength + this.work.byteLength + 64;
  }
}

/**
 * A robust exponentially weighted baseline of one series (one prefix's distinct sessions per
 * window): each observation is first clipped to `level ± clip · scale` (winsorised), so one
 * spike cannot drag the level; `scale` is the EWMA of absolute deviations, which for a normal
 * series is 1.18 × its MAD, so it can stand in for the MAD in the modified z-score.
 */
export class RobustEwma {
  count = 0;
  level = 0;
  scale = 0;

  constructor(
    private readonly alpha = 0.1,
    private readonly clip = 3.5,
  ) {}

  add(value: number): void {
    this.count++;
    // The first observations are averaged plainly: an EWMA seeded with one value would
    // remember it for far too long.
    const alpha = Math.max(this.alpha, 1 / this.count);
    let x = value;
    if (this.count > 4) {
      const bound = this.clip * Math.max(this.scale, 1e-9);
      x = Math.min(this.level + bound, Math.max(this.level - bound, value));
    }
    const deviation = Math.abs(x - this.level);
    this.level += alpha * (x - this.level);
    this.scale = this.count === 1 ? 0 : this.scale + alpha * (deviation - this.scale);
  }

  reset(): void {
    this.count = 0;
    this.level = 0;
    this.scale = 0;
  }
}
