import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { OauthApi } from '../oauth/index.js';
import { sessionError } from './error-codes.js';
import type { SessionRevoker } from './revoker.js';
import type { SessionStore } from './store.js';
import { sessionView } from './views.js';

export interface SessionAdminRoutesDeps {
  sessions: Pick<SessionStore, 'get' | 'listByUser'>;
  revocations: Pick<SessionRevoker, 'revoke'>;
  oauth: Pick<OauthApi, 'requireAccessToken'>;
}

// The widths of sessions.id and users.id: revoking by id writes a tombstone row with that id.
const SessionIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const UserIdParams = Type.Object({ id: Type.String({ maxLength: 128 }) }, { additionalProperties: false });

/**
 * Sessions in the admin API. Only sessions that needed state have rows; a session that never
 * did is still valid until its token expires, and revoking it by id leaves a tombstone.
 */
export async function sessionAdminRoutes(app: FastifyInstance, { sessions, revocations, oauth }: SessionAdminRoutesDeps): Promise<void> {
  const read = oauth.requireAccessToken({ scopes: ['admin:read'] });
  const write = oauth.requireAccessToken({ scopes: ['admin:write'] });
  const tags = ['admin'];
  const security = [{ bearer: [] }];

  app.get<{ Params: Static<typeof SessionIdParams> }>(
    '/admin/api/sessions/:id',
    { preHandler: read, schema: { tags, security, summary: 'Read a stored session', params: SessionIdParams } },
    async (request) => {
      const record = await sessions.get(request.params.id);
      if (!record) throw sessionError('SESSION_NOT_FOUND');
      return sessionView(record);
    },
  );

  app.get<{ Params: Static<typeof UserIdParams> }>(
    '/admin/api/users/:id/sessions',
    { preHandler: read, schema: { tags, security, summary: 'A user’s stored sessions, newest first', params: UserIdParams } },
    async (request) => ({ sessions: (await sessions.listByUser(request.params.id)).map(sessionView) }),
  );

  app.post<{ Params: Static<typeof SessionIdParams> }>(
    '/admin/api/sessions/:id/revoke',
    { preHandler: write, schema: { tags, security, summary: 'Revoke a session and its access tokens', params: SessionIdParams } },
    async (request) => {
      await revocations.revoke({ id: request.params.id }, 'revoked_by_admin');
      const record = await sessions.get(request.params.id);
      return record ? sessionView(record) : { session_id: request.params.id };
    },
  );
}
