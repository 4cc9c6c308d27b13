import type { ContainmentAction, Entity, Severity } from '../types.js';

/** `confirmed` and `false_positive` are the verdicts the console's buttons record; `acknowledged` and `resolved` are older synonyms of a true positive. */
export const ALERT_STATUSES = ['open', 'acknowledged', 'confirmed', 'false_positive', 'resolved'] as const;
/** The statuses that count as a true positive in the detectors' feedback. */
export const TRUE_POSITIVE_STATUSES = ['acknowledged', 'confirmed', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** A stored alert: one per (detector, entity, window). */
export interface Alert {
  id: string;
  detector: string;
  entity: Entity;
  windowStart: number;
  severity: Severity;
  score: number;
  /** Prefix hashes, countries, counts, speeds: never raw addresses (types.ts, Finding). */
  evidence: Record<string, unknown>;
  status: AlertStatus;
  /** The containment applied when it was raised. */
  action: ContainmentAction;
  firstSeen: number;
  lastSeen: number;
  /** Findings folded into this alert. */
  count: number;
  /** While in the future, the entity is allow-listed (set by a false_positive verdict). */
  allowUntil: number | null;
  /** What the operator wrote with the latest verdict. */
  note: string | null;
  updatedAt: number;
}

export interface AlertQuery {
  status?: AlertStatus;
  detector?: string;
  entityKind?: Entity['kind'];
  entityId?: string;
  /** first_seen ≥ since (ms). */
  since?: number;
  /** first_seen < until (ms). */
  until?: number;
  limit: number;
  /** Opaque position from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface AlertPage {
  alerts: Alert[];
  nextCursor: string | null;
}

/** Feedback counts per detector: true positives are alerts confirmed, acknowledged or resolved. */
export interface DetectorFeedback {
  truePositives: number;
  falsePositives: number;
}
