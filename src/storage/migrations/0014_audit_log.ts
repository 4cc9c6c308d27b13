import type { Kysely } from 'kysely';

/**
 * The domain-event log (audit feature): one row per event, the event as its replay line, with
 * the columns the admin API filters on. `id` is time-ordered, so it is the keyset cursor.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('type', 'varchar(64)', (col) => col.notNull())
    .addColumn('subject', 'varchar(256)')
    .addColumn('time', 'bigint', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('audit_log_type').on('audit_log').columns(['type', 'id']).execute();
  await db.schema.createIndex('audit_log_subject').on('audit_log').columns(['subject', 'id']).execute();
  await db.schema.createIndex('audit_log_time').on('audit_log').columns(['time']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
}
