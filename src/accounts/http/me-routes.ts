import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { networkField } from '../../shared/network.js';
import { oauthError, presentedToken } from '../../oauth/index.js';
import { looksLikeSessionToken, type SessionCaller, type SessionData } from '../../sessions/index.js';
import type { AccountRoutesDeps } from './common.js';

/**
 * The caller's own user, guest or registered, by its access token: the same data and the same
 * merge-patch rules as /anonymous/session, plus the address.
 */
export async function meRoutes(app: FastifyInstance, deps: AccountRoutesDeps): Promise<void> {
  const { accounts } = deps;
  const tags = ['accounts'];
  const security = [{ bearer: [] }];

  const caller = async (request: FastifyRequest): Promise<SessionCaller> => {
    const presented = presentedToken(request);
    if (!presented || looksLikeSessionToken(presented.token)) {
      throw oauthError('TOKEN_MISSING', 'Send the user’s access token as "Authorization: Bearer <token>" (or DPoP).', {
        'WWW-Authenticate': 'Bearer realm="guestpass"',
      });
    }
    return deps.sessions.resolveSessionCaller(request);
  };

  const send = async (reply: FastifyReply, data: SessionData) => {
    const user = await accounts.store.get(data.view.user_id);
    reply.header('ETag', data.etag).header('Cache-Control', 'no-store');
    const { view } = data;
    return { user_id: view.user_id, email: user?.email ?? null, is_anonymous: view.is_anonymous, scope: view.scope, metadata: view.metadata };
  };

  app.get(
    '/accounts/me',
    { schema: { tags, security, summary: 'The caller’s user: id, address, anonymity, the access token’s scope and metadata, with an ETag' } },
    async (request, reply) => send(reply, await deps.sessions.readSessionData(await caller(request))),
  );

  app.patch<{ Body: Static<typeof PatchBody> }>(
    '/accounts/me/metadata',
    {
      bodyLimit: 128 * 1024,
      schema: {
        tags,
        security,
        summary: 'Change the caller’s metadata with a JSON Merge Patch (RFC 7396); If-Match for optimistic concurrency',
        consumes: ['application/merge-patch+json', 'application/json'],
        body: PatchBody,
      },
    },
    async (request, reply) => {
      const data = await deps.sessions.writeMetadata(await caller(request), {
        patch: request.body,
        ifMatch: request.headers['if-match']?.trim(),
        ...networkField(request.ip),
      });
      return send(reply, data);
    },
  );
}

const PatchBody = Type.Object({}, { additionalProperties: true, description: 'A JSON Merge Patch: null deletes a key.' });
