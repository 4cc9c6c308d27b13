import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Client } from '../clients/index.js';
import type { Outbox, OutboundEvent } from '../events/outbox.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { cullPolicy, type CullPolicy } from './cull-policy.js';
import { CullStore, type CullCandidate, type CullCursor } from './cull-store.js';
import { sessionError } from './error-codes.js';
import type { SessionStore } from './store.js';

/** The `by_client` key of guests whose row names no client. */
export const NO_CLIENT = '(none)';
/** Expired session rows deleted per statement. */
const SESSION_PURGE_BATCH = 5000;

/** Rows of another feature that name culled guests: deleted in the batch's transaction `db`. */
export type ForgetUsers = (userIds: readonly string[], db: Kysely<Database>) => Promise<unknown>;

/** A table another feature bounds by expiry, purged with every cull: its count for a dry run, its purge for a real one. */
export interface ExpiryPurge {
  count(now: number): Promise<number>;
  purge(now: number): Promise<number>;
}

/** What the cull deletes or purges in other features, through their APIs (app/ wires them). */
export interface CullPeers {
  /** Accounts' proofs and (unless GUESTPASS_CULL_TELEMETRY=keep) telemetry of culled guests. */
  forget: ForgetUsers[];
  /** oauth's denylist of revoked access tokens. */
  revocations: ExpiryPurge;
  /** accounts' e-mail proofs. */
  emailProofs: ExpiryPurge;
}

export interface GuestCullDeps {
  database: Store;
  sessions: SessionStore;
  /** `user.culled` is staged in the batch's transaction: a batch that rolls back announces nothing. */
  outbox: Pick<Outbox, 'stage'>;
  metrics: Pick<Metrics, 'guestsCulled'>;
  now: () => number;
  /** The registered clients: their retention and idle timeout. */
  listClients: () => Promise<Pick<Client, 'id' | 'guest'>[]>;
  /** Asked for at each run: the features it names are built after this one. */
  peers: () => CullPeers;
  /** Guests per transaction. @default 500 */
  batchSize?: number;
  /** Pause between transactions, so other writers get the database (SQLite has one). @default 10 */
  pauseMs?: number;
}

export interface CullOptions {
  /** Count what a real run would delete now, and delete nothing. */
  dryRun?: boolean;
  /** Stops a real run between batches (server shutdown); the next run carries on. */
  signal?: AbortSignal;
}

export interface ClientCullReport {
  users: number;
  oldestLastSeenAt: number;
  newestLastSeenAt: number;
}

/** What a run deleted, or, for a dry run, would delete. */
export interface CullReport {
  dryRun: boolean;
  /** The instant the run judged staleness at. */
  at: number;
  /** False when a real run was stopped between batches; what it committed stays deleted. */
  complete: boolean;
  users: number;
  /** Session rows deleted with the guests. */
  sessions: number;
  byClient: Record<string, ClientCullReport>;
  oldestLastSeenAt: number | null;
  newestLastSeenAt: number | null;
  /** Rows purged by expiry: sessions and tombstones, denylisted access tokens, e-mail proofs. */
  purged: { sessions: number; revocations: number; emailProofs: number };
}

/**
 * Deletes stale guests and purges what has expired (README "Culling and retention"). A guest is
 * stale when it is anonymous, never converted or merged, has been inactive for longer than its
 * client's retention (which is at least the client's session lifetime, so no live session token
 * names a deleted user), has no live session and no pending sign-up (cull-store.ts `isStale`).
 *
 * A real run purges first (expired sessions, the denylist, old proofs), then deletes guests in
 * batches, each its own transaction re-reading the database: a run that dies loses at most the
 * batch in flight, which rolls back, and the next run finds what is left. One run at a time per
 * node, one node at a time (CullStore.withLock). A dry run reads the same statements at the same
 * instant and deletes nothing, so its numbers are what a real run would delete.
 */
export class GuestCull {
  private readonly cullStore: CullStore;
  private readonly batchSize: number;
  private readonly pauseMs: number;
  private running = false;

  constructor(private readonly deps: GuestCullDeps) {
    this.cullStore = new CullStore(deps.database.db);
    this.batchSize = deps.batchSize ?? 500;
    this.pauseMs = deps.pauseMs ?? 10;
  }

  /** A dry run, or a real one; a real one while another runs fails with CULL_IN_PROGRESS. */
  async run({ dryRun = false, signal }: CullOptions = {}): Promise<CullReport> {
    const policy = cullPolicy(await this.deps.listClients(), this.deps.now());
    if (dryRun) return this.count(policy);
    if (this.running) throw sessionError('CULL_IN_PROGRESS');
    this.running = true;
    try {
      const report = await this.cullStore.withLock(this.deps.database.dialect, (db) => this.cull(policy, db, signal, this.deps.peers()));
      if (!report) throw sessionError('CULL_IN_PROGRESS');
      return report;
    } finally {
      this.running = false;
    }
  }

