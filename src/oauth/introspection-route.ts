import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { BASIC_CHALLENGE } from './client-auth.js';
import { oauthError } from './error-codes.js';
import { noStore, oauthErrorResponses } from './responses.js';
import { TokenParameterSchema, type TokenParameterBody } from './token-schema.js';

/**
 * POST /oauth/introspect (RFC 7662), for confidential clients (resource servers). A token
 * that is expired, revoked, forged or unknown is `{"active": false}` and nothing more (§2.2).
 */
export async function introspectionRoute(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: TokenParameterBody }>(
    '/oauth/introspect',
    {
      bodyLimit: 64 * 1024,
      schema: { tags: ['oauth'], summary: 'Token introspection (RFC 7662)', body: TokenParameterSchema, response: oauthErrorResponses },
    },
    async (request, reply) => {
      const { method } = await ctx.clientAuth.authenticate(request, request.body);
      if (method === 'none') throw oauthError('CONFIDENTIAL_CLIENT_REQUIRED', undefined, BASIC_CHALLENGE);
      noStore(reply);
      const claims = await ctx.accessTokens.verify(request.body.token);
      if (!claims) return { active: false };
      return { ...claims, active: true, token_type: claims.cnf ? 'DPoP' : 'Bearer' };
    },
  );
}
