import type { JWTPayload } from 'jose';
import { type ChallengeOptions, GuestpassAuthError } from './errors.js';
import type { GuestpassAuth } from './types.js';

/** RFC 9068 §2.2.3: `scope` is a space-separated string. */
export function scopesOf(payload: JWTPayload): readonly string[] {
  const scope = payload['scope'];
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
}

export function hasScopes(auth: Pick<GuestpassAuth, 'scopes'>, required: readonly string[]): boolean {
  return required.every((scope) => auth.scopes.includes(scope));
}

/** Throws 403 `insufficient_scope` naming every scope required (RFC 6750 §3.1) unless the token has them all. */
export function assertScopes(auth: Pick<GuestpassAuth, 'scopes' | 'jkt'>, required: readonly string[], challenge: ChallengeOptions = {}): void {
  if (hasScopes(auth, required)) return;
  const missing = required.filter((scope) => !auth.scopes.includes(scope));
  throw new GuestpassAuthError(
    'INSUFFICIENT_SCOPE',
    `The access token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')} this route needs.`,
    {
      scheme: auth.jkt ? 'DPoP' : 'Bearer',
      ...challenge,
      scope: required,
    },
  );
}
