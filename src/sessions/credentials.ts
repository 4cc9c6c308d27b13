import type { FastifyRequest } from 'fastify';
import { type ClientCache, cachedClient, checkClientOrigin } from '../clients/index.js';
import { GuestpassError } from '../shared/errors.js';
import type { CoreConfig } from '../config/index.js';
import { dpopHeaderValue, type DpopVerifier } from '../dpop/index.js';
import { type OauthApi, oauthError, presentedToken, type PresentedToken, type RequestFacts } from '../oauth/index.js';
import { networkField } from '../shared/network.js';
import { readSessionCookie } from './cookie.js';
import { sessionError } from './error-codes.js';
import type { GuestSessionService } from './service.js';
import { looksLikeSessionToken, type SessionIdentity, type SessionTokenPayload } from './session-token.js';
import type { SessionPresentation } from './types.js';

/** What finding the caller's session takes: the one check of a session token, DPoP, and oauth's access-token check. */
export interface SessionCredentialDeps {
  service: Pick<GuestSessionService, 'authenticate'>;
  dpop: DpopVerifier;
  clientCache: Pick<ClientCache, 'lookup'>;
  issuer: () => string;
  config: Pick<CoreConfig, 'dpopRequireNonce'>;
  oauth: Pick<OauthApi, 'verifyResourceToken' | 'publicUrl' | 'dpopViolationReporter'>;
}

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
export async function resolveSessionCaller(deps: SessionCredentialDeps, request: FastifyRequest): Promise<SessionCaller> {
  const presented = presentedToken(request);
  if (presented && looksLikeSessionToken(presented.token)) {
    const session = await deps.service.authenticate(presented.token, { ...networkField(request.ip), proveKey: proofAtResource(deps, request, presented) });
    return { session, via: 'session_token' };
  }
  if (presented) {
    const claims = await deps.oauth.verifyResourceToken(request, presented);
    if (!claims.sid)
      throw sessionError('SESSION_CREDENTIAL_MISSING', 'This access token belongs to no session (a client_credentials token); use a guest session’s token.');
    const client = await cachedClient(deps.clientCache, claims.client_id);
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
  const cookie = readSessionCookie(request, deps.issuer());
  if (cookie)
    return { session: await deps.service.authenticate(cookie, { ...networkField(request.ip), proveKey: proofWithCookie(deps, request) }), via: 'cookie' };
  throw sessionError('SESSION_CREDENTIAL_MISSING', undefined, { 'WWW-Authenticate': 'Bearer realm="guestpass"' });
}

/**
 * A session token sent in the body of a token-issuing request (sign-up, login, ID-token link):
 * the request's client and DPoP proof were checked as a token request (RFC 9449 §5), so a
 * bound session needs that proof to be made with its key.
 */
export async function sessionFromTokenRequest(
  deps: Pick<SessionCredentialDeps, 'service'>,
  sessionToken: string,
  facts: RequestFacts,
): Promise<SessionTokenPayload> {
  return deps.service.authenticate(sessionToken, {
    client: facts.client,
    ...(facts.network ? { network: facts.network } : {}),
    proveKey: async () => facts.dpopJkt,
  });
}

/**
 * The guest a token-issuing request presents (sign-up, login, ID-token link): its session token
 * in the body, or in cookie mode the session cookie, where the page's script cannot read the
 * token to send it. Both pass the one check of a session token (`sessionFromTokenRequest` →
 * `authenticate`). The cookie rides along by itself, so it counts only with an allowed Origin
 * (CSRF, as every cookie-borne state change). A cookie is ambient rather than presented: one of
 * another client on the same issuer is left alone (presenting it would revoke it as a client
 * mismatch), and one of an ended session means no guest rather than a failed login.
 */
export async function guestOfTokenRequest(
  deps: Pick<SessionCredentialDeps, 'issuer'> & { service: Pick<GuestSessionService, 'authenticate' | 'identify'> },
  request: FastifyRequest,
  sessionToken: string | undefined,
  facts: RequestFacts,
): Promise<SessionTokenPayload | undefined> {
  if (sessionToken !== undefined) return sessionFromTokenRequest(deps, sessionToken, facts);
  const cookie = readSessionCookie(request, deps.issuer());
  if (cookie === undefined || deps.service.identify(cookie)?.cid !== facts.client.id) return undefined;
  checkClientOrigin(facts.client, request, { required: true });
  try {
    return await sessionFromTokenRequest(deps, cookie, facts);
  } catch (error) {
    if (error instanceof GuestpassError && error.error === 'invalid_grant') return undefined;
    throw error;
  }
}

/**
 * RFC 9449 §7 for a session token in `Authorization`, as for an access token: a bound one
 * comes with the `DPoP` scheme and a proof over this request that hashes the token (`ath`);
 * an unbound one with `Bearer`.
 */
function proofAtResource(deps: SessionCredentialDeps, request: FastifyRequest, presented: PresentedToken): SessionPresentation['proveKey'] {
  return async (session) => {
    if (!session.jkt) {
      if (presented.scheme === 'DPoP') throw oauthError('INVALID_TOKEN', 'This session token is not DPoP-bound: send it as "Authorization: Bearer <token>".');
      return undefined;
    }
    if (presented.scheme !== 'DPoP') {
      throw oauthError(
        'INVALID_TOKEN',
        'This session is DPoP-bound: send its token as "Authorization: DPoP <token>" with a DPoP proof (RFC 9449 §7.1).',
        dpopChallenge(deps),
      );
    }
    const proof = dpopHeaderValue(request.headers);
    if (!proof) throw oauthError('INVALID_TOKEN', 'A DPoP-bound session token needs a DPoP proof header (RFC 9449 §7.1).', dpopChallenge(deps));
    const { jkt } = await deps.dpop.verifyAtResource(proof, { ...expectations(deps, request, session), accessToken: presented.token });
    return jkt;
  };
}

/**
 * A bound session in cookie mode: the browser's script cannot read the HttpOnly cookie to hash
 * it, so the proof covers the request (method and URL) without `ath`; the key is what binds.
 */
function proofWithCookie(deps: SessionCredentialDeps, request: FastifyRequest): SessionPresentation['proveKey'] {
  return async (session) => {
    if (!session.jkt) return undefined;
    const proof = dpopHeaderValue(request.headers);
    if (!proof) return undefined;
    return (await deps.dpop.verify(proof, expectations(deps, request, session))).jkt;
  };
}

function expectations(deps: SessionCredentialDeps, request: FastifyRequest, session: SessionTokenPayload) {
  return {
    htm: request.method,
    htu: deps.oauth.publicUrl(request),
    expectedJkt: session.jkt,
    requireNonce: deps.config.dpopRequireNonce,
    onViolation: deps.oauth.dpopViolationReporter(request, { session_id: session.sid, client_id: session.cid, subject: session.uid }),
  };
}

const dpopChallenge = (deps: Pick<SessionCredentialDeps, 'dpop'>) => ({
  'WWW-Authenticate': `DPoP error="invalid_token", algs="${deps.dpop.algorithms.join(' ')}"`,
});
