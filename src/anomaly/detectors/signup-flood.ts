import type { SignupFloodConfig } from '../config.js';
import { CountMinSketch } from '../sketches/count-min.js';
import { HourOfWeekBaseline } from '../sketches/hour-of-week.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { modifiedZ, RobustWindow, scoreFromZ, type RobustStats } from '../sketches/robust.js';
import { SpaceSaving } from '../sketches/space-saving.js';
import type { DetectionContext, DetectionInput, Entity, Finding } from '../types.js';
import { finding, locate, NONE, prefixHash, sessionOf, type EngineDetector } from './common.js';
import { DistinctSessionsPerPrefix } from './signup-distinct.js';

type KeyKind = 'prefix' | 'asn';

/**
 * Guest sessions created in bulk from one network (/24 or /48) or one ASN: bots minting
 * identities. Counts per key and window live in a count-min sketch (two, for a sliding
 * window), so any number of networks costs the same memory. The heaviest keys (Space-Saving
 * top-k: carrier NATs, big ISPs, and any flooding network within seconds) get their own
 * hour-of-week baseline; the rest are compared with what heavy keys typically do in a window.
 *
 * A flash crowd (a launch, a TV spot) raises creations everywhere at once: it widens (many
 * more distinct networks and ASNs per window) where a flood deepens (one key far above its
 * usual). So expected counts are scaled by the widening, measured against its own
 * hour-of-week baseline, and a crowd from many networks stays quiet. A crowd from one country
 * can still lift a national ISP far above its own usual, so an ASN outside the hosting list
 * must also be concentrated: many creations per network it is seen from (a second pair of
 * count-min sketches counts the distinct networks per ASN).
 */
export class SignupFloodDetector implements EngineDetector {
  readonly name = 'signup_flood';
  private current = new CountMinSketch(4096, 4);
  private previous = new CountMinSketch(4096, 4);
  /** Creations per (ASN, network) pair in this window: a pair's first creation adds a network to its ASN. */
  private pairs = new CountMinSketch(4096, 4);
  /** Distinct networks per ASN, this window and the previous one (for the sliding count). */
  private networks = new CountMinSketch(2048, 4);
  private previousNetworks = new CountMinSketch(2048, 4);
  private readonly heavy: SpaceSaving;
  /** A slot's baseline and the key it belongs to: a slot changes hands often, its baseline only at a window's end. */
  private readonly baselines: HourOfWeekBaseline[] = [];
  private readonly owners: (string | undefined)[] = [];
  private readonly flagged: Float64Array;
  /** Untracked keys already reported in this window. */
  private readonly flaggedUntracked = new Set<string>();
  private readonly population: Record<KeyKind, RobustWindow> = { prefix: new RobustWindow(256), asn: new RobustWindow(256) };
  private readonly spread: Record<KeyKind, { now: HyperLogLog; previous: number; baseline: HourOfWeekBaseline }>;
  private readonly distinct: DistinctSessionsPerPrefix;
  private readonly windowMs: number;
  private window = -1;

  constructor(
    private readonly config: SignupFloodConfig,
    private readonly coldFloorFactor: number,
  ) {
    this.windowMs = config.window_s * 1000;
    this.heavy = new SpaceSaving(config.tracked_keys);
    this.flagged = new Float64Array(config.tracked_keys).fill(-1);
    const spreadBaseline = () => new HourOfWeekBaseline({ recentSize: 60, recentWarmup: config.warmup_windows });
    this.spread = {
      prefix: { now: new HyperLogLog(10), previous: 0, baseline: spreadBaseline() },
      asn: { now: new HyperLogLog(8), previous: 0, baseline: spreadBaseline() },
    };
    this.distinct = new DistinctSessionsPerPrefix(config);
  }

