import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { OperatorRole } from './store.js';
import type { ConsoleSessionsTable } from './tables.js';

/** A console session with its operator's current role (a role change or a removal applies at once). */
export interface ConsoleSessionRecord {
  id: string;
  userId: string;
  role: OperatorRole;
  totpEnabled: boolean;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** Console sessions in SQL, the same on SQLite and PostgreSQL. Tokens arrive here hashed only. */
export class ConsoleSessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(row: ConsoleSessionsTable): Promise<void> {
    await this.db.insertInto('console_sessions').values(row).execute();
  }

  /** The session whose token hashes to `tokenHash`, if its operator still is one. */
  async findByTokenHash(tokenHash: string): Promise<ConsoleSessionRecord | undefined> {
    const row = await this.db
      .selectFrom('console_sessions as s')
      .innerJoin('operators as o', 'o.user_id', 's.user_id')
      .select(['s.id', 's.user_id', 'o.role', 'o.totp_confirmed', 's.created_at', 's.last_seen_at', 's.expires_at'])
      .where('s.token_hash', '=', tokenHash)
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        userId: row.user_id,
        role: row.role,
        totpEnabled: row.totp_confirmed === 1,
        createdAt: row.created_at,
        lastSeenAt: row.last_seen_at,
        expiresAt: row.expires_at,
      }
    );
  }

  /** Slides the idle timeout; a no-op if another request moved it past `before` meanwhile. */
  async touch(id: string, now: number, before: number): Promise<void> {
    await this.db.updateTable('console_sessions').set({ last_seen_at: now }).where('id', '=', id).where('last_seen_at', '<', before).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('console_sessions').where('id', '=', id).execute();
  }

  async deleteOfUser(userId: string): Promise<number> {
    const { numDeletedRows } = await this.db.deleteFrom('console_sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(numDeletedRows);
  }

  /** Deletes up to `batch` sessions past their absolute end or idle since `idleBefore`; returns how many. */
  async purgeExpired(now: number, idleBefore: number, batch: number): Promise<number> {
    const { numDeletedRows } = await this.db
      .deleteFrom('console_sessions')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('console_sessions')
          .select('id')
          .where((w) => w.or([w('expires_at', '<=', now), w('last_seen_at', '<=', idleBefore)]))
          .limit(batch),
      )
      .executeTakeFirst();
    return Number(numDeletedRows);
  }
}
