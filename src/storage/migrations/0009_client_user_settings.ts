import type { Kysely } from 'kysely';

/**
 * What a client's registered users get (`user.scopes`), beside its guest settings. Existing
 * clients keep null, the defaults: their registered users get the guest scopes, as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('user_settings', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('user_settings').execute();
}
