import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Metadata } from '../sessions/user-store.js';
import type { Dialect } from '../storage/database.js';
import type { Database, UsersTable } from '../storage/schema.js';

/** A user as the accounts feature sees it: guest or registered, merged or not. */
export interface AccountRecord {
  id: string;
  isAnonymous: boolean;
  email: string | null;
  passwordHash: string | null;
  createdByClient: string | null;
  metadata: Metadata;
  metadataVersion: number;
  createdAt: number;
  updatedAt: number;
  emailVerifiedAt: number | null;
  convertedAt: number | null;
  mergedInto: string | null;
  mergedAt: number | null;
}

function toRecord(row: Selectable<UsersTable>): AccountRecord {
  return {
    id: row.id,
    isAnonymous: row.is_anonymous === 1,
    email: row.email,
    passwordHash: row.password_hash,
    createdByClient: row.created_by_client,
    metadata: JSON.parse(row.metadata) as Metadata,
    metadataVersion: row.metadata_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    emailVerifiedAt: row.email_verified_at,
    convertedAt: row.converted_at,
    mergedInto: row.merged_into,
    mergedAt: row.merged_at,
  };
}

export interface NewAccount {
  id: string;
  email: string | null;
  passwordHash: string | null;
  clientId: string | null;
  now: number;
}

export interface Promotion {
  email: string | null;
  passwordHash: string | null;
  now: number;
}

/** Computes the account's new metadata from both rows, inside the merge transaction. */
export type MergeFunction = (account: AccountRecord, guest: AccountRecord) => Metadata;

export interface MergeOutcome {
  account: AccountRecord;
  /** Sessions of the guest that this merge revoked. */
  revokedSessionIds: string[];
}

