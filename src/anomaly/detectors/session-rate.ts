import type { SessionRateConfig } from '../config.js';
import { SlotTable, type ColumnHandle } from '../sketches/lru.js';
import { modifiedZ, RobustWindow, scoreFromZ } from '../sketches/robust.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE, type EngineDetector } from './common.js';

/** Why a session's rate is anomalous, for the finding's evidence. */
export interface RateVerdict {
  count: number;
  window_start: number;
  score: number;
  /** Undefined while the population baseline is still warming up (only the raised floor applied). */
  z: number | undefined;
  baseline: { median_rate: number; mad_log: number; samples: number } | undefined;
}

/**
 * A per-session count per window compared with the population: what refresh_storm and
 * ingestion_spike share. The population baseline is the median/MAD of log(1 + count) over the
 * last `baseline_size` completed session-windows: rates are heavy-tailed, and on the log scale
 * "ten times the usual" is the same distance at every level. A session-window enters the
 * baseline when it is over, unless it raised a finding or its session is allow-listed.
 *
 * Per session: 9 bytes of columns plus the table's 24, for at most `max_sessions` sessions
 * with a window in progress (the least recently active are forgotten first).
 */
export class SessionRate {
  private readonly table: SlotTable;
  private readonly window: ColumnHandle<Uint32Array>;
  private readonly count: ColumnHandle<Float32Array>;
  private readonly flagged: ColumnHandle<Uint8Array>;
  private readonly baseline: RobustWindow;
  private readonly windowMs: number;

  constructor(
    private readonly config: SessionRateConfig,
    private readonly coldFloorFactor: number,
  ) {
    this.table = new SlotTable(config.max_sessions);
    this.window = this.table.column(Uint32Array);
    this.count = this.table.column(Float32Array);
    this.flagged = this.table.column(Uint8Array);
    this.baseline = new RobustWindow(config.baseline_size);
    this.windowMs = config.window_s * 1000;
  }

  get approxBytes(): number {
    return this.table.approxBytes + this.baseline.approxBytes;
  }

  /**
   * Counts `amount` for the session at `time`; a verdict the first time its window turns
   * anomalous (once per window). `learnable` says whether the session may teach the baseline.
   */
  add(sessionId: string, time: number, amount: number, learnable: () => boolean): RateVerdict | undefined {
    const window = Math.floor(time / this.windowMs);
    const slot = this.table.acquire(sessionId);
    const counts = this.count.a;
    if (this.table.fresh) {
      this.window.a[slot] = window;
    } else if (window > this.window.a[slot]!) {
      if (this.flagged.a[slot] === 0 && counts[slot]! > 0 && learnable()) this.baseline.add(Math.log1p(counts[slot]!));
      this.window.a[slot] = window;
      counts[slot] = 0;
      this.flagged.a[slot] = 0;
    }
    const count = (counts[slot] = counts[slot]! + amount);
    if (this.flagged.a[slot] === 1 || count < this.config.floor) return undefined;
    const verdict = this.judge(count);
    if (!verdict) return undefined;
    this.flagged.a[slot] = 1;
    return { ...verdict, count, window_start: this.window.a[slot]! * this.windowMs };
  }

  private judge(count: number): Pick<RateVerdict, 'score' | 'z' | 'baseline'> | undefined {
    const { warmup_samples, z_threshold, mad_floor, floor } = this.config;
    if (this.baseline.count < warmup_samples) {
      const coldFloor = floor * this.coldFloorFactor;
      if (this.coldFloorFactor === 0 || count < coldFloor) return undefined;
      return { score: Math.min(1, 0.5 + (0.5 * (count - coldFloor)) / coldFloor), z: undefined, baseline: undefined };
    }
    const { median, mad } = this.baseline.current();
    const z = modifiedZ(Math.log1p(count), median, mad, mad_floor);
    if (z <= z_threshold) return undefined;
    return {
      score: scoreFromZ(z, z_threshold),
      z: Math.round(z * 100) / 100,
      baseline: { median_rate: Math.round(Math.expm1(median) * 100) / 100, mad_log: Math.round(mad * 1000) / 1000, samples: this.baseline.count },
    };
  }
}

/**
 * refresh_storm and ingestion_spike: one session's count per window against the population.
 * Subclasses say which event counts, by how much, and what the count is called in evidence.
 */
export abstract class SessionRateDetector implements EngineDetector {
  abstract readonly name: string;
  private readonly rate: SessionRate;

  constructor(
    protected readonly config: SessionRateConfig,
    coldFloorFactor: number,
  ) {
    this.rate = new SessionRate(config, coldFloorFactor);
  }

  get approxBytes(): number {
    return this.rate.approxBytes;
  }

  abstract observe(input: DetectionInput, context: DetectionContext): Finding[];

  /** Counts `amount` for the event's session; a finding when the window's count is anomalous. */
  protected count(
    input: DetectionInput & { session_id: string },
    context: DetectionContext,
    amount: number,
    countName: string,
    extra: Record<string, unknown> = {},
  ): Finding[] {
    const entity = { kind: 'session', id: input.session_id } as const;
    const verdict = this.rate.add(input.session_id, input.time, amount, () => !context.isAllowListed(entity, input.time));
    if (!verdict) return NONE;
    return [
      finding(this.name, this.config, entity, input.time, verdict.score, {
        [countName]: verdict.count,
        window_s: this.config.window_s,
        window_start: verdict.window_start,
        floor: this.config.floor,
        z: verdict.z ?? null,
        baseline: verdict.baseline ?? 'warming up',
        ...extra,
        ...(input.client_id ? { client_id: input.client_id } : {}),
        ...networkEvidence(input, context),
      }),
    ];
  }
}
