/**
 * The `users` table is shared by two features, by column, and each writes only its own:
 * - the sessions feature, here, creates rows (every user starts as a guest row) and writes the
 *   user's metadata: `id`, `is_anonymous` at creation, `created_by_client`, `metadata`,
 *   `metadata_version`, `created_at`, `last_seen_at`;
 * - the accounts feature (accounts/store.ts) writes the account columns: `email`,
 *   `email_verified_at`, `password_hash`, `converted_at`, `merged_into`, `merged_at` and
 *   `is_anonymous` when a guest becomes an account; it creates and changes rows and metadata
 *   only through this store, inside its own transaction where it needs one (`db`).
 * Both touch `updated_at` when they write; anyone may read.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Dialect } from '../storage/database.js';
import { PreparedQuery } from '../storage/prepared-query.js';
import type { Database } from '../storage/schema.js';
import { listUsers, type UserPage, type UserQuery } from './user-list.js';

export type Metadata = Record<string, unknown>;

/**
 * How stale `last_seen_at` may get: a session's use moves it only when it is older than this,
 * so an active user costs one UPDATE an hour, not one per refresh. The cull waits this much
 * longer than a client's retention to make up for it.
 */
export const LAST_SEEN_PRECISION_MS = 3_600_000;

export interface UserRecord {
  id: string;
  isAnonymous: boolean;
  createdByClient: string | null;
  metadata: Metadata;
  metadataVersion: number;
  createdAt: number;
  updatedAt: number;
  /** When a session of this user was last started or refreshed, to within LAST_SEEN_PRECISION_MS. */
  lastSeenAt: number;
  /** Set once this guest was merged into an account: its sessions are over. */
  mergedInto: string | null;
}

function toUserRecord(row: Selectable<Database['users']>): UserRecord {
  return {
    id: row.id,
    isAnonymous: row.is_anonymous === 1,
    createdByClient: row.created_by_client,
    metadata: JSON.parse(row.metadata) as Metadata,
    metadataVersion: row.metadata_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSeenAt: row.last_seen_at,
    mergedInto: row.merged_into,
  };
}

/** Users as the guest-session feature sees them: identity flag and metadata. */
export class UserStore {
  /** Every refresh reads its user's row: built once (storage/prepared-query.ts). */
  private readonly byId: PreparedQuery<Selectable<Database['users']>>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {
    this.byId = new PreparedQuery(db, (db, slot) => db.selectFrom('users').selectAll().where('id', '=', slot<string>(0)));
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const row = await this.byId.first([id]);
    return row && toUserRecord(row);
  }

  /** One page of users for the admin listing (user-list.ts): never a secret. */
  list(query: UserQuery): Promise<UserPage> {
    return listUsers(this.db, query);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Stored guests (not merged into an account) and registered users. Two index-only counts
   * (users_cull leads with is_anonymous; users_merged_into holds the merged few) rather than
   * one filtered scan of the table; still linear in users, so callers cache the answer.
   * A merged guest keeps is_anonymous = 1 with merged_into set: it is subtracted.
   */
  async countByKind(): Promise<{ guests: number; registered: number }> {
    const [kinds, merged] = await Promise.all([
      this.db
        .selectFrom('users')
        .select((eb) => ['is_anonymous', eb.fn.countAll<number | string>().as('n')])
        .groupBy('is_anonymous')
        .execute(),
      this.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('merged_into', 'is not', null)
        .executeTakeFirstOrThrow(),
    ]);
    const of = (flag: number) => Number(kinds.find((row) => Number(row.is_anonymous) === flag)?.n ?? 0);
    return { guests: Math.max(0, of(1) - Number(merged.n)), registered: of(0) };
  }

  /**
   * Creates the guest's row (version 0, empty metadata) unless it exists; true when this call
   * created it. `db` may be a caller's transaction.
   */
  async ensureGuest(id: string, clientId: string | null, now: number, db: Kysely<Database> = this.db): Promise<boolean> {
    const result = await db
      .insertInto('users')
      .values({ id, is_anonymous: 1, created_by_client: clientId, metadata: '{}', metadata_version: 0, created_at: now, updated_at: now, last_seen_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Records that the user used a session at `now`, unless `last_seen_at` is already within
   * LAST_SEEN_PRECISION_MS of it: one conditional UPDATE, which writes nothing most of the time.
   */
  async touch(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ last_seen_at: now })
      .where('id', '=', id)
      .where('last_seen_at', '<', now - LAST_SEEN_PRECISION_MS)
      .execute();
  }

  /**
   * Replaces a user's metadata and advances its version, in the caller's transaction `db`
   * where the caller already holds the row (the accounts merge). Returns the new version, or
   * undefined when there is no such user.
   */
  async replaceMetadata(id: string, metadata: Metadata, now: number, db: Kysely<Database> = this.db): Promise<number | undefined> {
    const row = await db
      .updateTable('users')
      .set((eb) => ({ metadata: JSON.stringify(metadata), metadata_version: eb('metadata_version', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .returning('metadata_version')
      .executeTakeFirst();
    return row?.metadata_version;
  }

  /**
   * Read-modify-write of a user's metadata in one transaction, the row locked on PostgreSQL
   * (SQLite runs one writer at a time anyway): `change` sees the current metadata and version
   * and returns the new metadata, or throws to abort. No concurrent update is lost. Returns
   * the user's state after the write, or undefined when there is no such user.
   */
  async updateMetadata(
    id: string,
    now: number,
    change: (metadata: Metadata, version: number) => Metadata,
  ): Promise<Pick<UserRecord, 'metadata' | 'metadataVersion' | 'isAnonymous'> | undefined> {
    return this.db.transaction().execute(async (trx) => {
      let query = trx.selectFrom('users').select(['metadata', 'metadata_version', 'is_anonymous']).where('id', '=', id);
      if (this.dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      if (!row) return undefined;
      const metadata = change(JSON.parse(row.metadata) as Metadata, row.metadata_version);
      const metadataVersion = row.metadata_version + 1;
      await trx
        .updateTable('users')
        .set({ metadata: JSON.stringify(metadata), metadata_version: metadataVersion, updated_at: now })
        .where('id', '=', id)
        .execute();
      return { metadata, metadataVersion, isAnonymous: row.is_anonymous === 1 };
    });
  }

  /** The rows of several users (a person and its merged guests), for their export. */
  async getMany(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
    return rows.map(toUserRecord);
  }

  /**
   * Erasure: deletes the users' rows, account columns included (the accounts feature has erased
   * what it keeps elsewhere first), in the erasure's transaction `db`. Returns how many.
   */
  async deleteMany(ids: readonly string[], db: Kysely<Database> = this.db): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await db.deleteFrom('users').where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
