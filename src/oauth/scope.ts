import type { Client } from '../clients/index.js';
import { oauthError } from './error-codes.js';

/**
 * RFC 6749 §3.3: the granted scope is the requested one when every token is allowed, or all
 * of `allowed` when none is requested. An unknown token is an error, not silently dropped,
 * so a developer sees the typo.
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[]): string {
  if (requested === undefined || requested.trim() === '') return allowed.join(' ');
  const tokens = [...new Set(requested.split(' ').filter((token) => token !== ''))];
  const refused = tokens.filter((token) => !allowed.includes(token));
  if (refused.length > 0) {
    throw oauthError(
      'INVALID_SCOPE',
      `This client may not request ${refused.map((token) => `"${token}"`).join(', ')}; its scopes are: ${allowed.join(' ') || '(none)'}.`,
    );
  }
  return tokens.join(' ');
}

/**
 * The `aud` of the token: `audience` (Auth0's parameter) or `resource` (RFC 8707), which must
 * be one of the client's audiences; by default the first of them, or the issuer itself.
 */
export function resolveAudience(body: { audience?: string | undefined; resource?: string | undefined }, client: Client, issuer: string): string {
  if (body.audience !== undefined && body.resource !== undefined && body.audience !== body.resource) {
    throw oauthError('INVALID_REQUEST', 'Send either audience or resource, or the same value in both.');
  }
  const requested = body.audience ?? body.resource;
  const allowed = client.audiences.length > 0 ? client.audiences : [issuer];
  if (requested === undefined) return allowed[0]!;
  if (!allowed.includes(requested)) {
    throw oauthError('INVALID_TARGET', `The audience "${requested}" is not one of this client's audiences: ${allowed.join(', ')}.`);
  }
  return requested;
}
