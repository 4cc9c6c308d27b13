import { checkClientOrigin } from '../clients/index.js';
import { type Grant, type OauthApi, oauthError } from '../oauth/index.js';
import { networkField } from '../shared/network.js';
import type { GuestSessionService } from './service.js';

export interface RefreshTokenGrantDeps {
  service: Pick<GuestSessionService, 'refresh'>;
  oauth: Pick<OauthApi, 'verifyTokenRequestProof'>;
}

/**
 * RFC 6749 §6 with the session token as the refresh token: every refresh rotates it (RFC 9700
 * §4.14.2). The response carries the new one as `refresh_token` for standard clients and as
 * `session_token` for Guestpass SDKs.
 */
export const refreshTokenGrant = ({ service, oauth }: RefreshTokenGrantDeps): Grant => ({
  type: 'refresh_token',
  allowsPublicClients: true,
  async handle({ request, body, client }) {
    if (!body.refresh_token) throw oauthError('INVALID_REQUEST', 'grant_type=refresh_token needs refresh_token: the session token from the last response.');
    if (client.type === 'public') checkClientOrigin(client, request);
    const dpopJkt = await oauth.verifyTokenRequestProof(request);
    return service.refresh({ client, ...networkField(request.ip), ...(dpopJkt ? { dpopJkt } : {}) }, body.refresh_token);
  },
});
