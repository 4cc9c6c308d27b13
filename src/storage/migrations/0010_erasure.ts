import type { Kysely } from 'kysely';

/**
 * Erased users: a denylist of hashes of the ids of people erased (GDPR Art. 17), so that a
 * session token or access token issued before the erasure is refused even when its session
 * never had a row to revoke. It holds no id, only a SHA-256 of one, and each row is useless,
 * and purged, once every token that could name the id has expired.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('erased_users')
    .addColumn('user_hash', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('erased_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('erased_users_expires_at').on('erased_users').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('erased_users').execute();
}
