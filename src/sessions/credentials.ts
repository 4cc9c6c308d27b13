import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { networkField } from '../shared/network.js';
import { dpopHeaderValue } from '../dpop/index.js';
import { dpopViolationReporter, oauthError, presentedToken, type PresentedToken, publicUrl, type RequestFacts, verifyResourceToken } from '../oauth/index.js';
import { readSessionCookie } from './cookie.js';
import { sessionError } from './error-codes.js';
import { looksLikeSessionToken, type SessionIdentity, type SessionTokenPayload } from './session-token.js';
import type { SessionPresentation } from './types.js';
import { cachedClient } from '../clients/index.js';

/** Who the caller of an `/anonymous/*` endpoint is, and how they proved it. */
export interface SessionCaller {
  session: SessionIdentity;
  /** Cookie credentials need an allowed Origin on state changes (CSRF). */
  via: 'access_token' | 'session_token' | 'cookie';
}

/**
 * Resolves the caller from `Authorization` (the session's access token, Bearer or DPoP, or its
 * session token) or from the session cookie. Every path ends in a live, unrevoked session, and
 * a session token on any path passes the generation and DPoP checks of `authenticate`.
 */
export async function resolveSessionCaller(ctx: AppContext, request: FastifyRequest): Promise<SessionCaller> {
  const presented = presentedToken(request);
  if (presented && looksLikeSessionToken(presented.token)) {
    const session = await ctx.guestSessions.authenticate(presented.token, { ...networkField(request.ip), proveKey: proofAtResource(ctx, request, presented) });
    return { session, via: 'session_token' };
  }
  if (presented) {
    const claims = await verifyResourceToken(ctx, request, presented);
    if (!claims.sid)
      throw sessionError('SESSION_CREDENTIAL_MISSING', 'This access token belongs to no session (a client_credentials token); use a guest session’s token.');
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
  if (cookie)
    return { session: await ctx.guestSessions.authenticate(cookie, { ...networkField(request.ip), proveKey: proofWithCookie(ctx, request) }), via: 'cookie' };
  throw sessionError('SESSION_CREDENTIAL_MISSING', undefined, { 'WWW-Authenticate': 'Bearer realm="guestpass"' });
}

/**
 * A session token sent in the body of a token-issuing request (sign-up, login, ID-token link):
 * the request's client and DPoP proof were checked as a token request (RFC 9449 §5), so a
 * bound session needs that proof to be made with its key.
 */
export async function sessionFromTokenRequest(ctx: AppContext, sessionToken: string, facts: RequestFacts): Promise<SessionTokenPayload> {
  return ctx.guestSessions.authenticate(sessionToken, {
    client: facts.client,
    ...(facts.network ? { network: facts.network } : {}),
    proveKey: async () => facts.dpopJkt,
  });
}

/**
 * RFC 9449 §7 for a session token in `Authorization`, as for an access token: a bound one
 * comes with the `DPoP` scheme and a proof over this request that hashes the token (`ath`);
 * an unbound one with `Bearer`.
 */
function proofAtResource(ctx: AppContext, request: FastifyRequest, presented: PresentedToken): SessionPresentation['proveKey'] {
  return async (session) => {
    if (!session.jkt) {
      if (presented.scheme === 'DPoP') throw oauthError('INVALID_TOKEN', 'This session token is not DPoP-bound: send it as "Authorization: Bearer <token>".');
      return undefined;
    }
    if (presented.scheme !== 'DPoP') {
      throw oauthError(
        'INVALID_TOKEN',
        'This session is DPoP-bound: send its token as "Authorization: DPoP <token>" with a DPoP proof (RFC 9449 §7.1).',
        dpopChallenge(ctx),
      );
    }
    const proof = dpopHeaderValue(request.headers);
    if (!proof) throw oauthError('INVALID_TOKEN', 'A DPoP-bound session token needs a DPoP proof header (RFC 9449 §7.1).', dpopChallenge(ctx));
    const { jkt } = await ctx.dpop.verifyAtResource(proof, { ...expectations(ctx, request, session), accessToken: presented.token });
    return jkt;
  };
}

/**
 * A bound session in cookie mode: the browser's script cannot read the HttpOnly cookie to hash
 * it, so the proof covers the request (method and URL) without `ath`; the key is what binds.
 */
function proofWithCookie(ctx: AppContext, request: FastifyRequest): SessionPresentation['proveKey'] {
  return async (session) => {
    if (!session.jkt) return undefined;
    const proof = dpopHeaderValue(request.headers);
    if (!proof) return undefined;
    return (await ctx.dpop.verify(proof, expectations(ctx, request, session))).jkt;
  };
}

function expectations(ctx: AppContext, request: FastifyRequest, session: SessionTokenPayload) {
  return {
    htm: request.method,
    htu: publicUrl(ctx, request),
    expectedJkt: session.jkt,
    requireNonce: ctx.config.dpopRequireNonce,
    onViolation: dpopViolationReporter(ctx, request, { session_id: session.sid, client_id: session.cid, subject: session.uid }),
  };
}

const dpopChallenge = (ctx: AppContext) => ({ 'WWW-Authenticate': `DPoP error="invalid_token", algs="${ctx.dpop.algorithms.join(' ')}"` });
