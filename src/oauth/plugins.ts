import type { NetworkInfo } from '../events/types.js';
import type { Grant } from './grants/types.js';

/** A kind of token that another feature issues and POST /oauth/revoke can end (RFC 7009). */
export interface RevocableToken {
  /** Whether the token has this kind's shape; nothing is verified yet. */
  recognises(token: string): boolean;
  /**
   * Ends what the token stands for. A token that is unknown, malformed or expired is ignored
   * (§2.2: answered like a revoked one); one issued to another client than `clientId` is refused (§2.1).
   */
  revoke(token: string, clientId: string, facts: { network?: NetworkInfo }): Promise<void>;
}

/**
 * What other features plug into oauth's endpoints. app/ hands them in, so oauth imports none
 * of those features: a new grant is a file in its feature and one line of wiring.
 */
export interface OauthPlugins {
  /** Grants for /oauth/token besides oauth's own client_credentials (the sessions feature's refresh_token). */
  grants: readonly Grant[];
  /** Tokens besides JWT access tokens that /oauth/revoke ends (the sessions feature's session tokens). */
  revocableTokens: readonly RevocableToken[];
  /** Members other features add to the discovery document (the devices feature's `device_authorization_endpoint`). */
  metadata?: (issuer: string) => Record<string, unknown>;
}
