import { type Kysely, sql } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { AuditLogTable } from './tables.js';

/** Rows per INSERT: five parameters each stays far below SQLite's and PostgreSQL's limits. */
const INSERT_CHUNK = 1000;
/** Ids per erasure statement: one LIKE each. */
const LIKE_CHUNK = 100;

/**
 * The event types that can name a person other than by `subject`: a session's id without the
 * user's (a tombstone's revocation, DPoP and reuse findings), an alert's entity id, and the
 * target of an admin's change (`admin.action`'s `target_id`: a user's id in /admin/api/users/:id).
 */
const NAMING_TYPES = ['alert.raised', 'session.revoked', 'token.reused', 'session.client_mismatch', 'dpop.proof_replayed', 'dpop.key_mismatch', 'admin.action'];

/**
 * The id as the event's JSON spells it, quotes included, for LIKE with `!` as the escape
 * character (SQLite has no default one): a client-chosen id's `%` or `_` matches only itself.
 */
function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (char) => `!${char}`);
}

export type AuditOrder = 'newest' | 'oldest';

export interface AuditQuery {
  type?: string;
  subject?: string;
  /** Event time, epoch ms, inclusive. */
  since?: number;
  /** Event time, epoch ms, exclusive. */
  until?: number;
  /** The id of the last row of the previous page. */
  after?: string;
  limit: number;
  order: AuditOrder;
}

/** One logged event: its log id and the event's replay line. */
export interface AuditEntry {
  id: string;
  line: string;
}

/** The event log in SQL, the same on SQLite and PostgreSQL. */
export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Appends rows in one transaction (one multi-row INSERT per thousand). */
  async append(rows: readonly AuditLogTable[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        await trx
          .insertInto('audit_log')
          .values(rows.slice(start, start + INSERT_CHUNK))
          .execute();
      }
    });
  }

  /** One page in id order (newest or oldest first), after the keyset cursor. */
  async page(query: AuditQuery): Promise<AuditEntry[]> {
    let select = this.db.selectFrom('audit_log').select(['id', 'event']);
    if (query.type !== undefined) select = select.where('type', '=', query.type);
    if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
    if (query.since !== undefined) select = select.where('time', '>=', query.since);
    if (query.until !== undefined) select = select.where('time', '<', query.until);
    if (query.after !== undefined) select = select.where('id', query.order === 'newest' ? '<' : '>', query.after);
    const rows = await select
      .orderBy('id', query.order === 'newest' ? 'desc' : 'asc')
      .limit(query.limit)
      .execute();
    return rows.map((row) => ({ id: row.id, line: row.event }));
  }

  /**
   * Deletes the events about a person (GDPR Art. 17): those whose subject is one of `userIds`,
   * and those naming one of the ids elsewhere (a session's or an alert's entity id), which only
   * the types in `NAMING_TYPES` do. Returns how many.
   */
  async eraseNaming(userIds: readonly string[], otherIds: readonly string[], trx: Kysely<Database>): Promise<number> {
    let erased = 0;
    if (userIds.length > 0) erased += Number((await trx.deleteFrom('audit_log').where('subject', 'in', userIds).executeTakeFirst()).numDeletedRows);
    const ids = [...userIds, ...otherIds];
    for (let start = 0; start < ids.length; start += LIKE_CHUNK) {
      const chunk = ids.slice(start, start + LIKE_CHUNK);
      const result = await trx
        .deleteFrom('audit_log')
        .where('type', 'in', NAMING_TYPES)
        .where((eb) => eb.or(chunk.map((id) => sql<boolean>`${eb.ref('event')} like ${`%${escapeLike(JSON.stringify(id))}%`} escape '!'`)))
        .executeTakeFirst();
      erased += Number(result.numDeletedRows);
    }
    return erased;
  }

  /** Deletes events older than `before` (event time), at most `limit`; returns how many. */
  async purgeBefore(before: number, limit: number): Promise<number> {
    const ids = this.db.selectFrom('audit_log').select('id').where('time', '<', before).limit(limit);
    const result = await this.db.deleteFrom('audit_log').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
