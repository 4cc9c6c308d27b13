import { sql, type Kysely } from 'kysely';

/**
 * Culling stale guests (sessions/cull.ts). `last_seen_at` is when a user last used a session
 * (creation or refresh), kept to within an hour; rows that exist start from their last write.
 * The indexes serve the cull's scan of stale guests, its check for a pending sign-up, and the
 * admin listing's paging by creation time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('last_seen_at', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await sql`update users set last_seen_at = updated_at`.execute(db);
  await db.schema.createIndex('users_cull').on('users').columns(['is_anonymous', 'last_seen_at', 'id']).execute();
  await db.schema.createIndex('users_created_at').on('users').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('email_tokens_user_id').on('email_tokens').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('email_tokens_user_id').execute();
  await db.schema.dropIndex('users_created_at').execute();
  await db.schema.dropIndex('users_cull').execute();
  await db.schema.alterTable('users').dropColumn('last_seen_at').execute();
}
