import type { Kysely } from 'kysely';
import type { Database, KeysTable } from '../storage/schema.js';

export type KeyRow = KeysTable;

/** Storage of signing and sealing keys. Private parts arrive already sealed. */
export class KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Current keys and retired keys that have not yet expired. */
  async listLive(now: number): Promise<KeyRow[]> {
    return this.db
      .selectFrom('keys')
      .selectAll()
      .where((eb) => eb.or([eb('status', '=', 'current'), eb('expires_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .execute();
  }

  /**
   * Retires the current key of a use and inserts its successor in one transaction, so every
   * reader sees exactly one current key. `retiredLifetimeMs` keeps the old key published until
   * the last token it signed (or sealed) has expired.
   */
  async replaceCurrent(next: KeyRow, retiredLifetimeMs: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('keys')
        .set({ status: 'retired', retired_at: next.created_at, expires_at: next.created_at + retiredLifetimeMs })
        .where('use', '=', next.use)
        .where('status', '=', 'current')
        .execute();
      await trx.insertInto('keys').values(next).execute();
    });
  }

  /**
   * Inserts a first key unless another node already has one; returns whether this call did.
   * The partial unique index `keys_one_current` makes the race between nodes safe.
   */
  async insertIfNoCurrent(first: KeyRow): Promise<boolean> {
    const result = await this.db
      .insertInto('keys')
      .values(first)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Removes keys whose tokens have all expired; they are no longer published. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('keys').where('status', '=', 'retired').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
