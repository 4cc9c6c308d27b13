import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { BASIC_CHALLENGE } from './client-auth.js';
import { oauthError } from './error-codes.js';
import { noStore, oauthErrorResponses } from './responses.js';

const IntrospectionRequestSchema = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 16384 }),
    token_type_hint: Type.Optional(Type.String({ maxLength: 100 })),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 500 })),
  },
  // RFC 6749 §3.1 (which RFC 7662 builds on): unrecognized parameters are ignored.
  { additionalProperties: true },
);

/**
 * POST /oauth/introspect (RFC 7662), for confidential clients (resource servers). A token
 * that is expired, revoked, forged or unknown is `{"active": false}` and nothing more (§2.2).
 */
export async function introspectionRoute(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: Static<typeof IntrospectionRequestSchema> }>(
    '/oauth/introspect',
    {
      bodyLimit: 64 * 1024,
      schema: { tags: ['oauth'], summary: 'Token introspection (RFC 7662)', body: IntrospectionRequestSchema, response: oauthErrorResponses },
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
