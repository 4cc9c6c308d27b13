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

export interface AccountTables {
  user_aliases: UserAliasesTable;
  email_tokens: EmailTokensTable;
  user_identities: UserIdentitiesTable;
}
