import { medianMad, type RobustStats } from './robust.js';
import { HOUR_MS } from '../../shared/time.js';

const SLOTS = 168;
/** 1970-01-01 was a Thursday; shifting by three days makes slot 0 Monday 00:00 UTC. */
const MONDAY_SHIFT_HOURS = 72;
const work = new Float64Array(4096);

/** The UTC hour of the week (0 = Monday 00:00–01:00) of an epoch-ms time. */
export function hourOfWeek(time: number): number {
  return (Math.floor(time / HOUR_MS) + MONDAY_SHIFT_HOURS) % SLOTS;
}

export interface HourOfWeekOptions {
  /** Observations kept for the recent baseline (one per window: 60 = the last hour of minutes). @default 60 */
  recentSize?: number;
  /** Observations before the recent baseline may be compared with. @default 30 */
  recentWarmup?: number;
  /** Weeks an hour-of-week slot must have seen before it is trusted. @default 1 */
  slotWarmup?: number;
  /** EWMA weight of the newest week in a slot (the first weeks are averaged plainly). @default 0.3 */
  alpha?: number;
}

/**
 * What is normal for one series (per-minute sign-ups from one network, per-window traffic of
 * one client) at this hour of the week. Each of the 168 UTC hour-of-week slots holds an EWMA,
 * across weeks, of the median and MAD of that hour's observations, so Monday 9:00 is compared
 * with earlier Mondays at 9:00 and a quiet night with earlier nights. Until a slot has seen
 * `slotWarmup` weeks, the median/MAD of the last `recentSize` observations stands in; until
 * that has `recentWarmup` observations there is no baseline and callers must not alert.
 *
 * Callers observe only windows that raised no finding and whose entity is not allow-listed,
 * so an attack never teaches the baseline that it is normal.
 */
export class HourOfWeekBaseline {
  /** [weeks seen, median, MAD] per slot. */
  private readonly slots = new Float32Array(SLOTS * 3);
  /** [days seen, median, MAD] per UTC hour of the day: what a slot stands on while its weeks accrue. */
  private readonly hours = new Float32Array(24 * 3);
  private readonly recent: Float32Array;
  private readonly recentWarmup: number;
  private readonly slotWarmup: number;
  private readonly alpha: number;
  private next = 0;
  private recentCount = 0;
  private inHour = 0;
  private hour = -1;
  private cached: RobustStats | undefined;

  constructor({ recentSize = 60, recentWarmup = 30, slotWarmup = 1, alpha = 0.3 }: HourOfWeekOptions = {}) {
    this.recent = new Float32Array(Math.min(recentSize, work.length));
    this.recentWarmup = Math.min(recentWarmup, this.recent.length);
    this.slotWarmup = slotWarmup;
    this.alpha = alpha;
  }

  /** Folds one window's value, observed at `time` (any time within the window). */
  observe(value: number, time: number): void {
    const hour = Math.floor(time / HOUR_MS);
    if (hour > this.hour) {
      if (this.hour >= 0) this.foldHour();
      this.hour = hour;
      this.inHour = 0;
    }
    this.recent[this.next] = value;
    this.next = (this.next + 1) % this.recent.length;
    this.recentCount++;
    this.inHour++;
    this.cached = undefined;
  }

  /**
   * The median and MAD to compare with at `time`: the hour-of-week slot when it is warm (and
   * the recent baseline is not higher), otherwise the recent baseline; undefined while cold.
   * `slotOnly` insists on a warm slot (off-hours: "normal for this hour" is the whole point).
   */
  expected(time: number, slotOnly = false): RobustStats | undefined {
    const base = hourOfWeek(time) * 3;
    const slot = this.slots[base]! >= this.slotWarmup ? { median: this.slots[base + 1]!, mad: this.slots[base + 2]! } : undefined;
    if (slotOnly) return slot;
    const recent = this.recentStats();
    if (slot && recent) return { median: Math.max(slot.median, recent.median), mad: Math.max(slot.mad, recent.mad) };
    return slot ?? recent;
  }

  /**
   * For "unusual for the time" from day one: the hour-of-week slot once it has its weeks,
   * else the same hour of the day across the days seen so far (`basis` says which);
   * undefined on the first day. The recent hours are no stand-in: a morning ramp would
   * look like an anomaly, and the windows it flags would never be learned.
   */
  expectedForHour(time: number): (RobustStats & { basis: 'hour_of_week' | 'hour_of_day' }) | undefined {
    const slot = this.expected(time, true);
    if (slot) return { ...slot, basis: 'hour_of_week' };
    const base = (Math.floor(time / HOUR_MS) % 24) * 3;
    return this.hours[base]! >= 1 ? { median: this.hours[base + 1]!, mad: this.hours[base + 2]!, basis: 'hour_of_day' } : undefined;
  }

  /**
   * The busiest hour of the day so far (the highest median among the UTC hours of the day
   * seen) and how many hours of the day have been seen: what "a quiet hour" is measured against.
   */
  busiestHour(): { median: number; hoursSeen: number } {
    let median = 0;
    let hoursSeen = 0;
    for (let base = 0; base < this.hours.length; base += 3) {
      if (this.hours[base]! < 1) continue;
      hoursSeen++;
      median = Math.max(median, this.hours[base + 1]!);
    }
    return { median, hoursSeen };
  }

  /** Forgets everything (the slot of a tracked key changed hands). */
  reset(): void {
    this.slots.fill(0);
    this.hours.fill(0);
    this.next = 0;
    this.recentCount = 0;
    this.inHour = 0;
    this.hour = -1;
    this.cached = undefined;
  }

  /** Observations folded so far. */
  get observations(): number {
    return this.recentCount;
  }

  get approxBytes(): number {
    return this.slots.byteLength + this.hours.byteLength + this.recent.byteLength + 96;
  }

  private recentStats(): RobustStats | undefined {
    if (this.recentCount < this.recentWarmup) return undefined;
    this.cached ??= medianMad(this.recent, Math.min(this.recentCount, this.recent.length), work);
    return this.cached;
  }

  /** Folds the hour that just ended (its last `inHour` observations) into its slot. */
  private foldHour(): void {
    const n = Math.min(this.inHour, this.recent.length);
    if (n === 0) return;
    for (let i = 0; i < n; i++) work[i] = this.recent[(this.next - n + i + this.recent.length) % this.recent.length]!;
    const { median, mad } = medianMad(work, n, work);
    const base = hourOfWeek(this.hour * HOUR_MS) * 3;
    const weeks = this.slots[base]!;
    const alpha = Math.max(this.alpha, 1 / (weeks + 1));
    this.slots[base] = weeks + 1;
    this.slots[base + 1] = weeks === 0 ? median : this.slots[base + 1]! + alpha * (median - this.slots[base + 1]!);
    this.slots[base + 2] = weeks === 0 ? mad : this.slots[base + 2]! + alpha * (mad - this.slots[base + 2]!);
    fold(this.hours, (this.hour % 24) * 3, median, mad, this.alpha);
  }
}

/** EWMA of one [count, median, MAD] triple (the first observations averaged plainly). */
function fold(into: Float32Array, base: number, median: number, mad: number, alphaFloor: number): void {
  const seen = into[base]!;
  const alpha = Math.max(alphaFloor, 1 / (seen + 1));
  into[base] = seen + 1;
  into[base + 1] = seen === 0 ? median : into[base + 1]! + alpha * (median - into[base + 1]!);
  into[base + 2] = seen === 0 ? mad : into[base + 2]! + alpha * (mad - into[base + 2]!);
}
