/** Table types of the sessions feature (Kysely); conventions as in storage/schema.ts. */
import type { ColumnType } from 'kysely';

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

/**
 * A user as the sessions feature writes it: the row itself and its metadata. The account
 * columns of the same row are the accounts feature's (accounts/tables.ts, UserAccountColumns);
 * storage/schema.ts joins the two into the one `users` table.
 */
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
  /**
   * When the user last started or refreshed a session, to within an hour (sessions/user-store.ts
   * `touch`); the cull's measure of inactivity. Optional on insert: a row written without it
   * starts at 0, and the cull also looks at `updated_at`.
   */
  last_seen_at: ColumnType<number, number | undefined, number>;
}

/**
 * People erased (sessions/erased-store.ts): a SHA-256 of each id, never the id, kept until every
 * token that could name it has expired.
 */
export interface ErasedUsersTable {
  user_hash: string;
  erased_at: number;
  expires_at: number;
}

/**
 * Guest transfer codes (sessions/transfer-store.ts): a keyed hash of each code, never the code;
 * single use (`used_at`), minutes long. New codes delete expired ones, which bounds the table.
 */
export interface TransferCodesTable {
  id: string;
  code_hash: string;
  client_id: string;
  user_id: string;
  /** The session that made the code: the first device, which may revoke what the code starts. */
  from_session_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** The session the code started. */
  new_session_id: string | null;
}

export interface SessionTables {
  sessions: SessionsTable;
  transfer_codes: TransferCodesTable;
  erased_users: ErasedUsersTable;
  /** Joined with the accounts feature's columns in storage/schema.ts. */
  users: UsersTable;
}
