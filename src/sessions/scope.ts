import { type Client, userScopesOf } from '../clients/index.js';
import type { SessionTokenPayload } from './session-token.js';

/**
 * The scopes a new session may be granted: the client's guest scopes for a guest, its user
 * scopes (`user.scopes`, by default the guest scopes) for a registered user.
 */
export function allowedScopes(client: Client, isAnonymous: boolean): readonly string[] {
  return isAnonymous ? client.guest.scopes : userScopesOf(client);
}

/**
 * The scope of the access token a refresh issues. A guest keeps the scope its session was
 * granted: a guest's refresh never gains a scope. A registered user's session, including a
 * guest session that lived on through promotion in place, gets the client's current user
 * scopes: all of them when the session started without naming a scope (`ds`), otherwise only
 * those it named, so a session that asked for less never gains more than it asked for. The
 * result follows the client's settings, so a user scope an administrator removes is gone at
 * the next refresh.
 */
export function scopeAtRefresh(payload: Pick<SessionTokenPayload, 'scope' | 'ds'>, client: Client, isAnonymous: boolean): string {
  if (isAnonymous) return payload.scope;
  const allowed = userScopesOf(client);
  if (payload.ds) return allowed.join(' ');
  return payload.scope
    .split(' ')
    .filter((scope) => scope !== '' && allowed.includes(scope))
    .join(' ');
}
