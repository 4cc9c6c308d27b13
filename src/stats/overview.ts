import { EXACT_LIMIT, HLL_RELATIVE_ERROR, HllSketch } from '../shared/hll.js';
import { ALL_CLIENTS, dayOf, hourOf, type Counter } from './buffer.js';
import { DAY_MS, HOUR_MS } from '../shared/time.js';
import type { StatsStore } from './store.js';

export type OverviewRange = '24h' | '30d';

/** Stored users by kind: the sessions feature counts them (its users table). */
export type CountUsers = () => Promise<{ guests: number; registered: number }>;

export interface OverviewBucket {
  /** Start of the bucket (UTC hour or UTC day), epoch ms. */
  time: number;
  guests_created: number;
  converted: number;
  merged: number;
  /** converted + merged: guests that became (or joined) a registered account. */
  conversions: number;
  culled: number;
  alerts: number;
  /** Distinct users who started or refreshed a session in the bucket, both kinds together. */
  active_users: number;
  active_guests: number;
  active_registered: number;
}

export interface Overview {
  range: OverviewRange;
  interval: 'hour' | 'day';
  time_zone: 'UTC';
  /** Start of the first bucket and end of the last (exclusive), epoch ms. */
  from: number;
  to: number;
  buckets: OverviewBucket[];
  totals: {
    /** Guests with a stored row, not merged: a guest that never refreshed nor wrote metadata has none (it costs no row). */
    guests: number;
    registered_users: number;
    /** When `guests` and `registered_users` were counted (they are cached up to USER_TOTALS_TTL_MS). */
    users_counted_at: number;
    active_users_24h: number;
    active_guests_24h: number;
    active_registered_24h: number;
    /** Distinct users over the 30 UTC days ending today (MAU). */
    active_users_30d: number;
    /** Sums over the range's buckets. */
    guests_created: number;
    conversions: number;
    alerts: number;
  };
  accuracy: { exact_up_to: number; relative_standard_error: number };
}

/** How long a node reuses its count of stored users: the count is linear in users, the rest of the overview is not. */
export const USER_TOTALS_TTL_MS = 60_000;

/**
 * The console's overview. Everything but the user totals comes from the stats feature's own
 * counters and sketches, written from the domain events as they happen: a 24-hour view reads
 * at most 24 counter rows and 48 hour sketches, a 30-day view 30 × clients counter rows and 60
 * day sketches, whatever the number of users. Only the stored-user totals are counted in the
 * users table (an index-only count), at most once a minute per node.
 */
export class OverviewReader {
  private userTotals: { at: number; value: Promise<{ guests: number; registered: number }> } | undefined;

  constructor(
    private readonly store: StatsStore,
    private readonly countUsers: CountUsers,
    private readonly now: () => number,
  ) {}

  async read(range: OverviewRange): Promise<Overview> {
    const now = this.now();
    const lastHour = hourOf(now);
    const firstHour = lastHour - 23 * HOUR_MS;
    const today = dayOf(now);
    const firstDay = today - 29 * DAY_MS;
    const hourly = range === '24h';
    const [hourSketches, daySketches, counts, users] = await Promise.all([
      this.store.hourSketches(firstHour, lastHour),
      this.store.sketches(firstDay, today, ALL_CLIENTS, [true, false]),
      hourly
        ? this.store.lifecycleHours(firstHour, lastHour).then((rows) => rows.map(({ hour, ...rest }) => ({ time: hour, ...rest })))
        : this.store.lifecycleDays(firstDay, today, undefined).then((rows) => rows.map(({ day, ...rest }) => ({ time: day, ...rest }))),
      this.cachedUserTotals(now),
    ]);
    const [first, last, step] = hourly ? [firstHour, lastHour, HOUR_MS] : [firstDay, today, DAY_MS];
    const sketches = hourly
      ? hourSketches.map(({ hour, ...rest }) => ({ time: hour, ...rest }))
      : daySketches.map(({ day, ...rest }) => ({ time: day, ...rest }));
    const buckets: OverviewBucket[] = [];
    for (let time = first; time <= last; time += step) {
      buckets.push(
        bucketOf(
          time,
          counts.find((row) => row.time === time),
          sketches.filter((sketch) => sketch.time === time),
        ),
      );
    }
    const last24h = distinct(hourSketches);
    const sum = (counter: 'guests_created' | 'conversions' | 'alerts') => buckets.reduce((total, bucket) => total + bucket[counter], 0);
    return {
      range,
      interval: hourly ? 'hour' : 'day',
      time_zone: 'UTC',
      from: first,
      to: last + step,
      buckets,
      totals: {
        guests: users.value.guests,
        registered_users: users.value.registered,
        users_counted_at: users.at,
        active_users_24h: last24h.total,
        active_guests_24h: last24h.guests,
        active_registered_24h: last24h.registered,
        active_users_30d: distinct(daySketches).total,
        guests_created: sum('guests_created'),
        conversions: sum('conversions'),
        alerts: sum('alerts'),
      },
      accuracy: { exact_up_to: EXACT_LIMIT, relative_standard_error: Number(HLL_RELATIVE_ERROR.toFixed(4)) },
    };
  }

  /** Shared by concurrent requests, and refreshed once it is older than USER_TOTALS_TTL_MS. */
  private async cachedUserTotals(now: number): Promise<{ at: number; value: { guests: number; registered: number } }> {
    if (!this.userTotals || now - this.userTotals.at >= USER_TOTALS_TTL_MS) {
      const value = this.countUsers();
      this.userTotals = { at: now, value };
      // A failed count is not kept: the next request tries again.
      value.catch(() => {
        if (this.userTotals?.value === value) this.userTotals = undefined;
      });
    }
    const { at, value } = this.userTotals;
    return { at, value: await value };
  }
}

function bucketOf(time: number, counts: Partial<Record<Counter, number>> | undefined, sketches: { isAnonymous: boolean; sketch: HllSketch }[]): OverviewBucket {
  const active = distinct(sketches);
  const converted = counts?.converted ?? 0;
  const merged = counts?.merged ?? 0;
  return {
    time,
    guests_created: counts?.guests_created ?? 0,
    converted,
    merged,
    conversions: converted + merged,
    culled: counts?.culled ?? 0,
    alerts: counts?.alerts ?? 0,
    active_users: active.total,
    active_guests: active.guests,
    active_registered: active.registered,
  };
}

/** Unions of the sketches: per kind, and both kinds together (a user who registered in the window counts once). */
function distinct(rows: { isAnonymous: boolean; sketch: HllSketch }[]): { total: number; guests: number; registered: number } {
  const total = new HllSketch();
  const guests = new HllSketch();
  const registered = new HllSketch();
  for (const row of rows) {
    (row.isAnonymous ? guests : registered).merge(row.sketch);
    total.merge(row.sketch);
  }
  return { total: total.estimate(), guests: guests.estimate(), registered: registered.estimate() };
}