  get approxBytes(): number {
    const baselines = this.baselines.reduce((sum, baseline) => sum + baseline.approxBytes, 0);
    return (
      this.current.approxBytes * 2 +
      this.pairs.approxBytes +
      this.networks.approxBytes * 2 +
      this.heavy.approxBytes +
      baselines +
      this.config.tracked_keys * 16 +
      this.population.prefix.approxBytes * 2 +
      this.spread.prefix.now.approxBytes +
      this.spread.asn.now.approxBytes +
      this.distinct.approxBytes
    );
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (!input.network) return NONE;
    const sessionId = sessionOf(input);
    let found: Finding[] = NONE;
    if (sessionId) {
      const prefix = input.network.ip_prefix;
      const verdict = this.distinct.add(prefix, sessionId, input.time, (key) => !context.isAllowListed({ kind: 'prefix', id: key }, input.time));
      if (verdict) {
        const { distinct, window_start, score, ...rest } = verdict;
        found = [
          this.report(input, context, { kind: 'prefix', id: prefix }, score, {
            check: 'distinct_sessions',
            distinct_sessions: distinct,
            window_s: this.config.distinct_window_s,
            window_start,
            floor: this.config.distinct_floor,
            ...rest,
          }),
        ];
      }
    }
    if (input.type !== 'session.created') return found;

    const window = Math.floor(input.time / this.windowMs);
    if (window > this.window) this.roll(window, input.time, context);
    const prefix = input.network.ip_prefix;
    const asn = locate(input, context)?.asn;
    this.spread.prefix.now.add(prefix);
    if (asn !== undefined) this.spread.asn.now.add(String(asn));

    const byPrefix = this.count('prefix', prefix, input, context);
    if (asn !== undefined && this.pairs.add(`${asn}|${prefix}`) === 1) this.networks.add(String(asn));
    const byAsn = asn === undefined ? undefined : this.count('asn', String(asn), input, context);
    if (!byPrefix && !byAsn) return found;
    return [...found, ...(byPrefix ? [byPrefix] : []), ...(byAsn ? [byAsn] : [])];
  }

  /** Counts one creation for the key and judges its sliding-window count. */
  private count(kind: KeyKind, id: string, input: DetectionInput, context: DetectionContext): Finding | undefined {
    const key = kind === 'prefix' ? id : `asn:${id}`;
    const now = this.current.add(key);
    const slot = this.heavy.offer(key);
    if (this.heavy.replaced) this.flagged[slot] = -1;
    const floor = kind === 'prefix' ? this.config.prefix_floor : this.config.asn_floor;
    // Sliding window: the previous window's count, weighted by how much of it still overlaps.
    const elapsed = (input.time - this.window * this.windowMs) / this.windowMs;
    const sliding = now + this.previous.estimate(key) * Math.max(0, 1 - elapsed);
    if (sliding < floor || this.flagged[slot] === this.window || this.flaggedUntracked.has(key)) return undefined;
    const perNetwork =
      kind === 'asn' ? sliding / Math.max(1, this.networks.estimate(id) + this.previousNetworks.estimate(id) * Math.max(0, 1 - elapsed)) : undefined;
    if (perNetwork !== undefined && perNetwork < this.config.asn_min_per_network && locate(input, context)?.datacenter !== true) return undefined;

    const own = this.owners[slot] === key ? this.baselines[slot]!.expected(input.time) : undefined;
    const expected: (RobustStats & { source: string }) | undefined = own
      ? { ...own, source: 'own_hour_of_week' }
      : this.population[kind].count >= this.config.warmup_windows
        ? { ...this.population[kind].current(), source: 'heavy_networks' }
        : undefined;
    const widening = this.widening(kind, input.time);
    let score: number;
    let z: number | null = null;
    if (expected) {
      const median = expected.median * widening;
      // Counts per window vary like Poisson counts: MAD at least 0.6745 · √median.
      const mad = Math.max(expected.mad * widening, 0.6745 * Math.sqrt(median));
      z = modifiedZ(sliding, median, mad, this.config.mad_floor);
      if (z <= this.config.z_threshold) return undefined;
      score = scoreFromZ(z, this.config.z_threshold);
    } else {
      const coldFloor = floor * this.coldFloorFactor * widening;
      if (this.coldFloorFactor === 0 || sliding < coldFloor) return undefined;
      score = Math.min(1, 0.5 + (0.5 * (sliding - coldFloor)) / coldFloor);
    }
    if (this.heavy.keyOf(slot) === key) this.flagged[slot] = this.window;
    else this.flaggedUntracked.add(key);
    const entity: Entity = { kind, id };
    return this.report(input, context, entity, score, {
      check: 'creations',
      creations: Math.round(sliding * 10) / 10,
      window_s: this.config.window_s,
      window_start: this.window * this.windowMs,
      floor,
      z: z === null ? null : Math.round(z * 100) / 100,
      expected: expected ? { median: round(expected.median), mad: round(expected.mad), source: expected.source } : 'warming up',
      widening: round(widening),
      ...(perNetwork !== undefined ? { per_network: round(perNetwork) } : {}),
    });
  }

