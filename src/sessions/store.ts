import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from '../storage/schema.js';

/** The longest session lifetime a client may configure (90 days). */
const TOMBSTONE_LIFETIME_MS = 90 * 86_400_000;

export interface SessionRecord {
  id: string;
  userId: string | null;
  clientId: string | null;
  generation: number;
  createdAt: number;
  expiresAt: number;
  lastRefreshedAt: number | null;
  dpopJkt: string | null;
  lastIpPrefix: string | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    generation: row.generation,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastRefreshedAt: row.last_refreshed_at,
    dpopJkt: row.dpop_jkt,
    lastIpPrefix: row.last_ip_prefix,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  };
}

/** The fields a session row starts with, taken from its (self-contained) session token. */
export type SessionSeed = Pick<SessionRecord, 'id' | 'userId' | 'clientId' | 'generation' | 'createdAt' | 'expiresAt' | 'dpopJkt'> & {
  ipPrefix: string | null;
};

/** Session rows: rotation state and revocation. Written only when a session needs state. */
export class SessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const rows = await this.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(500).execute();
    return rows.map(toRecord);
  }

  /** Writes the row a session gets when it first needs state; a no-op when it exists. */
  async ensure(seed: SessionSeed): Promise<void> {
    await this.insert(seed, null);
  }

  /**
   * The first refresh of a session that has no row yet: inserts it at the new generation.
   * Returns true for exactly one of several concurrent callers.
   */
  insertAtGeneration(seed: SessionSeed, now: number): Promise<boolean> {
    return this.insert(seed, now);
  }

  private async insert(seed: SessionSeed, lastRefreshedAt: number | null): Promise<boolean> {
    const result = await this.db
      .insertInto('sessions')
      .values({
        id: seed.id,
        user_id: seed.userId,
        client_id: seed.clientId,
        generation: seed.generation,
        created_at: seed.createdAt,
        expires_at: seed.expiresAt,
        last_refreshed_at: lastRefreshedAt,
        dpop_jkt: seed.dpopJkt,
        last_ip_prefix: seed.ipPrefix,
        revoked_at: null,
        revoked_reason: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Advances the generation from `from` to `from + 1` in one compare-and-set statement, the
   * single-use guarantee of rotation: of N concurrent refreshes with the same token, exactly
   * one sees `true`.
   */
  async advanceGeneration(id: string, from: number, now: number, ipPrefix: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ generation: from + 1, last_refreshed_at: now, last_ip_prefix: ipPrefix })
      .where('id', '=', id)
      .where('generation', '=', from)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Marks a session revoked (creating a tombstone row when it had none). Returns true when
   * this call revoked it, false when it already was.
   */
  async revoke(id: string, reason: string, now: number, seed?: SessionSeed): Promise<boolean> {
    // Without a seed (an admin revoking by id) the row is a tombstone: no user, no client,
    // kept as long as the longest session could live.
    await this.ensure(seed ?? { id, userId: null, clientId: null, generation: 0, createdAt: now, expiresAt: now + TOMBSTONE_LIFETIME_MS, dpopJkt: null, ipPrefix: null });
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
