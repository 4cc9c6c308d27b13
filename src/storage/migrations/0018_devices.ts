import type { Kysely } from 'kysely';

/**
 * Devices (docs/devices.md). `device_authorizations` (devices feature): RFC 8628 requests, their
 * device code and user code stored only as keyed hashes. `transfer_codes` (sessions feature):
 * single-use codes that start a new session of the same guest on another device, hashed too.
 * Both hold short-lived rows (minutes); each writer deletes expired rows as it adds new ones, so
 * neither table grows past the codes of the last expiry window.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_authorizations')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('client_id', 'varchar(200)', (col) => col.notNull())
    .addColumn('device_code_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('user_code_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('scope', 'text')
    .addColumn('audience', 'varchar(500)')
    .addColumn('resource', 'varchar(500)')
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('user_id', 'varchar(200)')
    .addColumn('interval_s', 'integer', (col) => col.notNull())
    .addColumn('last_polled_at', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('decided_at', 'bigint')
    .execute();
  await db.schema.createIndex('device_authorizations_expires').on('device_authorizations').columns(['expires_at']).execute();

  await db.schema
    .createTable('transfer_codes')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('code_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('client_id', 'varchar(200)', (col) => col.notNull())
    .addColumn('user_id', 'varchar(200)', (col) => col.notNull())
    .addColumn('from_session_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('new_session_id', 'varchar(36)')
    .execute();
  await db.schema.createIndex('transfer_codes_expires').on('transfer_codes').columns(['expires_at']).execute();
  await db.schema.createIndex('transfer_codes_new_session').on('transfer_codes').columns(['new_session_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('transfer_codes').execute();
  await db.schema.dropTable('device_authorizations').execute();
}
