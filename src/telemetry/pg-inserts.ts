import type { Insertable } from 'kysely';
import { EVENT_COLUMN_TYPES, EVENT_COLUMNS, eventKey } from './event-columns.js';
import { arrayLiteral } from './pg-array.js';
import type { EventRollupsTable, EventsTable, EventUserDaysTable } from './tables.js';

/**
 * The PostgreSQL statements of the telemetry writes: every column bound as one array and turned
 * back into rows by unnest (store.ts says when each is used).
 */

/** PostgreSQL's unique_violation: on `events`, only its key (the idempotency key) can raise it. */
export const UNIQUE_VIOLATION = '23505';
export const DEADLOCK_DETECTED = '40P01';

type ArrayType = 'text' | 'bigint' | 'integer';

/** The PostgreSQL type of each column's array in the group insert (text for every varchar). */
const ROLLUP_COLUMN_TYPES = {
  id: 'text',
  bucket: 'bigint',
  client_id: 'text',
  name: 'text',
  app_version: 'text',
  deployment: 'text',
  origin: 'text',
  is_anonymous: 'integer',
  country: 'text',
  events: 'bigint',
  errors: 'bigint',
  sessions: 'text',
  users: 'text',
  metrics: 'text',
  compacted: 'integer',
  updated_at: 'bigint',
} as const satisfies Record<keyof EventRollupsTable, ArrayType>;
const USER_DAY_COLUMN_TYPES = {
  day: 'bigint',
  client_id: 'text',
  user_id: 'text',
  events: 'bigint',
  guest_events: 'bigint',
  first_ts: 'bigint',
} as const satisfies Record<keyof EventUserDaysTable, ArrayType>;

const ROLLUP_COLUMNS = Object.keys(ROLLUP_COLUMN_TYPES) as (keyof typeof ROLLUP_COLUMN_TYPES)[];
const USER_DAY_COLUMNS = Object.keys(USER_DAY_COLUMN_TYPES) as (keyof typeof USER_DAY_COLUMN_TYPES)[];

/**
 * What a user-day row already stored becomes when a write brings the same (day, client, user):
 * the counts added, the earlier first event kept. Both the Kysely upsert (store.ts) and the
 * group insert below use it.
 */
export const USER_DAY_MERGE = {
  events: 'event_user_days.events + excluded.events',
  guest_events: 'event_user_days.guest_events + excluded.guest_events',
  first_ts: 'case when excluded.first_ts < event_user_days.first_ts then excluded.first_ts else event_user_days.first_ts end',
} as const;

/** `$from::type[], …`: the unnest arguments of `columns`, numbered from `from`. */
function unnestArguments<C extends string>(columns: readonly C[], types: Record<C, ArrayType>, from: number): string {
  return columns.map((column, index) => `$${from + index}::${types[column]}[]`).join(', ');
}

const EVENTS_FROM_UNNEST = `insert into events (${EVENT_COLUMNS.join(', ')}) select * from unnest(${unnestArguments(EVENT_COLUMNS, EVENT_COLUMN_TYPES, 1)})`;

/**
 * Events that may be stored already: those are skipped, the new ones returned. PostgreSQL
 * partitions events by time, and a partitioned table's key must hold the partition key
 * (migration 0015).
 */
export const UNNEST_INSERT = `${EVENTS_FROM_UNNEST} on conflict (client_id, event_id, ts) do nothing returning client_id, event_id`;

/**
 * A group of new events with its rollups and user days (insertNewGroup). The data-modifying
 * CTEs run once and to completion although nothing reads them. PostgreSQL runs such CTEs
 * after the outer statement (its documentation calls the order unpredictable, so nothing here
 * depends on it for correctness): the events go first, and the user-day rows, which two
 * groups of the same users both update, stay locked only from the end of the statement to
 * its commit.
 */
export const NEW_GROUP_INSERT = `with appended as (
  insert into event_rollups (${ROLLUP_COLUMNS.join(', ')}) select * from unnest(${unnestArguments(ROLLUP_COLUMNS, ROLLUP_COLUMN_TYPES, EVENT_COLUMNS.length + 1)})
), days as (
  insert into event_user_days (${USER_DAY_COLUMNS.join(', ')}) select * from unnest(${unnestArguments(
    USER_DAY_COLUMNS,
    USER_DAY_COLUMN_TYPES,
    EVENT_COLUMNS.length + ROLLUP_COLUMNS.length + 1,
  )})
  on conflict (day, client_id, user_id) do update set ${Object.entries(USER_DAY_MERGE)
    .map(([column, value]) => `${column} = ${value}`)
    .join(', ')}
)
${EVENTS_FROM_UNNEST}`;

/**
 * The twenty column arrays of `events` for the unnest inserts, rows in key order: two
 * transactions inserting the same ids (a batch resent while its first try commits, on another
 * connection or node) then wait for each other in one order and never deadlock on them.
 */
export function eventArrays(unordered: readonly Insertable<EventsTable>[]): string[] {
  const rows = unordered
    .map((row) => ({ row, key: eventKey(row) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ row }) => row);
  return EVENT_COLUMNS.map((column) => arrayLiteral(rows.map((row) => row[column] ?? null)));
}

/** NEW_GROUP_INSERT's parameters: the events', then the rollups', then the user days' column arrays. */
export function newGroupParameters(
  events: readonly Insertable<EventsTable>[],
  rollups: readonly EventRollupsTable[],
  days: readonly Insertable<EventUserDaysTable>[],
): string[] {
  return [
    ...eventArrays(events),
    ...ROLLUP_COLUMNS.map((column) => arrayLiteral(rollups.map((row) => row[column]))),
    ...USER_DAY_COLUMNS.map((column) => arrayLiteral(days.map((day) => day[column]))),
  ];
}
