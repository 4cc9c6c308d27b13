import type { Kysely } from 'kysely';

/**
 * Console operators (a role on a registered account, an optional sealed TOTP secret) and their
 * signed-in console sessions (token stored hashed). No foreign key to `users`: erasing a person
 * deletes their operator row through the operators feature (it listens to `user.deleted`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operators')
    .addColumn('user_id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('role', 'varchar(16)', (col) => col.notNull())
    .addColumn('totp_secret_sealed', 'text')
    .addColumn('totp_confirmed', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('totp_last_step', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('console_sessions')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('user_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('console_sessions_user').on('console_sessions').columns(['user_id']).execute();
  await db.schema.createIndex('console_sessions_expiry').on('console_sessions').columns(['expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('console_sessions').execute();
  await db.schema.dropTable('operators').execute();
}
