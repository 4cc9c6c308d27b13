import type { OffHoursConfig } from '../config.js';
import { HourOfWeekBaseline, hourOfWeek } from '../sketches/hour-of-week.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import type { RobustStats } from '../sketches/robust.js';
import type { DetectionContext, DetectionInput, Finding, GeoLocation } from '../types.js';
import { finding, locate, NONE, sessionOf, type EngineDetector } from './common.js';
import { poissonTail } from './failure-burst.js';
import { Dispersion, SlidingCounts } from './off-hours-counts.js';

/** Quiet windows filled in after a gap: an hour of them is all the recent baseline keeps. */
const MAX_GAP_HOURS = 1;
/** Local solar hours from midnight during which the night prior applies. */
const NIGHT_ENDS_HOUR = 5;
/** An anomalous window this soon after the previous one continues its burst (one alert). */
const BURST_GAP_WINDOWS = 10;
/** Requests per window a key is always expected to be able to have (two people's visits). */
const RATE_FLOOR = 2;
/** Weight of a window in the key's usual batch size and burstiness, once the first windows are averaged. */
const BATCH_ALPHA = 0.02;
/** Counts learnt before the key's own burstiness is used; until then traffic is taken as this bursty. */
const DISPERSION_WARMUP = 60;
const DEFAULT_DISPERSION = 2;
/** Burstier than this and a key could hide anything: clumps are taken at most this large. */
const MAX_DISPERSION = 8;
/** The sliding window is counted in sixths. */
const SLICES = 6;
/**
 * A burst too modest to stand out in one window stands out over this many: a script keeps
 * going for many minutes, a lump of ordinary traffic does not. Judged the same way, against the
 * hour's rate times this and the burstiness of such spans.
 */
const LONG_WINDOWS = 5;

interface PlaceTraffic {
  window: number;
  count: number;
  /** Requests (events of the bus) behind `count`: telemetry batches carry several events each. What the baseline learns. */
  requests: number;
  /** Requests of sessions, users or networks another detector reported in this window: never learnt. */
  suspect: number;
  /** The key's usual events per request (EWMA over the windows learnt). */
  eventsPerRequest: number;
  learnt: number;
  /** How much burstier than Poisson the key's requests per window, and per LONG_WINDOWS windows, are. */
  dispersion: Dispersion;
  longDispersion: Dispersion;
  /** The LONG_WINDOWS span being learnt (its index), its requests so far, and whether a window of it raised a finding. */
  span: number;
  spanRequests: number;
  spanFlagged: boolean;
  counts: SlidingCounts;
  flagged: boolean;
  /** The burst this key is in: when its alert started and the last window that was anomalous. */
  burstStart: number;
  burstLast: number;
  baseline: HourOfWeekBaseline;
}

/**
 * The rate (requests per window) a window is judged against: the median, or the spread's
 * variance if larger (traffic burstier than Poisson), and never below RATE_FLOOR, so that a
 * key that is usually silent is not surprised by two or three people arriving at once.
 */
function expectedRate(expected: RobustStats): number {
  const sd = 1.4826 * expected.mad;
  return Math.max(RATE_FLOOR, expected.median + 0.5, sd * sd);
}

/** 0.5 at the threshold, 1 when the p-value is the threshold squared (twice as many decades). */
function scoreFromP(pValue: number, threshold: number): number {
  const decades = -Math.log10(Math.max(pValue, 1e-300));
  const needed = -Math.log10(threshold);
  return Math.min(1, Math.max(0, 0.5 + (0.5 * (decades - needed)) / needed));
}

/** A batch's events at the rate they happened: an offline backlog spanning hours weighs little. */
function telemetryWeight(input: { accepted: number; rejected: number; ts_span_s?: number }, windowS: number): number {
  const offered = Math.max(1, input.accepted + input.rejected);
  const span = input.ts_span_s ?? 0;
  return span > windowS ? Math.max(1, (offered * windowS) / span) : offered;
}

/** The hour of the day at the network's longitude (solar time: no time zone table needed). */
function localSolarHour(location: GeoLocation, time: number): number {
  return (((time / 3_600_000 + location.lon / 15) % 24) + 24) % 24;
}

/**
 * Where a client's traffic comes from, as far as its hours go: the country and the solar time
 * zone (15° of longitude) within it, so that the evening on one coast of a wide country does
 * not hide the night on the other.
 */
function placeOf(location: GeoLocation | undefined): string | undefined {
  if (!location?.country) return undefined;
  return `${location.country}${Math.round(location.lon / 15)}`;
}

/**
 * A client's traffic from one place far above what it usually has at this time: tokens used
 * at 3 a.m. by an application whose users there sleep (seed 004: "usage outside normal time
 * windows"). Keyed by client and place (country and solar time zone), because a worldwide app
 * is always awake somewhere. The last `window_s` (a sliding minute) is compared with the same
 * hour-of-week slot once it has seen `warmup_weeks` weeks; until then with the same hour of the
 * day across the days seen; with no history at this hour (the first day, a place that never
 * had traffic then), at local night only, past `cold_floor_factor` times the floor against the
 * key's last hour. Telemetry counts its events, each batch at the rate its events happened.
 * Each burst is its own alert (its window starts with the burst), so a second place waking
 * up within the hour is not folded into the first. Weak evidence on its own, hence low
 * weight and severity: it colours other alerts.
 */
