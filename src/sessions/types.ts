import type { Client } from '../clients/index.js';
import type { NetworkInfo } from '../events/types.js';
import type { TokenResponse } from '../oauth/index.js';
import type { SessionTokenPayload } from './session-token.js';

/** How a session token was presented to an endpoint other than refresh: what `authenticate` checks it against. */
export interface SessionPresentation {
  /** The client the request authenticated as, when it did (token endpoints); the session must be its own. */
  client?: Client;
  network?: NetworkInfo;
  /**
   * Checks the request's DPoP proof in the way this kind of endpoint needs (RFC 9449 §5 at
   * token endpoints, §7 with `ath` at resource endpoints) and returns the proven key's
   * thumbprint, or undefined without a proof. Called for every session token.
   */
  proveKey(session: SessionTokenPayload): Promise<string | undefined>;
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
