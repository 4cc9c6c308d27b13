import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { telemetryError } from './error-codes.js';
import { dimensionValue, DIMENSIONS, type Dimension, type Filters } from './query-params.js';
import { RollupState } from './rollup.js';
import { DAY_MS, MINUTE_MS } from '../shared/time.js';
import { DDSketch } from './sketches/ddsketch.js';
import { DistinctSketch } from './sketches/distinct.js';

/** Rollup rows one sketch query may merge; past it the caller must narrow the range or filters. */
const MAX_ROLLUP_ROWS = 200_000;
const ID_CHUNK = 500;

export type Group = Partial<Record<Dimension, string | null>>;

export interface SeriesPoint {
  bucket: number;
  group: Group;
  events: number;
  errors: number;
}

export interface MetricSummary {
  count: number;
  sum: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface GroupSummary {
  group: Group;
  events: number;
  errors: number;
  sessions: number;
  users: number;
  metric?: MetricSummary;
}

const columnsOf = (groupBy: Dimension[]) => groupBy.map((dimension) => DIMENSIONS[dimension]);

function groupOf(row: Record<string, unknown>, groupBy: Dimension[]): Group {
  return Object.fromEntries(groupBy.map((dimension) => [dimension, dimensionValue(dimension, row[DIMENSIONS[dimension]])]));
}

export function summarizeMetric(sketch: DDSketch | undefined): MetricSummary {
  if (!sketch || sketch.count === 0) return { count: 0, sum: 0, mean: null, p50: null, p95: null, p99: null };
  return {
    count: sketch.count,
    sum: sketch.sum,
    mean: sketch.sum / sketch.count,
    p50: sketch.quantile(0.5)!,
    p95: sketch.quantile(0.95)!,
    p99: sketch.quantile(0.99)!,
  };
}

/** Analytics reads: rollups for dashboards, user days for people and conversion. */
export class TelemetryQueries {
  constructor(private readonly db: Kysely<Database>) {}

  private rollups(filters: Filters) {
    // A bucket holds the minute it starts: one starting before `from` is left out, as a
    // dashboard's range is whole minutes anyway.
    const from = Math.ceil(filters.from / MINUTE_MS) * MINUTE_MS;
    return this.db
      .selectFrom('event_rollups')
      .where('bucket', '>=', from)
      .where('bucket', '<', filters.to)
      .where((eb) => eb.and(filters.equals));
  }

  /** Event and error counts per interval (and group), summed in SQL from the rollups. */
  async series(filters: Filters, interval: number, groupBy: Dimension[]): Promise<SeriesPoint[]> {
    // A literal (from a fixed set) so the SELECT and GROUP BY expressions are the same text.
    const bucket = sql<number>`(bucket - (bucket % ${sql.lit(interval)}))`;
    const columns = columnsOf(groupBy);
    const rows = await this.rollups(filters)
      .select([bucket.as('t'), sql<number>`cast(sum(events) as bigint)`.as('events'), sql<number>`cast(sum(errors) as bigint)`.as('errors'), ...columns])
      .groupBy([bucket, ...columns])
      .orderBy('t')
      .execute();
    return rows.map((row) => ({ bucket: Number(row.t), group: groupOf(row, groupBy), events: Number(row.events), errors: Number(row.errors) }));
  }

  /**
   * Per group: events, errors, distinct sessions and users (merged sketches: exact while
   * small, about ±1.6% beyond), and one metric's count, sum and quantiles (DDSketch, ±1%).
   */
  async summaries(filters: Filters, groupBy: Dimension[], metric?: string): Promise<GroupSummary[]> {
    const columns = columnsOf(groupBy);
    const rows = await this.rollups(filters)
      .select(['events', 'errors', 'sessions', 'users', ...(metric ? (['metrics'] as const) : []), ...columns])
      .limit(MAX_ROLLUP_ROWS + 1)
      .execute();
    if (rows.length > MAX_ROLLUP_ROWS)
      throw telemetryError('INVALID_QUERY', `That query spans more than ${MAX_ROLLUP_ROWS} rollup rows; narrow the range or add filters.`);
    const groups = new Map<string, { group: Group; state: RollupState; metric: DDSketch }>();
    for (const row of rows) {
      const group = groupOf(row, groupBy);
      const id = JSON.stringify(group);
      let entry = groups.get(id);
      if (!entry) groups.set(id, (entry = { group, state: new RollupState(), metric: new DDSketch() }));
      entry.state.events += Number(row.events);
      entry.state.errors += Number(row.errors);
      entry.state.sessions.merge(DistinctSketch.parse(row.sessions));
      entry.state.users.merge(DistinctSketch.parse(row.users));
      if (metric && 'metrics' in row) {
        const json = (JSON.parse(row.metrics as string) as Record<string, Parameters<typeof DDSketch.fromJSON>[0]>)[metric];
        if (json) entry.metric.merge(DDSketch.fromJSON(json));
      }
    }
    return (
      [...groups.values()]
        .map(({ group, state, metric: sketch }) => ({
          group,
          events: state.events,
          errors: state.errors,
          sessions: state.sessions.estimate(),
          users: state.users.estimate(),
          ...(metric ? { metric: summarizeMetric(sketch) } : {}),
        }))
        // Busiest first; ties in a stable order, whatever order the rows came in.
        .sort((a, b) => b.events - a.events || (JSON.stringify(a.group) < JSON.stringify(b.group) ? -1 : 1))
    );
  }

