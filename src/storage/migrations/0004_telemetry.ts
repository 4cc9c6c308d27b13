import { sql, type Kysely } from 'kysely';

/**
 * Telemetry: raw events (kept for the retention period), one-minute rollups maintained as
 * events commit, and per-user activity days for people counts and conversion.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('client_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('event_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('name', 'varchar(64)', (col) => col.notNull())
    .addColumn('ts', 'bigint', (col) => col.notNull())
    .addColumn('received_at', 'bigint', (col) => col.notNull())
    .addColumn('user_id', 'varchar(128)', (col) => col.notNull())
    .addColumn('session_id', 'varchar(64)')
    .addColumn('is_anonymous', 'integer', (col) => col.notNull())
    .addColumn('app_version', 'varchar(64)', (col) => col.notNull())
    .addColumn('deployment', 'varchar(64)', (col) => col.notNull())
    .addColumn('platform', 'varchar(64)', (col) => col.notNull())
    .addColumn('locale', 'varchar(35)', (col) => col.notNull())
    .addColumn('origin', 'varchar(253)', (col) => col.notNull())
    .addColumn('country', 'varchar(2)', (col) => col.notNull())
    .addColumn('props', 'text', (col) => col.notNull())
    .addColumn('metrics', 'text', (col) => col.notNull())
    .addColumn('error_type', 'varchar(128)')
    .addColumn('error_message', 'text')
    .addColumn('redactions', 'integer', (col) => col.notNull())
    .addColumn('quarantined', 'integer', (col) => col.notNull().defaultTo(0))
    // The idempotency key: a resent event conflicts instead of adding a row,
    // for as long as the event is retained (90 days by default, well past the 24 h asked).
    .addPrimaryKeyConstraint('events_pk', ['client_id', 'event_id'])
    .execute();
  // Time ranges (retention purge, rollup rebuilds) and one user's events (erasure, conversion).
  await db.schema.createIndex('events_ts').on('events').column('ts').execute();
  await db.schema.createIndex('events_user_ts').on('events').columns(['user_id', 'ts']).execute();

  await db.schema
    .createTable('event_rollups')
    // Each commit appends one row per rollup key it touched (no read-modify-write, no row
    // locks shared between nodes); compaction later merges a key's rows into one. Queries
    // merge whatever rows a key has, so they are right before and after compaction.
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('bucket', 'bigint', (col) => col.notNull())
    .addColumn('client_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('name', 'varchar(64)', (col) => col.notNull())
    .addColumn('app_version', 'varchar(64)', (col) => col.notNull())
    .addColumn('deployment', 'varchar(64)', (col) => col.notNull())
    .addColumn('origin', 'varchar(253)', (col) => col.notNull())
    .addColumn('is_anonymous', 'integer', (col) => col.notNull())
    .addColumn('country', 'varchar(2)', (col) => col.notNull())
    .addColumn('events', 'bigint', (col) => col.notNull())
    .addColumn('errors', 'bigint', (col) => col.notNull())
    .addColumn('sessions', 'text', (col) => col.notNull())
    .addColumn('users', 'text', (col) => col.notNull())
    .addColumn('metrics', 'text', (col) => col.notNull())
    .addColumn('compacted', 'integer', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();
  // Every dashboard query is a time range; a key's rows are found through their bucket too.
  await db.schema.createIndex('event_rollups_bucket').on('event_rollups').columns(['bucket', 'client_id', 'name']).execute();
  // Only rows waiting for compaction: a small index the compaction job scans.
  await db.schema.createIndex('event_rollups_pending').on('event_rollups').column('bucket').where(sql.ref('compacted'), '=', 0).execute();

  await db.schema
    .createTable('event_user_days')
    .addColumn('day', 'bigint', (col) => col.notNull())
    .addColumn('client_id', 'varchar(64)', (col) => col.notNull())
    .addColumn('user_id', 'varchar(128)', (col) => col.notNull())
    .addColumn('events', 'bigint', (col) => col.notNull())
    .addColumn('guest_events', 'bigint', (col) => col.notNull())
    .addColumn('first_ts', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('event_user_days_pk', ['day', 'client_id', 'user_id'])
    .execute();
  await db.schema.createIndex('event_user_days_user_id').on('event_user_days').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['event_user_days', 'event_rollups', 'events']) await db.schema.dropTable(table).execute();
}
