import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { EventBus } from '../../events/bus.js';
import type { OauthApi, RequestFacts } from '../../oauth/index.js';
import type { AdminAccess } from '../../operators/index.js';
import { enforceRateLimits, type RateLimitStore } from '../../ratelimit/index.js';
import type { Metrics } from '../../shared/metrics.js';
import type { SessionsApi } from '../../sessions/index.js';
import type { CarryOverDeps, GuestHandle } from '../conversion.js';
import type { IdTokenVerifier } from '../id-token/verifier.js';
import { loginAccountRule, loginIpRule } from '../login-limits.js';
import type { AccountConfig } from '../options.js';
import type { AccountService } from '../service.js';

/** What the accounts feature's routes use: its service, and what they ask of oauth and sessions. */
export interface AccountRoutesDeps extends Omit<CarryOverDeps, 'outbox'> {
  events: EventBus;
  accounts: AccountService;
  idTokens: IdTokenVerifier;
  rateLimits: RateLimitStore;
  metrics: Pick<Metrics, 'tokensIssued'>;
  config: Pick<AccountConfig, 'mergeStrategies' | 'loginRateLimitPerIp' | 'loginRateLimitPerAccount'>;
  oauth: Pick<OauthApi, 'gatherFacts' | 'requireAccessToken' | 'advertiseDpopNonce' | 'clientAuth'>;
  admin: AdminAccess;
  sessions: Pick<SessionsApi, 'resolveSessionCaller' | 'guestOfTokenRequest' | 'readSessionData' | 'writeMetadata'>;
}

/** Client fields every token-issuing account endpoint takes (DESIGN §5). */
export const ClientFields = {
  client_id: Type.Optional(Type.String({ maxLength: 200, description: 'Required unless the client authenticates with HTTP Basic.' })),
  client_secret: Type.Optional(Type.String({ maxLength: 500 })),
};

export const TokenRequestFields = {
  scope: Type.Optional(Type.String({ maxLength: 2000 })),
  audience: Type.Optional(Type.String({ maxLength: 500 })),
  resource: Type.Optional(Type.String({ maxLength: 500 })),
};

export const Email = Type.String({ maxLength: 320, description: 'The user’s e-mail address.' });
export const Password = Type.String({ maxLength: 1024, description: 'At least 10 characters, not a common password.' });
export const SessionTokenField = Type.Optional(Type.String({ maxLength: 4096, description: 'The guest’s session token: its data is carried over.' }));

/** Sign-up, login, verification and reset attempts per IP address (credential stuffing, mail bombing). */
export async function limitByIp(deps: Pick<AccountRoutesDeps, 'rateLimits' | 'config'>, request: FastifyRequest): Promise<void> {
  await enforceRateLimits(deps.rateLimits, [loginIpRule(deps.config, request.ip)]);
}

/** Login attempts per account, keyed by the address's HMAC so the limiter never holds it. */
export async function limitByAccount(deps: Pick<AccountRoutesDeps, 'rateLimits' | 'config'>, accountKey: string): Promise<void> {
  await enforceRateLimits(deps.rateLimits, [loginAccountRule(deps.config, accountKey)]);
}

/**
 * The guest a caller presents with its session token, or in cookie mode with its session
 * cookie, checked by the sessions feature like any session token: a live session of the same
 * client, of the current generation, proven with its DPoP key when bound (a session token is a
 * bearer credential of that application only, RFC 6749 §6).
 */
export async function guestFromSessionToken(
  deps: Pick<AccountRoutesDeps, 'sessions'>,
  request: FastifyRequest,
  sessionToken: string | undefined,
  facts: RequestFacts,
): Promise<GuestHandle | undefined> {
  const session = await deps.sessions.guestOfTokenRequest(request, sessionToken, facts);
  return session && { userId: session.uid, sessionId: session.sid, clientId: session.cid };
}

export function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const result: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) result[key] = source[key];
  return result;
}
