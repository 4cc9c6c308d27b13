import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import type { AccessTokenClaims } from './access-token.js';
import { oauthError } from './error-codes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the verified access token, set by `requireAccessToken`. */
    accessToken?: AccessTokenClaims;
  }
}

/** RFC 6750 §3: the challenge names the error so clients can tell "refresh" from "ask for more". */
function challenge(error?: string, scope?: string): Record<string, string> {
  const parts = ['realm="guestpass"'];
  if (error) parts.push(`error="${error}"`);
  if (scope) parts.push(`scope="${scope}"`);
  return { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` };
}

export interface RequireAccessTokenOptions {
  /** Every one of these scopes must be granted. */
  scopes?: string[];
}

/**
 * A preHandler for Guestpass's own resource endpoints: any unexpired, unrevoked access token
 * this server issued, whatever its audience (DESIGN §5), holding the required scopes.
 */
export function requireAccessToken(ctx: AppContext, { scopes = [] }: RequireAccessTokenOptions = {}) {
  return async function checkAccessToken(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = header ? /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim()) : null;
    if (!match?.[1]) throw oauthError('TOKEN_MISSING', undefined, challenge());
    const claims = await ctx.accessTokens.verify(match[1]);
    if (!claims) throw oauthError('INVALID_TOKEN', undefined, challenge('invalid_token'));
    const granted = new Set((claims.scope ?? '').split(' '));
    const missing = scopes.filter((scope) => !granted.has(scope));
    if (missing.length > 0) {
      throw oauthError(
        'INSUFFICIENT_SCOPE',
        `The access token lacks the scope ${missing.join(' ')}; request a token that includes it.`,
        challenge('insufficient_scope', scopes.join(' ')),
      );
    }
    request.accessToken = claims;
  };
}
