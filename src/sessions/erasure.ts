/**
 * The sessions feature's part of erasing a person (GDPR Art. 17): what it owns of them is the
 * `users` row with its metadata, and their `sessions` rows. The erasure orchestrator calls
 * these in order; nothing here deletes another feature's rows.
 */
import type { Kysely } from 'kysely';
import { MAX_SESSION_TTL_SECONDS } from '../clients/index.js';
import type { Database } from '../storage/schema.js';
import type { ErasedUserStore } from './erased-store.js';
import type { SessionRevoker } from './revoker.js';
import type { SessionStore } from './store.js';
import type { Metadata, UserStore } from './user-store.js';
import { type SessionView, sessionView } from './views.js';

/** Margin for clock skew between nodes, as for the other denylists. */
const SKEW_MS = 5 * 60_000;
/** An erased id stays denied while any session token, and so any access token, may name it. */
const ERASED_LIFETIME_MS = MAX_SESSION_TTL_SECONDS * 1000 + SKEW_MS;
/** Sessions per person an export lists: a person with more has been revoking nothing for years. */
const EXPORT_SESSIONS_LIMIT = 1000;

/** A user row as a person's export shows it: the sessions feature's columns. */
export interface UserDataExport {
  user_id: string;
  is_anonymous: boolean;
  created_by_client: string | null;
  created_at: number;
  updated_at: number;
  metadata_version: number;
  metadata: Metadata;
}

export interface SessionsExport {
  users: UserDataExport[];
  sessions: SessionView[];
}

export interface SessionErasureDeps {
  erased: ErasedUserStore;
  sessions: SessionStore;
  users: UserStore;
  revoker: SessionRevoker;
  now: () => number;
}

export class SessionErasure {
  constructor(private readonly deps: SessionErasureDeps) {}

  /**
   * The first step of an erasure: the ids go on the denylist (so every token naming them is
   * refused, sessions without a row included) and every stored session is revoked through the
   * revoker (so `session.revoked` is announced). Idempotent. Returns the sessions this call ended.
   */
  async cutOff(userIds: readonly string[]): Promise<number> {
    const now = this.deps.now();
    await this.deps.erased.add(userIds, now, now + ERASED_LIFETIME_MS);
    let revoked = 0;
    for (const id of userIds) revoked += await this.deps.revoker.revokeAllOfUser(id, 'erased');
    return revoked;
  }

  /** The ids of the stored sessions of these users (other features erase what names them). */
  async sessionIdsOf(userIds: readonly string[], db?: Kysely<Database>): Promise<string[]> {
    return (await this.deps.sessions.listByUsers(userIds, Number.MAX_SAFE_INTEGER, db)).map((record) => record.id);
  }

  /**
   * Deletes the users rows (account columns and metadata with them) and anonymises the session
   * rows, in the caller's transaction: a session row stays as a revoked tombstone without user,
   * key or network until it expires, so its id keeps refusing the session's tokens.
   */
  async eraseUsers(userIds: readonly string[], trx: Kysely<Database>): Promise<{ users: number; sessions: number }> {
    const sessions = await this.deps.sessions.anonymiseOfUsers(userIds, this.deps.now(), trx);
    const users = await this.deps.users.deleteMany(userIds, trx);
    return { users, sessions };
  }

  /** What the sessions feature stores about these users, without token or key. */
  async exportUsers(userIds: readonly string[]): Promise<SessionsExport> {
    const [users, sessions] = await Promise.all([this.deps.users.getMany(userIds), this.deps.sessions.listByUsers(userIds, EXPORT_SESSIONS_LIMIT)]);
    return {
      users: users.map((user) => ({
        user_id: user.id,
        is_anonymous: user.isAnonymous,
        created_by_client: user.createdByClient,
        created_at: user.createdAt,
        updated_at: user.updatedAt,
        metadata_version: user.metadataVersion,
        metadata: user.metadata,
      })),
      sessions: sessions.map(sessionView),
    };
  }

  /** Drops denylist entries no token can outlive anymore; returns how many. */
  purgeExpired(now = this.deps.now()): Promise<number> {
    return this.deps.erased.purgeExpired(now);
  }
}
