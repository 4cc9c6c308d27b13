/**
 * The `sessions` table belongs to the sessions feature, and this store is the only code that
 * writes it. Other features end a session through `SessionRevoker` (revoker.ts), which writes
 * here and announces `session.revoked`; a caller that must revoke inside its own transaction
 * (the accounts merge) hands that transaction to the revoker, never writes this table itself.
 * Rows end here too: the cull (cull.ts) deletes a culled guest's rows and purges expired ones.
 */
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { Dialect } from '../storage/database.js';
import { PreparedQuery } from '../storage/prepared-query.js';
import type { Database } from '../storage/schema.js';
import { type Rotation, RotationGroup } from './rotations.js';
import type { SessionsTable } from './tables.js';

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

/** A refresh's rotation (rotations.ts); a first refresh brings the row it may have to create. */
export interface SessionRotation extends Rotation {
  seed?: SessionSeed;
}

function sessionRow(seed: SessionSeed, lastRefreshedAt: number | null): Insertable<SessionsTable> {
  return {
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
  };
}

/** A first refresh that may have to write the session's row. */
const isFirst = (rotation: SessionRotation) => rotation.from === 0 && rotation.seed !== undefined;

/**
 * The indexes of `rotations` in rounds where no session appears twice, in order: a session's
 * k-th rotation of the group goes into round k.
 */
function rounds(rotations: readonly Rotation[]): number[][] {
  const seen = new Map<string, number>();
  const result: number[][] = [];
  rotations.forEach(({ id }, index) => {
    const round = seen.get(id) ?? 0;
    seen.set(id, round + 1);
    (result[round] ??= []).push(index);
  });
  return result;
}

/** Session rows: rotation state and revocation. Written only when a session needs state. */
export class SessionStore {
  private readonly rotations: RotationGroup<SessionRotation>;
  /** SQLite's compare-and-set of one rotation, run for every refresh: built once (storage/prepared-query.ts). */
  private readonly advanceOne: PreparedQuery<unknown>;

  constructor(
    private readonly db: Kysely<Database>,
    dialect: Dialect,
  ) {
    this.rotations = new RotationGroup((rotations) => (dialect === 'postgres' ? this.applyInBulk(rotations) : this.applyEach(rotations)));
    this.advanceOne = new PreparedQuery(db, (db, slot) =>
      db
        .updateTable('sessions')
        .set({ generation: slot<number>(0), last_refreshed_at: slot<number>(1), last_ip_prefix: slot<string | null>(2) })
        .where('id', '=', slot<string>(3))
        .where('generation', '=', slot<number>(4))
        .where('revoked_at', 'is', null),
    );
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const rows = await this.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').limit(500).execute();
    return rows.map(toRecord);
  }

  /** The stored sessions of several users (a person and its merged guests), newest first. */
  async listByUsers(userIds: readonly string[], limit: number, db: Kysely<Database> = this.db): Promise<SessionRecord[]> {
    if (userIds.length === 0) return [];
    const rows = await db.selectFrom('sessions').selectAll().where('user_id', 'in', userIds).orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map(toRecord);
  }

  /** Writes the row a session gets when it first needs state; a no-op when it exists. */
  async ensure(seed: SessionSeed, db: Kysely<Database> = this.db): Promise<void> {
    await this.insert(seed, null, db);
  }

