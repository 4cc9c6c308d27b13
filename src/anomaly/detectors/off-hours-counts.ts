/** The bookkeeping of off_hours: sliding counts of a key's traffic and how bursty it usually is. */

/**
 * Events and requests of one key in slices of a window (a sixth of it), far enough back for the
 * longest window judged, so that a sliding count over any whole number of windows is the slices
 * within it plus the unexpired part of the one it is leaving: a batch is never counted twice.
 */
export class SlidingCounts {
  private readonly events: Float64Array;
  private readonly requests: Float64Array;
  private newest: number;

  constructor(
    private readonly sliceMs: number,
    /** Slices in the longest window summed. */
    private readonly span: number,
    time: number,
  ) {
    this.events = new Float64Array(span + 1);
    this.requests = new Float64Array(span + 1);
    this.newest = Math.floor(time / sliceMs);
  }

  add(time: number, events: number): void {
    const slice = Math.floor(time / this.sliceMs);
    const size = this.span + 1;
    for (let s = Math.max(this.newest + 1, slice - this.span); s <= slice; s++) {
      this.events[s % size] = 0;
      this.requests[s % size] = 0;
    }
    this.newest = Math.max(this.newest, slice);
    this.events[slice % size]! += events;
    this.requests[slice % size]! += 1;
  }

  /** Events and requests in the `slices` slices up to `time` (a request is one event of the bus). */
  sum(time: number, slices: number): { count: number; requests: number } {
    const size = this.span + 1;
    const slice = Math.floor(time / this.sliceMs);
    const leaving = (((slice - slices) % size) + size) % size;
    const unexpired = 1 - (time - slice * this.sliceMs) / this.sliceMs;
    let count = this.events[leaving]! * unexpired;
    let requests = this.requests[leaving]! * unexpired;
    for (let s = slice - slices + 1; s <= slice; s++) {
      count += this.events[s % size]!;
      requests += this.requests[s % size]!;
    }
    return { count, requests: Math.max(1, requests) };
  }

  get approxBytes(): number {
    return this.events.byteLength + this.requests.byteLength + 64;
  }
}

/**
 * How much burstier than Poisson a count series is (its variance over its mean, at least 1):
 * EWMAs of the count and of half the squared change from one count to the next, which the slow
 * rise and fall of a day barely moves. People arrive together, and a visit sends several
 * requests in a row.
 */
export class Dispersion {
  private mean = 0;
  private halfSquaredStep = 0;
  private last = 0;
  private seen = 0;

  constructor(private readonly alphaFloor: number) {}

  add(value: number): void {
    this.seen++;
    const alpha = Math.max(this.alphaFloor, 1 / this.seen);
    this.mean += alpha * (value - this.mean);
    if (this.seen > 1) this.halfSquaredStep += alpha * ((value - this.last) ** 2 / 2 - this.halfSquaredStep);
    this.last = value;
  }

  /** The variance over the mean, within [1, max]; `fallback` until `warmup` counts were seen. */
  value(warmup: number, fallback: number, max: number): number {
    if (this.seen < warmup) return fallback;
    return Math.min(max, Math.max(1, this.halfSquaredStep / Math.max(1, this.mean)));
  }
}
