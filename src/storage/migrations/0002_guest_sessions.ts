import type { Kysely } from 'kysely';

/**
 * Users (guests first; accounts later) and guest sessions. Neither gets a row when a guest
 * session is created: the session token is self-contained. A row appears on the first
 * metadata write, refresh, revocation or conversion (DESIGN §2 principle 1).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(128)', (col) => col.primaryKey())
    .addColumn('is_anonymous', 'integer', (col) => col.notNull())
    .addColumn('created_by_client', 'varchar(64)')
    .addColumn('metadata', 'text', (col) => col.notNull())
    .addColumn('metadata_version', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    // Null only for a tombstone: a session revoked by id before it ever needed a row.
    .addColumn('user_id', 'varchar(128)')
    .addColumn('client_id', 'varchar(64)')
    .addColumn('generation', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('last_refreshed_at', 'bigint')
    .addColumn('dpop_jkt', 'varchar(64)')
    .addColumn('last_ip_prefix', 'varchar(64)')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_reason', 'varchar(64)')
    .execute();
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();

  await db.schema.alterTable('clients').addColumn('guest_settings', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('guest_settings').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('users').execute();
}