  /** Inserts a session's row unless it exists; true when this call wrote it. */
  private async insert(seed: SessionSeed, lastRefreshedAt: number | null, db: Kysely<Database> = this.db): Promise<boolean> {
    const result = await db
      .insertInto('sessions')
      .values(sessionRow(seed, lastRefreshedAt))
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * A refresh's compare-and-set of the generation, from `from` to `from + 1`: the single-use
   * guarantee of rotation, as of N concurrent refreshes with the same token exactly one sees
   * `true`. A first refresh (`from` 0) of a session with no row yet inserts it at generation 1
   * instead (of several such refreshes exactly one insert wins). Resolves once committed, in
   * a transaction shared with the rotations of concurrent refreshes (rotations.ts).
   */
  rotate(rotation: SessionRotation): Promise<boolean> {
    return this.rotations.rotate(rotation);
  }

  /** Commits the rotations still queued (shutdown). */
  drainRotations(): Promise<void> {
    return this.rotations.drain();
  }

  /**
   * SQLite: the group's statements one after the other in one transaction (prepared statements
   * on the in-process connection cost microseconds; the commit's fsync is what the group shares).
   * A lone rotation needs no transaction of its own: each of its statements is atomic.
   */
  private applyEach(rotations: readonly SessionRotation[]): Promise<boolean[]> {
    const apply = async (db: Kysely<Database>) => {
      const results: boolean[] = [];
      for (const rotation of rotations) {
        const inserted = rotation.from === 0 && rotation.seed !== undefined && (await this.insert({ ...rotation.seed, generation: 1 }, rotation.now, db));
        results.push(inserted || (await this.advance(db, rotation)));
      }
      return results;
    };
    return rotations.length === 1 ? apply(this.db) : this.db.transaction().execute(apply);
  }

  /**
   * PostgreSQL, where each statement is a round trip: per round, one upsert of the first
   * refreshes (insert at generation 1, or advance from 0) and one UPDATE … FROM (VALUES …) of
   * the rest. A session twice in the group goes into a later round, so its second rotation sees
   * the first one's write. A group of one statement (a lone refresh, or a burst of later ones)
   * runs without BEGIN and COMMIT, which would be two more round trips.
   */
  private applyInBulk(rotations: readonly SessionRotation[]): Promise<boolean[]> {
    const plan = rounds(rotations).flatMap((round) => {
      const first = round.filter((index) => isFirst(rotations[index]!));
      const later = round.filter((index) => !isFirst(rotations[index]!));
      return [first, later].filter((indexes) => indexes.length > 0);
    });
    const apply = async (db: Kysely<Database>) => {
      const results = rotations.map(() => false);
      for (const indexes of plan) {
        const batch = indexes.map((index) => rotations[index]!);
        const rotated = new Set(isFirst(batch[0]!) ? await this.upsertFirst(db, batch) : await this.advanceAll(db, batch));
        for (const index of indexes) results[index] = rotated.has(rotations[index]!.id);
      }
      return results;
    };
    return plan.length === 1 ? apply(this.db) : this.db.transaction().execute(apply);
  }

  /** First refreshes: each inserts its row at generation 1, or advances an existing row from 0; returns the ids that rotated. */
  private async upsertFirst(db: Kysely<Database>, batch: readonly SessionRotation[]): Promise<string[]> {
    const rows = await db
      .insertInto('sessions')
      .values(batch.map((rotation) => sessionRow({ ...rotation.seed!, generation: 1, ipPrefix: rotation.ipPrefix }, rotation.now)))
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({ generation: 1, last_refreshed_at: eb.ref('excluded.last_refreshed_at'), last_ip_prefix: eb.ref('excluded.last_ip_prefix') }))
          .where('sessions.generation', '=', 0)
          .where('sessions.revoked_at', 'is', null),
      )
      .returning('id')
      .execute();
    return rows.map(({ id }) => id);
  }

  /** Later refreshes: one compare-and-set each, in one statement; returns the ids that rotated. */
  private async advanceAll(db: Kysely<Database>, batch: readonly Rotation[]): Promise<string[]> {
    const values = sql.join(batch.map(({ id, from, now, ipPrefix }) => sql`(${id}::text, ${from}::integer, ${now}::bigint, ${ipPrefix}::varchar)`));
    const { rows } = await sql<{ id: string }>`
      update sessions as s set generation = v.from_generation + 1, last_refreshed_at = v.now, last_ip_prefix = v.ip_prefix
      from (values ${values}) as v(id, from_generation, now, ip_prefix)
      where s.id = v.id and s.generation = v.from_generation and s.revoked_at is null
      returning s.id`.execute(db);
    return rows.map(({ id }) => id);
  }

  private async advance(db: Kysely<Database>, { id, from, now, ipPrefix }: Rotation): Promise<boolean> {
    const result = await this.advanceOne.execute([from + 1, now, ipPrefix, id, from], db);
    return Number(result.numAffectedRows) === 1;
  }

  /**
   * Marks a session revoked, writing its row from `seed` first when it has none (a session
   * that never needed state, or a tombstone). Returns the revoked row when this call revoked
   * it, undefined when it already was: of concurrent revocations exactly one gets the row.
   * `db` may be a caller's transaction.
   */
  async revoke(seed: SessionSeed, reason: string, now: number, db: Kysely<Database> = this.db): Promise<SessionRecord | undefined> {
    await this.ensure(seed, db);
    const row = await db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', '=', seed.id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Deletes every session row of `userIds` through `db` (the cull's transaction); returns how many. */
  async deleteOfUsers(userIds: readonly string[], db: Kysely<Database> = this.db): Promise<number> {
    if (userIds.length === 0) return 0;
    const result = await db.deleteFrom('sessions').where('user_id', 'in', userIds).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** How many session rows of `userIds` expire at or after `expiredBefore` (those a purge leaves). */
  async countOfUsers(userIds: readonly string[], expiredBefore: number): Promise<number> {
    if (userIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', 'in', userIds)
      .where('expires_at', '>=', expiredBefore)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Deletes up to `limit` rows (tombstones included) that expired before `expiredBefore`: no
   * token of theirs is accepted any more (the token's own `exp` is checked first). Returns how many.
   */
  async purgeExpired(expiredBefore: number, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where('id', 'in', (eb) => eb.selectFrom('sessions').select('id').where('expires_at', '<', expiredBefore).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async countExpired(expiredBefore: number): Promise<number> {
    const row = await this.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expires_at', '<', expiredBefore)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Revokes every stored, unrevoked session of a user in one statement and returns the rows
   * this call revoked. Sessions that never got a row are not found here: the caller revokes
   * those it knows by id, or the user's row refuses their tokens (a merged guest).
   */
  async revokeAllOfUser(userId: string, reason: string, now: number, db: Kysely<Database> = this.db): Promise<SessionRecord[]> {
    const rows = await db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .returningAll()
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Erasure: the users' rows lose everything that leads back to them (user, key thumbprint,
   * network) and stay as revoked tombstones until they expire, so their ids keep refusing the
   * sessions' tokens. `db` is the erasure's transaction. Returns how many rows it changed.
   */
  async anonymiseOfUsers(userIds: readonly string[], now: number, db: Kysely<Database> = this.db): Promise<number> {
    if (userIds.length === 0) return 0;
    const result = await db
      .updateTable('sessions')
      .set((eb) => ({
        user_id: null,
        dpop_jkt: null,
        last_ip_prefix: null,
        revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)),
        revoked_reason: eb.fn.coalesce('revoked_reason', eb.val('erased')),
      }))
      .where('user_id', 'in', userIds)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
