import type { Alert } from './types.js';

/** An alert as the admin API and a person's export show it; the evidence only where asked for. */
export function alertView(alert: Alert, withEvidence: boolean) {
  return {
    id: alert.id,
    detector: alert.detector,
    entity: alert.entity,
    window_start: alert.windowStart,
    severity: alert.severity,
    score: alert.score,
    status: alert.status,
    action: alert.action,
    first_seen: alert.firstSeen,
    last_seen: alert.lastSeen,
    count: alert.count,
    allow_until: alert.allowUntil,
    note: alert.note,
    updated_at: alert.updatedAt,
    ...(withEvidence ? { evidence: alert.evidence } : {}),
  };
}

export type AlertView = ReturnType<typeof alertView>;
