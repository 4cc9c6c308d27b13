/** Table types of the telemetry feature (Kysely); conventions as in storage/schema.ts. */

/**
 * One telemetry event after validation and the privacy pipeline. The primary key
 * (client_id, event_id) is the idempotency key: a resent event is a conflict, not a row. On
 * PostgreSQL the table is partitioned by `ts` (migration 0015, telemetry/partitions.ts), and
 * the key holds `ts` too, as a partitioned table's key must: a resent event carries its time.
 * Never holds an IP address: `country` is all that is derived from it.
 */
export interface EventsTable {
  client_id: string;
  /** The client-made UUID, lower-cased. */
  event_id: string;
  name: string;
  /** Event time as the client reported it (epoch ms), within [received − 7 d, received + 5 min]. */
  ts: number;
  received_at: number;
  /** `sub` of the token: the id the event was sent with, never rewritten (aliases join at query time). */
  user_id: string;
  /** `sid` of the token; null for client_credentials tokens. */
  session_id: string | null;
  is_anonymous: number;
  /** Dimensions; '' when the client sent none, so they group and index like any other value. */
  app_version: string;
  deployment: string;
  platform: string;
  locale: string;
  /** Host of the Origin header. */
  origin: string;
  /** ISO 3166-1 alpha-2 from the request address, or ''. */
  country: string;
  /** JSON object of flat props after redaction. */
  props: string;
  /** JSON object of named numbers. */
  metrics: string;
  error_type: string | null;
  /** Scrubbed by the privacy pipeline. */
  error_message: string | null;
  /** How many values the privacy pipeline redacted in this event. */
  redactions: number;
  /** 1 when the session was quarantined by anomaly containment at ingestion. */
  quarantined: number;
}

/**
 * One-minute rollups, written in the same transaction as the events they count, so that
 * dashboards never scan raw rows. A key (minute and combination of dimensions) may have
 * several rows: each commit appends its own, and compaction merges them into one. The
 * sketches are mergeable, so a query merges a key's rows, and minutes into any interval.
 */
export interface EventRollupsTable {
  id: string;
  /** Minute start, epoch ms (of the event time). */
  bucket: number;
  client_id: string;
  name: string;
  app_version: string;
  deployment: string;
  origin: string;
  is_anonymous: number;
  country: string;
  events: number;
  errors: number;
  /** Distinct-count sketches (telemetry/sketches/distinct.ts), serialised. */
  sessions: string;
  users: string;
  /** JSON: metric name → { sum, count, sketch } with a DDSketch (telemetry/sketches/ddsketch.ts). */
  metrics: string;
  /** 0 for a row a commit appended, 1 for the merged row compaction wrote. */
  compacted: number;
  updated_at: number;
}

/**
 * Who sent events on which day: one row per (day, client, user id). The exact, alias-aware
 * people counts and the conversion queries read this instead of the raw events.
 */
export interface EventUserDaysTable {
  /** UTC day start, epoch ms. */
  day: number;
  client_id: string;
  user_id: string;
  events: number;
  /** Events sent while the user was a guest (`is_anonymous` true in the token). */
  guest_events: number;
  /** Earliest event time of the day (epoch ms). */
  first_ts: number;
}

export interface TelemetryTables {
  events: EventsTable;
  event_rollups: EventRollupsTable;
  event_user_days: EventUserDaysTable;
}
