import { CompiledQuery, sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { DAY_MS, groupByRollup, RollupState, type RollupInput, type RollupKey } from './rollup.js';
import type { EventsTable } from './tables.js';

export type EventRow = Insertable<EventsTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** Rows one request asked to store, and which of them were new (not already stored). */
export interface StoredBatch {
  rows: EventRow[];
  inserted: Set<string>;
}

const PURGE_BATCH = 5000;
/** Rows per INSERT statement: bounds the distinct statement texts (and prepared statements) to 100. */
const INSERT_CHUNK = 100;

/** Every column of `events`, in the order insertEvents binds them. */
const EVENT_COLUMNS = [
  'client_id', 'event_id', 'name', 'ts', 'received_at', 'user_id', 'session_id', 'is_anonymous', 'app_version', 'deployment',
  'platform', 'locale', 'origin', 'country', 'props', 'metrics', 'error_type', 'error_message', 'redactions',
] as const satisfies readonly (keyof EventsTable)[];

/**
 * Writes of the telemetry feature: events, their rollups and user days, always together in
 * the caller's transaction, so a rollup never counts an event that did not commit.
 */
export class TelemetryStore {
  /** The INSERT text for n rows, made once per n (n ≤ INSERT_CHUNK). */
  private readonly insertText = new Map<number, string>();

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
  ) {}

  /**
   * Inserts one request's rows; a (client_id, event_id) already stored is skipped (ON
   * CONFLICT DO NOTHING) and only the new ids come back (RETURNING, both dialects).
   *
   * The statement is written here rather than with Kysely's builder: building and compiling
   * a 50-row insert cost about a tenth of the endpoint's CPU, and the text depends only on the
   * row count, so it is made once per count (and SQLite's statement cache then prepares it once).
   */
  async insertEvents(trx: Db, rows: EventRow[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const parameters: unknown[] = [];
      for (const row of chunk) for (const column of EVENT_COLUMNS) parameters.push(row[column] ?? null);
      const { rows: returned } = await trx.executeQuery<{ event_id: string }>(CompiledQuery.raw(this.insertSql(chunk.length), parameters));
      for (const { event_id } of returned) inserted.add(event_id);
    }
    return inserted;
  }

  private insertSql(count: number): string {
    let text = this.insertText.get(count);
    if (text === undefined) {
      let next = 0;
      const placeholder = this.dialect === 'postgres' ? () => `$${++next}` : () => '?';
      const row = () => `(${EVENT_COLUMNS.map(placeholder).join(', ')})`;
      const values = Array.from({ length: count }, row).join(', ');
      text = `insert into events (${EVENT_COLUMNS.join(', ')}) values ${values} on conflict (client_id, event_id) do nothing returning event_id`;
      this.insertText.set(count, text);
    }
    return text;
  }

  /** Adds newly stored events to their minute rollups and user days. */
  async addToAggregates(trx: Db, inputs: RollupInput[], now: number): Promise<void> {
    if (inputs.length === 0) return;
    // Sorted, so two nodes merging into the same rows lock them in the same order (PostgreSQL).
    const groups = [...groupByRollup(inputs)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, { key, state }] of groups) await this.mergeRollup(trx, key, state, now);
    await this.addUserDays(trx, inputs);
  }

  private async mergeRollup(trx: Db, key: RollupKey, state: RollupState, now: number): Promise<void> {
    // A new row is the common case (a new minute): one statement, nothing to merge.
    const created = await trx
      .insertInto('event_rollups')
      .values({ ...key, ...state.toColumns(), updated_at: now })
      .onConflict((oc) => oc.doNothing())
      .returning('bucket')
      .executeTakeFirst();
    if (created) return;
    const current = await this.lockRollup(trx, key);
    if (!current) throw new Error('rollup row vanished inside its transaction');
    current.merge(state);
    await trx
      .updateTable('event_rollups')
      .set({ ...current.toColumns(), updated_at: now })
      .where((eb) => eb.and({ ...key }))
      .execute();
  }

  /** The row of `key`, locked until the transaction ends on PostgreSQL (SQLite's writer lock covers it). */
  async lockRollup(trx: Db, key: RollupKey): Promise<RollupState | undefined> {
    let query = trx
      .selectFrom('event_rollups')
      .select(['events', 'errors', 'sessions', 'users', 'metrics'])
      .where((eb) => eb.and({ ...key }));
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && RollupState.fromColumns(row);
  }

  private async addUserDays(trx: Db, inputs: RollupInput[]): Promise<void> {
    // One row per (day, client, user) in the statement: PostgreSQL refuses to update a row twice in one upsert.
    const days = new Map<string, { day: number; client_id: string; user_id: string; events: number; guest_events: number; first_ts: number }>();
    for (const input of inputs) {
      const day = input.ts - (((input.ts % DAY_MS) + DAY_MS) % DAY_MS);
      const id = JSON.stringify([day, input.client_id, input.user_id]);
      const entry = days.get(id);
      if (entry) {
        entry.events += 1;
        entry.guest_events += input.is_anonymous;
        entry.first_ts = Math.min(entry.first_ts, input.ts);
      } else {
        days.set(id, { day, client_id: input.client_id, user_id: input.user_id, events: 1, guest_events: input.is_anonymous, first_ts: input.ts });
      }
    }
    await trx
      .insertInto('event_user_days')
      // Sorted like the rollups, so concurrent transactions lock rows in one order.
      .values([...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, day]) => day))
      .onConflict((oc) =>
        oc.columns(['day', 'client_id', 'user_id']).doUpdateSet({
          events: sql`event_user_days.events + excluded.events`,
          guest_events: sql`event_user_days.guest_events + excluded.guest_events`,
          first_ts: sql`case when excluded.first_ts < event_user_days.first_ts then excluded.first_ts else event_user_days.first_ts end`,
        }),
      )
      .execute();
  }

  /**
   * Deletes what is older than `cutoff` a batch at a time, so the group-commit writer gets the
   * database between batches. Returns the number of events deleted.
   */
  async purgeBefore(cutoff: number, { batchSize = PURGE_BATCH, pause = () => new Promise<void>((resolve) => setImmediate(resolve)) } = {}): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result = await sql`delete from events where (client_id, event_id) in (select client_id, event_id from events where ts < ${cutoff} limit ${batchSize})`.execute(this.db);
      const count = Number(result.numAffectedRows ?? 0);
      deleted += count;
      if (count < batchSize) break;
      await pause();
    }
    // Rollups and user days are purged by time slices: a slice is a bounded number of rows.
    await this.purgeSlices('event_rollups', 'bucket', cutoff, 3_600_000, pause);
    await this.purgeSlices('event_user_days', 'day', cutoff, DAY_MS, pause);
    return deleted;
  }

  private async purgeSlices(table: 'event_rollups' | 'event_user_days', column: 'bucket' | 'day', cutoff: number, sliceMs: number, pause: () => Promise<void>): Promise<void> {
    for (;;) {
      const oldest = await this.db
        .selectFrom(table)
        .select((eb) => eb.fn.min<number>(column).as('oldest'))
        .executeTakeFirst();
      const start = oldest?.oldest == null ? undefined : Number(oldest.oldest);
      if (start === undefined || start >= cutoff) return;
      await this.db.deleteFrom(table).where(column, '<', Math.min(cutoff, start + sliceMs)).execute();
      await pause();
    }
  }
}
