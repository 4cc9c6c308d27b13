/** Table types of the webhooks feature (Kysely); conventions as in storage/schema.ts. */

/**
 * A receiver of outbound events. Its signing secret is sealed with the master key (never
 * stored in the clear, shown once); during a rotation's overlap the previous one is kept sealed
 * beside it until `previous_secret_expires_at`, and deliveries carry both signatures.
 */
export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string;
  /** JSON list of event types it wants; null for every outbound type. */
  event_types: string | null;
  /** JSON list of client ids whose events it wants; null for every client (and events of none). */
  client_ids: string | null;
  /** 1 or 0. */
  enabled: number;
  /** Why it was disabled by the server (`failing`), null when enabled or disabled by an admin. */
  disabled_reason: string | null;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: number | null;
  /** First failed attempt since its last success: the clock of automatic disabling. */
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * One outbox event for one endpoint. Kept until GUESTPASS_WEBHOOK_RETENTION after it was
 * delivered or failed; a message still pending is kept.
 */
export interface WebhookMessagesTable {
  id: string;
  endpoint_id: string;
  /** The outbox row id: the `webhook-id` header, the same for every endpoint and every retry. */
  event_id: string;
  type: string;
  /** The JSON body sent, fixed when the event was fanned out. */
  body: string;
  order_key: string | null;
  status: 'pending' | 'delivered' | 'failed';
  /** Attempts made so far. */
  attempts: number;
  next_attempt_at: number;
  /** A node's claim: no other node sends it before this time (a crashed node's claim lapses). */
  claimed_until: number | null;
  created_at: number;
  /** When it was delivered or failed for good. */
  finished_at: number | null;
}

/** Every attempt to send a message: outcome, latency, response code and the start of the body. */
export interface WebhookAttemptsTable {
  id: string;
  message_id: string;
  endpoint_id: string;
  attempted_at: number;
  outcome: 'succeeded' | 'failed';
  /** HTTP status received; null when none was (refused address, timeout, connection error). */
  response_status: number | null;
  /** At most 1 KiB of the response body. */
  response_body: string | null;
  /** Why no usable response came: `timeout`, `address_refused`, `connection_error`…; null on an HTTP answer. */
  error: string | null;
  latency_ms: number;
}

export interface WebhookTables {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_messages: WebhookMessagesTable;
  webhook_attempts: WebhookAttemptsTable;
}
