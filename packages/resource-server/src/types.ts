import type { JWTPayload } from 'jose';

/** Claims a Guestpass access token always or often carries (RFC 9068 §2.2 and Guestpass's own). */
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'sid', 'is_anonymous', 'cnf', 'auth_time', 'acr', 'amr']);

/** Whether a claim is one the client's `claims_mapping` put there rather than a standard one. */
export function isMappedClaim(name: string): boolean {
  return !REGISTERED.has(name);
}

/**
 * Who called, from a verified Guestpass access token: `req.guestpass` in Express,
 * `request.guestpass` in Fastify. `M` types the claims mapped from metadata
 * (`claims_mapping`); they are not validated beyond being JSON.
 */
export interface GuestpassAuth<M extends Record<string, unknown> = Record<string, unknown>> {
  /** The user id (a client's id for client_credentials tokens). It never changes when a guest registers. */
  sub: string;
  /** The session id; absent on client_credentials tokens. */
  sid: string | undefined;
  /** True for guests; false for registered users and for client_credentials tokens. */
  is_anonymous: boolean;
  /** The client the token was issued to. */
  client_id: string;
  /** The granted scopes, split. */
  scopes: readonly string[];
  /** Claims copied from the user's metadata by the client's `claims_mapping`. */
  claims: M;
  /** RFC 7638 thumbprint of the key a DPoP-bound token is bound to. */
  jkt: string | undefined;
  /** The access token itself, for calling Guestpass on the user's behalf. */
  token: string;
  /** Every claim as verified. */
  payload: JWTPayload;
}
