/** Table types of the oauth feature (Kysely); conventions as in storage/schema.ts. */

/** The denylist of revoked JWT access tokens (RFC 7009), kept until each token would have expired. */
export interface RevocationsTable {
  /** The revoked access token's `jti`. */
  jti: string;
  /** The token's own `exp` (ms): the row is useless, and purged, after it. */
  expires_at: number;
  revoked_at: number;
}

export interface OauthTables {
  revocations: RevocationsTable;
}
