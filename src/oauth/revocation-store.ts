import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

/** The denylist of revoked JWT access tokens, kept until each token would have expired. */
export class RevocationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async revoke(jti: string, expiresAt: number, now: number): Promise<void> {
    await this.db
      .insertInto('revocations')
      .values({ jti, expires_at: expiresAt, revoked_at: now })
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
  }

  /** How many entries `purgeExpired(now)` would drop. */
  async countExpired(now: number): Promise<number> {
    const row = await this.db
      .selectFrom('revocations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expires_at', '<=', now)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Drops entries for tokens that have expired anyway. */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('revocations').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
