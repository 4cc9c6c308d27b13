/** Table types of the anomaly feature (Kysely); conventions as in storage/schema.ts. */

/**
 * One alert per (detector, entity, window): repeated findings about the same thing in the same
 * window raise `count` and `last_seen` instead of adding rows. `evidence` is JSON with prefix
 * hashes, countries, counts and speeds only, never a raw address or e-mail.
 */
export interface AlertsTable {
  id: string;
  detector: string;
  entity_kind: 'session' | 'user' | 'client' | 'prefix' | 'asn';
  entity_id: string;
  window_start: number;
  severity: 'low' | 'medium' | 'high' | 'critical';
  /** 0..1; the highest score seen in the window. */
  score: number;
  evidence: string;
  status: 'open' | 'acknowledged' | 'confirmed' | 'false_positive' | 'resolved';
  /** The containment applied when the alert was raised. */
  action: string;
  first_seen: number;
  last_seen: number;
  count: number;
  /** Set when marked false_positive: the entity is allow-listed (no findings, no learning) until then. */
  allow_until: number | null;
  /** What the operator wrote with the verdict (migration 0017); null until one is written. */
  note: string | null;
  /** Changed on creation and on a verdict: the live view reads what changed by it. */
  updated_at: number;
}

/**
 * Containment that lasts: throttles, prefix blocks and quarantines. The server keeps the
 * active ones in memory (checked per request without a query); this table lets them survive a
 * restart and reach other nodes. Revocations live in `sessions`.
 */
export interface BlocksTable {
  id: string;
  action: 'throttle' | 'block_prefix' | 'quarantine';
  entity_kind: 'session' | 'user' | 'client' | 'prefix' | 'asn';
  entity_id: string;
  detector: string;
  alert_id: string | null;
  created_at: number;
  expires_at: number;
  lifted_at: number | null;
  /** Last change (creation or lift), so other nodes can pick up changes incrementally. */
  updated_at: number;
}

export interface AnomalyTables {
  alerts: AlertsTable;
  blocks: BlocksTable;
}
