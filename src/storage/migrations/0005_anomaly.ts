import type { Kysely } from 'kysely';

/** Alerts (deduplicated per detector, entity and window) and persisted containment. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('detector', 'varchar(64)', (col) => col.notNull())
    .addColumn('entity_kind', 'varchar(16)', (col) => col.notNull())
    .addColumn('entity_id', 'varchar(200)', (col) => col.notNull())
    .addColumn('window_start', 'bigint', (col) => col.notNull())
    .addColumn('severity', 'varchar(16)', (col) => col.notNull())
    .addColumn('score', 'double precision', (col) => col.notNull())
    .addColumn('evidence', 'text', (col) => col.notNull())
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('action', 'varchar(16)', (col) => col.notNull())
    .addColumn('first_seen', 'bigint', (col) => col.notNull())
    .addColumn('last_seen', 'bigint', (col) => col.notNull())
    .addColumn('count', 'integer', (col) => col.notNull())
    .addColumn('allow_until', 'bigint')
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();
  // The deduplication key: one statement upserts against it (alerts/store.ts).
  await db.schema.createIndex('alerts_dedupe').unique().on('alerts').columns(['detector', 'entity_kind', 'entity_id', 'window_start']).execute();
  await db.schema.createIndex('alerts_first_seen').on('alerts').columns(['first_seen', 'id']).execute();
  await db.schema.createIndex('alerts_entity').on('alerts').columns(['entity_kind', 'entity_id']).execute();
  await db.schema.createIndex('alerts_allow_until').on('alerts').column('allow_until').execute();

  await db.schema
    .createTable('blocks')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('action', 'varchar(16)', (col) => col.notNull())
    .addColumn('entity_kind', 'varchar(16)', (col) => col.notNull())
    .addColumn('entity_id', 'varchar(200)', (col) => col.notNull())
    .addColumn('detector', 'varchar(64)', (col) => col.notNull())
    .addColumn('alert_id', 'varchar(64)')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('lifted_at', 'bigint')
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('blocks_expires_at').on('blocks').column('expires_at').execute();
  await db.schema.createIndex('blocks_updated_at').on('blocks').column('updated_at').execute();
  await db.schema.createIndex('blocks_alert_id').on('blocks').column('alert_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('blocks').execute();
  await db.schema.dropTable('alerts').execute();
}