  /** One metric's quantiles per interval (merged DDSketches of the minute rollups, ±1%), oldest first; intervals without it left out. */
  async metricSeries(filters: Filters, interval: number, metric: string): Promise<{ bucket: number; metric: MetricSummary }[]> {
    const bucket = sql<number>`(bucket - (bucket % ${sql.lit(interval)}))`;
    const rows = await this.rollups(filters)
      .select([bucket.as('t'), 'metrics'])
      .limit(MAX_ROLLUP_ROWS + 1)
      .execute();
    if (rows.length > MAX_ROLLUP_ROWS)
      throw telemetryError('INVALID_QUERY', `That query spans more than ${MAX_ROLLUP_ROWS} rollup rows; narrow the range or add filters.`);
    const sketches = new Map<number, DDSketch>();
    for (const row of rows) {
      const json = (JSON.parse(row.metrics) as Record<string, Parameters<typeof DDSketch.fromJSON>[0]>)[metric];
      if (!json) continue;
      const time = Number(row.t);
      let sketch = sketches.get(time);
      if (!sketch) sketches.set(time, (sketch = new DDSketch()));
      sketch.merge(DDSketch.fromJSON(json));
    }
    return [...sketches.entries()].sort(([a], [b]) => a - b).map(([time, sketch]) => ({ bucket: time, metric: summarizeMetric(sketch) }));
  }

  /**
   * Distinct people: user ids that sent events on the days of the range, a merged guest
   * counted as the account it was merged into (user_aliases joined here; rows never change).
   * Day granularity, and only the client filter applies.
   */
  async people(filters: Filters): Promise<number> {
    let query = this.db
      .selectFrom('event_user_days as d')
      .leftJoin('user_aliases as a', 'a.alias_id', 'd.user_id')
      .select(sql<number>`count(distinct coalesce(a.user_id, d.user_id))`.as('n'))
      .where('d.day', '>=', filters.from - (((filters.from % DAY_MS) + DAY_MS) % DAY_MS))
      .where('d.day', '<', filters.to);
    if (filters.equals.client_id !== undefined) query = query.where('d.client_id', '=', String(filters.equals.client_id));
    const row = await query.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The user ids whose events belong to `userId`: itself and every guest merged into it. */
  async identitiesOf(userId: string): Promise<string[]> {
    const aliases = await this.db.selectFrom('user_aliases').select('alias_id').where('user_id', '=', userId).execute();
    return [userId, ...aliases.map((row) => row.alias_id).filter((id) => id !== userId)];
  }

  async countUserEvents(userIds: string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', 'in', userIds)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** A person's events (its own and its merged guests'), newest first. */
  async userEvents(userIds: string[], limit: number) {
    return this.db.selectFrom('events').selectAll().where('user_id', 'in', userIds).orderBy('ts', 'desc').limit(limit).execute();
  }

  /**
   * Guests that sent events in the range (as guests), and for each: its first event time and,
   * if it converted, when (promoted in place: users.converted_at; merged: user_aliases.created_at).
   */
  async guestCohort(filters: Filters): Promise<{ userId: string; firstTs: number; convertedAt: number | null }[]> {
    const dayFrom = filters.from - (((filters.from % DAY_MS) + DAY_MS) % DAY_MS);
    let active = this.db
      .selectFrom('event_user_days')
      .select('user_id')
      .where('guest_events', '>', 0)
      .where('day', '>=', dayFrom)
      .where('day', '<', filters.to);
    if (filters.equals.client_id !== undefined) active = active.where('client_id', '=', String(filters.equals.client_id));
    const rows = await this.db
      .selectFrom('event_user_days as d')
      .leftJoin('users as u', 'u.id', 'd.user_id')
      .leftJoin('user_aliases as a', 'a.alias_id', 'd.user_id')
      .select(['d.user_id', sql<number>`min(d.first_ts)`.as('first_ts'), sql<number | null>`min(coalesce(u.converted_at, a.created_at))`.as('converted_at')])
      .where('d.user_id', 'in', active)
      .groupBy('d.user_id')
      .execute();
    return rows.map((row) => ({ userId: row.user_id, firstTs: Number(row.first_ts), convertedAt: row.converted_at == null ? null : Number(row.converted_at) }));
  }

  /** Event names seen before conversion, by how many converting users sent them. */
  async eventsBeforeConversion(
    converted: { userId: string; convertedAt: number }[],
    clientId: string | undefined,
  ): Promise<Map<string, { users: Set<string>; events: number }>> {
    const names = new Map<string, { users: Set<string>; events: number }>();
    for (let start = 0; start < converted.length; start += ID_CHUNK) {
      const chunk = converted.slice(start, start + ID_CHUNK);
      let query = this.db
        .selectFrom('events as e')
        .leftJoin('users as u', 'u.id', 'e.user_id')
        .leftJoin('user_aliases as a', 'a.alias_id', 'e.user_id')
        .select(['e.user_id', 'e.name', sql<number>`count(*)`.as('n')])
        .where(
          'e.user_id',
          'in',
          chunk.map((entry) => entry.userId),
        )
        .where(sql<boolean>`e.ts < coalesce(u.converted_at, a.created_at)`)
        .groupBy(['e.user_id', 'e.name']);
      if (clientId !== undefined) query = query.where('e.client_id', '=', clientId);
      for (const row of await query.execute()) {
        let entry = names.get(row.name);
        if (!entry) names.set(row.name, (entry = { users: new Set(), events: 0 }));
        entry.users.add(row.user_id);
        entry.events += Number(row.n);
      }
    }
    return names;
  }
}
