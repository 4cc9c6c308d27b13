import type { FastifyReply, FastifyRequest } from 'fastify';
import { dpopHeaderValue } from '../dpop/index.js';
import type { AccessTokenClaims, AccessTokens } from './access-token.js';
import { type DpopBindingDeps, dpopViolationReporter, publicUrl } from './dpop-binding.js';
import { oauthError } from './error-codes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the verified access token, set by `requireAccessToken`. */
    accessToken?: AccessTokenClaims;
  }
}

/** RFC 6750 §3 / RFC 9449 §7.1: the challenge names the error so clients know what to do. */
function challenge(error?: string, scope?: string): Record<string, string> {
  const parts = ['realm="guestpass"'];
  if (error) parts.push(`error="${error}"`);
  if (scope) parts.push(`scope="${scope}"`);
  return { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` };
}

export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

/** `Authorization: Bearer <token>` or `Authorization: DPoP <token>` (RFC 6750 §2.1, RFC 9449 §7.1). */
export function presentedToken(request: FastifyRequest): PresentedToken | undefined {
  const header = request.headers.authorization;
  const match = header ? /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim()) : null;
  if (!match?.[1] || !match[2]) return undefined;
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}

/** What checking an access token at a resource endpoint takes. */
export interface ResourceTokenDeps extends DpopBindingDeps {
  accessTokens: Pick<AccessTokens, 'verify'>;
}

/**
 * Verifies an access token presented to one of Guestpass's own resource endpoints: signature,
 * expiry, denylist and session revocation; for a DPoP-bound token (`cnf.jkt`) the `DPoP`
 * scheme and a proof made with the bound key over this request and this token (RFC 9449 §7).
 */
export async function verifyResourceToken(
  deps: ResourceTokenDeps,
  request: FastifyRequest,
  presented: PresentedToken,
  scopes: string[] = [],
): Promise<AccessTokenClaims> {
  const claims = await deps.accessTokens.verify(presented.token);
  if (!claims) throw oauthError('INVALID_TOKEN', undefined, challenge('invalid_token'));
  const jkt = claims.cnf?.jkt;
  if (jkt && presented.scheme !== 'DPoP') {
    throw oauthError(
      'INVALID_TOKEN',
      'This access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof (RFC 9449 §7.2).',
      challenge('invalid_token'),
    );
  }
  if (presented.scheme === 'DPoP') {
    if (!jkt) throw oauthError('INVALID_TOKEN', 'This access token is not DPoP-bound: send it as "Authorization: Bearer <token>".', challenge('invalid_token'));
    const proof = dpopHeaderValue(request.headers);
    if (!proof) {
      throw oauthError('INVALID_TOKEN', 'A DPoP-bound access token needs a DPoP proof header (RFC 9449 §7.1).', {
        'WWW-Authenticate': `DPoP error="invalid_token", algs="${deps.dpop.algorithms.join(' ')}"`,
      });
    }
    await deps.dpop.verifyAtResource(proof, {
      htm: request.method,
      htu: publicUrl(deps, request),
      accessToken: presented.token,
      expectedJkt: jkt,
      requireNonce: deps.config.dpopRequireNonce,
      onViolation: dpopViolationReporter(deps, request, {
        ...(claims.sid ? { session_id: claims.sid } : {}),
        ...(claims.client_id ? { client_id: claims.client_id } : {}),
        ...(claims.sub ? { subject: claims.sub } : {}),
      }),
    });
  }
  const granted = new Set((claims.scope ?? '').split(' '));
  const missing = scopes.filter((scope) => !granted.has(scope));
  if (missing.length > 0) {
    throw oauthError(
      'INSUFFICIENT_SCOPE',
      `The access token lacks the scope ${missing.join(' ')}; request a token that includes it.`,
      challenge('insufficient_scope', scopes.join(' ')),
    );
  }
  return claims;
}

/** A preHandler that lets a request through only with an access token as `requireAccessToken` asks. */
export type AccessTokenCheck = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface RequireAccessTokenOptions {
  /** Every one of these scopes must be granted. */
  scopes?: string[];
}

/**
 * A preHandler for Guestpass's own resource endpoints: every unexpired, unrevoked access token
 * this server issued, whatever its audience (DESIGN §5), holding the required scopes.
 */
export function requireAccessToken(deps: ResourceTokenDeps, { scopes = [] }: RequireAccessTokenOptions = {}): AccessTokenCheck {
  return async function checkAccessToken(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const presented = presentedToken(request);
    if (!presented) throw oauthError('TOKEN_MISSING', undefined, challenge());
    request.accessToken = await verifyResourceToken(deps, request, presented, scopes);
  };
}
