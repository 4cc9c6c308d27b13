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

/** The cutoff of the row's client, as an SQL expression over `users.created_by_client`. */
function staleBeforeOf(eb: UsersScope, policy: CullPolicy): Expression<number> {
  return perClient(eb.ref('users.created_by_client'), policy.staleBefore, policy.defaultStaleBefore);
}

/**
 * What the scan can see in the row alone, as separate terms, so that it walks users_cull
 * (is_anonymous, last_seen_at, id) from the loosest cutoff: anonymous, never converted or
 * merged, last seen and written before its client's cutoff.
 */
function staleRow(eb: UsersScope, policy: CullPolicy): Expression<SqlBool> {
  const staleBefore = staleBeforeOf(eb, policy);
  return eb.and([
    eb('users.is_anonymous', '=', 1),
    eb('users.merged_into', 'is', null),
    eb('users.converted_at', 'is', null),
    eb('users.last_seen_at', '<', policy.latestStaleBefore),
    eb('users.last_seen_at', '<', staleBefore),
    eb('users.updated_at', '<', staleBefore),
  ]);
}

/**
 * The guest is stale under `policy`: anonymous, never converted or merged, last active (its
 * row's last_seen_at and updated_at, its unexpired sessions' creation and last refresh) before
 * its client's cutoff, with no live session (unrevoked, unexpired, not idle) and no pending
 * sign-up (an unconsumed, unexpired e-mail proof).
 *
 * It is checked for rows found by primary key, so the row's own conditions are one term,
 * NOT (… OR …), which no index can serve: with a few hundred keys to look up, SQLite without
 * statistics would otherwise walk users_merged_into (NULL for nearly every guest) instead.
 */
export function isStale(eb: UsersScope, policy: CullPolicy): Expression<SqlBool> {
  const staleBefore = staleBeforeOf(eb, policy);
  return eb.and([
    eb.not(
      eb.or([
        eb('users.is_anonymous', '<>', 1),
        eb('users.merged_into', 'is not', null),
        eb('users.converted_at', 'is not', null),
        eb('users.last_seen_at', '>=', staleBefore),
        eb('users.updated_at', '>=', staleBefore),
      ]),
    ),
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

/** One page of the scan: the stale guests in it, and where the next page starts (none after the last). */
export interface CullPage {
  stale: CullCandidate[];
  next: CullCursor | undefined;
}

export class CullStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The next `limit` guests after `after` whose rows look stale (oldest last-seen first, an
   * index range scan), and of those the ones that are stale: two short statements, where one
   * would have PostgreSQL anti-join every session row for each page.
   */
  async page(policy: CullPolicy, after: CullCursor | undefined, limit: number): Promise<CullPage> {
    let query = this.db
      .selectFrom('users')
      .select(['users.id', 'users.created_by_client', 'users.last_seen_at'])
      .where((eb) => staleRow(eb, policy));
    if (after) {
      // The first term bounds the index range; the second skips the ties already seen.
      query = query
        .where('users.last_seen_at', '>=', after.lastSeenAt)
        .where((eb) =>
          eb.or([eb('users.last_seen_at', '>', after.lastSeenAt), eb.and([eb('users.last_seen_at', '=', after.lastSeenAt), eb('users.id', '>', after.id)])]),
        );
    }
    const rows = await query.orderBy('users.last_seen_at').orderBy('users.id').limit(limit).execute();
    const scanned = rows.map((row) => ({ id: row.id, clientId: row.created_by_client, lastSeenAt: Number(row.last_seen_at) }));
    const last = scanned[scanned.length - 1];
    const next = scanned.length === limit && last ? { lastSeenAt: last.lastSeenAt, id: last.id } : undefined;
    if (scanned.length === 0) return { stale: [], next };
    const stale = await this.db
      .selectFrom('users')
      .select('users.id')
      .where(
        'users.id',
        'in',
        scanned.map(({ id }) => id),
      )
      .where((eb) => isStale(eb, policy))
      .execute();
    const staleIds = new Set(stale.map(({ id }) => id));
    return { stale: scanned.filter(({ id }) => staleIds.has(id)), next };
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
      .where((eb) => isStale(eb, policy))
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
