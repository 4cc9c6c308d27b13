import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cachedClient, type Client, type ClientCache } from '../clients/index.js';
import { hashShortCode, normalizeShortCode } from '../crypto/short-codes.js';
import type { NetworkInfo } from '../events/types.js';
import { enforceRateLimits, type RateLimitStore } from '../ratelimit/index.js';
import { MINUTE_MS } from '../shared/time.js';
import type { SessionCaller, SessionsApi } from '../sessions/index.js';
import { GuestpassError } from '../shared/errors.js';
import { networkOf } from '../shared/network.js';
import { checkCsrf, csrfTokenFor, type CsrfDeps } from './csrf.js';
import { deviceError } from './error-codes.js';
import type { DevicesConfig } from './options.js';
import { decisionPage, enterCodePage, resultPage } from './page.js';
import type { DeviceAuthorizationService } from './service.js';

/**
 * The accounts feature's sign-in for pages: its login rate limits and its one check of an
 * e-mail and a password (a wrong one throws the catalogue's invalid-credentials error).
 */
export interface PageSignIn {
  signInOnPage(
    request: FastifyRequest,
    input: { email: string; password: string; client: Client; network?: NetworkInfo },
  ): Promise<{ id: string; isAnonymous: boolean }>;
}

export interface VerificationRoutesDeps extends CsrfDeps {
  service: Pick<DeviceAuthorizationService, 'pendingByUserCode' | 'approve' | 'deny' | 'newGuest'>;
  sessions: Pick<SessionsApi, 'resolveSessionCaller' | 'users'>;
  accounts: PageSignIn;
  clientCache: Pick<ClientCache, 'lookup'>;
  rateLimits: RateLimitStore;
  codeKey: Buffer;
  now: () => number;
  config: Pick<DevicesConfig, 'userCodeRateLimitPerIp' | 'userCodeRateLimitPerCode'>;
}

