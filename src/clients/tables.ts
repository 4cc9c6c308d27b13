/** Table types of the clients feature (Kysely); conventions as in storage/schema.ts. */

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
  /** JSON UserSettings (clients/user-settings.ts); null (clients older than the column) means the defaults. */
  user_settings: string | null;
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

export interface ClientTables {
  clients: ClientsTable;
  client_secrets: ClientSecretsTable;
}
