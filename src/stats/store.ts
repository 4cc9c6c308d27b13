import type { Kysely, Transaction } from 'kysely';
import { HllSketch } from '../shared/hll.js';
import type { Dialect } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { Counter, CounterDelta, HourCounterDelta, HourSketchDelta, SketchDelta, StatsBatch } from './buffer.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StoredSketch {
  day: number;
  isAnonymous: boolean;
  sketch: HllSketch;
}

export type LifecycleDay = { day: number } & Record<Counter, number>;
export type LifecycleHour = { hour: number } & Record<Counter, number>;

export interface StoredHourSketch {
  hour: number;
  isAnonymous: boolean;
  sketch: HllSketch;
}

/** Active-user sketches, lifecycle counters and applied flush ids; the same SQL on SQLite and PostgreSQL. */
export class StatsStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Applies one node's flush in one transaction: sketches are merged into the stored ones
   * (register maxima: another node's flush, or this one again, changes nothing twice), counters
   * are added. The flush id is recorded in the same transaction; a flush whose id is already
   * there committed before and is skipped, so a retry never adds its counts twice. Returns
   * false for such a skipped flush.
   */
  async apply(batch: StatsBatch, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const recorded = await trx
        .insertInto('stats_flushes')
        .values({ id: batch.id, flushed_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(recorded.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      // One order for every node, so two flushes lock shared rows in the same order and never deadlock.
      const sketches = [...batch.sketches].sort((a, b) => a.day - b.day || compare(a.clientId, b.clientId) || Number(a.isAnonymous) - Number(b.isAnonymous));
      for (const delta of sketches) await this.mergeSketch(trx, delta, now);
      const counters = [...batch.counters].sort((a, b) => a.day - b.day || compare(a.clientId, b.clientId));
      for (const delta of counters) await this.addCounts(trx, delta, now);
      const hourSketches = [...batch.hourSketches].sort((a, b) => a.hour - b.hour || Number(a.isAnonymous) - Number(b.isAnonymous));
      for (const delta of hourSketches) await this.mergeHourSketch(trx, delta, now);
      const hourCounters = [...batch.hourCounters].sort((a, b) => a.hour - b.hour);
      for (const delta of hourCounters) await this.addHourCounts(trx, delta, now);
      return true;
    });
  }

  /** The sketches of `clientId` (ALL_CLIENTS for every client) from `fromDay` to `untilDay`, both included. */
  async sketches(fromDay: number, untilDay: number, clientId: string, kinds: boolean[]): Promise<StoredSketch[]> {
    const rows = await this.db
      .selectFrom('active_user_sketches')
      .select(['day', 'is_anonymous', 'sketch'])
      .where('client_id', '=', clientId)
      .where('day', '>=', fromDay)
      .where('day', '<=', untilDay)
      .where(
        'is_anonymous',
        'in',
        kinds.map((kind) => (kind ? 1 : 0)),
      )
      .execute();
    return rows.map((row) => ({ day: Number(row.day), isAnonymous: row.is_anonymous === 1, sketch: HllSketch.parse(row.sketch) }));
  }

  /** Lifecycle counts per day (days with none left out), of one client or of all together. */
  async lifecycleDays(fromDay: number, untilDay: number, clientId: string | undefined): Promise<LifecycleDay[]> {
    let query = this.db
      .selectFrom('lifecycle_days')
      .select((eb) => [
        'day',
        eb.fn.sum<number | string>('guests_created').as('guests_created'),
        eb.fn.sum<number | string>('converted').as('converted'),
        eb.fn.sum<number | string>('merged').as('merged'),
        eb.fn.sum<number | string>('culled').as('culled'),
        eb.fn.sum<number | string>('alerts').as('alerts'),
      ])
      .where('day', '>=', fromDay)
      .where('day', '<=', untilDay)
      .groupBy('day');
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    const rows = await query.execute();
    return rows.map((row) => ({
      day: Number(row.day),
      guests_created: Number(row.guests_created),
      converted: Number(row.converted),
      merged: Number(row.merged),
      culled: Number(row.culled),
      alerts: Number(row.alerts),
    }));
  }

  /** The hour sketches (every client together) from `fromHour` to `untilHour`, both included. */
  async hourSketches(fromHour: number, untilHour: number): Promise<StoredHourSketch[]> {
    const rows = await this.db
      .selectFrom('active_user_hours')
      .select(['hour', 'is_anonymous', 'sketch'])
      .where('hour', '>=', fromHour)
      .where('hour', '<=', untilHour)
      .execute();
    return rows.map((row) => ({ hour: Number(row.hour), isAnonymous: row.is_anonymous === 1, sketch: HllSketch.parse(row.sketch) }));
  }

  /** Lifecycle and alert counts per hour (hours with none left out), every client together. */
  async lifecycleHours(fromHour: number, untilHour: number): Promise<LifecycleHour[]> {
    const rows = await this.db
      .selectFrom('lifecycle_hours')
      .select(['hour', 'guests_created', 'converted', 'merged', 'culled', 'alerts'])
      .where('hour', '>=', fromHour)
      .where('hour', '<=', untilHour)
      .execute();
    return rows.map((row) => ({
      hour: Number(row.hour),
      guests_created: Number(row.guests_created),
      converted: Number(row.converted),
      merged: Number(row.merged),
      culled: Number(row.culled),
      alerts: Number(row.alerts),
    }));
  }

  /**
   * Deletes day rows before `beforeDay`, hour rows before `beforeHour` and flush ids recorded
   * before `flushesBefore`; returns the rows deleted.
   */
  async purge(beforeDay: number, flushesBefore: number, beforeHour: number): Promise<number> {
    const results = await Promise.all([
      this.db.deleteFrom('active_user_sketches').where('day', '<', beforeDay).executeTakeFirst(),
      this.db.deleteFrom('lifecycle_days').where('day', '<', beforeDay).executeTakeFirst(),
      this.db.deleteFrom('active_user_hours').where('hour', '<', beforeHour).executeTakeFirst(),
      this.db.deleteFrom('lifecycle_hours').where('hour', '<', beforeHour).executeTakeFirst(),
      this.db.deleteFrom('stats_flushes').where('flushed_at', '<', flushesBefore).executeTakeFirst(),
    ]);
    return results.reduce((sum, result) => sum + Number(result.numDeletedRows), 0);
  }

  private mergeSketch(trx: Db, delta: SketchDelta, now: number): Promise<void> {
    const key = { day: delta.day, client_id: delta.clientId, is_anonymous: delta.isAnonymous ? 1 : 0 };
    return this.mergeSketchRow(trx, 'active_user_sketches', key, delta.sketch, now);
  }

  /**
   * Adds `sketch` to the stored one under `key`: insert, or read, merge and write. The row stays
   * locked until commit so a concurrent node's merge waits (SQLite has one writer). The tables
   * are typed as the day table: both hold (key columns, sketch, updated_at) and differ only in
   * their key, which `key` names whole.
   */
  private async mergeSketchRow(
    trx: Db,
    table: 'active_user_sketches' | 'active_user_hours',
    key: Record<string, string | number>,
    sketch: HllSketch,
    now: number,
  ): Promise<void> {
    const rows = trx as unknown as Kysely<Pick<Database, 'active_user_sketches'>>;
    const name = table as 'active_user_sketches';
    const where = key as { day: number; client_id: string; is_anonymous: number };
    const inserted = await rows
      .insertInto(name)
      .values({ ...where, sketch: sketch.serialize(), updated_at: now })
      .onConflict((oc) => oc.columns(Object.keys(key) as (keyof typeof where)[]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return;
    let query = rows
      .selectFrom(name)
      .select('sketch')
      .where((eb) => eb.and(where));
    if (this.dialect === 'postgres') query = query.forUpdate();
    const stored = await query.executeTakeFirstOrThrow();
    const merged = HllSketch.parse(stored.sketch).merge(sketch).serialize();
    if (merged === stored.sketch) return;
    await rows
      .updateTable(name)
      .set({ sketch: merged, updated_at: now })
      .where((eb) => eb.and(where))
      .execute();
  }

  private async addCounts(trx: Db, { day, clientId, counts }: CounterDelta, now: number): Promise<void> {
    await trx
      .insertInto('lifecycle_days')
      .values({ day, client_id: clientId, ...counts, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['day', 'client_id']).doUpdateSet((eb) => ({
          guests_created: eb('lifecycle_days.guests_created', '+', eb.ref('excluded.guests_created')),
          converted: eb('lifecycle_days.converted', '+', eb.ref('excluded.converted')),
          merged: eb('lifecycle_days.merged', '+', eb.ref('excluded.merged')),
          culled: eb('lifecycle_days.culled', '+', eb.ref('excluded.culled')),
          alerts: eb('lifecycle_days.alerts', '+', eb.ref('excluded.alerts')),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  /** As mergeSketch, for an hour's sketch of every client together. */
  private mergeHourSketch(trx: Db, delta: HourSketchDelta, now: number): Promise<void> {
    return this.mergeSketchRow(trx, 'active_user_hours', { hour: delta.hour, is_anonymous: delta.isAnonymous ? 1 : 0 }, delta.sketch, now);
  }

  private async addHourCounts(trx: Db, { hour, counts }: HourCounterDelta, now: number): Promise<void> {
    await trx
      .insertInto('lifecycle_hours')
      .values({ hour, ...counts, updated_at: now })
      .onConflict((oc) =>
        oc.column('hour').doUpdateSet((eb) => ({
          guests_created: eb('lifecycle_hours.guests_created', '+', eb.ref('excluded.guests_created')),
          converted: eb('lifecycle_hours.converted', '+', eb.ref('excluded.converted')),
          merged: eb('lifecycle_hours.merged', '+', eb.ref('excluded.merged')),
          culled: eb('lifecycle_hours.culled', '+', eb.ref('excluded.culled')),
          alerts: eb('lifecycle_hours.alerts', '+', eb.ref('excluded.alerts')),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
