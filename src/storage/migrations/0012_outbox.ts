import type { Kysely } from 'kysely';

/**
 * The transactional outbox: each domain event that leaves the process (a webhook) is written in
 * the same transaction as the change it reports, so a committed change always has its event and
 * a rolled-back one never does. The webhooks feature fans each row out to the endpoints that
 * want it and marks it dispatched; dispatched rows are purged after a retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox_events')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('type', 'varchar(64)', (col) => col.notNull())
    .addColumn('payload', 'text', (col) => col.notNull())
    .addColumn('order_key', 'varchar(255)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('dispatched_at', 'bigint')
    .execute();
  await db.schema.createIndex('outbox_events_undispatched').on('outbox_events').columns(['dispatched_at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox_events').execute();
}
