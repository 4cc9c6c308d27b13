import { sql, type Kysely } from 'kysely';

/**
 * Staged key rotation: a key is published (status `next`) before it signs or seals, from its
 * `activates_at` on. Keys that exist already became active when they were created.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('keys')
    .addColumn('activates_at', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await sql`update keys set activates_at = created_at`.execute(db);
  // At most one key waiting per use: a second rotation replaces the waiting key, never adds one.
  await db.schema.createIndex('keys_one_next').unique().on('keys').column('use').where(sql.ref('status'), '=', 'next').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('keys_one_next').execute();
  await db.schema.alterTable('keys').dropColumn('activates_at').execute();
}