/** Users, aliases and external identities, as registration, login and merging need them. */
export class AccountStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async get(id: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async findByEmail(email: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Creates a registered user; undefined when the address was taken meanwhile (unique index). */
  async create(account: NewAccount): Promise<AccountRecord | undefined> {
    const result = await this.db
      .insertInto('users')
      .values({
        id: account.id,
        is_anonymous: 0,
        created_by_client: account.clientId,
        metadata: '{}',
        metadata_version: 0,
        created_at: account.now,
        updated_at: account.now,
        email: account.email,
        email_verified_at: account.email ? account.now : null,
        password_hash: account.passwordHash,
        converted_at: null,
        merged_into: null,
        merged_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) !== 1) return undefined;
    return this.get(account.id);
  }

  /**
   * Promotion in place: the guest's row becomes a registered user with the same id, keeping
   * its metadata (DESIGN §2.2). Only a live guest can be promoted, and only once: the WHERE
   * clause is the guard, so two verifications racing cannot both win. A guest that never
   * needed a row gets one now.
   */
  async promote(guestId: string, clientId: string, promotion: Promotion): Promise<boolean> {
    await this.db
      .insertInto('users')
      .values({ id: guestId, is_anonymous: 1, created_by_client: clientId, metadata: '{}', metadata_version: 0, created_at: promotion.now, updated_at: promotion.now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    try {
      const result = await this.db
        .updateTable('users')
        .set({
          is_anonymous: 0,
          email: promotion.email,
          email_verified_at: promotion.email ? promotion.now : null,
          password_hash: promotion.passwordHash,
          converted_at: promotion.now,
          updated_at: promotion.now,
        })
        .where('id', '=', guestId)
        .where('is_anonymous', '=', 1)
        .where('merged_into', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    } catch (error) {
      // The address was registered by someone else in the meantime (unique index).
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Sets a password; with `onlyIfUnset`, only when the user has none (convert-first flow). */
  async setPassword(userId: string, passwordHash: string, now: number, { onlyIfUnset = false } = {}): Promise<boolean> {
    let query = this.db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).where('is_anonymous', '=', 0).where('merged_into', 'is', null);
    if (onlyIfUnset) query = query.where('password_hash', 'is', null);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * The merge, in one transaction (issue 4 §6): the account's metadata merged, the guest
   * marked `merged_into`, the alias written, the guest's sessions revoked. Both rows are locked
   * on PostgreSQL (in id order, so two merges cannot deadlock); SQLite has one writer anyway.
   * Returns undefined when the guest is no longer a live guest (merged or promoted meanwhile).
   */
  async merge(guestId: string, accountId: string, now: number, mergeFunction: MergeFunction): Promise<MergeOutcome | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await this.lockUsers(trx, [guestId, accountId]);
      const guestRow = rows.find((row) => row.id === guestId);
      const accountRow = rows.find((row) => row.id === accountId);
      if (!accountRow) return undefined;
      const guest = guestRow ? toRecord(guestRow) : emptyGuest(guestId, now);
      if (!guest.isAnonymous || guest.mergedInto !== null) return undefined;
      const metadata = mergeFunction(toRecord(accountRow), guest);
      const version = accountRow.metadata_version + 1;
      await trx.updateTable('users').set({ metadata: JSON.stringify(metadata), metadata_version: version, updated_at: now }).where('id', '=', accountId).execute();
      if (guestRow) {
        await trx.updateTable('users').set({ merged_into: accountId, merged_at: now, updated_at: now }).where('id', '=', guestId).execute();
      } else {
        // The guest never needed a row; it gets one now so its tokens are refused by user too.
        await trx
          .insertInto('users')
          .values({ id: guestId, is_anonymous: 1, created_by_client: null, metadata: '{}', metadata_version: 0, created_at: now, updated_at: now, merged_into: accountId, merged_at: now })
          .execute();
      }
      await trx.insertInto('user_aliases').values({ alias_id: guestId, user_id: accountId, created_at: now }).onConflict((oc) => oc.column('alias_id').doNothing()).execute();
      const sessions = await trx.selectFrom('sessions').select('id').where('user_id', '=', guestId).where('revoked_at', 'is', null).execute();
      await trx.updateTable('sessions').set({ revoked_at: now, revoked_reason: 'merged' }).where('user_id', '=', guestId).where('revoked_at', 'is', null).execute();
      const account = toRecord({ ...accountRow, metadata: JSON.stringify(metadata), metadata_version: version, updated_at: now });
      return { account, revokedSessionIds: sessions.map((row) => row.id) };
    });
  }

  /** The account a merged guest now lives in, if any. */
  async aliasTarget(aliasId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('user_aliases').select('user_id').where('alias_id', '=', aliasId).executeTakeFirst();
    return row?.user_id;
  }

  async findIdentity(issuer: string, subject: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('user_identities').select('user_id').where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
    return row?.user_id;
  }

  /** Links (issuer, subject) to a user; returns the user it is linked to (an earlier link wins). */
  async linkIdentity(issuer: string, subject: string, userId: string, now: number): Promise<string> {
    await this.db.insertInto('user_identities').values({ issuer, subject, user_id: userId, created_at: now }).onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing()).execute();
    return (await this.findIdentity(issuer, subject)) ?? userId;
  }

  private async lockUsers(trx: Transaction<Database>, ids: string[]): Promise<Selectable<UsersTable>[]> {
    let query = trx.selectFrom('users').selectAll().where('id', 'in', ids).orderBy('id');
    if (this.dialect === 'postgres') query = query.forUpdate();
    return query.execute();
  }
}

function emptyGuest(id: string, now: number): AccountRecord {
  return {
    id,
    isAnonymous: true,
    email: null,
    passwordHash: null,
    createdByClient: null,
    metadata: {},
    metadataVersion: 0,
    createdAt: now,
    updatedAt: now,
    emailVerifiedAt: null,
    convertedAt: null,
    mergedInto: null,
    mergedAt: null,
  };
}

/** SQLite's SQLITE_CONSTRAINT_UNIQUE or PostgreSQL's 23505. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
