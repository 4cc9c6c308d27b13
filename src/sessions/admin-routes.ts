import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../operators/index.js';
import type { GuestCull } from './cull.js';
import { sessionError } from './error-codes.js';
import type { SessionRevoker } from './revoker.js';
import type { SessionStore } from './store.js';
import { cullView, sessionView } from './views.js';
import { decodeUserCursor, encodeUserCursor, type UserQuery, type UserSummary } from './user-list.js';
import type { UserStore } from './user-store.js';

export interface SessionAdminRoutesDeps {
  sessions: Pick<SessionStore, 'get' | 'listByUser'>;
  revocations: Pick<SessionRevoker, 'revoke'>;
  admin: AdminAccess;
  users: Pick<UserStore, 'list'>;
  cull: Pick<GuestCull, 'run'>;
}

// The widths of sessions.id and users.id: revoking by id writes a tombstone row with that id.
const SessionIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const UserIdParams = Type.Object({ id: Type.String({ maxLength: 128 }) }, { additionalProperties: false });

const CullBody = Type.Object(
  { dry_run: Type.Optional(Type.Boolean({ description: 'Report what a real run would delete now, and delete nothing. @default false' })) },
  { additionalProperties: false },
);

const Time = Type.String({ maxLength: 40, description: 'Epoch milliseconds or an ISO 8601 date-time.' });
const Flag = Type.Union([Type.Literal('true'), Type.Literal('false')]);
const UsersQuery = Type.Object(
  {
    is_anonymous: Type.Optional(Flag),
    client_id: Type.Optional(Type.String({ maxLength: 64, description: 'The client that created the user.' })),
    created_after: Type.Optional(Time),
    created_before: Type.Optional(Time),
    last_seen_after: Type.Optional(Time),
    last_seen_before: Type.Optional(Time),
    merged: Type.Optional(Flag),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 200. @default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 300, description: 'next_cursor of the previous page.' })),
  },
  { additionalProperties: false },
);
type UsersQuery = Static<typeof UsersQuery>;

/** A user in the listing: the account's e-mail address is there for an administrator; no secret ever is. */
function userSummaryView(user: UserSummary) {
  return {
    user_id: user.id,
    is_anonymous: user.isAnonymous,
    created_by_client: user.createdByClient,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    last_seen_at: user.lastSeenAt,
    email: user.email,
    email_verified_at: user.emailVerifiedAt,
    has_password: user.hasPassword,
    converted_at: user.convertedAt,
    merged_into: user.mergedInto,
    merged_at: user.mergedAt,
    metadata_version: user.metadataVersion,
  };
}

function parseTime(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d{1,16}$/.test(raw) ? Number(raw) : /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms))
    throw sessionError('INVALID_USER_QUERY', `${name} must be epoch milliseconds or an ISO 8601 date-time such as 2025-06-01T00:00:00Z.`);
  return ms;
}

function toUserQuery(query: UsersQuery): UserQuery {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (limit < 1 || limit > 200) throw sessionError('INVALID_USER_QUERY', 'limit must be between 1 and 200.');
  const cursor = query.cursor === undefined ? undefined : decodeUserCursor(query.cursor);
  if (query.cursor !== undefined && !cursor) {
    throw sessionError('INVALID_USER_QUERY', 'cursor is not one this server gave out; pass next_cursor from the previous page unchanged.');
  }
  const times = {
    createdAfter: parseTime(query.created_after, 'created_after'),
    createdBefore: parseTime(query.created_before, 'created_before'),
    lastSeenAfter: parseTime(query.last_seen_after, 'last_seen_after'),
    lastSeenBefore: parseTime(query.last_seen_before, 'last_seen_before'),
  };
  return {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(query.is_anonymous !== undefined ? { isAnonymous: query.is_anonymous === 'true' } : {}),
    ...(query.merged !== undefined ? { merged: query.merged === 'true' } : {}),
    ...(query.client_id !== undefined ? { clientId: query.client_id } : {}),
    ...Object.fromEntries(Object.entries(times).filter(([, value]) => value !== undefined)),
  };
}

/**
 * Sessions in the admin API. Only sessions that needed state have rows; a session that never
 * did is still valid until its token expires, and revoking it by id leaves a tombstone.
 */
export async function sessionAdminRoutes(app: FastifyInstance, { sessions, revocations, admin, users, cull }: SessionAdminRoutesDeps): Promise<void> {
  const read = admin.requireAdmin('read');
  const write = admin.requireAdmin('write');
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

  app.get<{ Querystring: UsersQuery }>(
    '/admin/api/users',
    {
      preHandler: read,
      schema: { tags, security, summary: 'List users, newest first, filtered and paginated; never a secret', querystring: UsersQuery },
    },
    async (request) => {
      const page = await users.list(toUserQuery(request.query));
      return { users: page.users.map(userSummaryView), next_cursor: page.nextCursor && encodeUserCursor(page.nextCursor) };
    },
  );

  app.post<{ Body: Static<typeof CullBody> | undefined }>(
    '/admin/api/guests/cull',
    {
      preHandler: write,
      schema: { tags, security, summary: 'Delete stale guests and purge expired rows now, or with dry_run see what that would delete', body: CullBody },
    },
    async (request) => cullView(await cull.run({ dryRun: request.body?.dry_run === true })),
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