export class OffHoursDetector implements EngineDetector {
  readonly name = 'off_hours';
  private readonly places: BoundedLru<string, PlaceTraffic>;
  private readonly windowMs: number;
  private readonly burstMs: number;

  constructor(
    private readonly config: OffHoursConfig,
    private readonly coldFloorFactor: number,
  ) {
    this.places = new BoundedLru(config.max_clients);
    this.windowMs = config.window_s * 1000;
    this.burstMs = config.alert_window_s * 1000;
  }

  get approxBytes(): number {
    return this.places.size * 3500;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    const clientId = input.client_id;
    if (!clientId) return NONE;
    const location = locate(input, context);
    const place = placeOf(location);
    const window = Math.floor(input.time / this.windowMs);
    const state = this.stateFor(place ? `${clientId}|${place}` : clientId, clientId, window, input.time, context);
    const weight = input.type === 'telemetry.ingested' ? telemetryWeight(input, this.config.window_s) : 1;
    state.requests++;
    state.count += weight;
    if (this.fromSuspect(input, context)) state.suspect++;
    state.counts.add(input.time, weight);
    if (state.flagged) return NONE;
    const { count, requests } = state.counts.sum(input.time, SLICES);
    if (count < this.config.floor) return NONE;
    const expected = state.baseline.expectedForHour(input.time) ?? this.nightPrior(state, location, input.time, count);
    if (!expected || (expected.basis !== 'night_prior' && !this.offHour(state, location, input.time, expected.median))) return NONE;
    const rate = expectedRate(expected);
    const short = this.surprise({ count, requests }, rate, state.dispersion.value(DISPERSION_WARMUP, DEFAULT_DISPERSION, MAX_DISPERSION), state);
    const long =
      short.pValue < this.config.p_value
        ? undefined
        : this.surprise(
            state.counts.sum(input.time, SLICES * LONG_WINDOWS),
            rate * LONG_WINDOWS,
            state.longDispersion.value(DISPERSION_WARMUP / LONG_WINDOWS, DEFAULT_DISPERSION, MAX_DISPERSION),
            state,
          );
    const judged = long && long.pValue < short.pValue ? { ...long, windows: LONG_WINDOWS } : { ...short, windows: 1 };
    const { pValue, dispersion } = judged;
    if (pValue >= this.config.p_value) return NONE;
    state.flagged = true;
    if (window - state.burstLast > BURST_GAP_WINDOWS || input.time - state.burstStart >= this.burstMs) state.burstStart = window * this.windowMs;
    state.burstLast = window;
    const found = finding(
      this.name,
      this.config,
      { kind: 'client', id: clientId },
      input.time,
      scoreFromP(pValue, this.config.p_value),
      {
        events: Math.round(judged.count),
        requests: Math.round(judged.requests),
        window_s: this.config.window_s * judged.windows,
        burst_start: state.burstStart,
        hour_of_week_utc: hourOfWeek(input.time),
        basis: expected.basis,
        ...(location?.country ? { country: location.country } : {}),
        ...(location ? { solar_utc_offset_h: Math.round(location.lon / 15) } : {}),
        expected_requests: { median: Math.round(expected.median * 10) / 10, mad: Math.round(expected.mad * 10) / 10 },
        dispersion: Math.round(dispersion * 10) / 10,
        p_value: Number(pValue.toPrecision(2)),
      },
      'low',
    );
    return [{ ...found, window_start: state.burstStart }];
  }

  /**
   * Whether this is an off hour for the key: its usual traffic now is at most `off_hour_share`
   * of its busiest hour of the day. A daytime spike (a classroom, a flash crowd) is not
   * "outside normal time windows", and a server that is as busy at night as by day has no
   * off hours. Until half the hours of the day have been seen, local solar night stands in.
   */
  private offHour(state: PlaceTraffic, location: GeoLocation | undefined, time: number, median: number): boolean {
    const busiest = state.baseline.busiestHour();
    if (busiest.hoursSeen >= 12) return median <= this.config.off_hour_share * busiest.median;
    return location !== undefined && !location.datacenter && localSolarHour(location, time) < NIGHT_ENDS_HOUR;
  }

  /**
   * How rare a sliding count is. Requests come from many independent devices: a Poisson count.
   * It is judged by its requests, or by its events at the key's usual batch size if that says
   * more (a script sending big batches; an app's backlog already weighs at the rate its events
   * happened), and traffic burstier than Poisson by a factor D as a Poisson count of D-sized clumps.
   */
  private surprise(
    sum: { count: number; requests: number },
    rate: number,
    dispersion: number,
    state: PlaceTraffic,
  ): { count: number; requests: number; pValue: number; dispersion: number } {
    const judged = Math.max(sum.requests, sum.count / Math.max(1, state.eventsPerRequest));
    const pValue = judged <= rate ? 1 : poissonTail(Math.floor(judged / dispersion), rate / dispersion);
    return { ...sum, pValue, dispersion };
  }

