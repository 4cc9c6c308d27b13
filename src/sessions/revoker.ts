import type { Kysely } from 'kysely';
import { MAX_SESSION_TTL_SECONDS } from '../clients/index.js';
import type { Outbox, OutboundEvent, StagedEvents } from '../events/outbox.js';
import type { NetworkInfo } from '../events/types.js';
import type { Database } from '../storage/schema.js';
import type { SessionRecord, SessionSeed, SessionStore } from './store.js';

/** A tombstone outlives every token of its session: no session lives longer than this. */
const TOMBSTONE_LIFETIME_MS = MAX_SESSION_TTL_SECONDS * 1000;

/** Why a session ended early: the `reason` of `session.revoked` and the row's `revoked_reason`. */
export type RevocationReason =
  /** The holder ended it (POST /anonymous/logout). */
  | 'logout'
  /** Its client revoked its session token (RFC 7009). */
  | 'revoked_by_client'
  /** Another session of the same user ended it (POST /anonymous/session/revoke: the first device ends a transferred one). */
  | 'revoked_by_user'
  /** An older generation of its token was presented (RFC 9700 §4.14.2). */
  | 'token_reused'
  /** Another client presented its token (RFC 6749 §6). */
  | 'client_mismatch'
  /** Its guest was merged into an account. */
  | 'merged'
  | 'revoked_by_admin'
  /** Its account's password was reset: whoever held the old password loses the session. */
  | 'password_reset'
  /** Its user was erased (DELETE /admin/api/users/:id, DELETE /accounts/me). */
  | 'erased'
  /** Containment, by detector (`anomaly_token_reuse`, `anomaly_impossible_travel`, …). */
  | `anomaly_${string}`;

/**
 * The session to revoke: its id and whatever the caller knows of it. A session token's full
 * seed gives a session without a row the row it would have had; with less, the missing row is
 * a tombstone, kept as long as any session may live. A stored row's own values always win.
 */
export type RevocationTarget = Pick<SessionSeed, 'id'> & Partial<SessionSeed>;

export interface RevokeOptions {
  /**
   * The network of the request that presented this very session (logout, reuse, the merge of
   * the presented guest). Never an admin's or a password resetter's: detectors would place
   * the session there.
   */
  network?: NetworkInfo | undefined;
}

export interface SessionRevokerDeps {
  store: SessionStore;
  /** Opens the transaction a revocation without a caller's transaction is written in. */
  db: Kysely<Database>;
  /** `session.revoked` is staged in the transaction that writes the revocation. */
  outbox: Pick<Outbox, 'stage'>;
  now: () => number;
}

/**
 * The one way a session ends early. Logout, reuse, client mismatch, the admin API, password
 * reset, merging and containment all revoke through here, so every revocation writes its row
 * (or tombstone) the same way and `session.revoked` is staged in the outbox with it (in the
 * same transaction) and announced after the commit, once per session, in one shape:
 * `session_id`, `reason`, `time` (the row's `revoked_at`), `client_id` and `subject` from the
 * row when it names them, and `network` only as `RevokeOptions.network` says.
 */
export class SessionRevoker {
  constructor(private readonly deps: SessionRevokerDeps) {}

  /** Revokes one session; true when this call ended it, false when it already had ended. */
  async revoke(target: RevocationTarget, reason: RevocationReason, options: RevokeOptions = {}): Promise<boolean> {
    const batch = this.batch();
    const revoked = await batch.revoke(target, reason, options);
    batch.announce();
    return revoked;
  }

  /** Revokes every stored session of a user (password reset, a user's containment); returns how many this call ended. */
  async revokeAllOfUser(userId: string, reason: RevocationReason): Promise<number> {
    const batch = this.batch();
    const count = await batch.revokeAllOfUser(userId, reason);
    batch.announce();
    return count;
  }

  /**
   * Revocations that are part of a caller's transaction (the merge): written and staged
   * through `trx`, announced only when the caller calls `announce()` after the commit, so a
   * rolled-back transaction leaves no outbox row and announces nothing.
   */
  within(trx: Kysely<Database>): RevocationBatch {
    return this.batch(trx);
  }

  private batch(db?: Kysely<Database>): RevocationBatch {
    return new RevocationBatch(this.deps, db);
  }
}

/**
 * Revocations written together and announced together: through the caller's transaction, or,
 * without one, each call in a transaction of its own, so a revocation and its outbox row are
 * always committed (or rolled back) as one.
 */
export class RevocationBatch {
  private readonly revoked: SessionRecord[] = [];
  private readonly staged: StagedEvents[] = [];
  private readonly now: number;
  private announced = false;

  constructor(
    private readonly deps: SessionRevokerDeps,
    private readonly trx: Kysely<Database> | undefined,
  ) {
    this.now = deps.now();
  }

  /** The sessions this batch revoked so far. */
  get sessionIds(): string[] {
    return this.revoked.map((record) => record.id);
  }

  async revoke(target: RevocationTarget, reason: RevocationReason, { network }: RevokeOptions = {}): Promise<boolean> {
    const written = await this.write(async (db) => {
      const record = await this.deps.store.revoke(this.seedOf(target), reason, this.now, db);
      return record && { records: [record], staged: await this.deps.outbox.stage(db, [this.eventOf(record, reason, network)]) };
    });
    return written !== undefined;
  }

  async revokeAllOfUser(userId: string, reason: RevocationReason): Promise<number> {
    const written = await this.write(async (db) => {
      const records = await this.deps.store.revokeAllOfUser(userId, reason, this.now, db);
      return {
        records,
        staged: await this.deps.outbox.stage(
          db,
          records.map((record) => this.eventOf(record, reason, undefined)),
        ),
      };
    });
    return written?.records.length ?? 0;
  }

  /** Emits `session.revoked` once for each session this batch revoked; later calls emit nothing. */
  announce(): void {
    if (this.announced) return;
    this.announced = true;
    for (const staged of this.staged) staged.announce();
  }

  /** Runs `work` in the caller's transaction, or else in one of its own, and keeps what it staged. */
  private async write<T extends { records: SessionRecord[]; staged: StagedEvents }>(
    work: (db: Kysely<Database>) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const written = this.trx ? await work(this.trx) : await this.deps.db.transaction().execute(work);
    if (written) {
      this.revoked.push(...written.records);
      this.staged.push(written.staged);
    }
    return written;
  }

  private eventOf(record: SessionRecord, reason: RevocationReason, network: NetworkInfo | undefined): OutboundEvent {
    return {
      type: 'session.revoked',
      time: this.now,
      ...(record.clientId ? { client_id: record.clientId } : {}),
      ...(record.userId ? { subject: record.userId } : {}),
      session_id: record.id,
      ...(network ? { network } : {}),
      reason,
    };
  }

  private seedOf(target: RevocationTarget): SessionSeed {
    return {
      id: target.id,
      userId: target.userId ?? null,
      clientId: target.clientId ?? null,
      generation: target.generation ?? 0,
      createdAt: target.createdAt ?? this.now,
      expiresAt: target.expiresAt ?? this.now + TOMBSTONE_LIFETIME_MS,
      dpopJkt: target.dpopJkt ?? null,
      ipPrefix: target.ipPrefix ?? null,
    };
  }
}
