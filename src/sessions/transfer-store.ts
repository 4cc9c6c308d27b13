/**
 * The `transfer_codes` table belongs to the sessions feature and this store is its only
 * writer. A code is redeemed by one conditional UPDATE, so of two devices racing with the same
 * code exactly one gets a session.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export interface NewTransferCode {
  id: string;
  codeHash: string;
  clientId: string;
  userId: string;
  fromSessionId: string;
  createdAt: number;
  expiresAt: number;
}

export interface RedeemedTransferCode {
  id: string;
  userId: string;
  fromSessionId: string;
}

/** Expired codes deleted per new code: enough to keep up with any rate of codes. */
const PURGE_BATCH = 100;

export class TransferCodeStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** False when the hash collides with a stored code (the caller draws another). */
  async insert(code: NewTransferCode): Promise<boolean> {
    const result = await this.db
      .insertInto('transfer_codes')
      .values({
        id: code.id,
        code_hash: code.codeHash,
        client_id: code.clientId,
        user_id: code.userId,
        from_session_id: code.fromSessionId,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        used_at: null,
        new_session_id: null,
      })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Uses a live code of `clientId` up, once; undefined when it is unknown, expired, used or another client's. */
  async redeem(codeHash: string, clientId: string, now: number): Promise<RedeemedTransferCode | undefined> {
    const row = await this.db
      .updateTable('transfer_codes')
      .set({ used_at: now })
      .where('code_hash', '=', codeHash)
      .where('client_id', '=', clientId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['id', 'user_id', 'from_session_id'])
      .executeTakeFirst();
    return row && { id: row.id, userId: row.user_id, fromSessionId: row.from_session_id };
  }

  /** Records which session a redeemed code started. */
  async noteSession(id: string, sessionId: string): Promise<void> {
    await this.db.updateTable('transfer_codes').set({ new_session_id: sessionId }).where('id', '=', id).execute();
  }

  /** For each of these sessions that a transfer started, the session that made its code. */
  async origins(sessionIds: readonly string[]): Promise<Map<string, string>> {
    if (sessionIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('transfer_codes').select(['new_session_id', 'from_session_id']).where('new_session_id', 'in', sessionIds).execute();
    return new Map(rows.map((row) => [row.new_session_id!, row.from_session_id]));
  }

  /**
   * Deletes a batch of codes that are of no more use: unused ones once expired, used ones once
   * the session they started can no longer be alive (`usedKeptMs`, the longest session), since
   * until then they say which device that session came from. The table's growth bound.
   */
  async purgeExpired(now: number, usedKeptMs: number): Promise<number> {
    const expired = this.db
      .selectFrom('transfer_codes')
      .select('id')
      .where((eb) => eb.or([eb.and([eb('used_at', 'is', null), eb('expires_at', '<', now)]), eb('expires_at', '<', now - usedKeptMs)]))
      .limit(PURGE_BATCH);
    const result = await this.db.deleteFrom('transfer_codes').where('id', 'in', expired).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
