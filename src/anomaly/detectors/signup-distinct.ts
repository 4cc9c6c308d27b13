import type { SignupFloodConfig } from '../config.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { modifiedZ, RobustEwma, scoreFromZ } from '../sketches/robust.js';
import { SpaceSaving } from '../sketches/space-saving.js';

/** How many networks get their own distinct-session counter and baseline. */
const TRACKED_PREFIXES = 256;
/** RobustEwma's scale is a mean absolute deviation; for a normal series MAD ≈ 0.845 × that. */
const MAD_PER_MEAN_DEVIATION = 0.845;

export interface DistinctVerdict {
  distinct: number;
  score: number;
  z: number;
  baseline: { median: number; mad: number; windows: number };
  window_start: number;
}

/**
 * Distinct sessions seen from one network per window (any session event), for the networks
 * with the most session traffic (Space-Saving), each with a HyperLogLog counter and its own
 * robust EWMA baseline of past windows. A carrier NAT always shows many sessions and learns
 * that; a network that suddenly hosts far more distinct sessions than it ever has (tokens
 * farmed elsewhere and used from one place, or a slow creation flood) stands out. A network
 * is judged only once its own baseline is warm: new networks are the creation check's job.
 */
export class DistinctSessionsPerPrefix {
  private readonly heavy = new SpaceSaving(TRACKED_PREFIXES);
  private readonly counters: (HyperLogLog | undefined)[] = [];
  private readonly baselines: RobustEwma[] = [];
  private readonly joined = new Float64Array(TRACKED_PREFIXES);
  private readonly flagged = new Float64Array(TRACKED_PREFIXES).fill(-1);
  private readonly windowMs: number;
  private window = -1;

  constructor(private readonly config: SignupFloodConfig) {
    this.windowMs = config.distinct_window_s * 1000;
  }

  get approxBytes(): number {
    return this.heavy.approxBytes + TRACKED_PREFIXES * (256 + 64 + 48 + 16);
  }

  /**
   * Counts a session seen from `prefix` at `time`; a verdict the first time the network's
   * window turns anomalous. `learnable(prefix)` says whether a closing window may be learned.
   */
  add(prefix: string, sessionId: string, time: number, learnable: (prefix: string) => boolean): DistinctVerdict | undefined {
    const window = Math.floor(time / this.windowMs);
    if (window > this.window) this.roll(window, learnable);
    const slot = this.heavy.offer(prefix);
    if (this.heavy.replaced) {
      this.counters[slot]?.clear();
      (this.baselines[slot] ??= new RobustEwma(0.2)).reset();
      this.joined[slot] = this.window;
      this.flagged[slot] = -1;
    }
    const counter = (this.counters[slot] ??= new HyperLogLog(8));
    if (!counter.add(sessionId) || this.flagged[slot] === this.window) return undefined;
    const distinct = counter.count();
    const baseline = this.baselines[slot]!;
    if (distinct < this.config.distinct_floor || baseline.count < this.config.distinct_warmup_windows) return undefined;
    // Distinct counts vary like Poisson counts, so the MAD is at least 0.6745 · √median.
    const mad = Math.max(baseline.scale * MAD_PER_MEAN_DEVIATION, 0.6745 * Math.sqrt(baseline.level), this.config.mad_floor);
    const z = modifiedZ(distinct, baseline.level, mad, this.config.mad_floor);
    if (z <= this.config.z_threshold) return undefined;
    this.flagged[slot] = this.window;
    return {
      distinct,
      score: scoreFromZ(z, this.config.z_threshold),
      z: Math.round(z * 100) / 100,
      baseline: { median: Math.round(baseline.level * 10) / 10, mad: Math.round(mad * 10) / 10, windows: baseline.count },
      window_start: this.window * this.windowMs,
    };
  }

  /** Closes the window: each tracked network's count is learned unless flagged, partial or allow-listed. */
  private roll(window: number, learnable: (prefix: string) => boolean): void {
    for (let slot = 0; slot < this.heavy.tracked; slot++) {
      const counter = this.counters[slot];
      if (!counter) continue;
      const full = this.joined[slot]! < this.window && window === this.window + 1;
      if (full && this.flagged[slot] !== this.window && learnable(this.heavy.keyOf(slot)!)) this.baselines[slot]!.add(counter.count());
      counter.clear();
    }
    // Half-life of an hour: a network that stopped being busy makes room for one that is.
    this.heavy.decay(0.5 ** (this.windowMs / 3_600_000));
    this.window = window;
  }
}
