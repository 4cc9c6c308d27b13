import type { FastifyInstance } from 'fastify';
import type { AccessTokens } from './access-token.js';
import { BASIC_CHALLENGE, type ClientAuthenticator } from './client-auth.js';
import { oauthError } from './error-codes.js';
import { noStore, oauthErrorResponses } from './responses.js';
import { TokenParameterSchema, type TokenParameterBody } from './token-schema.js';

/**
 * POST /oauth/introspect (RFC 7662), for confidential clients (resource servers). A token
 * that is expired, revoked, forged or unknown is `{"active": false}` and nothing more (§2.2).
 */
export async function introspectionRoute(
  app: FastifyInstance,
  deps: { clientAuth: Pick<ClientAuthenticator, 'authenticate'>; accessTokens: Pick<AccessTokens, 'verify'> },
): Promise<void> {
  app.post<{ Body: TokenParameterBody }>(
    '/oauth/introspect',
    {
      bodyLimit: 64 * 1024,
      schema: { tags: ['oauth'], summary: 'Token introspection (RFC 7662)', body: TokenParameterSchema, response: oauthErrorResponses },
    },
    async (request, reply) => {
      const { method } = await deps.clientAuth.authenticate(request, request.body);
      if (method === 'none') throw oauthError('CONFIDENTIAL_CLIENT_REQUIRED', undefined, BASIC_CHALLENGE);
      noStore(reply);
      const claims = await deps.accessTokens.verify(request.body.token);
      if (!claims) return { active: false };
      return { ...claims, active: true, token_type: claims.cnf ? 'DPoP' : 'Bearer' };
    },
  );
}
