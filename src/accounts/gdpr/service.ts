import type { Kysely } from 'kysely';
import type { Outbox, StagedEvents } from '../../events/outbox.js';
import type { SessionsApi, SessionsExport } from '../../sessions/index.js';
import type { Store } from '../../storage/database.js';
import type { Database } from '../../storage/schema.js';
import type { AccountsDataExport } from '../erasure.js';
import type { AccountService } from '../service.js';
import { erasureError } from './error-codes.js';

/** Events a person's export carries at most, newest first; `telemetry.total` says how many exist. */
export const EXPORT_EVENTS_LIMIT = 10_000;
/** Alerts a person's export carries at most, newest first. */
export const EXPORT_ALERTS_LIMIT = 1000;

/** A person as telemetry and anomaly find their rows: user ids, and the ids of their sessions. */
export interface PersonIds {
  userIds: readonly string[];
  sessionIds: readonly string[];
}

/** What erasure and export need of the telemetry feature: the person's events. */
export interface PersonTelemetry {
  /** In its own transaction (its rollup rebuild locks the rollups). */
  eraseEventsOf(userIds: string[]): Promise<{ deletedEvents: number; rebuiltRollups: number }>;
  exportEventsOf(userIds: string[], limit: number): Promise<{ total: number; events: unknown[] }>;
}

/** What erasure and export need of the anomaly feature: alerts and blocks about the person. */
export interface PersonAlerts {
  /** Writes the alerts still being folded, before a transaction looks for them. */
  settleAlerts(): Promise<void>;
  alertsNaming(person: PersonIds, limit: number): Promise<unknown[]>;
  erasePerson(person: PersonIds, trx: Kysely<Database>): Promise<{ alerts: number; blocks: number }>;
}

/** What erasure needs of the domain-event log: the events about the person. */
export interface PersonEventLog {
  /** Writes this node's buffered events, so the erasure finds them. */
  flush(): Promise<void>;
  erasePerson(person: PersonIds, trx: Kysely<Database>): Promise<number>;
}

export interface PersonErasureDeps {
  database: Store;
  /** `user.deleted` is staged in the last transaction of an erasure, the one that finds no guest left. */
  outbox: Pick<Outbox, 'stage'>;
  now: () => number;
  accounts: Pick<AccountService, 'store' | 'erasure'>;
  sessions: Pick<SessionsApi, 'erasure' | 'users'>;
  telemetry: PersonTelemetry;
  anomaly: PersonAlerts;
  audit: PersonEventLog;
}

/** What one erasure removed, by kind; counts only, never the data. */
export interface ErasureSummary {
  user_id: string;
  /** The guests merged into the person, erased with it. */
  merged_guests: string[];
  sessions_revoked: number;
  users: number;
  sessions_anonymised: number;
  proofs: number;
  identity_links: number;
  aliases: number;
  events: number;
  rollups_rebuilt: number;
  alerts: number;
  blocks: number;
  /** Events of the domain-event log about the person. */
  logged_events: number;
}

/**
 * Erasure and export of a person: a user and every guest merged into it (GDPR Art. 15, 17, 20).
 * This orchestrates; each feature erases and exports its own tables through its API (sessions:
 * the user rows, metadata and sessions; accounts: account data, links, aliases, proofs;
 * telemetry: events; anomaly: alerts and blocks). Nothing here touches a table.
 */
export class PersonErasure {
  constructor(private readonly deps: PersonErasureDeps) {}

  /**
   * Erases a person. The order is what a crash may interrupt, and a retried request finishes:
   * first nothing the person holds works anymore (their ids on the denylist, their sessions
   * revoked and announced), then telemetry in its own transaction (its rollup rebuild locks
   * the rollups), then everything else in one transaction. The aliases that find the merged
   * guests go last, so a retry after a crash still finds every guest. Idempotent. `mustExist:
   * false` is for the person's own request: a guest that never needed a row still has tokens to
   * refuse.
   */
  async erase(userId: string, { mustExist = true }: { mustExist?: boolean } = {}): Promise<ErasureSummary> {
    const guests = await this.deps.accounts.erasure.mergedGuestsOf(userId);
    if (mustExist && !(await this.holdsAnything(userId, guests))) throw erasureError('USER_NOT_FOUND');
    let round = await this.eraseIds(userId, [userId, ...guests], guests, 0);
    const summary = round.summary;
    // A guest merged into the account while a round ran points at it still: it goes too.
    while (round.late.length > 0) {
      round = await this.eraseIds(userId, round.late, round.late, summary.merged_guests.length);
      add(summary, round.summary);
    }
    round.deleted.announce();
    return summary;
  }

