import type { EventBus } from '../events/bus.js';
import { EXACT_LIMIT, HLL_RELATIVE_ERROR, HllSketch } from '../shared/hll.js';
import type { Store } from '../storage/database.js';
import { ALL_CLIENTS, dayOf, type LifecycleCounter } from './buffer.js';
import { DAY_MS } from '../shared/time.js';
import { statsError } from './error-codes.js';
import { type CountUsers, type Overview, OverviewReader, type OverviewRange } from './overview.js';
import { oldestKeptDay, StatsRecorder } from './recorder.js';
import { StatsStore } from './store.js';

export type Period = 'day' | 'week' | 'month';

/** Trailing windows ending on (and including) the `until` day: DAU, WAU, MAU. */
const PERIOD_DAYS: Record<Period, number> = { day: 1, week: 7, month: 30 };

export interface ActiveUsersQuery {
  period: Period;
  /** YYYY-MM-DD (UTC); today when absent. */
  until?: string;
  clientId?: string;
  /** Only guests (true) or only registered users (false); both when absent. */
  isAnonymous?: boolean;
}

/** Distinct users: `total` counts a user who was a guest and registered in the period once. */
export interface ActiveCounts {
  total: number;
  guests?: number;
  registered?: number;
}

export interface ActiveUsersReport {
  period: Period;
  from: string;
  until: string;
  client_id: string | null;
  is_anonymous: boolean | null;
  active_users: ActiveCounts;
  days: ({ date: string; active_users: ActiveCounts } & Record<LifecycleCounter, number>)[];
  accuracy: { exact_up_to: number; relative_standard_error: number };
}

export interface StatsServiceOptions {
  store: Store;
  events: EventBus;
  now: () => number;
  /** GUESTPASS_STATS_FLUSH_INTERVAL, in seconds. */
  flushInterval: number;
  /** Stored guests and registered users, for the overview's totals (the sessions feature's users). */
  countUsers: CountUsers;
  onError?: (error: unknown, what: string) => void;
}

/**
 * Active users (DAU/WAU/MAU) per kind and client, and guest lifecycle counts per day, from the
 * domain events: never from telemetry, and never by scanning users. A month is at most 60
 * sketches merged (30 days × 2 kinds) and one grouped read of at most 30 × clients counter rows.
 */
export class StatsService {
  private readonly store: StatsStore;
  private readonly recorder: StatsRecorder;
  private readonly overviews: OverviewReader;

  constructor(private readonly options: StatsServiceOptions) {
    const { store, events, now, flushInterval, onError } = options;
    this.store = new StatsStore(store.db, store.dialect);
    this.recorder = new StatsRecorder({ store: this.store, events, now, flushIntervalMs: flushInterval * 1000, ...(onError ? { onError } : {}) });
    this.overviews = new OverviewReader(this.store, options.countUsers, now);
  }

  /** The console's overview: the last 24 UTC hours by hour, or the last 30 UTC days by day. */
  async overview(range: OverviewRange): Promise<Overview> {
    await this.recorder.flush().catch((error: unknown) => this.options.onError?.(error, 'active-user stats flush'));
    return this.overviews.read(range);
  }

  async activeUsers(query: ActiveUsersQuery): Promise<ActiveUsersReport> {
    const untilDay = this.untilDay(query.until);
    const fromDay = untilDay - (PERIOD_DAYS[query.period] - 1) * DAY_MS;
    // This node's last seconds too; other nodes' are at most one flush interval behind.
    await this.recorder.flush().catch((error: unknown) => this.options.onError?.(error, 'active-user stats flush'));
    const kinds = query.isAnonymous === undefined ? [true, false] : [query.isAnonymous];
    const [sketches, lifecycle] = await Promise.all([
      this.store.sketches(fromDay, untilDay, query.clientId ?? ALL_CLIENTS, kinds),
      this.store.lifecycleDays(fromDay, untilDay, query.clientId),
    ]);
    const days = [];
    for (let day = fromDay; day <= untilDay; day += DAY_MS) {
      const counts = lifecycle.find((row) => row.day === day);
      days.push({
        date: isoDate(day),
        active_users: countsOf(
          sketches.filter((row) => row.day === day),
          kinds,
        ),
        guests_created: counts?.guests_created ?? 0,
        converted: counts?.converted ?? 0,
        merged: counts?.merged ?? 0,
        culled: counts?.culled ?? 0,
      });
    }
    return {
      period: query.period,
      from: isoDate(fromDay),
      until: isoDate(untilDay),
      client_id: query.clientId ?? null,
      is_anonymous: query.isAnonymous ?? null,
      active_users: countsOf(sketches, kinds),
      days,
      accuracy: { exact_up_to: EXACT_LIMIT, relative_standard_error: Number(HLL_RELATIVE_ERROR.toFixed(4)) },
    };
  }

  /** Writes what this node has seen so far (tests, and before a query). */
  flush(): Promise<void> {
    return this.recorder.flush();
  }

  close(): Promise<void> {
    return this.recorder.close();
  }

  private untilDay(until: string | undefined): number {
    const today = dayOf(this.options.now());
    if (until === undefined) return today;
    const day = Date.parse(`${until}T00:00:00Z`);
    if (Number.isNaN(day) || isoDate(day) !== until)
      throw statsError('STATS_INVALID_DATE', `until "${until}" is not a calendar date; write it YYYY-MM-DD (UTC).`);
    if (day > today || day < oldestKeptDay(this.options.now())) {
      throw statsError(
        'STATS_DATE_OUT_OF_RANGE',
        `until must be between ${isoDate(oldestKeptDay(this.options.now()))} and ${isoDate(today)} (UTC); got ${until}.`,
      );
    }
    return day;
  }
}

/** Unions of the sketches per kind and over both kinds. */
function countsOf(rows: { isAnonymous: boolean; sketch: HllSketch }[], kinds: boolean[]): ActiveCounts {
  const total = new HllSketch();
  const perKind = new Map(kinds.map((kind) => [kind, new HllSketch()]));
  for (const row of rows) {
    perKind.get(row.isAnonymous)?.merge(row.sketch);
    total.merge(row.sketch);
  }
  return {
    total: total.estimate(),
    ...(perKind.has(true) ? { guests: perKind.get(true)!.estimate() } : {}),
    ...(perKind.has(false) ? { registered: perKind.get(false)!.estimate() } : {}),
  };
}

function isoDate(day: number): string {
  return new Date(day).toISOString().slice(0, 10);
}
