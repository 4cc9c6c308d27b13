import type { Client } from '../clients/types.js';
import type { NetworkInfo } from '../events/types.js';
import type { TokenResponse } from '../oauth/grants/types.js';

/** What the caller proved about the request, gathered by the route before the service runs. */
export interface RequestFacts {
  client: Client;
  /** Coarse network of the caller, for events and the session row. */
  network?: NetworkInfo;
  /** RFC 7638 thumbprint of a verified DPoP proof key, when the request carried a proof. */
  dpopJkt?: string;
}

export interface CreateSessionInput {
  scope?: string;
  audience?: string;
  resource?: string;
  /** Checked against the client's size limit and schema by the service. */
  metadata?: unknown;
  userId?: string;
}

/** The Auth0-compatible token response of POST /anonymous/token. */
export interface GuestTokenResponse extends TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  session_token: string;
  /** The same session token, under the name standard OAuth clients look for. */
  refresh_token: string;
  session_expires_in: number;
  user_id: string;
  session_id: string;
}
