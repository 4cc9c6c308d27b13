import type { OffHoursConfig } from '../config.js';
import { HourOfWeekBaseline, hourOfWeek } from '../sketches/hour-of-week.js';
import { BoundedLru } from '../sketches/lru.js';
import { modifiedZ, scoreFromZ, type RobustStats } from '../sketches/robust.js';
import type { DetectionContext, DetectionInput, Finding, GeoLocation } from '../types.js';
import { finding, locate, NONE, type EngineDetector } from './common.js';

const MAX_GAP_WINDOWS = 36;
/** Local solar hours from midnight during which the first day's night prior applies. */
const NIGHT_ENDS_HOUR = 5;

interface ClientTraffic {
  window: number;
  count: number;
  /** Requests (events of the bus) behind `count`: telemetry batches carry several events each. */
  requests: number;
  flagged: boolean;
  baseline: HourOfWeekBaseline;
}

/** A batch's events at the rate they happened: an offline backlog spanning hours weighs little. */
function telemetryWeight(input: { accepted: number; rejected: number; ts_span_s?: number }, windowS: number): number {
  const offered = Math.max(1, input.accepted + input.rejected);
  const span = input.ts_span_s ?? 0;
  return span > windowS ? Math.max(1, (offered * windowS) / span) : offered;
}

/**
 * A client's traffic from one country far above what it usually has at this time: tokens
 * used at 3 a.m. by an application whose users there sleep (seed 004: "usage outside normal
 * time windows"). Keyed by client and country, because a worldwide app is always awake
 * somewhere. Compared with the same hour-of-week slot once it has seen `warmup_weeks` weeks;
 * until then with the same hour of the day across the days seen (from the second day); on
 * the first day, at local night only, past `cold_floor_factor` times the floor. Telemetry
 * counts its events, each batch at the rate its events happened. Weak evidence on its own,
 * hence low weight and severity: it colours other alerts.
 */
export class OffHoursDetector implements EngineDetector {
  readonly name = 'off_hours';
  private readonly clients: BoundedLru<string, ClientTraffic>;
  private readonly windowMs: number;

  constructor(
    private readonly config: OffHoursConfig,
    private readonly coldFloorFactor: number,
  ) {
    this.clients = new BoundedLru(config.max_clients);
    this.windowMs = config.window_s * 1000;
  }

  get approxBytes(): number {
    return this.clients.size * 2800;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    const clientId = input.client_id;
    if (!clientId) return NONE;
    const location = locate(input, context);
    const country = location?.country;
    const window = Math.floor(input.time / this.windowMs);
    const state = this.stateFor(country ? `${clientId}|${country}` : clientId, clientId, window, input.time, context);
    state.requests++;
    state.count += input.type === 'telemetry.ingested' ? telemetryWeight(input, this.config.window_s) : 1;
    if (state.flagged || state.count < this.config.floor) return NONE;
    const expected = state.baseline.expectedForHour(input.time) ?? this.nightPrior(state, location, input.time);
    if (!expected) return NONE;
    // Requests arrive like a Poisson process but each carries `count / requests` events on
    // average: the count is compound Poisson, its spread √(median · events per request).
    const mad = Math.max(expected.mad, 0.6745 * Math.sqrt(expected.median * (state.count / state.requests)));
    const z = modifiedZ(state.count, expected.median, mad, this.config.mad_floor);
    if (z <= this.config.z_threshold) return NONE;
    state.flagged = true;
    return [
      finding(
        this.name,
        this.config,
        { kind: 'client', id: clientId },
        input.time,
        scoreFromZ(z, this.config.z_threshold),
        {
          events: state.count,
          window_s: this.config.window_s,
          window_start: window * this.windowMs,
          hour_of_week_utc: hourOfWeek(input.time),
          basis: expected.basis,
          ...(country ? { country } : {}),
          expected: { median: Math.round(expected.median * 10) / 10, mad: Math.round(expected.mad * 10) / 10 },
          z: Math.round(z * 100) / 100,
        },
        'low',
      ),
    ];
  }

  /**
   * The first day, before any hour has history: people sleep at night where they are, so at
   * 0–5 a.m. local solar time (from the network's longitude) a count past the cold floor is
   * compared with the key's recent windows (an hour of them at least).
   */
  private nightPrior(state: ClientTraffic, location: GeoLocation | undefined, time: number): (RobustStats & { basis: 'night_prior' }) | undefined {
    // A server (hosting range) keeps no hours; a key without an hour of history has no "usual" yet.
    if (!location || location.datacenter || this.coldFloorFactor === 0 || state.count < this.config.floor * this.coldFloorFactor) return undefined;
    const localHour = (((time / 3_600_000 + location.lon / 15) % 24) + 24) % 24;
    if (localHour >= NIGHT_ENDS_HOUR) return undefined;
    const recent = state.baseline.expected(time);
    return recent ? { ...recent, basis: 'night_prior' } : undefined;
  }

  private stateFor(key: string, clientId: string, window: number, time: number, context: DetectionContext): ClientTraffic {
    let state = this.clients.get(key);
    if (!state) {
      // The ring holds at least an hour of windows: a slot's median/MAD is over that hour's windows.
      const perHour = Math.max(1, Math.ceil(3_600_000 / this.windowMs));
      const baseline = new HourOfWeekBaseline({ recentSize: perHour, recentWarmup: perHour, slotWarmup: this.config.warmup_weeks });
      state = { window, count: 0, requests: 0, flagged: false, baseline };
      this.clients.set(key, state);
      return state;
    }
    if (window <= state.window) return state;
    if (!state.flagged && !context.isAllowListed({ kind: 'client', id: clientId }, time)) {
      state.baseline.observe(state.count, state.window * this.windowMs);
      const gap = Math.min(window - state.window - 1, MAX_GAP_WINDOWS);
      for (let i = 1; i <= gap; i++) state.baseline.observe(0, (state.window + i) * this.windowMs);
    }
    state.window = window;
    state.count = 0;
    state.requests = 0;
    state.flagged = false;
    return state;
  }
}
