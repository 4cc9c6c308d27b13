import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { presentedToken, verifyResourceToken } from '../oauth/bearer.js';
import { readSessionCookie } from './cookie.js';
import { sessionError } from './error-codes.js';
import { looksLikeSessionToken, type SessionIdentity } from './session-token.js';
import { cachedClient } from '../clients/lookup.js';

/** Who the caller of an `/anonymous/*` endpoint is, and how they proved it. */
export interface SessionCaller {
  session: SessionIdentity;
  /** Cookie credentials need an allowed Origin on state changes (CSRF). */
  via: 'access_token' | 'session_token' | 'cookie';
}

/**
 * Resolves the caller from `Authorization` (the session's access token, Bearer or DPoP, or its
 * session token) or from the session cookie. Every path ends in a live, unrevoked session.
 */
export async function resolveSessionCaller(ctx: AppContext, request: FastifyRequest): Promise<SessionCaller> {
  const presented = presentedToken(request);
  if (presented && looksLikeSessionToken(presented.token)) {
    return { session: await ctx.guestSessions.authenticate(presented.token), via: 'session_token' };
  }
  if (presented) {
    const claims = await verifyResourceToken(ctx, request, presented);
    if (!claims.sid) throw sessionError('SESSION_CREDENTIAL_MISSING', 'This access token belongs to no session (a client_credentials token); use a guest session’s token.');
    const client = await cachedClient(ctx, claims.client_id);
    const createdAt = typeof claims['auth_time'] === 'number' ? claims['auth_time'] : claims.iat;
    return {
      session: {
        sid: claims.sid,
        uid: claims.sub,
        cid: claims.client_id,
        ct: createdAt,
        exp: createdAt + client.guest.sessionTtl,
        scope: claims.scope ?? '',
        aud: Array.isArray(claims.aud) ? (claims.aud[0] ?? '') : claims.aud,
        ...(claims.cnf?.jkt ? { jkt: claims.cnf.jkt } : {}),
      },
      via: 'access_token',
    };
  }
  const cookie = readSessionCookie(request, ctx.issuer.value);
  if (cookie) return { session: await ctx.guestSessions.authenticate(cookie), via: 'cookie' };
  throw sessionError('SESSION_CREDENTIAL_MISSING', undefined, { 'WWW-Authenticate': 'Bearer realm="guestpass"' });
}
