import type { FastifyInstance } from 'fastify';
import type { EventBus } from '../events/bus.js';
import { networkField } from '../shared/network.js';
import type { AccessTokens } from './access-token.js';
import type { ClientAuthenticator } from './client-auth.js';
import { oauthError } from './error-codes.js';
import type { RevocableToken } from './plugins.js';
import { noStore, oauthErrorResponses } from './responses.js';
import type { RevocationStore } from './revocation-store.js';
import { TokenParameterSchema, type TokenParameterBody } from './token-schema.js';

export interface RevocationRouteDeps {
  clientAuth: Pick<ClientAuthenticator, 'authenticate'>;
  accessTokens: Pick<AccessTokens, 'verifySignature'>;
  revocations: Pick<RevocationStore, 'revoke'>;
  events: EventBus;
  now: () => number;
}

/**
 * POST /oauth/revoke (RFC 7009). A JWT access token is put on the denylist until it expires;
 * a token of another kind goes to the feature that issued it (a session token revokes its
 * whole session, see the sessions feature).
 * Per §2.2, a token that is unknown, malformed or already expired is answered 200 like a
 * successful revocation: the client's intent is fulfilled, and nothing is revealed.
 */
export async function revocationRoute(app: FastifyInstance, deps: RevocationRouteDeps, revocableTokens: readonly RevocableToken[]): Promise<void> {
  app.post<{ Body: TokenParameterBody }>(
    '/oauth/revoke',
    {
      bodyLimit: 64 * 1024,
      schema: { tags: ['oauth'], summary: 'Token revocation (RFC 7009)', body: TokenParameterSchema, response: oauthErrorResponses },
    },
    async (request, reply) => {
      const { client } = await deps.clientAuth.authenticate(request, request.body);
      noStore(reply);
      const kind = revocableTokens.find((candidate) => candidate.recognises(request.body.token));
      if (kind) {
        await kind.revoke(request.body.token, client.id, networkField(request.ip));
        return reply.code(200).send();
      }
      const claims = await deps.accessTokens.verifySignature(request.body.token, { allowExpired: true });
      if (!claims) return reply.code(200).send();
      // §2.1: the server verifies that the token was issued to the requesting client.
      if (claims.client_id !== client.id) throw oauthError('TOKEN_NOT_ISSUED_TO_CLIENT');
      if (claims.exp * 1000 > deps.now()) {
        await deps.revocations.revoke(claims.jti, claims.exp * 1000, deps.now());
        deps.events.emit('token.revoked', {
          time: deps.now(),
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
