import type { AccountTables } from '../accounts/tables.js';
import type { AnomalyTables } from '../anomaly/tables.js';
import type { TelemetryTables } from '../telemetry/tables.js';

/**
 * Table types for Kysely. Both dialects store the same shapes: timestamps are epoch
 * milliseconds (bigint in PostgreSQL, parsed back to numbers), booleans are 0/1 integers and
 * lists are JSON text, so one store implementation serves SQLite and PostgreSQL alike.
 */
export interface ClientsTable {
  id: string;
  name: string;
  type: 'public' | 'confidential';
  is_admin: number;
  /** JSON arrays. */
  allowed_origins: string;
  grant_types: string;
  scopes: string;
  audiences: string;
  /** Seconds; null means the server default. */
  access_token_ttl: number | null;
  /** JSON GuestSettings (sessions/guest-settings.ts); null means the defaults. */
  guest_settings: string | null;
  created_at: number;
  updated_at: number;
}

export interface ClientSecretsTable {
  id: string;
  client_id: string;
  /** SHA-256 of the secret, hex (see crypto/secrets.ts for why not a slow hash). */
  secret_hash: string;
  created_at: number;
  /** Null while the secret is the newest; set when a rotation starts its overlap period. */
  expires_at: number | null;
}

export interface KeysTable {
  kid: string;
  /** `sig` for access-token signing keys, `enc` for the session-token sealing key. */
  use: 'sig' | 'enc';
  alg: string;
  /** Public JWK as JSON (signing keys only). */
  public_jwk: string | null;
  /** Private JWK or raw key, AES-256-GCM-encrypted with the master key. */
  private_sealed: string;
  /** `next`: published (and loaded by every node) but not yet signing or sealing. */
  status: 'next' | 'current' | 'retired';
  created_at: number;
  /** From when the key signs (seals): a staged rotation publishes it this long in advance. */
  activates_at: number;
  retired_at: number | null;
  /** When a retired key leaves the JWKS: every token it signed has expired by then. */
  expires_at: number | null;
}

export interface RevocationsTable {
  /** The revoked access token's `jti`. */
  jti: string;
  /** The token's own `exp` (ms): the row is useless, and purged, after it. */
  expires_at: number;
  revoked_at: number;
}

export interface UsersTable {
  /** UUIDv7, or an id a confidential client brought (1–128 of [A-Za-z0-9._-]). */
  id: string;
  is_anonymous: number;
  /** The client whose guest this user was created as (its metadata rules apply). */
  created_by_client: string | null;
  /** JSON object: cart, preferences, consents. */
  metadata: string;
  /** Incremented on every metadata write; the ETag. */
  metadata_version: number;
  created_at: number;
  updated_at: number;
  /** Normalised address of a registered user; null for guests. */
  email: string | null;
  email_verified_at: number | null;
  /** argon2id; null until a password is set (ID-token and convert-first users). */
  password_hash: string | null;
  /** When this guest became registered in place (same id). */
  converted_at: number | null;
  /** The account this guest was merged into; the guest's tokens are refused from then on. */
  merged_into: string | null;
  merged_at: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: string | null;
  client_id: string | null;
  /** Rotation generation of the newest session token. */
  generation: number;
  created_at: number;
  /** Absolute expiry. */
  expires_at: number;
  last_refreshed_at: number | null;
  dpop_jkt: string | null;
  /** Coarse network of the last refresh; never the full address. */
  last_ip_prefix: string | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** Core tables here; each feature declares its own beside its code (`<feature>/tables.ts`). */
export interface Database extends AccountTables, TelemetryTables, AnomalyTables {
  clients: ClientsTable;
  client_secrets: ClientSecretsTable;
  keys: KeysTable;
  revocations: RevocationsTable;
  users: UsersTable;
  sessions: SessionsTable;
}
