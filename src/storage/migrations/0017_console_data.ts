import type { Kysely } from 'kysely';

/**
 * What the console's overview and security pages need beyond what earlier versions stored:
 * - stats: an `alerts` count beside the lifecycle counts per day, and the same counts and the
 *   active-user sketches per UTC hour (every client together), kept two days, for the last
 *   24 hours at an hour's resolution;
 * - anomaly: the note an operator writes with a verdict, and an index on `alerts.updated_at`
 *   so the live view (GET /admin/api/alerts/stream) reads only what changed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('lifecycle_days')
    .addColumn('alerts', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('lifecycle_hours')
    .addColumn('hour', 'bigint', (col) => col.primaryKey())
    .addColumn('guests_created', 'bigint', (col) => col.notNull())
    .addColumn('converted', 'bigint', (col) => col.notNull())
    .addColumn('merged', 'bigint', (col) => col.notNull())
    .addColumn('culled', 'bigint', (col) => col.notNull())
    .addColumn('alerts', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('active_user_hours')
    .addColumn('hour', 'bigint', (col) => col.notNull())
    .addColumn('is_anonymous', 'integer', (col) => col.notNull())
    .addColumn('sketch', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('active_user_hours_pk', ['hour', 'is_anonymous'])
    .execute();

  await db.schema.alterTable('alerts').addColumn('note', 'varchar(1000)').execute();
  await db.schema.createIndex('alerts_updated_at').on('alerts').columns(['updated_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('alerts_updated_at').execute();
  await db.schema.alterTable('alerts').dropColumn('note').execute();
  await db.schema.dropTable('active_user_hours').execute();
  await db.schema.dropTable('lifecycle_hours').execute();
  await db.schema.alterTable('lifecycle_days').dropColumn('alerts').execute();
}
