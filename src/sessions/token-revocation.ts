import { oauthError, type RevocableToken } from '../oauth/index.js';
import { GuestpassError } from '../shared/errors.js';
import type { GuestSessionService } from './service.js';
import { looksLikeSessionToken } from './session-token.js';

/**
 * Session tokens at POST /oauth/revoke (RFC 7009): revoking one ends the session and, with it,
 * its access tokens. The token goes through the one check of a session token, so a
 * rotated-away copy counts as reuse there (and revokes the session all the same). No DPoP
 * proof is asked for: revocation only takes away, and RFC 7009 knows no proof.
 */
export const sessionTokenRevocation = (service: Pick<GuestSessionService, 'authenticate' | 'revokeToken'>): RevocableToken => ({
  recognises: looksLikeSessionToken,
  async revoke(token, clientId, facts) {
    const session = await service.authenticate(token, { ...facts, proveKey: async (payload) => payload.jkt }).catch((error: unknown) => {
      if (error instanceof GuestpassError && error.error === 'invalid_grant') return undefined; // §2.2: answered like a revoked token.
      throw error;
    });
    if (!session) return;
    if (session.cid !== clientId) throw oauthError('TOKEN_NOT_ISSUED_TO_CLIENT');
    await service.revokeToken(session, 'revoked_by_client', facts);
  },
});
