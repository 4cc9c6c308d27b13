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