  /** Learns the window that just ended: its requests (others' suspects left out) and its batch size. */
  private learn(state: PlaceTraffic): void {
    const requests = Math.max(0, state.requests - state.suspect);
    state.baseline.observe(requests, state.window * this.windowMs);
    state.dispersion.add(requests);
    state.learnt++;
    const alpha = Math.max(BATCH_ALPHA, 1 / state.learnt);
    if (state.requests > 0 && state.suspect === 0) state.eventsPerRequest += alpha * (state.count / state.requests - state.eventsPerRequest);
  }

  /** Adds a window to its LONG_WINDOWS span; a span ended is learnt unless one of its windows raised a finding. */
  private learnSpan(state: PlaceTraffic, window: number, requests: number, flagged: boolean): void {
    const span = Math.floor(window / LONG_WINDOWS);
    if (span !== state.span) {
      if (!state.spanFlagged) state.longDispersion.add(state.spanRequests);
      state.span = span;
      state.spanRequests = 0;
      state.spanFlagged = false;
    }
    state.spanRequests += requests;
    state.spanFlagged ||= flagged;
  }

  /** Whether another detector reported the event's session, user or network lately. */
  private fromSuspect(input: DetectionInput, context: DetectionContext): boolean {
    const sessionId = sessionOf(input);
    if (sessionId !== undefined && context.isSuspect({ kind: 'session', id: sessionId }, input.time)) return true;
    if (input.subject !== undefined && context.isSuspect({ kind: 'user', id: input.subject }, input.time)) return true;
    return input.network !== undefined && context.isSuspect({ kind: 'prefix', id: input.network.ip_prefix }, input.time);
  }

  /**
   * No history at this hour yet (the first day, or a place that never had traffic at this
   * hour): people sleep at night where they are, so at 0–5 a.m. local solar time (from the
   * network's longitude) a count past the cold floor is compared with the key's recent windows
   * (an hour of them; a key seen for less is taken as silent).
   */
  private nightPrior(
    state: PlaceTraffic,
    location: GeoLocation | undefined,
    time: number,
    count: number,
  ): (RobustStats & { basis: 'night_prior' }) | undefined {
    // A server (hosting range) keeps no hours.
    if (!location || location.datacenter || this.coldFloorFactor === 0 || count < this.config.floor * this.coldFloorFactor) return undefined;
    if (localSolarHour(location, time) >= NIGHT_ENDS_HOUR) return undefined;
    // A place without an hour of history (its first traffic in days is tonight's) is taken as silent.
    const recent = state.baseline.expected(time) ?? { median: 0, mad: 0 };
    return { ...recent, basis: 'night_prior' };
  }

  private stateFor(key: string, clientId: string, window: number, time: number, context: DetectionContext): PlaceTraffic {
    let state = this.places.get(key);
    if (!state) {
      // The ring holds an hour of windows: a slot's median/MAD is over that hour's windows.
      const perHour = Math.max(1, Math.ceil(3_600_000 / this.windowMs));
      const baseline = new HourOfWeekBaseline({ recentSize: perHour, recentWarmup: perHour, slotWarmup: this.config.warmup_weeks });
      state = {
        window,
        count: 0,
        requests: 0,
        suspect: 0,
        eventsPerRequest: 1,
        learnt: 0,
        dispersion: new Dispersion(BATCH_ALPHA),
        longDispersion: new Dispersion(BATCH_ALPHA),
        span: Math.floor(window / LONG_WINDOWS),
        spanRequests: 0,
        spanFlagged: false,
        counts: new SlidingCounts(this.windowMs / SLICES, SLICES * LONG_WINDOWS, time),
        flagged: false,
        burstStart: Number.NEGATIVE_INFINITY,
        burstLast: Number.NEGATIVE_INFINITY,
        baseline,
      };
      this.places.set(key, state);
      return state;
    }
    if (window <= state.window) return state;
    if (!context.isAllowListed({ kind: 'client', id: clientId }, time)) {
      // A window that raised a finding is not learnt; the quiet ones after it are.
      if (!state.flagged) this.learn(state);
      this.learnSpan(state, state.window, Math.max(0, state.requests - state.suspect), state.flagged);
      const gap = Math.min(window - state.window - 1, Math.ceil((MAX_GAP_HOURS * 3_600_000) / this.windowMs));
      for (let i = 1; i <= gap; i++) state.baseline.observe(0, (state.window + i) * this.windowMs);
    }
    state.window = window;
    state.count = 0;
    state.requests = 0;
    state.suspect = 0;
    state.flagged = false;
    return state;
  }
}
