/**
 * The `erased_users` denylist: people erased (GDPR Art. 17), so that a session token or access
 * token issued before the erasure is refused even when its session never had a row to revoke.
 * This store is its only writer; the access-token liveness check (oauth/token-liveness.ts)
 * reads it in its one round trip.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PreparedQuery } from '../storage/prepared-query.js';
import type { Database } from '../storage/schema.js';

/**
 * The key of an erased id on the denylist: a SHA-256, so the table never holds the id. Whoever
 * already knows an id can tell it was erased, for as long as the row lives; nobody can read
 * ids out of it.
 */
export function erasedUserHash(userId: string): string {
  return createHash('sha256').update(`guestpass erased user\u0000${userId}`).digest('hex');
}

export class ErasedUserStore {
  /** Every refresh asks: built once (storage/prepared-query.ts). */
  private readonly listed: PreparedQuery<{ user_hash: string }>;

  constructor(private readonly db: Kysely<Database>) {
    this.listed = new PreparedQuery(db, (db, slot) => db.selectFrom('erased_users').select('user_hash').where('user_hash', '=', slot<string>(0)));
  }

  /** Puts the ids on the denylist until `expiresAt` (a repeated erasure extends it). */
  async add(userIds: readonly string[], now: number, expiresAt: number): Promise<void> {
    if (userIds.length === 0) return;
    await this.db
      .insertInto('erased_users')
      .values(userIds.map((id) => ({ user_hash: erasedUserHash(id), erased_at: now, expires_at: expiresAt })))
      .onConflict((oc) => oc.column('user_hash').doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })))
      .execute();
  }

  async has(userId: string): Promise<boolean> {
    return (await this.listed.first([erasedUserHash(userId)])) !== undefined;
  }

  /** Drops entries no token can outlive any more; bounded by the erasures of the last 90 days. */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('erased_users').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
