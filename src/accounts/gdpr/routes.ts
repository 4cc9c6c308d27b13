import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { noStore, oauthError, presentedToken } from '../../oauth/index.js';
import type { AdminAccess } from '../../operators/index.js';
import { enforceRateLimits, type RateLimitStore } from '../../ratelimit/index.js';
import { looksLikeSessionToken, type SessionCaller, type SessionsApi } from '../../sessions/index.js';
import type { AccountConfig } from '../options.js';
import type { AccountService } from '../service.js';
import { erasureError } from './error-codes.js';
import type { PersonErasure } from './service.js';

export interface ErasureRoutesDeps {
  erasure: PersonErasure;
  accounts: Pick<AccountService, 'store' | 'erasure'>;
  sessions: Pick<SessionsApi, 'resolveSessionCaller'>;
  admin: AdminAccess;
  rateLimits: RateLimitStore;
  now: () => number;
  config: Pick<AccountConfig, 'erasureRecentLogin' | 'loginRateLimitPerAccount'>;
}

const PASSWORD_WINDOW_MS = 15 * 60_000;

const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000]*$' }) }, { additionalProperties: false });
type UserIdParams = Static<typeof UserIdParams>;
const DeleteMeBody = Type.Object(
  {
    password: Type.Optional(
      Type.String({
        maxLength: 1024,
        description: 'The account’s password; not needed by a guest, nor shortly after a login (GUESTPASS_ERASURE_RECENT_LOGIN).',
      }),
    ),
  },
  { additionalProperties: false },
);
type DeleteMeBody = Static<typeof DeleteMeBody>;

/**
 * Erasure and export (GDPR Art. 15, 17, 20): by an admin for any user, and by a user for
 * itself with its own access token.
 */
export async function erasureRoutes(app: FastifyInstance, deps: ErasureRoutesDeps): Promise<void> {
  const { erasure, admin } = deps;
  const security = [{ bearer: [] }];

  app.delete<{ Params: UserIdParams }>(
    '/admin/api/users/:id',
    {
      preHandler: admin.requireAdmin('write'),
      schema: {
        tags: ['admin'],
        security,
        summary: 'Erase a person: account, metadata, sessions (revoked first), proofs, identity links, telemetry, alerts, and the guests merged into it',
        params: UserIdParams,
      },
    },
    async (request) => erasure.erase(request.params.id),
  );

  app.get<{ Params: UserIdParams }>(
    '/admin/api/users/:id/export',
    {
      preHandler: admin.requireAdmin('read'),
      schema: {
        tags: ['admin'],
        security,
        summary: 'Everything stored about a person and the guests merged into it, as one JSON document',
        params: UserIdParams,
      },
    },
    async (request, reply) => {
      noStore(reply);
      return erasure.export(request.params.id);
    },
  );

  app.get(
    '/accounts/me/export',
    { schema: { tags: ['accounts'], security, summary: 'Everything stored about the caller (its own access token), as one JSON document' } },
    async (request, reply) => {
      const caller = await ownAccessToken(deps, request);
      noStore(reply);
      return erasure.export(caller.session.uid, { mustExist: false });
    },
  );

  app.delete<{ Body: DeleteMeBody }>(
    '/accounts/me',
    {
      // A guest, or a user who just logged in, sends no body at all: that is the empty object.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['accounts'],
        security,
        summary: 'Erase the caller: a guest with its access token alone; a registered user with its password or a recent login',
        body: DeleteMeBody,
      },
    },
    async (request) => {
      const caller = await ownAccessToken(deps, request);
      await confirmOwner(deps, caller, request.body.password);
      return erasure.erase(caller.session.uid, { mustExist: false });
    },
  );
}

/** The caller by its own access token, as /accounts/me takes it: a session token is not accepted here. */
async function ownAccessToken(deps: ErasureRoutesDeps, request: FastifyRequest): Promise<SessionCaller> {
  const presented = presentedToken(request);
  if (!presented || looksLikeSessionToken(presented.token)) {
    throw oauthError('TOKEN_MISSING', 'Send the user’s access token as "Authorization: Bearer <token>" (or DPoP).', {
      'WWW-Authenticate': 'Bearer realm="guestpass"',
    });
  }
  return deps.sessions.resolveSessionCaller(request);
}

/**
 * A registered account is deleted only by someone who proves to be its owner now, not merely
 * holding a token (RFC 9470's step-up): its password, or a login (`auth_time`) in the last
 * GUESTPASS_ERASURE_RECENT_LOGIN seconds. Password attempts count against the account like logins do.
 */
async function confirmOwner(deps: ErasureRoutesDeps, caller: SessionCaller, password: string | undefined): Promise<void> {
  const user = await deps.accounts.store.get(caller.session.uid);
  if (!user || user.isAnonymous) return;
  if (password === undefined) {
    const maxAge = deps.config.erasureRecentLogin;
    if (maxAge > 0 && deps.now() / 1000 - caller.session.ct <= maxAge) return;
    throw erasureError('REAUTHENTICATION_REQUIRED', undefined, {
      'WWW-Authenticate': `Bearer error="insufficient_user_authentication", max_age=${maxAge}`,
    });
  }
  await enforceRateLimits(deps.rateLimits, [
    { key: `erasure:password:${user.id}`, limit: deps.config.loginRateLimitPerAccount, windowMs: PASSWORD_WINDOW_MS, subject: 'this account' },
  ]);
  if (!(await deps.accounts.erasure.confirmPassword(user.id, password))) throw erasureError('WRONG_PASSWORD');
}
