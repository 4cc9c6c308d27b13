/** Table types of the audit feature (Kysely); conventions as in storage/schema.ts. */

/**
 * The domain-event log: every event the bus emitted, as the replay line `guestpass detect
 * --replay` reads (docs/events.md). Events are privacy-safe by their schema (no address, e-mail,
 * token or secret), so the log holds nothing the events do not. Kept GUESTPASS_AUDIT_RETENTION
 * (by event time), purged in batches by the server's periodic purge.
 */
export interface AuditLogTable {
  /** UUIDv7 drawn when the node heard the event: the order the node's detectors saw them in, and the cursor. */
  id: string;
  type: string;
  /** The event's `subject` (user or client id), when it has one. */
  subject: string | null;
  /** The event's own `time`, epoch ms. */
  time: number;
  /** The event as one JSON line, `type` first, exactly as the bus emitted it. */
  event: string;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
