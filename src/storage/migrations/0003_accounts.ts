import type { Kysely } from 'kysely';

/**
 * Registered users live in the same `users` table as guests (`is_anonymous` 0), so promotion
 * in place is an UPDATE and `sub` never changes. Aliases record merged guests forever.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    // Normalised (lower-cased, trimmed) address; unique among users that have one.
    .addColumn('email', 'varchar(320)')
    .execute();
  await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('password_hash', 'varchar(255)').execute();
  // When a guest became registered in place (null for guests and for accounts created directly).
  await db.schema.alterTable('users').addColumn('converted_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('merged_into', 'varchar(128)').execute();
  await db.schema.alterTable('users').addColumn('merged_at', 'bigint').execute();
  await db.schema.createIndex('users_email').unique().on('users').column('email').execute();
  await db.schema.createIndex('users_merged_into').on('users').column('merged_into').execute();

  await db.schema
    .createTable('user_aliases')
    .addColumn('alias_id', 'varchar(128)', (col) => col.primaryKey())
    .addColumn('user_id', 'varchar(128)', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('user_aliases_user_id').on('user_aliases').column('user_id').execute();

  await db.schema
    .createTable('email_tokens')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('purpose', 'varchar(16)', (col) => col.notNull())
    .addColumn('email', 'varchar(320)', (col) => col.notNull())
    .addColumn('code_hash', 'varchar(128)', (col) => col.notNull())
    .addColumn('link_hash', 'varchar(128)', (col) => col.notNull())
    .addColumn('user_id', 'varchar(128)')
    .addColumn('session_id', 'varchar(64)')
    .addColumn('password_hash', 'varchar(255)')
    .addColumn('client_id', 'varchar(64)')
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('consumed_at', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('email_tokens_email').on('email_tokens').columns(['email', 'purpose']).execute();
  await db.schema.createIndex('email_tokens_link_hash').unique().on('email_tokens').column('link_hash').execute();

  await db.schema
    .createTable('user_identities')
    .addColumn('issuer', 'varchar(500)', (col) => col.notNull())
    .addColumn('subject', 'varchar(255)', (col) => col.notNull())
    .addColumn('user_id', 'varchar(128)', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('user_identities_pk', ['issuer', 'subject'])
    .execute();
  await db.schema.createIndex('user_identities_user_id').on('user_identities').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('user_identities').execute();
  await db.schema.dropTable('email_tokens').execute();
  await db.schema.dropTable('user_aliases').execute();
  await db.schema.dropIndex('users_merged_into').execute();
  await db.schema.dropIndex('users_email').execute();
  for (const column of ['merged_at', 'merged_into', 'converted_at', 'password_hash', 'email_verified_at', 'email']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
}
