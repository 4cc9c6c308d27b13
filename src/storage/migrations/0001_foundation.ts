import { sql, type Kysely } from 'kysely';

/** Clients and their secrets, signing and sealing keys, and the access-token denylist. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('clients')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('name', 'varchar(200)', (col) => col.notNull())
    .addColumn('type', 'varchar(16)', (col) => col.notNull())
    .addColumn('is_admin', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('allowed_origins', 'text', (col) => col.notNull())
    .addColumn('grant_types', 'text', (col) => col.notNull())
    .addColumn('scopes', 'text', (col) => col.notNull())
    .addColumn('audiences', 'text', (col) => col.notNull())
    .addColumn('access_token_ttl', 'integer')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('client_secrets')
    .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('client_id', 'varchar(64)', (col) => col.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('secret_hash', 'varchar(64)', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('client_secrets_client_id').on('client_secrets').column('client_id').execute();

  await db.schema
    .createTable('keys')
    .addColumn('kid', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('use', 'varchar(8)', (col) => col.notNull())
    .addColumn('alg', 'varchar(32)', (col) => col.notNull())
    .addColumn('public_jwk', 'text')
    .addColumn('private_sealed', 'text', (col) => col.notNull())
    .addColumn('status', 'varchar(16)', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .execute();
  // At most one current key per use, even when several nodes start at once.
  await db.schema.createIndex('keys_one_current').unique().on('keys').column('use').where(sql.ref('status'), '=', 'current').execute();

  await db.schema
    .createTable('revocations')
    .addColumn('jti', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('revoked_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('revocations_expires_at').on('revocations').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['revocations', 'keys', 'client_secrets', 'clients']) {
    await db.schema.dropTable(table).execute();
  }
}
