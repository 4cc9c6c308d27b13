import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { GuestpassError } from '../shared/errors.js';
import { networkField } from '../shared/network.js';
import type { NetworkInfo } from '../events/types.js';
import { looksLikeSessionToken } from '../sessions/index.js';
import { oauthError } from './error-codes.js';
import { noStore, oauthErrorResponses } from './responses.js';
import { TokenParameterSchema, type TokenParameterBody } from './token-schema.js';

/**
 * POST /oauth/revoke (RFC 7009). A JWT access token is put on the denylist until it expires;
 * a session token revokes its whole session.
 * Per §2.2, a token that is unknown, malformed or already expired is answered 200 like a
 * successful revocation: the client's intent is fulfilled, and nothing is revealed.
 */
/**
 * Revoking a session token ends the session and, with it, its access tokens. The token goes
 * through the sessions feature's one check, so a rotated-away copy counts as reuse there (and
 * revokes the session all the same). No DPoP proof is asked for: revocation only takes away,
 * and RFC 7009 knows no proof.
 */
async function revokeSessionToken(ctx: AppContext, token: string, clientId: string, facts: { network?: NetworkInfo }): Promise<void> {
  const session = await ctx.guestSessions.authenticate(token, { ...facts, proveKey: async (payload) => payload.jkt }).catch((error: unknown) => {
    if (error instanceof GuestpassError && error.error === 'invalid_grant') return undefined; // §2.2: answered like a revoked token.
    throw error;
  });
  if (!session) return;
  if (session.cid !== clientId) throw oauthError('TOKEN_NOT_ISSUED_TO_CLIENT');
  await ctx.guestSessions.revokeToken(session, 'revoked_by_client', facts);
}

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
      if (looksLikeSessionToken(request.body.token)) {
        await revokeSessionToken(ctx, request.body.token, client.id, networkField(request.ip));
        return reply.code(200).send();
      }
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
