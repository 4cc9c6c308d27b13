/** Table types of the operators feature (Kysely); conventions as in storage/schema.ts. */

/**
 * The people who may use the console: a registered account (`users.id`) and its role. At most
 * one row per account, added and removed by `guestpass admins`, so the table grows with the
 * team, not with traffic. The TOTP secret is sealed with the master key (crypto/aead.ts) and
 * never leaves the server after enrolment.
 */
export interface OperatorsTable {
  user_id: string;
  /** `viewer` reads the admin API; `admin` reads and writes. */
  role: 'admin' | 'viewer';
  /** The RFC 6238 secret, sealed; pending until `totp_confirmed` is 1. Null: no TOTP. */
  totp_secret_sealed: string | null;
  /** 1 once a code made with the secret was confirmed: from then on sign-in asks for a code. */
  totp_confirmed: number;
  /** The last time step whose code was accepted: a code is never accepted twice (RFC 6238 §5.2). */
  totp_last_step: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * Signed-in console sessions. The browser holds the token in an HttpOnly cookie; the table holds
 * only its SHA-256 (a database dump signs nobody in). The CSRF token is not stored: it is an HMAC
 * of the session id under a key derived from the master key, so every node derives the same one.
 * A row lives at most the absolute lifetime (GUESTPASS_CONSOLE_SESSION_LIFETIME); the server's
 * periodic purge deletes expired ones, and signing out or removing the operator deletes them at once.
 */
export interface ConsoleSessionsTable {
  id: string;
  /** SHA-256 of the cookie's token, hex. */
  token_hash: string;
  user_id: string;
  created_at: number;
  /** Moved forward by authenticated requests (at most once a minute): the idle timeout counts from it. */
  last_seen_at: number;
  /** The absolute end, whatever the activity. */
  expires_at: number;
}

export interface OperatorTables {
  operators: OperatorsTable;
  console_sessions: ConsoleSessionsTable;
}
