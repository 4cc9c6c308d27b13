import type { CullReport } from './cull.js';
import type { SessionRecord } from './store.js';

/** A stored session as the admin API and a person's export show it: no token, no key, only whether one binds it. */
export function sessionView(record: SessionRecord) {
  return {
    session_id: record.id,
    user_id: record.userId,
    client_id: record.clientId,
    generation: record.generation,
    created_at: record.createdAt,
    expires_at: record.expiresAt,
    last_refreshed_at: record.lastRefreshedAt,
    dpop_bound: record.dpopJkt !== null,
    last_ip_prefix: record.lastIpPrefix,
    revoked_at: record.revokedAt,
    revoked_reason: record.revokedReason,
  };
}

export type SessionView = ReturnType<typeof sessionView>;

/** A cull's report as the admin API and `guestpass guests cull --json` show it. */
export function cullView(report: CullReport) {
  return {
    dry_run: report.dryRun,
    complete: report.complete,
    at: report.at,
    users: report.users,
    sessions: report.sessions,
    oldest_last_seen_at: report.oldestLastSeenAt,
    newest_last_seen_at: report.newestLastSeenAt,
    by_client: Object.fromEntries(
      Object.entries(report.byClient).map(([clientId, entry]) => [
        clientId,
        { users: entry.users, oldest_last_seen_at: entry.oldestLastSeenAt, newest_last_seen_at: entry.newestLastSeenAt },
      ]),
    ),
    purged: { sessions: report.purged.sessions, revocations: report.purged.revocations, email_proofs: report.purged.emailProofs },
  };
}
