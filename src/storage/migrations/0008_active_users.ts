import type { Kysely } from 'kysely';

/**
 * Active users and guest lifecycle counts per UTC day (the stats feature): one distinct-count
 * sketch per day, client and kind of user, one row of counters per day and client, and the ids
 * of applied flushes. Rows are purged after 400 days, flush ids after one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('active_user_sketches')
    .addColumn('day', 'bigint', (col) => col.notNull())
    .addColumn('client_id', 'varchar(128)', (col) => col.notNull())
    .addColumn('is_anonymous', 'integer', (col) => col.notNull())
    .addColumn('sketch', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('active_user_sketches_pk', ['day', 'client_id', 'is_anonymous'])
    .execute();

  await db.schema
    .createTable('lifecycle_days')
    .addColumn('day', 'bigint', (col) => col.notNull())
    .addColumn('client_id', 'varchar(128)', (col) => col.notNull())
    .addColumn('guests_created', 'bigint', (col) => col.notNull())
    .addColumn('converted', 'bigint', (col) => col.notNull())
    .addColumn('merged', 'bigint', (col) => col.notNull())
    .addColumn('culled', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('lifecycle_days_pk', ['day', 'client_id'])
    .execute();

  await db.schema
    .createTable('stats_flushes')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('flushed_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('stats_flushes_flushed_at').on('stats_flushes').column('flushed_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['stats_flushes', 'lifecycle_days', 'active_user_sketches']) await db.schema.dropTable(table).execute();
}
