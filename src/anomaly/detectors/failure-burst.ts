import type { DistributedStuffingConfig } from '../config.js';

/** Recent first failures remembered per client; a burst larger than this is blatant anyway. */
const RING = 256;
/** Zero minutes learned after a gap, at most (a quiet night is not hours of evidence). */
const MAX_GAP_MINUTES = 60;
/** The rate never drops below this (first failures per minute), so two at night are not "rare". */
const RATE_FLOOR = 0.05;
const MINUTE_MS = 60_000;

/**
 * P(X ≥ n) for X ~ Poisson(λ), summed from the tail's first term (no 1 − Σ cancellation,
 * so probabilities down to 1e-300 stay exact enough to compare with a small α).
 */
export function poissonTail(n: number, lambda: number): number {
  if (n <= 0) return 1;
  let logTerm = -lambda + n * Math.log(lambda);
  for (let k = 2; k <= n; k++) logTerm -= Math.log(k);
  let term = Math.exp(logTerm);
  let sum = 0;
  for (let k = n; k < n + 200 && term > sum * 1e-12; k++) {
    sum += term;
    term *= lambda / (k + 1);
  }
  return Math.min(1, sum);
}

export interface Burst {
  /** Networks with a first failure (an account not failing recently) in the window. */
  count: number;
  window_s: number;
  /** Expected in the window from the learned rate. */
  expected: number;
  p_value: number;
  /** When the alarm this burst opened started (the alert's window). */
  episode_start: number;
}

/**
 * One client's first failed logins per minute against a learned rate, judged as a Poisson
 * scan: first failures from `n` networks within the last minute (or four) when `λ` first
 * failures were expected is an alarm when P(X ≥ n | λ) < `burst_p_value`. Counting only an account's first failure in
 * `new_account_s` makes one person's repeated typos one event, which is what keeps legitimate
 * failures near-Poisson; a distributed attack tries a new leaked account with every attempt,
 * so a few attempts a minute are already far outside that.
 *
 * The rate is an EWMA (about an hour) of per-minute counts; minutes in or near an alarm are
 * not learned and every minute is clipped a few standard deviations above the rate, so an
 * attack kept just under the line cannot teach the baseline that it is normal.
 */
export class FailureBurst {
  private readonly times = new Float64Array(RING);
  private readonly networks = new Uint32Array(RING);
  private next = 0;
  private stored = 0;
  private minute = -1;
  private inMinute = 0;
  private rate = 0;
  private learned = 0;
  private alarmUntil = -Infinity;
  private episodeStart = 0;
  private lastBurst = -Infinity;

  constructor(private readonly settings: DistributedStuffingConfig) {}

  static readonly approxBytes = RING * 12 + 96;

  /** Moves to the minute holding `time`, learning the minutes that ended unless `learn` is false (allow-listed client). */
  advance(time: number, learn: boolean): void {
    const minute = Math.floor(time / MINUTE_MS);
    if (this.minute < 0) this.minute = minute;
    if (minute <= this.minute) return;
    const gap = Math.min(minute - this.minute - 1, MAX_GAP_MINUTES);
    if (learn && this.minute * MINUTE_MS >= this.alarmUntil) {
      this.learn(this.inMinute);
      for (let i = 0; i < gap; i++) this.learn(0);
    }
    this.minute = minute;
    this.inMinute = 0;
  }

  /**
   * Records a first failure from `network` (a hash); returns the burst it completes when that
   * opens a new alarm. A network counts once per long window: what is judged is how many
   * networks start failing, so stuffing from one network (the per-network check's business)
   * neither makes a burst nor hides one.
   */
  add(time: number, network: number): Burst | undefined {
    if (this.recentlyFrom(network, time - 4 * this.settings.burst_window_s * 1000)) return undefined;
    // The rate learned is of what is judged: networks starting to fail.
    this.inMinute++;
    this.times[this.next] = time;
    this.networks[this.next] = network;
    this.next = (this.next + 1) % RING;
    this.stored = Math.min(this.stored + 1, RING);
    if (this.learned < this.settings.burst_warmup_minutes) return undefined;
    const short = this.settings.burst_window_s;
    let found: Omit<Burst, 'episode_start'> | undefined;
    for (const windowS of [short, 4 * short]) {
      const burst = this.judge(time, windowS);
      if (burst && (!found || burst.p_value < found.p_value)) found = burst;
    }
    if (!found) return undefined;
    // Bursts less than a long window apart are one episode, one alert however many hours it
    // lasts; minutes up to ten after the last burst are not learned.
    const fresh = time - this.lastBurst > 4 * short * 1000;
    if (fresh) this.episodeStart = time;
    this.lastBurst = time;
    this.alarmUntil = time + 10 * MINUTE_MS;
    return fresh ? { ...found, episode_start: this.episodeStart } : undefined;
  }

  private recentlyFrom(network: number, since: number): boolean {
    for (let i = 1; i <= this.stored; i++) {
      const slot = (this.next - i + RING) % RING;
      if (this.times[slot]! <= since) return false;
      if (this.networks[slot] === network) return true;
    }
    return false;
  }

  private judge(time: number, windowS: number): Omit<Burst, 'episode_start'> | undefined {
    const since = time - windowS * 1000;
    let count = 0;
    for (let i = 1; i <= this.stored; i++) {
      const slot = (this.next - i + RING) % RING;
      if (this.times[slot]! <= since) break;
      count++;
    }
    if (count < this.settings.burst_min_failures) return undefined;
    const expected = Math.max(this.rate, RATE_FLOOR) * (windowS / 60);
    const p = poissonTail(count, expected);
    if (p >= this.settings.burst_p_value) return undefined;
    return { count, window_s: windowS, expected: Math.round(expected * 100) / 100, p_value: p };
  }

  private learn(value: number): void {
    const warm = this.learned >= this.settings.burst_warmup_minutes;
    const ceiling = warm ? this.rate + 3 * Math.sqrt(Math.max(this.rate, RATE_FLOOR)) + 1 : Infinity;
    const alpha = Math.max(1 / 60, 1 / (this.learned + 1));
    this.rate += alpha * (Math.min(value, ceiling) - this.rate);
    this.learned++;
  }
}
