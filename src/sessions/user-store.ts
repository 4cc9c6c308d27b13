import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export type Metadata = Record<string, unknown>;

export interface UserRecord {
  id: string;
  isAnonymous: boolean;
  createdByClient: string | null;
  metadata: Metadata;
  metadataVersion: number;
  createdAt: number;
  updatedAt: number;
}

/** Users as the guest-session feature sees them: identity flag and metadata. */
export class UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: string): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      isAnonymous: row.is_anonymous === 1,
      createdByClient: row.created_by_client,
      metadata: JSON.parse(row.metadata) as Metadata,
      metadataVersion: row.metadata_version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Creates the guest's row (version 0, empty metadata) unless it exists. */
  async ensureGuest(id: string, clientId: string, now: number): Promise<void> {
    await this.db
      .insertInto('users')
      .values({ id, is_anonymous: 1, created_by_client: clientId, metadata: '{}', metadata_version: 0, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /**
   * Replaces the metadata if the version is still `expectedVersion` (compare-and-set), and
   * returns the new version, or undefined when another write came first.
   */
  async replaceMetadata(id: string, expectedVersion: number, metadata: Metadata, now: number): Promise<number | undefined> {
    const result = await this.db
      .updateTable('users')
      .set({ metadata: JSON.stringify(metadata), metadata_version: expectedVersion + 1, updated_at: now })
      .where('id', '=', id)
      .where('metadata_version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? expectedVersion + 1 : undefined;
  }
}