  /**
   * Everything stored about a person, as one JSON document (passwords and tokens excepted: only
   * `has_password`). `mustExist: false` is for the person's own request: a guest that never
   * needed a row gets a document that says so.
   */
  async export(userId: string, { mustExist = true }: { mustExist?: boolean } = {}) {
    const guests = await this.deps.accounts.erasure.mergedGuestsOf(userId);
    if (mustExist && !(await this.holdsAnything(userId, guests))) throw erasureError('USER_NOT_FOUND');
    const ids = [userId, ...guests];
    const { sessions, accounts, telemetry, anomaly } = this.deps;
    const [rows, account, events] = await Promise.all([
      sessions.erasure.exportUsers(ids),
      accounts.erasure.exportUsers(ids),
      telemetry.exportEventsOf(ids, EXPORT_EVENTS_LIMIT),
    ]);
    const sessionIds = rows.sessions.map((session) => session.session_id);
    const alerts = await anomaly.alertsNaming({ userIds: ids, sessionIds }, EXPORT_ALERTS_LIMIT);
    return {
      exported_at: this.deps.now(),
      ...personOf(userId, rows, account),
      merged_guests: guests.map((guestId) => ({ ...personOf(guestId, rows, account), merged_at: aliasOf(guestId, account)?.created_at ?? null })),
      email_proofs: account.proofs,
      telemetry: { total: events.total, limit: EXPORT_EVENTS_LIMIT, truncated: events.total > events.events.length, events: events.events },
      alerts,
    };
  }

  /**
   * One round: `ids` (the person and `guests` in the first, late guests after) cut off, then
   * their rows erased in one transaction. That transaction also looks for guests merged into
   * the person meanwhile; when there are none it is the last, and stages `user.deleted` (with
   * `mergedBefore` guests of earlier rounds counted).
   */
  private async eraseIds(
    userId: string,
    ids: string[],
    guests: string[],
    mergedBefore: number,
  ): Promise<{ summary: ErasureSummary; late: string[]; deleted: StagedEvents }> {
    const { sessions, accounts, telemetry, anomaly, audit, database, outbox, now } = this.deps;
    const sessionsRevoked = await sessions.erasure.cutOff(ids);
    const before = await telemetry.eraseEventsOf(ids);
    // Alerts still being written are stored before the transaction looks for them.
    await anomaly.settleAlerts();
    // And the events this node heard (the cut-off's revocations among them) are in the log.
    await audit.flush();
    const rows = await database.db.transaction().execute(async (trx) => {
      const sessionIds = await sessions.erasure.sessionIdsOf(ids, trx);
      const flagged = await anomaly.erasePerson({ userIds: ids, sessionIds }, trx);
      const logged = await audit.erasePerson({ userIds: ids, sessionIds }, trx);
      // Before the rows go: accounts finds the proofs by the addresses in them.
      const links = await accounts.erasure.eraseUsers(ids, trx);
      const users = await sessions.erasure.eraseUsers(ids, trx);
      const late = await accounts.erasure.mergedGuestsOf(userId, trx);
      const deleted = await outbox.stage(
        trx,
        late.length > 0 ? [] : [{ type: 'user.deleted', time: now(), subject: userId, merged_guests: mergedBefore + guests.length }],
      );
      return { flagged, logged, links, users, late, deleted };
    });
    // Events of a request that passed its token check before the cut-off commit after it.
    const after = await telemetry.eraseEventsOf(ids);
    const summary = {
      user_id: userId,
      merged_guests: guests,
      sessions_revoked: sessionsRevoked,
      users: rows.users.users,
      sessions_anonymised: rows.users.sessions,
      proofs: rows.links.proofs,
      identity_links: rows.links.identities,
      aliases: rows.links.aliases,
      events: before.deletedEvents + after.deletedEvents,
      rollups_rebuilt: before.rebuiltRollups + after.rebuiltRollups,
      alerts: rows.flagged.alerts,
      blocks: rows.flagged.blocks,
      logged_events: rows.logged,
    };
    return { summary, late: rows.late, deleted: rows.deleted };
  }

  /** Whether anything at all names the id: a row, a merged guest, an alias, a session, an event or a proof. */
  private async holdsAnything(userId: string, guests: string[]): Promise<boolean> {
    if (guests.length > 0 || (await this.deps.sessions.users.get(userId))) return true;
    if (await this.deps.accounts.store.aliasTarget(userId)) return true;
    if ((await this.deps.sessions.erasure.sessionIdsOf([userId])).length > 0) return true;
    if ((await this.deps.telemetry.exportEventsOf([userId], 1)).total > 0) return true;
    return (await this.deps.accounts.erasure.exportUsers([userId])).proofs.length > 0;
  }
}

function aliasOf(guestId: string, account: AccountsDataExport) {
  return account.aliases.find((alias) => alias.guest_id === guestId);
}

/** One user's part of an export: its profile (sessions' and accounts' columns), metadata, sessions and identity links. */
function personOf(userId: string, sessions: SessionsExport, account: AccountsDataExport) {
  const row = sessions.users.find((user) => user.user_id === userId);
  const accountRow = account.accounts.find((entry) => entry.user_id === userId);
  const { metadata, user_id: _id, ...rowFields } = row ?? { metadata: null, user_id: userId };
  const { user_id: _accountId, ...accountFields } = accountRow ?? { user_id: userId };
  return {
    user_id: userId,
    profile: row ? { ...rowFields, ...accountFields } : null,
    metadata,
    sessions: sessions.sessions.filter((session) => session.user_id === userId),
    identity_links: account.identity_links.filter((link) => link.user_id === userId),
  };
}

function add(total: ErasureSummary, more: ErasureSummary): void {
  total.merged_guests.push(...more.merged_guests);
  for (const key of Object.keys(total) as (keyof ErasureSummary)[]) {
    const value = more[key];
    if (typeof value === 'number') (total[key] as number) += value;
  }
}