  /** How much wider than usual creations are spread (≥ 1): distinct keys now over their hour-of-week median. */
  private widening(kind: KeyKind, time: number): number {
    const spread = this.spread[kind];
    const normal = spread.baseline.expected(time);
    if (!normal || normal.median <= 0) return 1;
    const prefixes = Math.max(spread.previous, spread.now.count());
    const ratio = prefixes / (normal.median + normal.mad);
    // An ASN flood spread over a cloud's many /24s must not excuse itself, but a crowd widens both.
    return kind === 'asn' ? Math.max(1, ratio, this.widening('prefix', time)) : Math.max(1, ratio);
  }

  private report(input: DetectionInput, context: DetectionContext, entity: Entity, score: number, detail: Record<string, unknown>): Finding {
    const location = locate(input, context);
    return finding(this.name, this.config, entity, input.time, score, {
      ...detail,
      ...(entity.kind === 'prefix' ? { prefix_hash: prefixHash(entity.id) } : {}),
      ...(location?.asn !== undefined ? { asn: location.asn } : {}),
      ...(location?.country ? { country: location.country } : {}),
    });
  }

  /** Closes the window: heavy keys learn their count (unless flagged, partial or allow-listed). */
  private roll(window: number, time: number, context: DetectionContext): void {
    if (this.window >= 0) {
      const closedAt = this.window * this.windowMs;
      for (let slot = 0; slot < this.heavy.tracked; slot++) {
        const key = this.heavy.keyOf(slot)!;
        if (this.owners[slot] !== key) {
          // The key took the slot during this window: its count is partial, so it starts learning from the next.
          const baseline = this.baselines[slot];
          if (baseline) baseline.reset();
          else this.baselines[slot] = new HourOfWeekBaseline({ recentSize: 60, recentWarmup: this.config.warmup_windows });
          this.owners[slot] = key;
          continue;
        }
        if (this.flagged[slot] === this.window) continue;
        const count = this.current.estimate(key);
        const kind: KeyKind = key.startsWith('asn:') ? 'asn' : 'prefix';
        if (context.isAllowListed({ kind, id: kind === 'asn' ? key.slice(4) : key }, time)) continue;
        this.baselines[slot]!.observe(count, closedAt);
        if (count > 0) this.population[kind].add(count);
      }
      for (const kind of ['prefix', 'asn'] as const) {
        const spread = this.spread[kind];
        spread.previous = spread.now.count();
        spread.baseline.observe(spread.previous, closedAt);
        spread.now.clear();
      }
      this.heavy.decay(0.5 ** (this.windowMs / 3_600_000));
    }
    // Swap the sketches; after a gap of more than one window the old counts no longer overlap.
    [this.previous, this.current] = [this.current, this.previous];
    [this.previousNetworks, this.networks] = [this.networks, this.previousNetworks];
    this.current.clear();
    this.networks.clear();
    this.pairs.clear();
    if (window > this.window + 1) {
      this.previous.clear();
      this.previousNetworks.clear();
    }
    this.flaggedUntracked.clear();
    this.window = window;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
