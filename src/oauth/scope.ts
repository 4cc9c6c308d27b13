import type { Client } from '../clients/index.js';
import type { EventBus } from '../events/bus.js';
import type { DomainEvents } from '../events/types.js';
import { oauthError } from './error-codes.js';

/** What a caller of `resolveScope` learns of a refusal before the error is thrown. */
export type ScopeRefusalReport = (refused: readonly string[], requestedCount: number) => void;

const MAX_REPORTED_SCOPES = 10;
const MAX_SCOPE_NAME = 64;

/**
 * RFC 6749 §3.3: the granted scope is the requested one when every token is allowed, or all
 * of `allowed` when none is requested. An unknown token is an error, not silently dropped,
 * so a developer sees the typo.
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[], report?: ScopeRefusalReport): string {
  if (requested === undefined || requested.trim() === '') return allowed.join(' ');
  const tokens = [...new Set(requested.split(' ').filter((token) => token !== ''))];
  const refused = tokens.filter((token) => !allowed.includes(token));
  if (refused.length > 0) {
    report?.(refused, tokens.length);
    throw oauthError(
      'INVALID_SCOPE',
      `This client may not request ${refused.map((token) => `"${token}"`).join(', ')}; its scopes are: ${allowed.join(' ') || '(none)'}.`,
    );
  }
  return tokens.join(' ');
}

/**
 * A `ScopeRefusalReport` that emits `scope.refused` once per refused request: every caller of
 * `resolveScope` passes one, so probing for scopes is visible to detection whichever grant it
 * goes through. `base` is the event's time, client, subject and network.
 */
export function scopeRefusedEmitter(
  events: Pick<EventBus, 'emit'>,
  base: () => Pick<DomainEvents['scope.refused'], 'time' | 'client_id' | 'subject' | 'network'>,
  grant: DomainEvents['scope.refused']['grant'],
): ScopeRefusalReport {
  return (refused, requestedCount) =>
    events.emit('scope.refused', {
      ...base(),
      grant,
      refused: refused.slice(0, MAX_REPORTED_SCOPES).map((name) => name.slice(0, MAX_SCOPE_NAME)),
      refused_count: refused.length,
      requested_count: requestedCount,
    });
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
