import { checkClientOrigin } from '../clients/index.js';
import { type Grant, type OauthApi, oauthError } from '../oauth/index.js';
import { networkField } from '../shared/network.js';
import { DEVICE_CODE_GRANT, type DeviceAuthorizationService } from './service.js';

export interface DeviceCodeGrantDeps {
  service: Pick<DeviceAuthorizationService, 'poll'>;
  oauth: Pick<OauthApi, 'verifyTokenRequestProof'>;
}

/**
 * RFC 8628 §3.4: the device polls the token endpoint with its device code. The answer is a
 * session like any guest's (access token, session token as refresh token); a DPoP proof on the
 * poll binds it, as with every grant (RFC 9449 §5).
 */
export const deviceCodeGrant = ({ service, oauth }: DeviceCodeGrantDeps): Grant => ({
  type: DEVICE_CODE_GRANT,
  // Devices are public clients: a TV app cannot keep a secret (RFC 8628 §5.6).
  allowsPublicClients: true,
  async handle({ request, body, client }) {
    const deviceCode = body.device_code;
    if (deviceCode === undefined || deviceCode === '') {
      throw oauthError('INVALID_REQUEST', `grant_type=${DEVICE_CODE_GRANT} needs device_code: the one POST /oauth/device_authorization returned.`);
    }
    if (client.type === 'public') checkClientOrigin(client, request);
    const dpopJkt = await oauth.verifyTokenRequestProof(request);
    return service.poll({ client, ...networkField(request.ip), ...(dpopJkt ? { dpopJkt } : {}) }, deviceCode);
  },
});
