import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { networkField } from '../app/network.js';
import { oauthError } from './error-codes.js';
import { noStore, oauthErrorResponses } from './responses.js';
import { TokenParameterSchema, type TokenParameterBody } from './token-schema.js';

/**
 * POST /oauth/revoke (RFC 7009). A JWT access token is put on the denylist until it expires.
 * Per §2.2, a token that is unknown, malformed or already expired is answered 200 like a
 * successful revocation: the client's intent is fulfilled, and nothing is revealed.
 */
export async function revocationRoute(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: TokenParameterBody }>(
    '/oauth/revoke',
    {
      bodyLimit: 64 * 1024,
      schema: { tags: ['oauth'], summary: 'Token revocation (RFC 7009)', body: TokenParameterSchema, response: oauthErrorResponses },
    },
    async (request, reply) => {
      const { client } = await ctx.clientAuth.authenticate(request, request.body);
      noStore(reply);
      const claims = await ctx.accessTokens.verifySignature(request.body.token, { allowExpired: true });
      if (!claims) return reply.code(200).send();
      // §2.1: the server verifies that the token was issued to the requesting client.
      if (claims.client_id !== client.id) throw oauthError('TOKEN_NOT_ISSUED_TO_CLIENT');
      if (claims.exp * 1000 > ctx.now()) {
        await ctx.revocations.revoke(claims.jti, claims.exp * 1000, ctx.now());
        ctx.events.emit('token.revoked', {
          time: ctx.now(),
          client_id: client.id,
          subject: claims.sub,
          ...networkField(request.ip),
          token_kind: 'access_token',
          jti: claims.jti,
        });
      }
      return reply.code(200).send();
    },
  );
}
