import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { noStore, type OauthApi } from '../oauth/index.js';
import { enforceRateLimits, type RateLimitStore } from '../ratelimit/index.js';
import { MINUTE_MS } from '../shared/time.js';
import type { DevicesConfig } from './options.js';
import type { DeviceAuthorizationService } from './service.js';

export interface AuthorizationRouteDeps {
  service: Pick<DeviceAuthorizationService, 'request'>;
  oauth: Pick<OauthApi, 'gatherFacts'>;
  rateLimits: RateLimitStore;
  config: Pick<DevicesConfig, 'deviceRateLimitPerIp'>;
}

const param = (description: string) => Type.Optional(Type.String({ maxLength: 2000, description }));

/**
 * RFC 8628 §3.1 parameters. Unknown parameters are ignored, as on every OAuth endpoint
 * (RFC 6749 §3.1); a repeated one arrives as an array and is refused.
 */
const DeviceAuthorizationBody = Type.Object(
  {
    client_id: param('The client id (public clients, or with client_secret_post).'),
    client_secret: param('client_secret_post authentication.'),
    scope: param('Space-separated scopes; all of those the approving user may have when absent.'),
    audience: param('The `aud` of the tokens; one of the client’s audiences.'),
    resource: param('RFC 8707 alternative to audience.'),
  },
  { additionalProperties: true },
);

const DeviceAuthorizationResponse = Type.Object({
  device_code: Type.String(),
  user_code: Type.String({ description: 'Eight letters, XXXX-XXXX, for the person to type at verification_uri.' }),
  verification_uri: Type.String(),
  verification_uri_complete: Type.String({ description: 'verification_uri with the code in it, for a QR code.' }),
  expires_in: Type.Integer(),
  interval: Type.Integer({ description: 'Seconds to wait between polls of the token endpoint.' }),
});

/** POST /oauth/device_authorization (RFC 8628 §3.1): rate limit, authenticate the client, issue the codes. */
export async function deviceAuthorizationRoute(app: FastifyInstance, deps: AuthorizationRouteDeps): Promise<void> {
  app.post<{ Body: Static<typeof DeviceAuthorizationBody> }>(
    '/oauth/device_authorization',
    {
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['oauth'],
        summary: 'Device authorization endpoint (RFC 8628 §3.1): a device code to poll with and a user code for a person to enter',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: DeviceAuthorizationBody,
        response: { 200: DeviceAuthorizationResponse },
      },
    },
    async (request, reply) => {
      await enforceRateLimits(deps.rateLimits, [
        { key: `device:ip:${request.ip}`, limit: deps.config.deviceRateLimitPerIp, windowMs: MINUTE_MS, subject: 'this IP address' },
      ]);
      const facts = await deps.oauth.gatherFacts(request, request.body);
      const response = await deps.service.request(facts, request.body);
      noStore(reply);
      return response;
    },
  );
}
