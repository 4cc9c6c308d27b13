import type { AccountTables, UserAccountColumns } from '../accounts/tables.js';
import type { AnomalyTables } from '../anomaly/tables.js';
import type { AuditTables } from '../audit/tables.js';
import type { ClientTables } from '../clients/tables.js';
import type { DeviceTables } from '../devices/tables.js';
import type { OutboxTables } from '../events/tables.js';
import type { OauthTables } from '../oauth/tables.js';
import type { OperatorTables } from '../operators/tables.js';
import type { SessionTables } from '../sessions/tables.js';
import type { StatsTables } from '../stats/tables.js';
import type { TelemetryTables } from '../telemetry/tables.js';
import type { WebhookTables } from '../webhooks/tables.js';

/**
 * Table types for Kysely. Both dialects store the same shapes: timestamps are epoch
 * milliseconds (bigint in PostgreSQL, parsed back to numbers), booleans are 0/1 integers and
 * lists are JSON text, so one store implementation serves SQLite and PostgreSQL alike.
 */

/** Signing and sealing keys: the crypto/ base owns them (crypto/key-store.ts). */
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

/**
 * Every table, by its owner: each feature declares its own beside its code
 * (`<feature>/tables.ts`); `users` is one row that sessions and accounts each own columns of.
 */
export interface Database
  extends AccountTables,
    AnomalyTables,
    ClientTables,
    DeviceTables,
    OauthTables,
    Omit<SessionTables, 'users'>,
    TelemetryTables,
    StatsTables,
    OutboxTables,
    AuditTables,
    WebhookTables,
    OperatorTables {
  keys: KeysTable;
  users: SessionTables['users'] & UserAccountColumns;
}
