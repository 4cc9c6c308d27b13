/**
 * What the accounts feature writes: the account columns of `users` (`email`,
 * `email_verified_at`, `password_hash`, `converted_at`, `merged_into`, `merged_at`, and
 * `is_anonymous` when a guest becomes an account) and its own tables `user_aliases` and
 * `user_identities`. Rows of `users` are created and metadata written only by the users API
 * of the sessions feature (sessions/user-store.ts), sessions are revoked only by its
 * `SessionRevoker`; both are given to this store and join its transaction where a change
 * must be atomic (the merge).
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { StagedEvents } from '../events/outbox.js';
import type { NetworkInfo } from '../events/types.js';
import type { Metadata, RevocationBatch, SessionRevoker, UserStore } from '../sessions/index.js';
import type { Dialect } from '../storage/database.js';
import type { Database } from '../storage/schema.js';

/** A whole `users` row: the sessions feature's columns and this feature's. */
type UserRow = Selectable<Database['users']>;

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

function toRecord(row: UserRow): AccountRecord {
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

/** What the accounts feature keeps about a person, as their export shows it: never a password hash. */
export interface AccountsExport {
  accounts: {
    user_id: string;
    email: string | null;
    email_verified_at: number | null;
    has_password: boolean;
    converted_at: number | null;
    merged_into: string | null;
    merged_at: number | null;
  }[];
  identity_links: { user_id: string; issuer: string; subject: string; created_at: number }[];
  aliases: { guest_id: string; account_id: string; created_at: number }[];
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

/** Stages the outbound events of a change through the change's own transaction (events/outbox.ts). */
export type StageEvents = (trx: Kysely<Database>) => Promise<StagedEvents>;

/** Computes the account's new metadata from both rows, inside the merge transaction. */
export type MergeFunction = (account: AccountRecord, guest: AccountRecord) => Metadata;

export interface MergeInput {
  guest: { userId: string; clientId: string | null; sessionId: string | null };
  accountId: string;
  now: number;
  /** The network of the request that presented the guest's session. */
  network?: NetworkInfo | undefined;
  mergeFunction: MergeFunction;
  /** `user.merged`, staged last in the merge's transaction. */
  stage: StageEvents;
}

export interface MergeOutcome {
  account: AccountRecord;
  /** The guest's sessions this merge revoked, to announce now that it has committed. */
  revocations: RevocationBatch;
  /** What `MergeInput.stage` staged, to announce after the revocations. */
  staged: StagedEvents;
}

/** What this store is given of the sessions feature: the users API and session revocation. */
export interface AccountStorePeers {
  users: Pick<UserStore, 'ensureGuest' | 'replaceMetadata'>;
  sessions: Pick<SessionRevoker, 'within'>;
}

/** Users, aliases and external identities, as registration, login and merging need them. */
export class AccountStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly peers: AccountStorePeers,
  ) {}

  async get(id: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async findByEmail(email: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Creates a registered user: a new row from the users API made an account in the same
   * transaction. Undefined when the id or the address was taken meanwhile (unique index).
   */
  async create(account: NewAccount): Promise<AccountRecord | undefined> {
    try {
      const created = await this.db.transaction().execute(async (trx) => {
        if (!(await this.peers.users.ensureGuest(account.id, account.clientId, account.now, trx))) return false;
        await trx
          .updateTable('users')
          .set({ is_anonymous: 0, email: account.email, email_verified_at: account.email ? account.now : null, password_hash: account.passwordHash })
          .where('id', '=', account.id)
          .execute();
        return true;
      });
      return created ? this.get(account.id) : undefined;
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  /**
   * Promotion in place: the guest's row becomes a registered user with the same id, keeping
   * its metadata (DESIGN §2.2). Only a live guest can be promoted, and only once: the WHERE
   * clause is the guard, so two verifications racing cannot both win. A guest that never
   * needed a row gets one now. `stage` writes `user.converted` in the same transaction;
   * returns what it staged, or undefined when the guest was not promoted.
   */
  async promote(guestId: string, clientId: string, promotion: Promotion, stage: StageEvents): Promise<StagedEvents | undefined> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await this.peers.users.ensureGuest(guestId, clientId, promotion.now, trx);
        const result = await trx
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
        return Number(result.numUpdatedRows) === 1 ? await stage(trx) : undefined;
      });
    } catch (error) {
      // The address was registered by someone else in the meantime (unique index).
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  /** Sets a password; with `onlyIfUnset`, only when the user has none (convert-first flow). */
  async setPassword(userId: string, passwordHash: string, now: number, { onlyIfUnset = false } = {}): Promise<boolean> {
    let query = this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', userId)
      .where('is_anonymous', '=', 0)
      .where('merged_into', 'is', null);
    if (onlyIfUnset) query = query.where('password_hash', 'is', null);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * The merge, in one transaction: the account's metadata merged, the guest marked
   * `merged_into`, the alias written, the guest's sessions revoked (every stored one, and the
   * presented one, which may never have had a row), and the outbound events of all this staged. Both rows are locked on PostgreSQL (in id
   * order, so two merges cannot deadlock); SQLite has one writer anyway. Returns undefined
   * when the guest is no longer a live guest (merged or promoted meanwhile).
   */
  async merge({ guest, accountId, now, network, mergeFunction, stage }: MergeInput): Promise<MergeOutcome | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // A guest that never needed a row gets one now (before the lock, so a row written
      // meanwhile is the one locked and merged), and its tokens are then refused by user too.
      await this.peers.users.ensureGuest(guest.userId, guest.clientId, now, trx);
      const rows = await this.lockUsers(trx, [guest.userId, accountId]);
      const guestRow = rows.find((row) => row.id === guest.userId);
      const accountRow = rows.find((row) => row.id === accountId);
      if (!guestRow || !accountRow) return undefined;
      const guestRecord = toRecord(guestRow);
      if (!guestRecord.isAnonymous || guestRecord.mergedInto !== null) return undefined;
      const metadata = mergeFunction(toRecord(accountRow), guestRecord);
      const version = await this.peers.users.replaceMetadata(accountId, metadata, now, trx);
      if (version === undefined) return undefined;
      await trx.updateTable('users').set({ merged_into: accountId, merged_at: now, updated_at: now }).where('id', '=', guest.userId).execute();
      await trx
        .insertInto('user_aliases')
        .values({ alias_id: guest.userId, user_id: accountId, created_at: now })
        .onConflict((oc) => oc.column('alias_id').doNothing())
        .execute();
      const revocations = this.peers.sessions.within(trx);
      // The presented session first, so its announcement carries the request's network.
      if (guest.sessionId) {
        await revocations.revoke({ id: guest.sessionId, userId: guest.userId, clientId: guest.clientId, ipPrefix: network?.ip_prefix ?? null }, 'merged', {
          network,
        });
      }
      await revocations.revokeAllOfUser(guest.userId, 'merged');
      const staged = await stage(trx);
      const account = toRecord({ ...accountRow, metadata: JSON.stringify(metadata), metadata_version: version, updated_at: now });
      return { account, revocations, staged };
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
    await this.db
      .insertInto('user_identities')
      .values({ issuer, subject, user_id: userId, created_at: now })
      .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
      .execute();
    return (await this.findIdentity(issuer, subject)) ?? userId;
  }

  /** The guests merged into an account: by alias, and by their rows' `merged_into`. `db` may be the erasure's transaction. */
  async mergedGuestsOf(accountId: string, db: Kysely<Database> = this.db): Promise<string[]> {
    const [aliases, rows] = await Promise.all([
      db.selectFrom('user_aliases').select('alias_id').where('user_id', '=', accountId).execute(),
      db.selectFrom('users').select('id').where('merged_into', '=', accountId).execute(),
    ]);
    return [...new Set([...aliases.map((row) => row.alias_id), ...rows.map((row) => row.id)])].filter((id) => id !== accountId);
  }

  /** The account columns, identity links and aliases of these users, for their export. */
  async exportUsers(userIds: readonly string[]): Promise<AccountsExport> {
    if (userIds.length === 0) return { accounts: [], identity_links: [], aliases: [] };
    const [accounts, links, aliases] = await Promise.all([
      this.db.selectFrom('users').selectAll().where('id', 'in', userIds).execute(),
      this.db.selectFrom('user_identities').selectAll().where('user_id', 'in', userIds).execute(),
      this.db
        .selectFrom('user_aliases')
        .selectAll()
        .where((eb) => eb.or([eb('alias_id', 'in', userIds), eb('user_id', 'in', userIds)]))
        .execute(),
    ]);
    return {
      accounts: accounts.map((row) => ({
        user_id: row.id,
        email: row.email,
        email_verified_at: row.email_verified_at,
        has_password: row.password_hash !== null,
        converted_at: row.converted_at,
        merged_into: row.merged_into,
        merged_at: row.merged_at,
      })),
      identity_links: links.map((row) => ({ user_id: row.user_id, issuer: row.issuer, subject: row.subject, created_at: row.created_at })),
      aliases: aliases.map((row) => ({ guest_id: row.alias_id, account_id: row.user_id, created_at: row.created_at })),
    };
  }

  /** The addresses of these users (their proofs are erased by address too). */
  async emailsOf(userIds: readonly string[], db: Kysely<Database> = this.db): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await db.selectFrom('users').select('email').where('id', 'in', userIds).where('email', 'is not', null).execute();
    return rows.flatMap((row) => (row.email === null ? [] : [row.email]));
  }

  /**
   * Erasure: the users' identity links and every alias from or to them, in the erasure's
   * transaction. Their rows (account columns included) are deleted by the sessions feature,
   * which creates them, after this.
   */
  async eraseLinks(userIds: readonly string[], trx: Kysely<Database>): Promise<{ identities: number; aliases: number }> {
    if (userIds.length === 0) return { identities: 0, aliases: 0 };
    const identities = await trx.deleteFrom('user_identities').where('user_id', 'in', userIds).executeTakeFirst();
    const aliases = await trx
      .deleteFrom('user_aliases')
      .where((eb) => eb.or([eb('alias_id', 'in', userIds), eb('user_id', 'in', userIds)]))
      .executeTakeFirst();
    return { identities: Number(identities.numDeletedRows), aliases: Number(aliases.numDeletedRows) };
  }

  private async lockUsers(trx: Transaction<Database>, ids: string[]): Promise<UserRow[]> {
    let query = trx.selectFrom('users').selectAll().where('id', 'in', ids).orderBy('id');
    if (this.dialect === 'postgres') query = query.forUpdate();
    return query.execute();
  }
}

/** SQLite's SQLITE_CONSTRAINT_UNIQUE or PostgreSQL's 23505. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