const UserCode = Type.String({ maxLength: 32, description: 'The code the device shows, XXXX-XXXX (case, spaces and dashes do not matter).' });
const VerificationQuery = Type.Object({ user_code: Type.Optional(UserCode) }, { additionalProperties: false });
const DecisionBody = Type.Object(
  {
    user_code: UserCode,
    csrf_token: Type.String({ maxLength: 100 }),
    action: Type.Union([Type.Literal('approve'), Type.Literal('approve_new_guest'), Type.Literal('approve_account'), Type.Literal('deny')]),
    /** With approve_account: the account to sign in to (the login form of the page). */
    email: Type.Optional(Type.String({ maxLength: 320 })),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/**
 * The verification page (RFC 8628 §3.3) a person opens on their phone or laptop: GET shows the
 * code form, or, with `user_code`, whom to sign the device in as; POST records the decision.
 * Every failure is a page with the catalogue's sentence, not JSON: a person reads it.
 */
export async function verificationRoutes(app: FastifyInstance, deps: VerificationRoutesDeps): Promise<void> {
  const tags = ['device authorization'];

  app.get<{ Querystring: Static<typeof VerificationQuery> }>(
    '/device',
    { schema: { tags, summary: 'The verification page: enter a user code, then approve or deny the device', querystring: VerificationQuery } },
    async (request, reply) => {
      const typed = request.query.user_code;
      if (typed === undefined || typed.trim() === '') return enterCodePage(reply);
      return asPage(reply, undefined, async () => {
        await limitUserCodeAttempts(deps, request, typed);
        const authorization = await deps.service.pendingByUserCode(typed, networkOf(request.ip));
        const client = await cachedClient(deps.clientCache, authorization.clientId);
        const current = await currentUser(deps, request);
        return decisionPage(reply, {
          userCode: normalizeShortCode(typed)!,
          clientName: client.name,
          scope: authorization.scope,
          csrfToken: csrfTokenFor(deps, request, reply),
          ...(current ? { current: { isAnonymous: current.isAnonymous } } : {}),
          signIn: !current || current.isAnonymous,
        });
      });
    },
  );

  app.post<{ Body: Static<typeof DecisionBody> }>(
    '/device',
    {
      bodyLimit: 16 * 1024,
      schema: {
        tags,
        summary: 'Approve the device as the current session, a new guest or an account signed in to with e-mail and password, or deny it',
        consumes: ['application/x-www-form-urlencoded'],
        body: DecisionBody,
      },
    },
    async (request, reply) => {
      const { body } = request;
      // Back to the code's page, from the canonical code only (the typed one may be anything).
      const code = normalizeShortCode(body.user_code);
      return asPage(reply, code ? `/device?user_code=${code}` : '/device', async () => {
        checkCsrf(deps, request, body.csrf_token);
        await limitUserCodeAttempts(deps, request, body.user_code);
        const network = networkOf(request.ip);
        const authorization = await deps.service.pendingByUserCode(body.user_code, network);
        if (body.action === 'deny') {
          const current = await currentUser(deps, request);
          await deps.service.deny(authorization, current?.id, network);
          return resultPage(reply, 200, 'Device denied', 'The device was not signed in. You can close this page.');
        }
        if (body.action === 'approve') {
          const current = await currentUser(deps, request);
          if (!current) throw deviceError('NO_CURRENT_SESSION');
          await deps.service.approve(authorization, current, 'session', network);
        } else if (body.action === 'approve_account') {
          if (!body.email || !body.password) throw deviceError('SIGN_IN_INCOMPLETE');
          const client = await cachedClient(deps.clientCache, authorization.clientId);
          const account = await deps.accounts.signInOnPage(request, {
            email: body.email,
            password: body.password,
            client,
            ...(network ? { network } : {}),
          });
          await deps.service.approve(authorization, account, 'account', network);
        } else {
          await deps.service.approve(authorization, await deps.service.newGuest(authorization.clientId), 'new_guest', network);
        }
        return resultPage(reply, 200, 'Device connected', 'Your device is signed in and continues on its own. You can close this page.');
      });
    },
  );
}

/**
 * Per address, and per code from any address: a code is guessed by trying many (the address
 * limit, and the detector behind `device.user_code_rejected`) or attacked from many places at
 * once (the code limit). The code's key is its keyed hash, never the code.
 */
async function limitUserCodeAttempts(deps: VerificationRoutesDeps, request: FastifyRequest, typed: string): Promise<void> {
  const code = normalizeShortCode(typed);
  await enforceRateLimits(deps.rateLimits, [
    { key: `device:user_code:ip:${request.ip}`, limit: deps.config.userCodeRateLimitPerIp, windowMs: MINUTE_MS, subject: 'this IP address' },
    ...(code
      ? [
          {
            key: `device:user_code:code:${hashShortCode(deps.codeKey, code).slice(0, 32)}`,
            limit: deps.config.userCodeRateLimitPerCode,
            windowMs: MINUTE_MS,
            subject: 'this code',
          },
        ]
      : []),
  ]);
}

/**
 * The user of the browser's session (its cookie, checked by the sessions feature's one check
 * of a session token), or undefined when there is none or it is no longer valid.
 */
async function currentUser(deps: VerificationRoutesDeps, request: FastifyRequest): Promise<{ id: string; isAnonymous: boolean } | undefined> {
  let caller: SessionCaller;
  try {
    caller = await deps.sessions.resolveSessionCaller(request);
  } catch (error) {
    if (error instanceof GuestpassError && error.status < 500) return undefined;
    throw error;
  }
  const user = await deps.sessions.users.get(caller.session.uid);
  if (user?.mergedInto) return undefined;
  if (!user) await deps.sessions.users.ensureGuest(caller.session.uid, caller.session.cid, deps.now());
  return { id: caller.session.uid, isAnonymous: user?.isAnonymous ?? true };
}

/**
 * Runs a page step; a refusal becomes a page with its sentence, status and headers
 * (Retry-After), and a link back to `retry` when there is one (a mistyped password).
 */
async function asPage(reply: FastifyReply, retry: string | undefined, step: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof GuestpassError) || error.status >= 500) throw error;
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    if (error.code === 'USER_CODE_INVALID') return enterCodePage(reply, error.status, error.message);
    return resultPage(reply, error.status, 'Could not connect the device', error.message, error.code === 'USER_CODE_DECIDED' ? undefined : retry);
  }
}