  private async cull(policy: CullPolicy, db: Kysely<Database>, signal: AbortSignal | undefined, peers: CullPeers): Promise<CullReport> {
    const report = emptyReport(policy, false);
    report.purged.sessions = await this.purgeSessions(policy, signal);
    report.purged.revocations = await peers.revocations.purge(policy.now);
    report.purged.emailProofs = await peers.emailProofs.purge(policy.now);
    for await (const page of this.pages(policy)) {
      if (signal?.aborted) {
        report.complete = false;
        break;
      }
      const { users, sessions, staged } = await db.transaction().execute(async (trx) => {
        const deleted = await this.cullStore.deleteStale(
          trx,
          page.map(({ id }) => id),
          policy,
        );
        const ids = deleted.map(({ id }) => id);
        const sessionRows = await this.deps.sessions.deleteOfUsers(ids, trx);
        for (const forget of peers.forget) await forget(ids, trx);
        const culled: OutboundEvent[] =
          deleted.length > 0
            ? [{ type: 'user.culled', time: this.deps.now(), users: deleted.length, sessions: sessionRows, by_client: byClientOf(deleted) }]
            : [];
        return { users: deleted, sessions: sessionRows, staged: await this.deps.outbox.stage(trx, culled) };
      });
      const byClient = tally(report, users, sessions);
      for (const [clientId, count] of Object.entries(byClient)) this.deps.metrics.guestsCulled.inc({ client_id: clientId }, count);
      staged.announce();
      await sleep(this.pauseMs);
    }
    return report;
  }

  private async count(policy: CullPolicy): Promise<CullReport> {
    const report = emptyReport(policy, true);
    const peers = this.deps.peers();
    const [expiredSessions, revocations, emailProofs] = await Promise.all([
      this.deps.sessions.countExpired(policy.expiredBefore),
      peers.revocations.count(policy.now),
      peers.emailProofs.count(policy.now),
    ]);
    report.purged = { sessions: expiredSessions, revocations, emailProofs };
    for await (const page of this.pages(policy)) {
      tally(
        report,
        page,
        await this.deps.sessions.countOfUsers(
          page.map(({ id }) => id),
          policy.expiredBefore,
        ),
      );
    }
    return report;
  }

  /**
   * Stale guests a batch at a time, oldest first (a page may hold none, when every guest it
   * scanned came back or has a live session). The cursor only saves rescanning what this run
   * has passed: correctness never depends on it.
   */
  private async *pages(policy: CullPolicy): AsyncGenerator<CullCandidate[]> {
    let after: CullCursor | undefined;
    do {
      const { stale, next } = await this.cullStore.page(policy, after, this.batchSize);
      if (stale.length > 0) yield stale;
      after = next;
    } while (after);
  }

  private async purgeSessions(policy: CullPolicy, signal: AbortSignal | undefined): Promise<number> {
    let purged = 0;
    for (;;) {
      const count = await this.deps.sessions.purgeExpired(policy.expiredBefore, SESSION_PURGE_BATCH);
      purged += count;
      if (count < SESSION_PURGE_BATCH || signal?.aborted) return purged;
      await sleep(this.pauseMs);
    }
  }
}

function emptyReport(policy: CullPolicy, dryRun: boolean): CullReport {
  return {
    dryRun,
    at: policy.now,
    complete: true,
    users: 0,
    sessions: 0,
    byClient: {},
    oldestLastSeenAt: null,
    newestLastSeenAt: null,
    purged: { sessions: 0, revocations: 0, emailProofs: 0 },
  };
}

/** A batch's guests per client (`by_client` of `user.culled`). */
function byClientOf(users: readonly CullCandidate[]): Record<string, number> {
  const byClient: Record<string, number> = {};
  for (const user of users) {
    const key = user.clientId ?? NO_CLIENT;
    byClient[key] = (byClient[key] ?? 0) + 1;
  }
  return byClient;
}

/** Adds a batch to the report; returns the batch's guests per client. */
function tally(report: CullReport, users: readonly CullCandidate[], sessions: number): Record<string, number> {
  report.users += users.length;
  report.sessions += sessions;
  for (const user of users) {
    const key = user.clientId ?? NO_CLIENT;
    const entry = (report.byClient[key] ??= { users: 0, oldestLastSeenAt: user.lastSeenAt, newestLastSeenAt: user.lastSeenAt });
    entry.users += 1;
    entry.oldestLastSeenAt = Math.min(entry.oldestLastSeenAt, user.lastSeenAt);
    entry.newestLastSeenAt = Math.max(entry.newestLastSeenAt, user.lastSeenAt);
    report.oldestLastSeenAt = Math.min(report.oldestLastSeenAt ?? user.lastSeenAt, user.lastSeenAt);
    report.newestLastSeenAt = Math.max(report.newestLastSeenAt ?? user.lastSeenAt, user.lastSeenAt);
  }
  return byClientOf(users);
}
