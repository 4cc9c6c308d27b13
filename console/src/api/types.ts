/** The shapes of the admin API's answers the console reads (docs/ documents them in full). */

export type Role = 'admin' | 'viewer';

export interface Operator {
  id: string;
  role: Role;
  totp_enabled: boolean;
  email?: string;
}

export interface SessionAnswer {
  operator: Operator;
  csrf_token: string;
  idle_timeout_seconds: number;
}

/** GET /admin/api/stats/overview: one bucket per UTC hour (24h) or day (30d). */
export interface OverviewBucket {
  time: number;
  guests_created: number;
  converted: number;
  merged: number;
  conversions: number;
  culled: number;
  alerts: number;
  active_users: number;
  active_guests: number;
  active_registered: number;
}

export interface Overview {
  range: '24h' | '30d';
  interval: 'hour' | 'day';
  time_zone: string;
  from: number;
  to: number;
  buckets: OverviewBucket[];
  totals: {
    guests: number;
    registered_users: number;
    users_counted_at: number;
    active_users_24h: number;
    active_guests_24h: number;
    active_registered_24h: number;
    active_users_30d: number;
    guests_created: number;
    conversions: number;
    alerts: number;
  };
}

export type Group = Record<string, string | number | boolean | null>;

export interface EventSeries {
  from: number;
  to: number;
  interval: string;
  group_by: string[];
  series: { time: number; group?: Group; events: number; errors: number }[];
}

export interface MetricSummary {
  count: number;
  sum: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ErrorRates {
  group_by: string[];
  groups: { group: Group; events: number; errors: number; error_rate: number | null }[];
}

export interface Conversion {
  guests: number;
  converted: number;
  conversion_rate: number | null;
  median_time_to_convert_ms: number | null;
  events_before_conversion: { name: string; users: number; share_of_converted: number | null; events: number }[];
}

export interface Entity {
  kind: string;
  id: string;
}

export interface Alert {
  id: string;
  detector: string;
  entity: Entity;
  window_start: number;
  severity: string;
  score: number;
  status: 'open' | 'acknowledged' | 'confirmed' | 'false_positive' | 'resolved';
  action: string | null;
  first_seen: number;
  last_seen: number;
  count: number;
  allow_until: number | null;
  updated_at: number;
  evidence?: unknown;
  note?: string | null;
}

export interface Block {
  id: string;
  action: string;
  entity: Entity;
  detector: string;
  alert_id: string | null;
  created_at: number;
  expires_at: number;
  /** Set once the block was lifted (by an operator or its alert's false_positive verdict); the stream sends lifted blocks too. */
  lifted_at: number | null;
}

export interface User {
  user_id: string;
  is_anonymous: boolean;
  email?: string | null;
  created_by_client?: string | null;
  created_at?: number;
  updated_at?: number;
  last_seen_at?: number | null;
  email_verified_at?: number | null;
  has_password?: boolean;
  converted_at?: number | null;
  merged_into?: string | null;
  merged_at?: number | null;
  metadata_version?: number;
  metadata?: unknown;
}

export interface Session {
  session_id: string;
  user_id: string;
  client_id: string;
  generation: number;
  created_at: number;
  expires_at: number;
  last_refreshed_at: number | null;
  dpop_bound: boolean;
  last_ip_prefix: string | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface Client {
  client_id: string;
  name: string;
  type: 'public' | 'confidential';
  is_admin: boolean;
  allowed_origins: string[];
  grant_types: string[];
  scopes: string[];
  audiences: string[];
  access_token_ttl: number | null;
  guest: Record<string, unknown>;
  user: Record<string, unknown>;
  created_at: number;
  updated_at: number;
  client_secret?: string;
  secrets?: { id: string; created_at: number; expires_at: number | null }[];
}

export interface CullReport {
  dry_run: boolean;
  complete: boolean;
  at: number;
  users: number;
  sessions: number;
  oldest_last_seen_at: number | null;
  newest_last_seen_at: number | null;
  by_client: Record<string, { users: number; oldest_last_seen_at: number | null; newest_last_seen_at: number | null }>;
  purged: { sessions: number; revocations: number; email_proofs: number };
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  event_types: string[] | null;
  client_ids: string[] | null;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttempt {
  attempted_at: number;
  outcome: string;
  response_status: number | null;
  error: string | null;
  latency_ms: number | null;
}

export interface WebhookMessage {
  id: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempt_count: number;
  next_attempt_at: number | null;
  created_at: number;
  finished_at: number | null;
  attempts?: WebhookAttempt[];
}
