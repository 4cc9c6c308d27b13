import { CompiledQuery, sql, type Insertable, type Kysely, type OnConflictBuilder, type Transaction } from 'kysely';
import type { Dialect } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { newId } from '../crypto/ids.js';
import { groupByRollup, keyString, RollupState, type RollupInput, type RollupKey } from './rollup.js';
import { DAY_MS } from '../shared/time.js';
import { EVENT_COLUMNS, eventKey } from './event-columns.js';
import { DEADLOCK_DETECTED, eventArrays, NEW_GROUP_INSERT, newGroupParameters, UNIQUE_VIOLATION, UNNEST_INSERT, USER_DAY_MERGE } from './pg-inserts.js';
import type { EventRollupsTable, EventsTable, EventUserDaysTable } from './tables.js';

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
const ID_CHUNK = 500;

/**
 * insertNewGroup found an event already stored (a batch sent again): nothing of the group was
 * stored, and the caller writes it again asking which rows are new.
 */
export class EventsAlreadyStored extends Error {
  constructor(options?: ErrorOptions) {
    super('an event of the group is already stored', options);
    this.name = 'EventsAlreadyStored';
  }
}

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
   * Inserts rows; a (client_id, event_id) already stored is skipped (ON CONFLICT DO NOTHING)
   * and only the new ones come back (RETURNING, both dialects), as `eventKey`s.
   *
   * The statement is written here rather than with Kysely's builder: building and compiling
   * a 50-row insert cost about a tenth of the endpoint's CPU, and the text depends only on the
   * row count, so it is made once per count (and SQLite's statement cache then prepares it once).
   */
  async insertEvents(trx: Db, rows: EventRow[]): Promise<Set<string>> {
    if (this.dialect === 'postgres') return this.insertEventsUnnest(trx, rows);
    const inserted = new Set<string>();
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const parameters: unknown[] = [];
      for (const row of chunk) for (const column of EVENT_COLUMNS) parameters.push(row[column] ?? null);
      const { rows: returned } = await trx.executeQuery<{ client_id: string; event_id: string }>(CompiledQuery.raw(this.insertSql(chunk.length), parameters));
      for (const row of returned) inserted.add(eventKey(row));
    }
    return inserted;
  }

  /**
   * PostgreSQL: one statement for any number of rows, each column bound as one array and
   * turned back into rows by unnest. Twenty parameters instead of twenty per row: the server
   * parses and plans one short text, and each array goes as one text literal (pg-array.ts says
   * why it is built here rather than by pg).
   *
   * Rows go in key order. Two transactions inserting the same ids (a batch resent while its
   * first try commits, on another connection or node) then wait for each other in one order
   * and never deadlock: the later one waits, then finds the rows there.
   */
  private async insertEventsUnnest(trx: Db, unordered: EventRow[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    if (unordered.length === 0) return inserted;
    const parameters = eventArrays(unordered);
    const { rows: returned } = await trx.executeQuery<{ client_id: string; event_id: string }>(CompiledQuery.raw(UNNEST_INSERT, parameters));
    for (const row of returned) inserted.add(eventKey(row));
    return inserted;
  }

  /**
   * PostgreSQL: stores a group whose events are all expected to be new, with their rollups and
   * user days, in one statement: a statement is a transaction of its own, so the group costs one
   * round trip (begin, insert, aggregates and commit were four, each answered late when the
   * event loop and the cores are busy). Without ON CONFLICT or RETURNING, a conflict is an error,
   * so every row it stored was new without asking; the arbiter check and the returned rows were
   * about a third of the insert's time in PostgreSQL (1,200 rows: 10–11 ms plain, 14–17 ms with
   * ON CONFLICT, 17–19 ms with RETURNING too). An event already stored (a batch sent again)
   * fails the whole statement with EventsAlreadyStored: nothing of it is stored, and the caller
   * writes the group again with insertEvents, which asks which rows are new.
   */
  async insertNewGroup(rows: EventRow[], inputs: RollupInput[], now: number): Promise<void> {
    if (rows.length === 0) return;
    const parameters = newGroupParameters(rows, appendedRollups(inputs, now), userDays(inputs));
    await this.db.executeQuery(CompiledQuery.raw(NEW_GROUP_INSERT, parameters)).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      // A deadlock too: two groups sharing an id and a user day can each wait for the other.
      throw code === UNIQUE_VIOLATION || code === DEADLOCK_DETECTED ? new EventsAlreadyStored({ cause: error }) : error;
    });
  }

  /** SQLite's multi-row INSERT for `count` rows. */
  private insertSql(count: number): string {
    let text = this.insertText.get(count);
    if (text === undefined) {
      const row = `(${EVENT_COLUMNS.map(() => '?').join(', ')})`;
      const values = Array.from({ length: count }, () => row).join(', ');
      text = `insert into events (${EVENT_COLUMNS.join(', ')}) values ${values} on conflict (client_id, event_id) do nothing returning client_id, event_id`;
      this.insertText.set(count, text);
    }
    return text;
  }

  /**
   * Adds newly stored events to their minute rollups and user days. Rollups get one new row
   * per key this commit touched (compaction merges them later): appending reads nothing and
   * locks nothing that another transaction or node is writing.
   */
  async addToAggregates(trx: Db, inputs: RollupInput[], now: number): Promise<void> {
    if (inputs.length === 0) return;
    const rows = appendedRollups(inputs, now);
    const days = userDays(inputs);
    if (this.dialect === 'postgres') {
      // One statement, so one round trip: the rollups ride in a data-modifying CTE. SQLite's
      // WITH takes only a SELECT, and its statements cost no round trip anyway.
      await trx
        .with('appended', (db) => db.insertInto('event_rollups').values(rows).returning('id'))
        .insertInto('event_user_days')
        .values(days)
        .onConflict(addToUserDay)
        .execute();
      return;
    }
    await trx.insertInto('event_rollups').values(rows).execute();
    await trx.insertInto('event_user_days').values(days).onConflict(addToUserDay).execute();
  }

  /** Every row of one rollup key with its state; locked until the transaction ends on PostgreSQL. */
  async rollupRows(trx: Db, key: RollupKey): Promise<{ id: string; state: RollupState }[]> {
    let query = trx
      .selectFrom('event_rollups')
      .select(['id', 'events', 'errors', 'sessions', 'users', 'metrics'])
      .where((eb) => eb.and({ ...key }));
    if (this.dialect === 'postgres') query = query.forUpdate();
    return (await query.execute()).map((row) => ({ id: row.id, state: RollupState.fromColumns(row) }));
  }

  /** Replaces the rows `ids` of `key` by one compacted row holding `state` (none when it counts nothing). */
  async replaceRollup(trx: Db, key: RollupKey, ids: string[], state: RollupState, now: number): Promise<void> {
    for (let start = 0; start < ids.length; start += ID_CHUNK)
      await trx
        .deleteFrom('event_rollups')
        .where('id', 'in', ids.slice(start, start + ID_CHUNK))
        .execute();
    if (state.events > 0)
      await trx
        .insertInto('event_rollups')
        .values({ id: newId(), ...key, ...state.toColumns(), compacted: 1, updated_at: now })
        .execute();
  }

  /**
   * Merges the rows of keys that have appended rows into one row per key, up to `maxRows`
   * appended rows per transaction. Returns how many appended rows were folded in. Safe beside
   * the writer (it only appends) and beside another node compacting (rows are locked, and a
   * row merged by the other is skipped; at worst a key keeps two rows until the next run).
   */
  async compactRollups(now: number, { maxRows = 5000 } = {}): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const pending = await trx
        .selectFrom('event_rollups')
        .select(['bucket', 'client_id', 'name', 'app_version', 'deployment', 'origin', 'is_anonymous', 'country'])
        .where('compacted', '=', 0)
        .orderBy('bucket')
        .limit(maxRows)
        .execute();
      const keys = new Map<string, RollupKey>();
      for (const row of pending) keys.set(keyString(row), { ...row, bucket: Number(row.bucket) });
      for (const [, key] of [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const rows = await this.rollupRows(trx, key);
        if (rows.length === 0) continue; // another node compacted it meanwhile
        if (rows.length === 1) {
          await trx.updateTable('event_rollups').set({ compacted: 1 }).where('id', '=', rows[0]!.id).execute();
          continue;
        }
        const merged = new RollupState();
        for (const { state } of rows) merged.merge(state);
        await this.replaceRollup(
          trx,
          key,
          rows.map(({ id }) => id),
          merged,
          now,
        );
      }
      return pending.length;
    });
  }

  /**
   * Deletes the events and user days of `userIds` through `db` (the caller's transaction) and
   * leaves the rollups: they count what happened without naming anyone. For the cull, whose
   * guests are long gone; erasure (erasure.ts) rebuilds rollups instead. Returns the events deleted.
   */
  async deleteOfUsers(db: Db, userIds: readonly string[]): Promise<number> {
    let deleted = 0;
    for (let start = 0; start < userIds.length; start += ID_CHUNK) {
      const ids = userIds.slice(start, start + ID_CHUNK);
      const result = await db.deleteFrom('events').where('user_id', 'in', ids).executeTakeFirst();
      deleted += Number(result.numDeletedRows);
      await db.deleteFrom('event_user_days').where('user_id', 'in', ids).execute();
    }
    return deleted;
  }

  /**
   * Deletes what is older than `cutoff` a batch at a time, so the group-commit writer gets the
   * database between batches. Returns the number of events deleted.
   */
  async purgeBefore(cutoff: number, { batchSize = PURGE_BATCH, pause = () => new Promise<void>((resolve) => setImmediate(resolve)) } = {}): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result =
        await sql`delete from events where (client_id, event_id, ts) in (select client_id, event_id, ts from events where ts < ${cutoff} limit ${batchSize})`.execute(
          this.db,
        );
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

  private async purgeSlices(
    table: 'event_rollups' | 'event_user_days',
    column: 'bucket' | 'day',
    cutoff: number,
    sliceMs: number,
    pause: () => Promise<void>,
  ): Promise<void> {
    for (;;) {
      const oldest = await this.db
        .selectFrom(table)
        .select((eb) => eb.fn.min<number>(column).as('oldest'))
        .executeTakeFirst();
      const start = oldest?.oldest == null ? undefined : Number(oldest.oldest);
      if (start === undefined || start >= cutoff) return;
      await this.db
        .deleteFrom(table)
        .where(column, '<', Math.min(cutoff, start + sliceMs))
        .execute();
      await pause();
    }
  }
}

/** The rollup rows `inputs` append: one new row per key, merged later by compaction. */
function appendedRollups(inputs: RollupInput[], now: number): EventRollupsTable[] {
  return [...groupByRollup(inputs).values()].map(({ key, state }) => ({ id: newId(), ...key, ...state.toColumns(), compacted: 0, updated_at: now }));
}

type UserDay = Insertable<EventUserDaysTable>;

/** The user-day rows of `inputs`, one per (day, client, user), in one order for every transaction. */
function userDays(inputs: RollupInput[]): UserDay[] {
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
  // Sorted like the rollups, so concurrent transactions lock rows in one order.
  return [...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, day]) => day);
}

/** A user-day row already there is merged with the new one (USER_DAY_MERGE). */
function addToUserDay(oc: OnConflictBuilder<Database, 'event_user_days'>) {
  return oc.columns(['day', 'client_id', 'user_id']).doUpdateSet({
    events: sql.raw(USER_DAY_MERGE.events),
    guest_events: sql.raw(USER_DAY_MERGE.guest_events),
    first_ts: sql.raw(USER_DAY_MERGE.first_ts),
  });
}
