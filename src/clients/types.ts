import type { GuestSettings } from './guest-settings.js';
import type { UserSettings } from './user-settings.js';

export type ClientType = 'public' | 'confidential';

/**
 * Grant types a client may be allowed; features add theirs here as they land. The device grant
 * (RFC 8628) is opt-in: no client has it unless created or changed with it.
 */
export const GRANT_TYPES = ['client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** Scopes only clients created with `--admin` may hold. */
export const ADMIN_SCOPES = ['admin:read', 'admin:write'] as const;

/** A registered application. */
export interface Client {
  id: string;
  name: string;
  type: ClientType;
  isAdmin: boolean;
  /** Exact origins (`https://shop.example`) allowed for browser calls. */
  allowedOrigins: string[];
  grantTypes: GrantType[];
  /** Every scope the client may request; a request without `scope` gets all of them. */
  scopes: string[];
  /** Allowed `aud` values; the first is the default. Empty means the issuer itself. */
  audiences: string[];
  /** Access-token lifetime in seconds; null means the server default. */
  accessTokenTtl: number | null;
  /** Guest-session behaviour (POST /anonymous/token and friends). */
  guest: GuestSettings;
  /** What registered users get (their scopes). */
  user: UserSettings;
  createdAt: number;
  updatedAt: number;
}

export interface ClientSecretInfo {
  id: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface NewClient {
  name: string;
  type: ClientType;
  isAdmin?: boolean;
  allowedOrigins?: string[];
  grantTypes?: GrantType[];
  scopes?: string[];
  audiences?: string[];
  accessTokenTtl?: number | null;
  guest?: Partial<GuestSettings>;
  user?: Partial<UserSettings>;
}
