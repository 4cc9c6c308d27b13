/**
 * The cull's reads and its delete of user rows. Which guests are stale is one predicate over
 * `users`, `sessions` and accounts' `email_tokens`, read together on purpose (as
 * oauth/token-liveness.ts does): a guest is judged in one statement, and the same predicate
 * guards the DELETE, so a guest that came back between the scan and the delete stays.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../storage/schema.js';
import { groupByValue, type CullPolicy } from './cull-policy.js';

type UsersScope = ExpressionBuilder<Database, 'users'>;

/** A stale guest as the scan finds it. */
export interface CullCandidate {
  id: string;
  clientId: string | null;
  lastSeenAt: number;
}

/** Where a scan resumes: after this (last_seen_at, id). */
export interface CullCursor {
  lastSeenAt: number;
  id: string;
}

/** A number both dialects compare with a bigint column (PostgreSQL would guess text for a bare CASE parameter). */
const bigint = (value: number) => sql<number>`cast(${value} as bigint)`;

/**
 * `CASE WHEN column IN (…) THEN t1 … ELSE fallback END`, one arm per distinct value: per-client
 * thresholds inside one statement.
 */
function perClient(column: Expression<string | null>, values: ReadonlyMap<string, number>, fallback: number): Expression<number> {
  const arms = [...groupByValue(values)].map(([value, ids]) => sql`when ${column} in (${sql.join(ids)}) then ${bigint(value)}`);
  return arms.length === 0 ? bigint(fallback) : sql<number>`(case ${sql.join(arms, sql` `)} else ${bigint(fallback)} end)`;
}

/** A time later than any activity: a session of a client that no longer exists is never live. */
const NEVER = Number.MAX_SAFE_INTEGER;

/**
 * The guest is stale under `policy`: anonymous, never converted or merged, last active (its
 * row's last_seen_at and updated_at, its unexpired sessions' creation and last refresh) before
 * its client's cutoff, with no live session (unrevoked, unexpired, not idle) and no pending
 * sign-up (an unconsumed, unexpired e-mail proof).
 */
export function isStale(eb: UsersScope, policy: CullPolicy, use: 'scan' | 'guard'): Expression<SqlBool> {
  const staleBefore = perClient(eb.ref('users.created_by_client'), policy.staleBefore, policy.defaultStaleBefore);
  // The row's own columns. The scan states them as separate terms, so that it walks users_cull
  // (is_anonymous, last_seen_at, id) from the loosest cutoff. The guard of a DELETE by primary
  // key states them as one term, NOT (… OR …), which no index can serve: SQLite without
  // statistics would otherwise walk users_merged_into (NULL for nearly every guest) for each
  // batch instead of looking up its 500 keys.
  const row =
    use === 'scan'
      ? [
          eb('users.is_anonymous', '=', 1),
          eb('users.merged_into', 'is', null),
          eb('users.converted_at', 'is', null),
          eb('users.last_seen_at', '<', policy.latestStaleBefore),
          eb('users.last_seen_at', '<', staleBefore),
          eb('users.updated_at', '<', staleBefore),
        ]
      : [
          eb.not(
            eb.or([
              eb('users.is_anonymous', '<>', 1),
              eb('users.merged_into', 'is not', null),
              eb('users.converted_at', 'is not', null),
              eb('users.last_seen_at', '>=', staleBefore),
              eb('users.updated_at', '>=', staleBefore),
            ]),
          ),
        ];
  return eb.and([
    ...row,
    eb.not(
      eb.exists(
        eb
          .selectFrom('sessions')
          .select(sql.lit(1).as('one'))
          .whereRef('sessions.user_id', '=', 'users.id')
          .where('sessions.expires_at', '>=', policy.expiredBefore)
          .where((session) =>
            session.or([
              session('sessions.created_at', '>=', staleBefore),
              session('sessions.last_refreshed_at', '>=', staleBefore),
              session.and([
                session('sessions.revoked_at', 'is', null),
                session(
                  session.fn.coalesce('sessions.last_refreshed_at', 'sessions.created_at'),
                  '>=',
                  perClient(session.ref('sessions.client_id'), policy.idleBefore, NEVER),
                ),
              ]),
            ]),
          ),
      ),
    ),
    eb.not(
      eb.exists(
        eb
          .selectFrom('email_tokens')
          .select(sql.lit(1).as('one'))
          .whereRef('email_tokens.user_id', '=', 'users.id')
          .where('email_tokens.consumed_at', 'is', null)
          .where('email_tokens.expires_at', '>', policy.now),
      ),
    ),
  ]);
}

export class CullStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The next `limit` stale guests after `after`, oldest last-seen first. */
  async candidates(policy: CullPolicy, after: CullCursor | undefined, limit: number): Promise<CullCandidate[]> {
    let query = this.db
      .selectFrom('users')
      .select(['users.id', 'users.created_by_client', 'users.last_seen_at'])
      .where((eb) => isStale(eb, policy, 'scan'));
    if (after) {
      // The first term bounds the index range; the second skips the ties already seen.
      query = query
        .where('users.last_seen_at', '>=', after.lastSeenAt)
        .where((eb) =>
          eb.or([eb('users.last_seen_at', '>', after.lastSeenAt), eb.and([eb('users.last_seen_at', '=', after.lastSeenAt), eb('users.id', '>', after.id)])]),
        );
    }
    const rows = await query.orderBy('users.last_seen_at').orderBy('users.id').limit(limit).execute();
    return rows.map((row) => ({ id: row.id, clientId: row.created_by_client, lastSeenAt: Number(row.last_seen_at) }));
  }

  /**
   * Deletes those of `ids` that are still stale, through `db` (the batch's transaction), and
   * returns the deleted rows. The predicate is checked again here, under the row locks the
   * DELETE takes: a guest that came back since the scan is kept.
   */
  async deleteStale(db: Kysely<Database>, ids: readonly string[], policy: CullPolicy): Promise<CullCandidate[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .deleteFrom('users')
      .where('users.id', 'in', ids)
      .where((eb) => isStale(eb, policy, 'guard'))
      .returning(['users.id', 'users.created_by_client', 'users.last_seen_at'])
      .execute();
    return rows.map((row) => ({ id: row.id, clientId: row.created_by_client, lastSeenAt: Number(row.last_seen_at) }));
  }

  /**
   * Runs `work` while this node holds the cull lock; returns undefined without running it when
   * another node does. PostgreSQL: a session-level advisory lock, keyed by schema so that
   * several Guestpass schemas in one database do not wait on each other, held on one pooled
   * connection that `work` runs on. SQLite: one process owns the file, and the service runs
   * one cull at a time.
   */
  async withLock<T>(dialect: 'sqlite' | 'postgres', work: (db: Kysely<Database>) => Promise<T>): Promise<T | undefined> {
    if (dialect === 'sqlite') return work(this.db);
    return this.db.connection().execute(async (connection) => {
      const key = sql`hashtext('guestpass cull'), hashtext(current_schema())`;
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(connection);
      if (!rows[0]?.locked) return undefined;
      try {
        return await work(connection);
      } finally {
        await sql`select pg_advisory_unlock(${key})`.execute(connection);
      }
    });
  }
}
