/** Table types of the accounts feature (Kysely); conventions as in storage/schema.ts. */

/** Guest id → the account it was merged into. Written once, kept forever (DESIGN §2.2). */
export interface UserAliasesTable {
  alias_id: string;
  user_id: string;
  created_at: number;
}

/**
 * One-time proofs sent by e-mail: sign-up verification and password reset. Only hashes are
 * stored: the 6-digit code (keyed hash; see accounts/proofs.ts) and the link token (SHA-256).
 */
export interface EmailTokensTable {
  id: string;
  purpose: 'verify' | 'reset';
  /** Normalised (lower-cased) address the proof was sent to. */
  email: string;
  code_hash: string;
  link_hash: string;
  /** verify: the guest to promote or merge; reset: the account. */
  user_id: string | null;
  /** verify: the guest's session, revoked if the guest is merged. */
  session_id: string | null;
  /** verify: the password chosen at sign-up (argon2id), applied once ownership is proven. */
  password_hash: string | null;
  client_id: string | null;
  attempts: number;
  expires_at: number;
  consumed_at: number | null;
  created_at: number;
}

/** An account's identity at an external OpenID Connect provider. */
export interface UserIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: number;
}

/**
 * The account columns of `users`: a row is created and its metadata written by the sessions
 * feature (sessions/tables.ts, UsersTable); these are written by accounts only.
 */
export interface UserAccountColumns {
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

export interface AccountTables {
  user_aliases: UserAliasesTable;
  email_tokens: EmailTokensTable;
  user_identities: UserIdentitiesTable;
}
