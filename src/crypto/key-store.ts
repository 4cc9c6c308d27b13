import type { Kysely } from 'kysely';
import type { Database, KeysTable } from '../storage/schema.js';

export type KeyRow = KeysTable;
type KeyUse = KeyRow['use'];

/**
 * Storage of signing and sealing keys. Private parts arrive already sealed.
 *
 * A key's life: `next` (published, not yet used; at most one per use) → `current` (signs or
 * seals; exactly one per use) → `retired` (still verifies or opens until `expires_at`). Every
 * node switches to a `next` key by itself once its `activates_at` has passed; the first node
 * to refresh afterwards records the switch in the table (`promoteDue`).
 */
export class KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Waiting, current, and retired keys that have not yet expired. */
  async listLive(now: number): Promise<KeyRow[]> {
    return this.db
      .selectFrom('keys')
      .selectAll()
      .where((eb) => eb.or([eb('status', 'in', ['next', 'current']), eb('expires_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .execute();
  }

  /**
   * Adds `next` as the successor of the current key of its use, in one transaction. A `current`
   * row replaces the current key at once; a `next` row waits for its `activates_at`. Either
   * way a key whose time has come is promoted first, and a key still waiting is retired, not
   * deleted: a node that has not yet re-read the table may switch to it at its activation
   * time, and its tokens must still verify. `retiredLifetimeMs` keeps a replaced key published
   * until the last token it signed (or sealed) has expired.
   */
  async rotate(next: KeyRow, retiredLifetimeMs: number): Promise<void> {
    const now = next.created_at;
    await this.db.transaction().execute(async (trx) => {
      await promoteDue(trx, next.use, now, retiredLifetimeMs);
      await retire(trx, next.use, 'next', now, retiredLifetimeMs);
      if (next.status === 'current') await retire(trx, next.use, 'current', now, retiredLifetimeMs);
      await trx.insertInto('keys').values(next).execute();
    });
  }

  /**
   * Records that a waiting key of `use` whose activation time has passed is now the current
   * one; returns whether this call did (another node may have been first).
   */
  async promoteDue(use: KeyUse, now: number, retiredLifetimeMs: number): Promise<boolean> {
    return this.db.transaction().execute((trx) => promoteDue(trx, use, now, retiredLifetimeMs));
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

async function retire(db: Kysely<Database>, use: KeyUse, status: 'next' | 'current', now: number, retiredLifetimeMs: number): Promise<void> {
  await db
    .updateTable('keys')
    .set({ status: 'retired', retired_at: now, expires_at: now + retiredLifetimeMs })
    .where('use', '=', use)
    .where('status', '=', status)
    .execute();
}

/**
 * Writes first, reads nothing before: two nodes promoting at once serialise on the current
 * row's lock, and the second finds no current row left to retire (PostgreSQL re-checks the
 * condition on the locked row) and no waiting row left to promote. The retired key expires a
 * full lifetime after now, not after its activation time: nodes that switch late may have
 * signed with it until now.
 */
async function promoteDue(db: Kysely<Database>, use: KeyUse, now: number, retiredLifetimeMs: number): Promise<boolean> {
  const retired = await db
    .updateTable('keys')
    .set({ status: 'retired', retired_at: now, expires_at: now + retiredLifetimeMs })
    .where('use', '=', use)
    .where('status', '=', 'current')
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('keys as due').select('due.kid').where('due.use', '=', use).where('due.status', '=', 'next').where('due.activates_at', '<=', now)),
    )
    .executeTakeFirst();
  if (Number(retired.numUpdatedRows) === 0) return false;
  const promoted = await db
    .updateTable('keys')
    .set({ status: 'current' })
    .where('use', '=', use)
    .where('status', '=', 'next')
    .where('activates_at', '<=', now)
    .executeTakeFirst();
  // Never leave a use without a current key: roll the retirement back.
  if (Number(promoted.numUpdatedRows) !== 1) throw new Error(`Promoting the waiting ${use} key found ${promoted.numUpdatedRows} rows; nothing was changed.`);
  return true;
}
